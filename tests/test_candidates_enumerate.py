"""Design-space enumeration: attachment points, chunk addressing, reproduction of a real radioligand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli
from rdkit import Chem

from radiovector.candidates.enumerate import enumerate_chunk, load_blocks, merge_scored, n_chunks
from radiovector.candidates.stage import score_candidates
from radiovector.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ROOT / "resources" / "example" / "building_blocks.csv"


@pytest.fixture(scope="module")
def space():
    return load_blocks(pd.read_csv(BLOCKS))


def test_size_counts_albumin_branch(space):
    # 2 vectors x (2 plain linkers x 3 chelators + 1 branched linker x 3 chelators x 1 albumin binder)
    assert len(space) == 2 * (2 * 3 + 1 * 3 * 1) == 18


def test_chunks_partition_the_space(space):
    whole = enumerate_chunk(space, 0, len(space))
    parts = pd.concat([enumerate_chunk(space, k, 4) for k in range(n_chunks(space, 4))], ignore_index=True)
    pd.testing.assert_frame_equal(whole, parts)
    assert whole["id"].is_unique and n_chunks(space, 4) == 5


def test_reproduces_psma617_from_its_building_blocks(space):
    whole = enumerate_chunk(space, 0, len(space)).set_index("id")
    example = pd.read_csv(ROOT / "resources" / "example" / "candidates.csv").set_index("id")
    key = Chem.MolToInchiKey(Chem.MolFromSmiles(whole.loc["KuE|Nal-AMCHA|DOTA", "smiles"]))
    assert key == Chem.MolToInchiKey(Chem.MolFromSmiles(example.loc["PSMA-617", "smiles"]))


def test_block_with_wrong_attachment_points_is_an_input_error():
    bad = pd.DataFrame({"id": ["v", "l", "c"], "role": ["vector", "linker", "chelator"],
                        "smiles": ["CC[*:1]", "[*:1]CC", "[*:2]C"]})
    with pytest.raises(InputError, match="line 3"):  # the second row, as a CSV with a header
        load_blocks(bad)


def test_merge_scored_dedupes_across_chunks(space):
    frames = [enumerate_chunk(space, k, 6) for k in range(n_chunks(space, 6))]
    frames[1] = pd.concat([frames[1], frames[0].iloc[:1].assign(id="again")], ignore_index=True)
    parts = [score_candidates(f, {"nuclides": ["Lu-177"], "alerts": False, "qed_sa": False}) for f in frames]
    merged = merge_scored(parts)["candidates"]
    assert len(merged) == len(space) and merged["inchikey"].is_unique
    assert merged["rank"].tolist() == list(range(1, len(space) + 1))
    assert merged["n_inputs"].sum() == len(space) + 1


def test_enumerate_command_scores_chunks_and_draws_the_merged_top(tmp_path, capsys):
    """`radiovector enumerate --score --exhaustive`: every chunk written, the merged top table and its three
    figures."""
    out = tmp_path / "space"
    code, _, err = run_cli(["enumerate", str(BLOCKS), "-o", str(out), "--chunk-size", "5", "--score", "--fast",
                            "--exhaustive", "-n", "Lu-177"], capsys)
    assert code == 0, err
    conjugates = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("conjugates_*.parquet"))])
    assert len(conjugates) == 18 and len(list(out.glob("candidates_*.parquet"))) == 4  # 18 in chunks of 5
    top = pd.read_parquet(out / "top" / "candidates.parquet")
    assert 0 < len(top) <= 18 and top["rank"].tolist() == list(range(1, len(top) + 1))
    assert {p.name for p in (out / "top").glob("*.png")} == {
        "candidate_properties.png", "candidate_pareto.png", "candidate_top_structures.png"}


def test_enumerate_command_bounded_selection(tmp_path, capsys):
    """`radiovector enumerate --score` (bounded): the design_space table, its summary and figures in top/."""
    import json

    out = tmp_path / "space"
    code, _, err = run_cli(["enumerate", str(BLOCKS), "-o", str(out), "--chunk-size", "5", "--score", "--fast",
                            "--top-n", "4", "-n", "Lu-177", "--jobs", "1"], capsys)
    assert code == 0, err
    table = pd.read_parquet(out / "top" / "design_space.parquet")
    summary = json.loads((out / "top" / "summary.json").read_text())
    assert table["design_rank"].tolist() == list(range(1, len(table) + 1)) and len(table) >= 4
    assert summary["conjugates"] == 18 == summary["fully_scored_conjugates"] + summary["not_fully_scored"]
    assert "fully scored" in err and (out / "top" / "figures").is_dir()
