"""Small molecules and peptides end in one ranking with one row per structure."""

from __future__ import annotations

import pandas as pd
import pytest

from radiovector.candidates.combine import combine_candidate_results
from radiovector.errors import InputError


def _result(kind: str, rows: list[tuple[str, str, float]]) -> dict[str, pd.DataFrame]:
    cands = pd.DataFrame(rows, columns=["candidate_id", "inchikey", "score"]).assign(
        kind=kind, ids=lambda f: f["candidate_id"], n_inputs=1, rank=lambda f: range(1, len(f) + 1)
    )
    nuclides = pd.DataFrame({"candidate_id": cands["candidate_id"], "nuclide": "Lu-177", "compatibility": "compatible"})
    return {"candidates": cands, "candidate_nuclides": nuclides,
            "rejects": pd.DataFrame(columns=["input", "source", "row_number", "column", "value", "reason"])}


def test_same_structure_keeps_the_peptide_row_and_all_ids() -> None:
    small = _result("small_molecule", [("DOTATATE", "KEY-A", 0.9), ("PSMA-617", "KEY-B", 0.95)])
    pep = _result("peptide", [("DOTA-TATE (seq)", "KEY-A", 0.8), ("octreotide", "KEY-C", 0.7)])
    out = combine_candidate_results(small, pep)
    cands = out["candidates"]
    assert cands["inchikey"].is_unique and len(cands) == 3
    tate = cands.set_index("inchikey").loc["KEY-A"]
    assert tate["kind"] == "peptide" and tate["ids"] == "DOTA-TATE (seq);DOTATATE" and tate["n_inputs"] == 2
    assert cands["rank"].tolist() == [1, 2, 3] and cands["score"].is_monotonic_decreasing
    assert set(out["candidate_nuclides"]["candidate_id"]) == set(cands["candidate_id"])


def test_one_id_for_two_structures_is_an_error() -> None:
    small = _result("small_molecule", [("X", "KEY-A", 0.9)])
    pep = _result("peptide", [("X", "KEY-B", 0.8)])
    with pytest.raises(InputError, match="different structures"):
        combine_candidate_results(small, pep)


def test_pareto_rank_is_recomputed_over_the_merged_table() -> None:
    """Each stage ranks its own rows; after the merge a peptide on its own front can be dominated by a small
    molecule that is better on every objective (Pareto dominance, Deb et al. IEEE TEC 2002;6:182)."""
    small = _result("small_molecule", [("A", "KEY-A", 0.9)])
    pep = _result("peptide", [("P", "KEY-P", 0.5)])
    # d_ terms of two objectives (scoring.OBJECTIVES): A is better than P on both
    for res, value in ((small, 0.9), (pep, 0.4)):
        res["candidates"] = res["candidates"].assign(d_size=value, d_compatibility=value, pareto_rank=1)
    out = combine_candidate_results(small, pep)
    ranks = out["candidates"].set_index("candidate_id")["pareto_rank"]
    assert ranks["A"] == 1 and ranks["P"] == 2
