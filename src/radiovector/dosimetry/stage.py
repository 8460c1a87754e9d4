"""The dosimetry stage: pk_tia (time-integrated activity coefficients) in, doses / indices / nuclide choice out.

Entry point :func:`compute_doses` (called by the Snakemake script and by ``radiovector dose``). MIRD formalism
D = sum over sources of TIA x S, with the sphere model of :mod:`.spheres` for self-dose, a uniform-body
approximation for photon cross-dose, the blood-based red-marrow model (Sgouros 1993) and two scenarios for
alpha-emitter chains. See docs/methods/dosimetry.md for methods and references.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.dosimetry.by_size import nuclide_by_size, size_s_values
from radiovector.dosimetry.energies import ChainEnergies
from radiovector.dosimetry.human import MTA_COLUMNS, human_doses, patient_mta
from radiovector.dosimetry.indices import therapeutic_index
from radiovector.dosimetry.organ_doses import dose_regions, organ_doses
from radiovector.settings import resolve
from radiovector.settings.dosimetry import DosimetrySettings

#: Config keys (``dosimetry:`` section) and defaults (declared, with units, references and allowed values, by
#: :class:`radiovector.settings.dosimetry.DosimetrySettings`).
DEFAULTS: dict = DosimetrySettings.defaults()


def resolve_params(params: dict | None) -> dict:
    """``params`` (the ``dosimetry:`` section) validated over :data:`DEFAULTS` (keys given as None take the
    default): nuclide and organ names canonical, single names read as lists, radii sorted. Unknown keys or bad values
    raise :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(DosimetrySettings, params, "dosimetry", drop_none=True)


def patient_method(p: dict) -> str:
    """Projection method of the patient MTA: ``projection_method``, with ``_allometric`` when
    ``allometric_time_scaling`` is on (the relative-mass projection only)."""
    m = p["projection_method"]
    return f"{m}_allometric" if p["allometric_time_scaling"] and m == "relative_mass" else m


def compute_doses(pk_tia: pd.DataFrame, params: dict | None = None,
                  candidate_nuclides: pd.DataFrame | None = None,
                  pk_params: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Absorbed doses, therapeutic indices and the radionuclide choice by tumour size.

    ``pk_tia``: the pk stage's TIA table (compound, radionuclide, organ, nuclide, tiac, tiac_unit h or h/g, ...).
    ``params``: the ``dosimetry`` config section (:data:`DEFAULTS`). ``candidate_nuclides``: optional long table
    (candidate_id, nuclide, chelator, compatibility) from the candidates stage.
    Returns ``doses`` (key compound, nuclide, organ), ``chain_doses`` (key compound, nuclide, organ, scenario,
    member), ``therapeutic_index`` (key compound, nuclide), ``nuclide_by_size`` (key candidate_id, nuclide,
    radius_um), ``sphere_s_values`` (key nuclide, radius_um), and the patient projection (:mod:`.human`):
    ``human_doses`` (key compound, nuclide, sex, method, organ) and ``human_mta`` (key compound, nuclide, sex,
    method). ``pk_params`` (optional, the pk stage's parameter table) gives the exact allometric time scaling of
    each fitted curve; without it an effective mono-exponential is used (flagged). Row order is deterministic.
    """
    p = resolve_params(params)
    tia = pk_tia
    if len(tia) and p["nuclides"]:
        tia = tia[tia["nuclide"].isin(p["nuclides"])]
    rows = dose_regions(tia, p) if len(tia) else pd.DataFrame()
    size_masses = ph.sphere_mass_g_from_radius_um(np.asarray(p["size_radii_um"]))
    masses = np.concatenate([rows["mass_g"].to_numpy(float) if len(rows) else [],
                             rows["body_mass_g"].to_numpy(float) if len(rows) else [], size_masses,
                             [p["body_mass_g"]]])
    energies = ChainEnergies(masses, p)
    doses, chain_rows = organ_doses(rows, energies, p)
    ti = therapeutic_index(doses, p)
    hd, mta = pd.DataFrame(), pd.DataFrame(columns=MTA_COLUMNS)
    method = patient_method(p)
    if p["human_projection"] and len(rows):
        p_h = {**p, "projection_methods": list(dict.fromkeys([*p["projection_methods"], method]))}
        hd = human_doses(tia, p_h, pk_params)
        mta = patient_mta(hd, p_h)
    ti = add_patient_mta(ti, mta, p["patient_sex"], method)
    patient = {}
    if len(hd):
        sel = hd[(hd["sex"] == p["patient_sex"]) & (hd["method"] == method) & (hd["organ_class"] == "tumour")]
        m = mta[(mta["sex"] == p["patient_sex"]) & (mta["method"] == method)].set_index(["compound", "nuclide"])
        for r in sel.drop_duplicates(["compound", "nuclide"]).itertuples(index=False):
            a = m["mta_gbq"].get((r.compound, r.nuclide), np.nan)
            patient[(r.compound, r.nuclide)] = (float(r.tiac_h_per_g), float(a))
    by_size = nuclide_by_size(doses, ti, candidate_nuclides, energies, p, patient)
    s_tab = size_s_values(sorted(set(by_size["nuclide"])) if len(by_size) else [], energies, p)
    from radiovector.dosimetry.human import HUMAN_DOSE_COLUMNS

    return {"doses": doses, "chain_doses": chain_rows, "therapeutic_index": ti, "nuclide_by_size": by_size,
            "sphere_s_values": s_tab, "human_doses": hd if len(hd) else pd.DataFrame(columns=HUMAN_DOSE_COLUMNS),
            "human_mta": mta}


PATIENT_COLUMNS = ["patient_sex", "patient_method", "patient_mta_gbq", "patient_mta_low_gbq", "patient_mta_high_gbq",
                   "patient_limiting_organ", "patient_limit_kind", "tumour_dose_at_patient_mta_gy"]


def add_patient_mta(ti: pd.DataFrame, mta: pd.DataFrame, sex: str, method: str) -> pd.DataFrame:
    """therapeutic_index with the projected patient MTA (GBq) of one reference adult and projection method."""
    sel = mta[(mta["sex"] == sex) & (mta["method"] == method)] if len(mta) else mta
    cols = {"mta_gbq": "patient_mta_gbq", "mta_low_gbq": "patient_mta_low_gbq",
            "mta_high_gbq": "patient_mta_high_gbq", "limiting_organ": "patient_limiting_organ",
            "limit_kind": "patient_limit_kind", "tumour_dose_at_mta_gy": "tumour_dose_at_patient_mta_gy"}
    if ti.empty:
        return ti.assign(**{c: pd.Series(dtype=object) for c in PATIENT_COLUMNS})
    add = sel[["compound", "nuclide", *cols]].rename(columns=cols) if len(sel) else pd.DataFrame(
        columns=["compound", "nuclide", *cols.values()])
    out = ti.merge(add, on=["compound", "nuclide"], how="left")
    out["patient_sex"] = sex
    out["patient_method"] = method
    for c in ("patient_limiting_organ", "patient_limit_kind"):
        out[c] = out[c].fillna("").astype(str)
    return out[[*ti.columns, *PATIENT_COLUMNS]]
