"""Design-space screening in chunks: the Pareto front, an exact gather (top N + front), the config section and
its workflow rules (plain chunk wildcards, the design_space table registered for the store)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from radiovector.candidates import scoring
from radiovector.candidates.design import _objective_values, gather, pareto_front, resolve_params, score_chunk
from radiovector.candidates.enumerate import enumerate_chunk, load_blocks, n_chunks
from radiovector.candidates.stage import score_candidates
from radiovector.config import validate_config
from radiovector.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ROOT / "resources" / "example" / "building_blocks.csv"
PARAMS = {"building_blocks": str(BLOCKS), "nuclides": ["Lu-177", "Ac-225"], "top_n": 3, "alerts": False}


@pytest.mark.parametrize("seed", range(5))
def test_pareto_front_equals_rank_one(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, size=(300, 3)).astype(float)  # many ties
    values[rng.integers(0, 300, 10), rng.integers(0, 3, 10)] = np.nan
    assert (pareto_front(values) == (scoring.pareto_rank(values) == 1)).all()


def test_gather_of_chunks_equals_scoring_the_whole_space():
    space = load_blocks(pd.read_csv(BLOCKS))
    parts = [score_chunk(space, k, 4, PARAMS)[0] for k in range(n_chunks(space, 4))]
    table = gather(parts, top_n=3)
    whole = score_candidates(enumerate_chunk(space, 0, len(space)),
                             {"nuclides": ["Lu-177", "Ac-225"], "alerts": False})["candidates"]
    front = set(whole["candidate_id"][pareto_front(_objective_values(whole))])
    assert front
    expected = set(whole["candidate_id"].head(3)) | front
    assert set(table["candidate_id"]) == expected
    assert table["design_rank"].head(3).tolist() == [1, 2, 3]
    assert table["candidate_id"].head(3).tolist() == whole["candidate_id"].head(3).tolist()
    assert set(table.loc[table["on_pareto_front"], "candidate_id"]) == front
    assert "compatibility_ac-225" in table.columns


def test_design_section_is_checked():
    assert resolve_params({})["chunk_size"] == 50000  # empty: no design space, defaults
    with pytest.raises(ConfigError, match="building_blocks"):
        resolve_params({"chunk_size": 10})
    with pytest.raises(ConfigError, match="chunk_size"):
        resolve_params({**PARAMS, "chunk_size": 0})
    with pytest.raises(ConfigError, match="design.chunksize: unknown key; did you mean chunk_size"):
        resolve_params({**PARAMS, "chunksize": 10})
    with pytest.raises(ConfigError, match="nuclide"):
        validate_config({"inputs": {"candidates": "x.csv"}, "design": {**PARAMS, "nuclides": ["Xx-999"]}})


def test_workflow_has_one_job_per_chunk_and_registers_the_table(tmp_path):
    config = {"inputs": {"candidates": str(ROOT / "resources" / "example" / "candidates.csv")},
              "design": {**PARAMS, "chunk_size": 5}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", "workflow/Snakefile",
                           "--configfile", str(path), "--directory", str(tmp_path / "work"), "--quiet", "rules"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = {line.split()[0]: int(line.split()[1]) for line in proc.stdout.splitlines()
              if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert counts["design_chunk"] == 4 and counts["design_gather"] == 1  # 18 conjugates in chunks of 5


def _failing_figure(path):
    raise ValueError(f"cannot draw {path}")


def test_figures_drawn_in_parallel_are_the_same_files_and_errors_reach_the_caller(tmp_path):
    """plots.draw with 2 processes writes byte-identical PNGs to drawing them one after the other (Agg output is
    deterministic), and a figure that fails in a worker raises in the caller."""
    from radiovector.candidates.plots import draw, write_design_figures

    space = load_blocks(pd.read_csv(BLOCKS))
    table = gather([score_chunk(space, k, 4, PARAMS)[0] for k in range(n_chunks(space, 4))], top_n=3)
    one = write_design_figures(table, tmp_path / "one", jobs=1)
    two = write_design_figures(table, tmp_path / "two", jobs=2)
    assert {k: p.read_bytes() for k, p in one.items()} == {k: p.read_bytes() for k, p in two.items()}
    with pytest.raises(ValueError, match="cannot draw b.png"):
        draw({"a": (lambda path: path, (tmp_path / "a.png",), {}), "b": (_failing_figure, ("b.png",), {})}, jobs=2)


def test_design_figures_have_captions_and_the_summary_balances(tmp_path):
    from radiovector.candidates.plots import write_design_figures
    from radiovector.report.captions import caption_for
    from radiovector.report.html import design_counts, design_summary_html

    space = load_blocks(pd.read_csv(BLOCKS))
    chunks = [score_chunk(space, k, 4, PARAMS) for k in range(n_chunks(space, 4))]
    table = gather([kept for kept, _, _ in chunks], top_n=3)
    paths = write_design_figures(table, tmp_path / "figures")
    assert sorted(p.name for p in paths.values()) == ["design_pareto.png", "design_properties.png",
                                                      "design_top_structures.png"]
    assert all(p.stat().st_size > 0 and caption_for(p, "stage caption") != "stage caption" for p in paths.values())
    assert write_design_figures(table.iloc[:0], tmp_path / "empty") == {}  # nothing kept: counts only

    summary = {"conjugates": sum(c["conjugates"] for _, _, c in chunks),
               "unique_per_chunk": sum(c["unique"] for _, _, c in chunks),
               "rejects": sum(c["rejects"] for _, _, c in chunks), "rows_in_table": len(table),
               "pareto_front": int(table["on_pareto_front"].sum()), "chunks": len(chunks), "chunk_size": 4,
               "top_n": 3, "building_blocks_per_role": {"albumin_binder": 1, "chelator": 3, "linker": 3, "vector": 2}}
    counts = design_counts(summary)
    assert counts["enumerated"] == len(space) == 18
    assert counts["enumerated"] == counts["rejected"] + counts["merged"] + counts["kept"] + counts["not_kept"]
    page = design_summary_html(summary)
    assert "2 vector, 3 linker, 3 chelator, 1 albumin binder" in page
    assert '<td>enumerated conjugates</td><td class="num">18</td>' in page
