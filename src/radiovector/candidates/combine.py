"""One ranking for small molecules and peptides: merge the results of the two candidate stages."""

from __future__ import annotations

import pandas as pd

from radiovector.candidates.scoring import pareto_ranks
from radiovector.errors import InputError

#: When the same structure (InChIKey) comes from both inputs, keep the row with the richer annotation.
_KIND_PREFERENCE = {"peptide": 0, "small_molecule": 1}


def combine_candidate_results(*results: dict[str, pd.DataFrame], pareto_max_rows: int = 5000
                              ) -> dict[str, pd.DataFrame]:
    """Concatenate candidate-stage results into one table per kind, one row per structure, ranked by score.

    A structure given twice (same InChIKey, e.g. DOTATATE as SMILES and as a sequence) keeps one row, the
    peptide's (it carries the sequence-level columns), with every input id in ``ids``. Two different structures
    under one id are an input error. ``rank`` and ``pareto_rank`` are recomputed over all candidates (score, then
    id; a peptide on its own stage's front may be dominated by a small molecule).
    """
    results = tuple(r for r in results if r)
    if len(results) == 1:
        return dict(results[0])
    candidates = pd.concat([r["candidates"] for r in results], ignore_index=True)
    candidates["_pref"] = candidates["kind"].map(_KIND_PREFERENCE).fillna(2)
    candidates = candidates.sort_values(["inchikey", "_pref", "candidate_id"], kind="stable")
    ids = candidates.groupby("inchikey", sort=False)["ids"].agg(
        lambda v: ";".join(dict.fromkeys(i for s in v for i in str(s).split(";") if i))
    )
    candidates = candidates.drop_duplicates("inchikey").drop(columns="_pref")
    candidates["ids"] = candidates["inchikey"].map(ids)
    candidates["n_inputs"] = candidates["ids"].str.count(";") + 1
    clash = candidates["candidate_id"].duplicated(keep=False)
    if clash.any():
        names = sorted(set(candidates.loc[clash, "candidate_id"]))
        raise InputError(
            f"candidate id(s) {names} name different structures in the candidate and peptide inputs",
            hint="give each structure its own id",
        )
    candidates = candidates.sort_values(["score", "candidate_id"], ascending=[False, True], kind="stable")
    candidates["rank"] = range(1, len(candidates) + 1)
    if "pareto_rank" in candidates.columns:
        candidates["pareto_rank"] = pareto_ranks(candidates, pareto_max_rows)
    kept = set(candidates["candidate_id"])
    nuclides = pd.concat([r["candidate_nuclides"] for r in results], ignore_index=True)
    nuclides = nuclides[nuclides["candidate_id"].isin(kept)].drop_duplicates(["candidate_id", "nuclide"])
    out = {
        "candidates": candidates.reset_index(drop=True),
        "candidate_nuclides": nuclides.sort_values(["candidate_id", "nuclide"], kind="stable").reset_index(drop=True),
        "rejects": pd.concat([r["rejects"] for r in results], ignore_index=True),
    }
    for name in sorted({k for r in results for k in r} - set(out)):
        out[name] = pd.concat([r[name] for r in results if name in r], ignore_index=True)
    return out
