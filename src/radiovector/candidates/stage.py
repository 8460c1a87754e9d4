"""The candidate-scoring stage: ``score_candidates(accepted, params, references, model)``.

Input: the accepted rows of the ``candidates`` table (columns ``id``, ``smiles`` and optionally ``target``,
``nuclide``, ``affinity_nm``, ``reference``, ``row_number``, ``source``). Output: ``candidates`` (one row per
unique standardised structure, ranked), ``candidate_nuclides`` (long table: candidate x nuclide) and ``rejects``
(structures RDKit could not parse or standardise, with RDKit's reason). Row order is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from radiovector.candidates import scoring
from radiovector.candidates.descriptors import DESCRIPTOR_COLUMNS
from radiovector.candidates.features import MIN_ROWS_PER_JOB, count_matrix, prepare_all
from radiovector.candidates.limits import SizeLimits, excerpt
from radiovector.candidates.recognition import (
    check_nuclides,
    compatibility,
    load_motifs,
)
from radiovector.candidates.similarity import ReferenceSet, bulk_max_tanimoto
from radiovector.errors import ConfigError, InputError
from radiovector.io.tables import line_numbers, reject, rejects_frame
from radiovector.nuclides.names import canonical_name
from radiovector.settings import resolve
from radiovector.settings.candidates import CandidatesSettings

__all__ = ["score_candidates", "resolve_params", "MIN_ROWS_PER_JOB"]

#: Config keys (``candidates:`` section) and defaults (declared by
#: :class:`radiovector.settings.candidates.CandidatesSettings`; ``peptides`` is read by radiovector.peptides).
DEFAULTS = CandidatesSettings.defaults()


def nuclide_column(nuclide: str) -> str:
    return f"compatibility_{nuclide.lower()}"


def resolve_params(params: dict | None) -> dict:
    """``params`` (the ``candidates:`` section) validated over :data:`DEFAULTS`: ``nuclides`` normalised (a list, or
    a comma/semicolon separated string; each must have chelator compatibility data), the desirability profiles
    checked. Raises :class:`ConfigError` naming the key."""
    return resolve(CandidatesSettings, params, "candidates")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def score_candidates(
    accepted: pd.DataFrame,
    params: dict | None = None,
    references: pd.DataFrame | ReferenceSet | None = None,
    model=None,
    progress: Callable[[int], None] | None = None,
    carry: list[str] | tuple[str, ...] = (),
    jobs: int = 1,
    min_rows_per_job: int = MIN_ROWS_PER_JOB,
) -> dict[str, pd.DataFrame]:
    """Score candidate structures; returns ``{"candidates", "candidate_nuclides", "rejects"}``.

    Optional input columns: ``mol`` (a prebuilt RDKit molecule used instead of parsing ``smiles``, e.g. a peptide
    built from its sequence) and ``kind`` (``small_molecule`` when absent). ``carry``: further input columns copied
    to the candidate row (from the first input row of each structure) before scoring, so profiles can use them.

    ``references``: reference actives (DataFrame with ``smiles`` and ``id``) for max-Tanimoto similarity.
    ``model``: an :class:`~radiovector.candidates.affinity.AffinityModel` (adds ``paffinity_pred``, the
    ``candidates.interval`` prediction interval ``paffinity_low``/``paffinity_high`` and ``in_domain``).
    ``progress``: called with the number of input rows processed so far (for progress bars).
    ``jobs``: worker processes for the per-structure work (standardisation, descriptors, recognition, alerts,
    fingerprints) on inputs of at least ``min_rows_per_job`` (default :data:`MIN_ROWS_PER_JOB`) rows per worker; the
    result is identical to ``jobs=1``.
    """
    cfg = resolve_params(params)
    for col in ("id", "smiles"):
        if col not in accepted.columns:
            raise InputError(
                f"candidate table has no {col!r} column; found {list(accepted.columns)}",
                hint="candidate inputs need the columns id and smiles",
            )
    refset = references
    if isinstance(references, pd.DataFrame):
        refset = ReferenceSet.from_frame(references)
    n = len(accepted)
    ids = accepted["id"].map(_text).tolist()
    smiles = accepted["smiles"].tolist()
    row_numbers = line_numbers(accepted).tolist()  # file lines (row_number), else as a CSV with a header
    sources = accepted["source"].map(_text).tolist() if "source" in accepted.columns else [cfg["source"]] * n
    optional = {
        c: accepted[c].tolist() if c in accepted.columns else [None] * n
        for c in ("target", "nuclide", "affinity_nm", "reference")
    }
    prebuilt = accepted["mol"].tolist() if "mol" in accepted.columns else None
    kinds = accepted["kind"].map(_text).tolist() if "kind" in accepted.columns else ["small_molecule"] * n
    carried = {c: accepted[c].tolist() for c in carry}

    # Morgan counts only feed reference similarity and the affinity model
    morgan = model is not None or (refset is not None and bool(refset.fingerprints))
    outcomes, features = prepare_all(
        smiles, prebuilt, cfg["alerts"], cfg["qed_sa"], jobs, progress, min_rows_per_job, SizeLimits.of(cfg), morgan
    )

    rejects: list[dict] = []
    records: dict[str, dict] = {}
    order: list[str] = []
    motif_targets = {m.name: m.target for m in load_motifs() if m.target}
    for i, out in enumerate(outcomes):
        if out[0] is None:
            rejects.append(
                reject("candidates", sources[i], row_numbers[i], "smiles", excerpt(smiles[i]), f"{ids[i]}: {out[1]}")
            )
            continue
        inchikey, std_smiles, metals, removed = out
        rec = records.get(inchikey)
        nuc_raw = _text(optional["nuclide"][i])
        if rec is None:
            rec = {
                "candidate_id": ids[i],
                "ids": [ids[i]],
                "input_smiles": _text(smiles[i]),
                "smiles": std_smiles,
                "inchikey": inchikey,
                "drawn_metals": set(metals),
                "removed_fragments": list(removed),
                "target": _text(optional["target"][i]),
                "nuclides_in": [],
                "affinity_nm": [],
                "reference": _text(optional["reference"][i]),
                "kind": kinds[i] or "small_molecule",
                "carry": {c: v[i] for c, v in carried.items()},
            }
            records[inchikey] = rec
            order.append(inchikey)
        else:
            rec["ids"].append(ids[i])
            rec["drawn_metals"].update(metals)
        if nuc_raw:
            try:
                nuc = canonical_name(nuc_raw)
            except InputError:
                nuc = nuc_raw
            if nuc not in rec["nuclides_in"]:
                rec["nuclides_in"].append(nuc)
        aff = optional["affinity_nm"][i]
        if aff is not None and not (isinstance(aff, float) and math.isnan(aff)) and aff is not pd.NA:
            rec["affinity_nm"].append(float(aff))

    rows = []
    for key in order:
        rec = records[key]
        feat = features[key]
        found = feat["found"]
        al = feat["alerts"]
        row = {
            "candidate_id": rec["candidate_id"],
            "kind": rec["kind"],
            "ids": ";".join(rec["ids"]),
            "n_inputs": len(rec["ids"]),
            "input_smiles": rec["input_smiles"],
            "smiles": rec["smiles"],
            "inchikey": rec["inchikey"],
            "drawn_metals": ";".join(sorted(rec["drawn_metals"])),
            "removed_fragments": ";".join(rec["removed_fragments"]),
            "target": rec["target"],
            "nuclide": ";".join(rec["nuclides_in"]),
            "reference": rec["reference"],
            **feat["descriptors"],
            "chelators": ";".join(found["chelator"]),
            "albumin_binders": ";".join(found["albumin_binder"]),
            "targeting_motifs": ";".join(found["targeting_motif"]),
            "n_chelators": len(found["chelator"]),
            "n_albumin_binders": len(found["albumin_binder"]),
            "n_targeting_motifs": len(found["targeting_motif"]),
            "alerts": ";".join(al),
            "n_alerts": len(al),
        }
        row.update(rec["carry"])
        row["motif_targets"] = ";".join(sorted({motif_targets[m] for m in found["targeting_motif"]}))
        row["max_tanimoto"], row["nearest_reference_id"] = np.nan, None
        aff = rec["affinity_nm"]
        row["paffinity_measured"] = float(9.0 - np.log10(np.median(aff))) if aff else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["candidate_id", "kind", "smiles", "inchikey", *DESCRIPTOR_COLUMNS])
    counts = count_matrix([features[key]["morgan"] for key in order]) if morgan and order else None

    # similarity to reference actives: all candidates against all references at once
    if refset is not None and len(order) and refset.fingerprints:
        best, where = bulk_max_tanimoto(counts, refset.bit_matrix())
        frame["max_tanimoto"] = best
        frame["nearest_reference_id"] = [refset.ids[j] for j in where]

    # affinity model (batched, on the Morgan counts computed above)
    if model is not None and len(order):
        pred = model.predict_counts(counts, cfg["interval"])
        for col in ("paffinity_pred", "paffinity_low", "paffinity_high", "ad_max_tanimoto", "in_domain"):
            frame[col] = pred[col].to_numpy()
    else:
        for col in ("paffinity_pred", "paffinity_low", "paffinity_high", "ad_max_tanimoto"):
            frame[col] = np.nan
        frame["in_domain"] = pd.Series([pd.NA] * len(frame), dtype="boolean")
    if len(frame):
        frame["paffinity"] = frame["paffinity_measured"].where(
            frame["paffinity_measured"].notna(), frame["paffinity_pred"]
        )
    else:
        frame["paffinity"] = np.nan

    # chelator x nuclide compatibility
    long_rows = []
    summaries, desirability, scored = [], [], []
    known: dict[str, bool] = {}  # nuclide -> has compatibility data
    compat: dict[tuple[str, str], tuple[str, str, str, str]] = {}  # (chelators, nuclide) -> compatibility()
    requested = set(cfg["nuclides"])
    cand_ids = frame["candidate_id"].tolist()
    chel_col = frame["chelators"].tolist() if "chelators" in frame.columns else []
    nuc_col = frame["nuclide"].tolist() if "nuclide" in frame.columns else []
    for i in range(len(frame)):
        chel_text = str(chel_col[i])
        chel = [c for c in chel_text.split(";") if c]
        own = [c for c in str(nuc_col[i]).split(";") if c]
        for nuc in [*cfg["nuclides"], *own]:
            if nuc not in known:
                known[nuc] = nuc in check_nuclides_safe([nuc])
        to_score = cfg["nuclides"] or [nuc for nuc in own if known[nuc]]
        levels = []
        for nuc in dict.fromkeys([*cfg["nuclides"], *own]):
            hit = compat.get((chel_text, nuc))
            if hit is None:
                hit = (
                    compatibility(chel, nuc)
                    if known[nuc]
                    else ("incompatible", "", f"no compatibility data for {nuc}", "")
                )
                compat[(chel_text, nuc)] = hit
            level, chelator, note, ref = hit
            long_rows.append(
                {
                    "candidate_id": cand_ids[i],
                    "nuclide": nuc,
                    "chelator": chelator,
                    "compatibility": level,
                    "note": note,
                    "reference": ref,
                    "requested": nuc in requested,
                    "input_nuclide": nuc in own,
                }
            )
            if nuc in to_score:
                levels.append((nuc, level))
        scored.append(";".join(n for n, _ in levels))
        summaries.append(", ".join(f"{nuc} {lvl}" for nuc, lvl in levels))
        desirability.append(min((scoring.COMPAT_DESIRABILITY[lvl] for _, lvl in levels), default=np.nan))
    frame["scored_nuclides"] = scored
    frame["compatibility_summary"] = summaries
    frame["compatibility_desirability"] = desirability
    nuclides_long = pd.DataFrame(
        long_rows,
        columns=[
            "candidate_id",
            "nuclide",
            "chelator",
            "compatibility",
            "note",
            "reference",
            "requested",
            "input_nuclide",
        ],
    )
    for nuc in cfg["nuclides"]:
        sub = nuclides_long[nuclides_long["nuclide"] == nuc].set_index("candidate_id")["compatibility"]
        frame[nuclide_column(nuc)] = frame["candidate_id"].map(sub) if len(frame) else pd.Series(dtype=object)

    # desirability, score, Pareto, rank, reason
    profile = scoring.resolve_profile(cfg["profile"], cfg["profiles"])
    d = scoring.desirabilities(frame, profile)
    frame = pd.concat([frame, d], axis=1)
    frame["score"] = scoring.geometric_score(d, profile)
    frame["profile"] = cfg["profile"]
    frame["pareto_rank"] = scoring.pareto_ranks(frame, int(cfg["pareto_max_rows"]))
    frame = frame.sort_values(["score", "candidate_id"], ascending=[False, True], na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["reason"] = scoring.reasons(frame, frame[list(d.columns)]) if len(frame) else []
    all_rejects = rejects_frame(rejects)
    if isinstance(refset, ReferenceSet) and len(refset.rejects):
        all_rejects = rejects_frame(pd.concat([all_rejects, refset.rejects], ignore_index=True))
    order_map = {cid: k for k, cid in enumerate(frame["candidate_id"])}
    nuclides_long = (
        nuclides_long.assign(_o=nuclides_long["candidate_id"].map(order_map))
        .sort_values(["_o", "nuclide"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    frame = frame.drop(columns=["compatibility_summary"])
    return {"candidates": frame, "candidate_nuclides": nuclides_long, "rejects": all_rejects}


def check_nuclides_safe(nuclides: list[str]) -> list[str]:
    """The subset of ``nuclides`` with compatibility data (never raises)."""
    out = []
    for nuc in nuclides:
        try:
            out.extend(check_nuclides([nuc]))
        except ConfigError:
            continue
    return out
