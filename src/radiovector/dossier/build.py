"""Join the stage results into the dossier a radiochemist reads first.

One row per tumour type x target x candidate x therapy nuclide (see docs/methods/dossier.md):
- the target's rank and score in that tumour type (targets stage),
- the candidate's rank and score (candidates stage), both on [0, 1],
- whether the candidate's chelator accepts the nuclide, and an imaging partner it also accepts (theranostic pairs),
- measured kinetics and doses for the candidate where biodistribution exists (pk / dosimetry stages).

``dossier_score = target_score^w_target * candidate_score^w_candidate * compatibility_factor`` (weighted geometric
mean, so a weak link cannot be averaged away; incompatible chelator -> 0). Within each tumour type x target x
candidate the best compatible therapy nuclide is marked ``recommended`` (highest therapeutic index where doses
exist, else the configured preference order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from radiovector.errors import InvariantError
from radiovector.settings import resolve
from radiovector.settings.dossier import DossierSettings

#: Config keys (``dossier:`` section) and defaults (declared by :class:`radiovector.settings.dossier.DossierSettings`).
DEFAULTS: dict[str, Any] = DossierSettings.defaults()

COLUMNS = [
    "tumour_type", "target", "candidate_id", "nuclide", "dossier_rank", "dossier_score", "recommended",
    "target_rank", "target_genes_ranked", "target_score", "limiting_organ", "candidate_rank", "candidate_score",
    "chelator", "compatibility", "imaging_partner", "imaging_compatibility", "pk_measured",
    "tumour_dose_gy_per_mbq", "therapeutic_index", "dose_limiting_organ", "mta_mbq", "patient_mta_gbq",
    "tumour_dose_at_patient_mta_gy", "best_at_radius_um", "reason",
]
#: Patient columns of therapeutic_index the dossier reads when present (the dosimetry stage's human projection).
PATIENT = ["patient_mta_gbq", "patient_mta_low_gbq", "patient_mta_high_gbq", "patient_limiting_organ",
           "patient_limit_kind", "patient_sex", "patient_method", "tumour_dose_at_patient_mta_gy"]


def resolve_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults merged with ``params`` (the ``dossier:`` config section); unknown keys and bad values raise
    :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(DossierSettings, params, "dossier")


def _target_rows(targets: pd.DataFrame, candidates: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """(tumour type, target) rows for every candidate whose target is ranked, per the listing rule."""
    ranked = targets.assign(target_genes_ranked=targets.groupby("tumour_type")["rank"].transform("max"))
    wanted = candidates.loc[candidates["target"].fillna("") != "", ["candidate_id", "target"]]
    rows = wanted.merge(ranked, left_on="target", right_on="gene_symbol", how="inner")
    keep = rows["rank"] <= int(p["max_target_rank"])
    if p["always_best_tumour_type"]:
        best = rows.groupby("candidate_id")["rank"].transform("min") == rows["rank"]
        keep |= best
    return rows.loc[keep]


def _size_ranges(nuclide_by_size: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """(candidate, nuclide) -> 'lo-hi' radii (um) at which the nuclide gives the candidate's best tumour dose.

    Only where the candidate's kinetics were measured: the ranking is then the tumour dose at the maximum tolerated
    activity. Without kinetics the dosimetry stage ranks per injected MBq, which favours alpha emitters at every
    size and says nothing about tolerability, so it is not used for a recommendation.
    """
    if nuclide_by_size is None or nuclide_by_size.empty:
        return {}
    measured = nuclide_by_size["kinetics"] == "measured" if "kinetics" in nuclide_by_size else False
    best = nuclide_by_size[nuclide_by_size["best_at_size"].astype(bool) & measured]
    out = {}
    for (cand, nuc), group in best.groupby(["candidate_id", "nuclide"]):
        lo, hi = group["radius_um"].min(), group["radius_um"].max()
        out[(cand, nuc)] = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
    return out


def _dose_columns(rows: pd.DataFrame, therapeutic_index: pd.DataFrame | None) -> pd.DataFrame:
    """Tumour dose, therapeutic index, limiting organ and maximum tolerated activity where kinetics were measured."""
    columns = {"tumour_dose_gy_per_mbq": "tumour_dose_gy_per_mbq", "ti_limiting_organ": "therapeutic_index",
               "limiting_organ": "dose_limiting_organ", "mta_mbq": "mta_mbq"}
    if therapeutic_index is None or therapeutic_index.empty:
        return rows.assign(**{name: None for name in [*columns.values(), *PATIENT]})
    patient = [c for c in PATIENT if c in therapeutic_index.columns]
    ti = therapeutic_index[["compound", "nuclide", *columns, *patient]].rename(
        columns={"compound": "candidate_id", **columns})
    out = rows.merge(ti, on=["candidate_id", "nuclide"], how="left")
    return out.assign(**{c: None for c in PATIENT if c not in out.columns})


def _organ_limit(organ: object) -> str:
    """How the target ranking's limiting organ reads in a reason ('none': no panel organ above the floor)."""
    if organ is None or (isinstance(organ, float) and np.isnan(organ)) or organ == "":
        return "normal-organ expression unknown"
    if organ == "none":
        return "no dose-limiting organ expresses it above the floor"
    return f"limited by {organ}"


