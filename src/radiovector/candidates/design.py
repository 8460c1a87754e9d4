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

from radiovector.candidates import bounds as bounding
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


def _score_params(cfg: dict) -> dict:
    return {"nuclides": cfg["nuclides"], "profile": cfg["profile"], "profiles": cfg["profiles"],
            "alerts": cfg["alerts"], "qed_sa": cfg["qed_sa"], "source": "design",
            "max_heavy_atoms": cfg["max_heavy_atoms"], "max_smiles_length": cfg["max_smiles_length"]}


def bound_chunk(space: DesignSpace, chunk: int, chunk_size: int, params: dict, jobs: int = 1,
                progress=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Cheap pass over one chunk (bounded selection): (bounds frame with an ``index`` column, rejects, counts)."""
    cfg = resolve_params(params)
    bounding.check_supported(cfg)
    start = chunk * chunk_size
    stop = min(len(space), start + chunk_size)
    frame, failures = bounding.cheap_pass(space, start, stop, cfg, jobs=jobs, progress=progress)
    rejects = _failure_rejects(failures, chunk_size)
    counts = {"chunk": chunk, "conjugates": stop - start, "rejects": len(rejects), "bounded": len(frame),
              "bounded_per_conjugate": int(frame["per_conjugate"].sum()) if len(frame) else 0}
    keep = ["bound", "formula", *[c for c in frame.columns if c.startswith("obj_")]]  # what selection needs
    out = frame[keep].reset_index()
    out["formula"] = bounding.formula_keys(out["formula"])  # 8 bytes a conjugate, not a string
    return out, rejects, counts


def _failure_rejects(failures: pd.DataFrame, chunk_size: int) -> pd.DataFrame:
    from radiovector.io.tables import reject, rejects_frame

    rows = [reject("design", "design", int(i) % chunk_size + 1, "smiles", smi, f"{cid}: {reason}")
            for i, cid, smi, reason in failures.itertuples(index=False)]
    return rejects_frame(rows).assign(input="design")


def select_bounded(space: DesignSpace, bounds: pd.DataFrame | bounding.BoundArrays, params: dict, chunk_size: int,
                   jobs: int = 1, progress=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Exact top N and Pareto front of the space from the cheap pass (``bounds``: frames of :func:`bound_chunk`
    concatenated, or :class:`radiovector.candidates.bounds.BoundArrays` of them): (rows for :func:`gather`,
    rejects found on the way, selection summary)."""
    cfg = resolve_params(params)
    bounding.check_supported(cfg)
    sp = _score_params(cfg)

    def score(conjugates: pd.DataFrame) -> pd.DataFrame:
        # conjugates are slow to score (~10 ms): workers pay off from a few hundred rows
        return score_candidates(conjugates, sp, jobs=jobs, min_rows_per_job=100)["candidates"]

    sel = bounding.Selector(space, bounds, cfg, chunk_size, score, jobs=jobs)
    top = sel.top_n(int(cfg["top_n"]), progress=progress)
    front = sel.pareto(progress=progress)
    rows = pd.concat(sel.chunk_rows, ignore_index=True) if sel.chunk_rows else pd.DataFrame()
    failures = pd.DataFrame([(int(sel.index[p]), *space_id_smiles(space, int(sel.index[p])), reason)
                             for p, reason in sel.key_failures], columns=["index", "id", "smiles", "reason"])
    summary = {
        "selection": "bounded",
        "bounded": int(len(sel.arrays)),
        "fully_scored_conjugates": int(sum(int(r["n_inputs"].sum()) for r in sel.chunk_rows)),
        "fully_scored_rows": int(len(rows)),
        "inchikeys_computed": int(sel.inchikeys_computed),
        "not_fully_scored": int((~sel.resolved).sum()),
        "nth_best_score": top["nth_score"],
        "largest_unscored_bound": top["next_bound"],
        "front_rounds": front["front_rounds"],
        "objectives": front["objectives"],
        "why_not_scored": ("every conjugate not fully scored has an upper bound of its score below the N-th best "
                           "full score, and an upper bound of its objective vector dominated by a fully scored row"),
    }
    return rows, _failure_rejects(failures, chunk_size), summary


def space_id_smiles(space: DesignSpace, index: int) -> tuple[str, str]:
    from radiovector.candidates.enumerate import build

    return build(space.combination(index))


def score_chunk(space: DesignSpace, chunk: int, chunk_size: int, params: dict,
                jobs: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Enumerate and score one chunk; return (kept rows, rejects, counts)."""
    cfg = resolve_params(params)
    conjugates = enumerate_chunk(space, chunk, chunk_size)
    res = score_candidates(conjugates, _score_params(cfg), jobs=jobs)
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
    InChIKey (best row kept), ordered by score (ties: candidate id); ``design_rank`` is 1..N for the top N and
    continues over the front's other rows; ``on_pareto_front`` marks the front."""
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if cand.empty:
        return cand.assign(design_rank=pd.Series(dtype="int64"), on_pareto_front=pd.Series(dtype=bool))
    cand = cand.sort_values(["score", "candidate_id"], ascending=[False, True], na_position="last", kind="stable")
    cand = cand.drop_duplicates("inchikey", keep="first").reset_index(drop=True)
    cand["on_pareto_front"] = pareto_front(_objective_values(cand))
    out = cand[(np.arange(len(cand)) < top_n) | cand["on_pareto_front"]].reset_index(drop=True)
    # 1..N for the top N, then the front's other rows in score order: the same numbers whatever the chunking and
    # however many rows outside the table were scored (a global rank below the top N is not known without
    # scoring everything)
    out.insert(len(out.columns) - 1, "design_rank", np.arange(1, len(out) + 1))
    return out.drop(columns=["rank", "pareto_rank"], errors="ignore")
