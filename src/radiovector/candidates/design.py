"""Design-space screening in chunks: enumerate chunk *k* of a building-block design space, score it, keep what
can matter for the final table, and gather the chunks (the workflow's ``design`` section, rules/design.smk).

Each chunk keeps its ``top_n`` best-scoring conjugates and its Pareto front (over the objectives of
:data:`radiovector.candidates.scoring.OBJECTIVES`). That is enough for an exact gather: every conjugate in the
global top N is in its own chunk's top N, and every conjugate on the global Pareto front is on its chunk's front
(a point dominated inside its chunk is dominated globally). Memory per chunk job is bounded by the chunk size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.candidates import scoring
from radiovector.candidates.enumerate import DesignSpace, enumerate_chunk
from radiovector.candidates.stage import score_candidates
from radiovector.settings import resolve
from radiovector.settings.candidates import DesignSettings

#: Config keys (``design:`` section) and defaults (declared by :class:`radiovector.settings.candidates.DesignSettings`).
DEFAULTS = DesignSettings.defaults()


def resolve_params(params: dict | None) -> dict:
    """Check the ``design`` config section; without ``building_blocks`` there is no design-space screening (and no
    other setting may differ from its default). Raises :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(DesignSettings, params, "design")


def pareto_front(values: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated rows of ``values`` (rows x objectives, maximised); rows with NaN are not on it.

    Rows are visited in decreasing lexicographic order, so anything that dominates a row comes before it and a
    row need only be compared with the front found so far: O(rows x front size) time, no rows x rows matrix.
    """
    n = values.shape[0]
    mask = np.zeros(n, dtype=bool)
    ok = np.flatnonzero(~np.isnan(values).any(axis=1)) if values.size else np.zeros(0, dtype=np.int64)
    if len(ok) == 0:
        return mask
    pts = values[ok]
    order = np.lexsort(tuple(-pts[:, j] for j in reversed(range(pts.shape[1]))))
    front = np.empty_like(pts)
    size = 0
    for i in order:
        p = pts[i]
        f = front[:size]
        if size and ((f >= p).all(axis=1) & (f > p).any(axis=1)).any():
            continue
        front[size] = p
        size += 1
        mask[ok[i]] = True
    return mask


def _objective_values(frame: pd.DataFrame) -> np.ndarray:
    d = frame[[c for c in frame.columns if c.startswith("d_")]]
    obj = scoring.objectives(d)
    usable = [c for c in obj.columns if obj[c].notna().any()]
    return obj[usable].to_numpy(dtype=float)


def score_chunk(space: DesignSpace, chunk: int, chunk_size: int, params: dict,
                jobs: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Enumerate and score one chunk; return (kept rows, rejects, counts)."""
    cfg = resolve_params(params)
    conjugates = enumerate_chunk(space, chunk, chunk_size)
    res = score_candidates(conjugates, {"nuclides": cfg["nuclides"], "profile": cfg["profile"],
                                        "profiles": cfg["profiles"], "alerts": cfg["alerts"],
                                        "qed_sa": cfg["qed_sa"], "source": "design"}, jobs=jobs)
    cand = res["candidates"]
    front = pareto_front(_objective_values(cand)) if len(cand) else np.zeros(0, dtype=bool)
    keep = (cand["rank"].to_numpy() <= cfg["top_n"]) | front
    kept = cand[keep].assign(chunk=chunk).reset_index(drop=True)
    rejects = res["rejects"].assign(input="design")
    counts = {"chunk": chunk, "conjugates": len(conjugates), "unique": len(cand), "rejects": len(rejects),
              "kept": len(kept), "chunk_front": int(front.sum())}
    return kept, rejects, counts


def gather(parts: list[pd.DataFrame], top_n: int) -> pd.DataFrame:
    """The ``design_space`` table: the global top ``top_n`` by score plus the global Pareto front, deduplicated by
    InChIKey (best row kept), ranked by score (ties: candidate id); ``on_pareto_front`` marks the front."""
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if cand.empty:
        return cand.assign(design_rank=pd.Series(dtype="int64"), on_pareto_front=pd.Series(dtype=bool))
    cand = cand.sort_values(["score", "candidate_id"], ascending=[False, True], na_position="last", kind="stable")
    cand = cand.drop_duplicates("inchikey", keep="first").reset_index(drop=True)
    cand["design_rank"] = np.arange(1, len(cand) + 1)
    cand["on_pareto_front"] = pareto_front(_objective_values(cand))
    out = cand[(cand["design_rank"] <= top_n) | cand["on_pareto_front"]].reset_index(drop=True)
    return out.drop(columns=["rank", "pareto_rank"], errors="ignore")