def _reason(row: pd.Series, pk_measured: bool) -> str:
    support = "" if row["target_rank"] <= row["max_rank"] else " (weak support from expression data)"
    parts = [
        f"{row['target']} ranks {int(row['target_rank'])}/{int(row['target_genes_ranked'])} in {row['tumour_type']}"
        f"{support}, {_organ_limit(row['limiting_organ'])}",
        f"{row['candidate_id']} candidate score {row['candidate_score']:.2f}",
        f"{row['chelator'] or 'no chelator'}: {row['nuclide']} {row['compatibility']}",
    ]
    if row["imaging_partner"]:
        parts.append(f"image with {row['imaging_partner']} ({row['imaging_compatibility']})")
    else:
        parts.append("no compatible imaging partner scored")
    if pk_measured and pd.notna(row["therapeutic_index"]):
        parts.append(
            f"measured kinetics: tumour {row['tumour_dose_gy_per_mbq']:.3g} Gy/MBq, therapeutic index "
            f"{row['therapeutic_index']:.2f} against {row['dose_limiting_organ']}"
        )
    else:
        parts.append("biodistribution measured" if pk_measured else "no biodistribution yet")
    if pk_measured and pd.notna(row["patient_mta_gbq"]):
        parts.append(
            f"projected patient MTA {row['patient_mta_gbq']:.3g} GBq ({row['patient_mta_low_gbq']:.3g}-"
            f"{row['patient_mta_high_gbq']:.3g}; {row['patient_limiting_organ']} "
            f"{'BED' if row['patient_limit_kind'] == 'bed' else 'dose'} limit, ICRP 89 adult {row['patient_sex']}, "
            f"{row['patient_method']} projection), tumour {row['tumour_dose_at_patient_mta_gy']:.3g} Gy there"
        )
    if row["best_at_radius_um"]:
        parts.append(f"best compatible nuclide for tumour radii {row['best_at_radius_um']} um")
    return "; ".join(parts)


