"""Therapy nuclides compared by tumour size: absorbed fractions and tumour dose in spheres from a single cell
to a lesion, and the best nuclide at each size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.dosimetry.energies import ChainEnergies
from radiovector.dosimetry.organ_doses import GY_FACTOR, stack_frames
from radiovector.dosimetry.spheres import CLASSES
from radiovector.errors import InvariantError


def _imaging_partners() -> dict[str, str]:
    """Therapy nuclide -> its imaging partners joined by '/', from the theranostic pairs table."""
    from radiovector.nuclides.pairs import imaging_partners

    return {therapy: "/".join(partners) for therapy, partners in imaging_partners().items()}
SIZE_COLUMNS = [
    "candidate_id", "chelator", "nuclide", "compatibility", "imaging_partner", "radius_um", "mass_g",
    "energy_emitted_mev_per_decay", "energy_absorbed_mev_per_decay", "absorbed_fraction",
    "absorbed_fraction_nonpenetrating", "alpha_fraction_of_absorbed", "kinetics", "tumour_tiac_h_per_g",
    "dose_gy_per_mbq", "dose_rbe_weighted_gy_per_mbq", "mta_mbq", "tumour_dose_at_mta_gy",
    "patient_dose_rbe_weighted_gy_per_gbq", "patient_mta_gbq", "tumour_dose_at_patient_mta_gy", "rank_metric",
    "rank_value", "rank_at_size", "best_at_size",
]


def nuclide_by_size(doses: pd.DataFrame, ti: pd.DataFrame, candidate_nuclides: pd.DataFrame | None,
                    en: ChainEnergies, p: dict,
                    patient: dict[tuple[str, str], tuple[float, float]] | None = None) -> pd.DataFrame:
    """Compare the therapy nuclides a candidate's chelator accepts across tumour sizes (one cell to cm lesions).

    Dose to a sphere of radius r holding the tumour's TIAC concentration (the measured kinetics re-decayed to
    each nuclide when pk_tia has them: ``kinetics = measured``; else ``reference_uptake_pct_id_per_g`` retained
    with physical decay only: ``kinetics = retained_reference``). ``patient`` maps (compound, nuclide) to the
    projected patient tumour TIAC concentration (h/g) and the patient MTA (GBq) of :mod:`.human`.

    Ranking per size: the RBE-weighted tumour dose at the projected patient MTA where every nuclide of the candidate
    has one (``rank_metric = tumour_dose_at_patient_mta_gy``), else at the mouse MTA (``tumour_dose_at_mta_gy``),
    else the RBE-weighted dose per MBq.
    """
    from radiovector.nuclides import decay_constant_per_h

    therapy = p["therapy_nuclides"]
    parts = []
    if candidate_nuclides is not None and len(candidate_nuclides):
        cn = candidate_nuclides.copy()
        cn["nuclide"] = cn["nuclide"].astype(str)
        cn = cn[cn["compatibility"].isin(p["compatibility_levels"]) & cn["nuclide"].isin(therapy)]
        parts.append(cn[["candidate_id", "chelator", "nuclide", "compatibility"]].astype(str).drop_duplicates())
    if len(doses):
        # compounds with measured kinetics but no candidate row (no structure given): every nuclide they were
        # re-decayed to, chelator compatibility not known here
        known = set(parts[0]["candidate_id"]) if parts else set()
        measured = doses[["compound", "nuclide"]].drop_duplicates().rename(columns={"compound": "candidate_id"})
        measured = measured[measured["nuclide"].isin(therapy) & ~measured["candidate_id"].isin(known)]
        parts.append(measured.assign(chelator="", compatibility="measured"))
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if cand.empty:
        return pd.DataFrame(columns=SIZE_COLUMNS)
    radii = np.asarray(p["size_radii_um"], dtype=float)
    masses = ph.sphere_mass_g_from_radius_um(radii)
    idx = np.array([en.index(m) for m in masses])
    partners = _imaging_partners()
    tum = doses[doses["organ_class"] == "tumour"].drop_duplicates(["compound", "nuclide"]) if len(doses) else doses
    tum_conc = {(c, n): v for c, n, v in zip(tum.get("compound", []), tum.get("nuclide", []),
                                             tum.get("tiac_h_per_g", []), strict=True)}
    mta = {(c, n): v for c, n, v in zip(ti.get("compound", []), ti.get("nuclide", []), ti.get("mta_mbq", []),
                                        strict=True)}
    rbe = p["rbe_alpha"]
    frames = []
    for r in cand.sort_values(["candidate_id", "nuclide"]).itertuples(index=False):
        e = en.get(r.nuclide)["in_situ"]
        emitted = sum(np.asarray(e[f"{c}_emitted_mev"])[idx] for c in CLASSES)
        absorbed = sum(np.asarray(e[f"{c}_absorbed_mev"])[idx] for c in CLASSES)
        alpha = np.asarray(e["alpha_absorbed_mev"])[idx]
        np_abs = np.asarray(e["electron_absorbed_mev"])[idx] + alpha
        np_emit = np.asarray(e["electron_emitted_mev"])[idx] + np.asarray(e["alpha_emitted_mev"])[idx]
        key = (r.candidate_id, r.nuclide)
        if key in tum_conc and np.isfinite(tum_conc[key]):
            conc, kin = float(tum_conc[key]), "measured"
        else:
            conc = p["reference_uptake_pct_id_per_g"] / 100.0 / decay_constant_per_h(r.nuclide)
            kin = "retained_reference"
        dose = conc * absorbed * GY_FACTOR
        dose_rbe = dose + (rbe - 1.0) * conc * alpha * GY_FACTOR
        m = float(mta.get(key, np.nan))
        conc_h, mta_h = (patient or {}).get(key, (np.nan, np.nan))
        dose_h = conc_h * (absorbed + (rbe - 1.0) * alpha) * GY_FACTOR * 1000.0
        frames.append({"_n": len(radii),
            "candidate_id": r.candidate_id, "chelator": r.chelator, "nuclide": r.nuclide,
            "compatibility": r.compatibility, "imaging_partner": partners.get(r.nuclide, ""),
            "radius_um": radii, "mass_g": masses, "energy_emitted_mev_per_decay": emitted,
            "energy_absorbed_mev_per_decay": absorbed, "absorbed_fraction": absorbed / emitted,
            "absorbed_fraction_nonpenetrating": np.where(np_emit > 0, np_abs / np.where(np_emit > 0, np_emit, 1),
                                                         np.nan),
            "alpha_fraction_of_absorbed": alpha / absorbed, "kinetics": kin, "tumour_tiac_h_per_g": conc,
            "dose_gy_per_mbq": dose, "dose_rbe_weighted_gy_per_mbq": dose_rbe, "mta_mbq": m,
            "tumour_dose_at_mta_gy": dose_rbe * m, "patient_dose_rbe_weighted_gy_per_gbq": dose_h,
            "patient_mta_gbq": mta_h, "tumour_dose_at_patient_mta_gy": dose_h * mta_h,
        })
    out = stack_frames(frames, [c for c in SIZE_COLUMNS if not c.startswith("rank") and c != "best_at_size"])
    def complete(col: str) -> pd.Series:
        return out.groupby("candidate_id")[col].transform(lambda s: s.notna().all()).astype(bool)

    use_patient = complete("tumour_dose_at_patient_mta_gy")
    use_mta = complete("tumour_dose_at_mta_gy") & ~use_patient
    out["rank_metric"] = np.select([use_patient, use_mta], ["tumour_dose_at_patient_mta_gy", "tumour_dose_at_mta_gy"],
                                   "dose_rbe_weighted_gy_per_mbq")
    out["rank_value"] = np.select([use_patient, use_mta], [out["tumour_dose_at_patient_mta_gy"],
                                                           out["tumour_dose_at_mta_gy"]],
                                  out["dose_rbe_weighted_gy_per_mbq"])
    out["rank_at_size"] = out.groupby(["candidate_id", "radius_um"])["rank_value"].rank(
        ascending=False, method="first").astype(int)
    out["best_at_size"] = out["rank_at_size"] == 1
    out = out.sort_values(["candidate_id", "nuclide", "radius_um"], kind="stable").reset_index(drop=True)
    fraction = out["absorbed_fraction"]
    outside = fraction.notna() & ~fraction.between(0, 1 + 1e-9)
    if outside.any():
        bad = out.loc[outside, ["candidate_id", "nuclide", "radius_um", "absorbed_fraction"]]
        raise InvariantError(f"absorbed fraction outside [0, 1] for {int(outside.sum())} sphere(s), e.g. "
                             f"{bad.head(3).to_dict('records')}")
    return out[SIZE_COLUMNS]


def size_s_values(nuclides: list[str], en: ChainEnergies, p: dict) -> pd.DataFrame:
    """Chain (in-situ) S-values of the size spheres per nuclide: key nuclide, radius_um."""
    cols = ["nuclide", "radius_um", "mass_g", "absorbed_fraction_electrons", "absorbed_fraction_photons",
            "absorbed_fraction_alpha", "s_value_mgy_per_mbq_s"]
    if not nuclides:
        return pd.DataFrame(columns=cols)
    radii = np.asarray(p["size_radii_um"], dtype=float)
    masses = ph.sphere_mass_g_from_radius_um(radii)
    idx = np.array([en.index(m) for m in masses])
    frames = []
    for n in nuclides:
        e = en.get(n)["in_situ"]
        d = {"nuclide": n, "radius_um": radii, "mass_g": masses}
        for c, name in (("electron", "electrons"), ("photon", "photons"), ("alpha", "alpha")):
            emit = np.asarray(e[f"{c}_emitted_mev"])[idx]
            d[f"absorbed_fraction_{name}"] = np.where(emit > 0, np.asarray(e[f"{c}_absorbed_mev"])[idx] /
                                                      np.where(emit > 0, emit, 1), np.nan)
        tot = sum(np.asarray(e[f"{c}_absorbed_mev"])[idx] for c in CLASSES)
        d["s_value_mgy_per_mbq_s"] = tot * ph.MEV_TO_J / (masses * 1e-3) * 1e9
        frames.append(pd.DataFrame(d))
    return pd.concat(frames, ignore_index=True)[cols]