def build_dossier(
    targets: pd.DataFrame,
    candidates: pd.DataFrame,
    candidate_nuclides: pd.DataFrame,
    pk_tia: pd.DataFrame | None = None,
    params: dict[str, Any] | None = None,
    therapeutic_index: pd.DataFrame | None = None,
    nuclide_by_size: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The dossier table (columns :data:`COLUMNS`), sorted by tumour type then dossier rank.

    ``therapeutic_index`` and ``nuclide_by_size`` (dosimetry stage) add doses where a candidate's kinetics were
    measured (its id equals the biodistribution compound) and the tumour sizes at which each nuclide is best. The
    recommended nuclide is the one with the highest projected patient tumour dose at the patient MTA where the
    therapeutic_index has one, else the highest (mouse) therapeutic index.
    """
    from radiovector.nuclides.pairs import imaging_partners  # loads radioactivedecay: only when building

    p = resolve_params(params)
    partners = imaging_partners()
    therapy = set(p["therapy_preference"]) | set(partners)
    rows = _target_rows(targets, candidates, p)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    rows = rows.rename(columns={"rank": "target_rank", "score": "target_score"})
    cand = candidates[["candidate_id", "rank", "score"]].rename(
        columns={"rank": "candidate_rank", "score": "candidate_score"}
    )
    rows = rows.merge(cand, on="candidate_id")
    nuc = candidate_nuclides[["candidate_id", "nuclide", "chelator", "compatibility"]]
    compat = {(c, n): k for c, n, k in zip(nuc["candidate_id"], nuc["nuclide"], nuc["compatibility"], strict=True)}
    nuc = nuc[nuc["nuclide"].isin(therapy)]
    rows = rows.merge(nuc, on="candidate_id")
    rows["chelator"] = rows["chelator"].fillna("")

    def partner(candidate: str, nuclide: str) -> tuple[str, str]:
        options = [(img, compat.get((candidate, img))) for img in partners.get(nuclide, [])]
        scored = [(img, k) for img, k in options if k is not None]
        for img, k in sorted(scored, key=lambda x: (x[1] != "compatible", x[1] != "possible", x[0])):
            return img, k
        return "", ""

    imaging = [partner(c, n) for c, n in zip(rows["candidate_id"], rows["nuclide"], strict=True)]
    rows["imaging_partner"] = [i for i, _ in imaging]
    rows["imaging_compatibility"] = [k for _, k in imaging]
    rows["_factor"] = rows["compatibility"].map(p["compatibility_factor"]).fillna(0.0).astype(float)
    w = p["weights"]
    rows["dossier_score"] = (
        rows["target_score"].clip(lower=0) ** float(w["target"])
        * rows["candidate_score"].clip(lower=0) ** float(w["candidate"])
        * rows["_factor"]
    )
    measured = set() if pk_tia is None or pk_tia.empty else set(pk_tia["compound"])
    rows["pk_measured"] = rows["candidate_id"].isin(measured)
    rows = _dose_columns(rows, therapeutic_index)
    sizes = _size_ranges(nuclide_by_size)
    rows["best_at_radius_um"] = [sizes.get(k, "") for k in zip(rows["candidate_id"], rows["nuclide"], strict=True)]
    preference = {n: i for i, n in enumerate(p["therapy_preference"])}
    rows["_pref"] = rows["nuclide"].map(preference).fillna(len(preference))
    rows["_ti"] = pd.to_numeric(rows["therapeutic_index"], errors="coerce").fillna(-1.0)
    rows["_patient"] = pd.to_numeric(rows["tumour_dose_at_patient_mta_gy"], errors="coerce").fillna(-1.0)
    # the recommendation: a nuclide the chelator accepts, then the projected patient tumour dose at the patient MTA
    # (where the human projection ran), then measured therapeutic index, dossier score, preference
    rows["_usable"] = rows["_factor"] > 0
    rows = rows.sort_values(
        ["tumour_type", "target", "candidate_id", "_usable", "_patient", "_ti", "dossier_score", "_pref", "nuclide"],
        ascending=[True, True, True, False, False, False, False, True, True], kind="stable",
    )
    first = ~rows.duplicated(["tumour_type", "target", "candidate_id"])
    rows["recommended"] = first & rows["_usable"]
    rows = rows.sort_values(
        ["tumour_type", "dossier_score", "target_rank", "candidate_rank", "_pref", "nuclide"],
        ascending=[True, False, True, True, True, True], kind="stable",
    )
    rows["dossier_rank"] = rows.groupby("tumour_type").cumcount() + 1
    rows["max_rank"] = int(p["max_target_rank"])
    rows["reason"] = [_reason(r, bool(r["pk_measured"])) for _, r in rows.iterrows()]
    out = rows[COLUMNS].reset_index(drop=True)
    outside = ~out["dossier_score"].between(0, 1)
    if outside.any():
        bad = out.loc[outside, ["tumour_type", "target", "candidate_id", "nuclide", "dossier_score"]]
        raise InvariantError(f"dossier_score outside [0, 1] in {int(outside.sum())} row(s), e.g. "
                             f"{bad.head(3).to_dict('records')}")
    out["dossier_score"] = out["dossier_score"].astype(np.float64)
    return out
