"""MIRD organ doses: source regions with masses (tumour, organs, red marrow from blood), D = TIAC x energy
absorbed per decay, by emission class and chain member, with the bootstrap interval and both chain scenarios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.dosimetry.energies import ChainEnergies
from radiovector.dosimetry.spheres import CLASSES
from radiovector.errors import InvariantError
from radiovector.vocab.organs import canonical_organ, is_whole_body

#: Gy per MBq injected, per (h/g of TIAC concentration) per (MeV absorbed per decay):
#: 3600 s/h x 1e6 Bq/MBq x 1.602e-13 J/MeV / 1e-3 kg/g.
GY_FACTOR = 3600.0 * 1e6 * ph.MEV_TO_J / 1e-3


def dose_regions(tia: pd.DataFrame, p: dict) -> pd.DataFrame:
    """One row per compound x radionuclide x nuclide x organ with TIAC concentration (h/g), total (h), mass."""
    col = p["tiac_column"] if p["tiac_column"] in tia else "tiac"
    df = tia.copy()
    for c in ("tiac_low", "tiac_high", "extrapolated_fraction", "organ_mass_g", "body_mass_g", "flags"):
        if c not in df:
            df[c] = np.nan if c != "flags" else ""
    df["flags"] = df["flags"].fillna("").astype(str)
    df["organ_key"] = df["organ"].map(canonical_organ)
    df = df[~df["organ"].map(is_whole_body)].copy()  # a carcass is a source region (part of the body)
    df["tiac_value"] = pd.to_numeric(df[col], errors="coerce")
    df["body_mass_g"] = pd.to_numeric(df["body_mass_g"], errors="coerce").fillna(p["body_mass_g"])
    mass = pd.to_numeric(df["organ_mass_g"], errors="coerce")
    source = np.where(mass.notna(), "pk_tia organ_mass_g", "")
    over = df["organ_key"].map(p["organ_masses_g"])
    source = np.where(over.notna(), "dosimetry.organ_masses_g", source)
    mass = over.fillna(mass)
    is_tumour = df["organ_key"].isin(p["tumour_organs"])
    tm = p["tumour_mass_g"]
    tmass = df["compound"].map(tm) if isinstance(tm, dict) else pd.Series(tm, index=df.index)
    take_t = is_tumour & tmass.notna() & over.isna()
    mass = mass.where(~take_t, tmass)
    source = np.where(take_t, "dosimetry.tumour_mass_g", source)
    missing = mass.isna()
    mass = mass.fillna(p["default_organ_mass_g"])
    source = np.where(missing, "assumed (dosimetry.default_organ_mass_g)", source)
    df["mass_g"] = mass.astype(float)
    df["mass_source"] = source
    unit = df["tiac_unit"].astype(str)
    per_g = unit.str.endswith("/g")
    df["tiac_h_per_g"] = np.where(per_g, df["tiac_value"], df["tiac_value"] / df["mass_g"])
    df["tiac_organ_h"] = df["tiac_h_per_g"] * df["mass_g"]
    # scale factors for the TIAC confidence interval
    with np.errstate(invalid="ignore", divide="ignore"):
        base = pd.to_numeric(df["tiac"], errors="coerce")
        df["ci_low_ratio"] = pd.to_numeric(df["tiac_low"], errors="coerce") / base
        df["ci_high_ratio"] = pd.to_numeric(df["tiac_high"], errors="coerce") / base
    df["organ_class"] = np.where(is_tumour, "tumour", "normal")
    bad_unit = ~(unit.isin(["h", "h/g"]))
    df.loc[bad_unit, "tiac_h_per_g"] = np.nan
    df["flags"] = [";".join(filter(None, [f, "tiac_unit_not_fraction_of_injected" if b else "",
                                          "organ_mass_assumed" if m else ""]))
                   for f, b, m in zip(df["flags"], bad_unit, missing, strict=True)]
    # red marrow from blood (Sgouros 1993): [A~_RM]/g = RMBLR x [A~_blood]/g
    blood = df[df["organ_key"] == canonical_organ(p["blood_organ"])]
    marrow_name = p["marrow_organ"]
    has_marrow = set(map(tuple, df.loc[df["organ_key"] == canonical_organ(marrow_name),
                                       ["compound", "radionuclide", "nuclide"]].to_numpy()))
    rows = []
    marrow_sphere_g = ph.sphere_mass_g_from_radius_um(p["marrow_cavity_diameter_um"] / 2)
    for r in blood.itertuples(index=False):
        if (r.compound, r.radionuclide, r.nuclide) in has_marrow:
            continue
        row = r._asdict()
        row.update(organ=marrow_name, organ_key=canonical_organ(marrow_name), organ_class="marrow",
                   tiac_h_per_g=p["marrow_rmblr"] * r.tiac_h_per_g, mass_g=marrow_sphere_g,
                   mass_source=f"sphere of marrow cavity diameter {p['marrow_cavity_diameter_um']:g} um",
                   tiac_organ_h=np.nan, tiac_value=np.nan, tiac_unit="h/g",
                   flags=";".join(filter(None, [r.flags, f"marrow_from_blood_rmblr_{p['marrow_rmblr']:g}"])))
        rows.append(row)
    if rows:
        df = pd.concat([df, pd.DataFrame(rows)], ignore_index=True)
    return df
DOSE_COLUMNS = [
    "compound", "radionuclide", "nuclide", "organ", "organ_class", "mass_g", "mass_source", "tiac_unit",
    "tiac_h_per_g", "dose_gy_per_mbq", "dose_low_gy_per_mbq", "dose_high_gy_per_mbq", "dose_self_gy_per_mbq",
    "dose_photon_cross_gy_per_mbq", "dose_electron_gy_per_mbq", "dose_photon_gy_per_mbq", "dose_alpha_gy_per_mbq",
    "dose_rbe_weighted_gy_per_mbq", "redistributing_daughter", "dose_redistributed_gy_per_mbq",
    "dose_redistributed_rbe_weighted_gy_per_mbq", "extrapolated_fraction", "flags",
]
CHAIN_COLUMNS = ["compound", "nuclide", "organ", "scenario", "member", "decays_per_parent_decay", "stays",
                 "dose_gy_per_mbq", "dose_alpha_gy_per_mbq", "dose_rbe_weighted_gy_per_mbq"]


def organ_doses(rows: pd.DataFrame, en: ChainEnergies, p: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    if rows.empty:
        return pd.DataFrame(columns=DOSE_COLUMNS), pd.DataFrame(columns=CHAIN_COLUMNS)
    rbe = p["rbe_alpha"]
    out = []
    chain_out = []
    for (compound, radionuclide, nuclide), grp in rows.groupby(["compound", "radionuclide", "nuclide"], sort=True):
        e = en.get(nuclide)
        idx = np.array([en.index(m) for m in grp["mass_g"]])
        body_mass = float(grp["body_mass_g"].iloc[0])
        bidx = en.index(body_mass)
        conc = grp["tiac_h_per_g"].to_numpy(float)
        res = {s: {k: np.asarray(v)[idx] for k, v in e[s].items()} for s in ("in_situ", "redistributed")}
        self_cls = {c: conc * res["in_situ"][f"{c}_absorbed_mev"] * GY_FACTOR for c in CLASSES}
        self_dose = sum(self_cls.values())
        # photon cross-dose: photon energy escaping each source and absorbed in the body, spread over the body
        cross = np.zeros(len(grp))
        if p["photon_cross_dose"]:
            src_total = grp["tiac_organ_h"].to_numpy(float)
            src_ok = np.isfinite(src_total) & (grp["organ_class"].to_numpy() != "marrow")
            ph_emit = np.asarray(e["in_situ"]["photon_emitted_mev"])[0]
            af_body = np.asarray(e["in_situ"]["photon_absorbed_mev"])[bidx] / ph_emit if ph_emit > 0 else 0.0
            af_src = res["in_situ"]["photon_absorbed_mev"] / ph_emit if ph_emit > 0 else np.zeros(len(grp))
            per_src = np.where(src_ok, src_total * np.maximum(af_body - af_src, 0.0) * ph_emit, 0.0)
            cross = (per_src.sum() - per_src) * GY_FACTOR / body_mass
        dose = self_dose + cross
        dose_ph = self_cls["photon"] + cross
        rbe_dose = dose + (rbe - 1.0) * self_cls["alpha"]
        # redistributed scenario: staying members self-dose + leaving energy absorbed in the body, spread
        red_cls = {c: conc * res["redistributed"][f"{c}_absorbed_mev"] * GY_FACTOR for c in CLASSES}
        leaving_body = 0.0
        leave_alpha = 0.0
        if e["daughter"]:
            src_total = np.nan_to_num(grp["tiac_organ_h"].to_numpy(float))
            lv = [m for m in e["members"] if m[2]]
            absorbed_body = sum(sum(m[3][f"{c}_absorbed_mev"][bidx] for c in CLASSES) for m in lv)
            alpha_body = sum(m[3]["alpha_absorbed_mev"][bidx] for m in lv)
            total_src = src_total[grp["organ_class"].to_numpy() != "marrow"].sum()
            leaving_body = total_src * absorbed_body * GY_FACTOR / body_mass
            leave_alpha = total_src * alpha_body * GY_FACTOR / body_mass
        red = sum(red_cls.values()) + cross + leaving_body
        red_rbe = red + (rbe - 1.0) * (red_cls["alpha"] + leave_alpha)
        if not e["daughter"]:
            red, red_rbe = dose, rbe_dose
        frame = ({"_n": len(grp),
            "compound": compound, "radionuclide": radionuclide, "nuclide": nuclide,
            "organ": grp["organ"].to_numpy(), "organ_class": grp["organ_class"].to_numpy(),
            "mass_g": grp["mass_g"].to_numpy(float), "mass_source": grp["mass_source"].to_numpy(),
            "tiac_unit": grp["tiac_unit"].to_numpy(), "tiac_h_per_g": conc, "dose_gy_per_mbq": dose,
            "dose_low_gy_per_mbq": dose * grp["ci_low_ratio"].to_numpy(float),
            "dose_high_gy_per_mbq": dose * grp["ci_high_ratio"].to_numpy(float),
            "dose_self_gy_per_mbq": self_dose, "dose_photon_cross_gy_per_mbq": cross,
            "dose_electron_gy_per_mbq": self_cls["electron"], "dose_photon_gy_per_mbq": dose_ph,
            "dose_alpha_gy_per_mbq": self_cls["alpha"], "dose_rbe_weighted_gy_per_mbq": rbe_dose,
            "redistributing_daughter": e["daughter"], "dose_redistributed_gy_per_mbq": red,
            "dose_redistributed_rbe_weighted_gy_per_mbq": red_rbe,
            "extrapolated_fraction": pd.to_numeric(grp["extrapolated_fraction"], errors="coerce").to_numpy(),
            "flags": [";".join(filter(None, [f, "daughters_left_out:" + ",".join(e["dropped"])
                                             if e["dropped"] else ""])) for f in grp["flags"]],
        })
        # physical limits: doses are finite and non-negative where the TIAC is
        ok = np.isfinite(conc)
        bad = ok & ((dose < 0) | (rbe_dose < dose - 1e-15))
        if np.any(bad):
            raise InvariantError(
                f"{compound} ({radionuclide} kinetics) with {nuclide}: negative absorbed dose, or RBE-weighted "
                f"dose below the absorbed dose, in organ(s) {grp['organ'].to_numpy()[bad].tolist()}: dose "
                f"{dose[bad].tolist()} Gy/MBq, RBE-weighted {rbe_dose[bad].tolist()} Gy/MBq, TIAC "
                f"{conc[bad].tolist()} h/g",
                hint="a negative time-integrated activity in pk_tia gives a negative dose")
        out.append(frame)
        if len(e["members"]) > 1:
            for m_name, k, leaves, absd in e["members"]:
                for scen in ("in_situ", "redistributed"):
                    stays = scen == "in_situ" or not leaves
                    d_cls = {c: conc * np.asarray(absd[f"{c}_absorbed_mev"])[idx] * GY_FACTOR * stays
                             for c in CLASSES}
                    d = sum(d_cls.values())
                    chain_out.append({"_n": len(grp),
                        "compound": compound, "nuclide": nuclide, "organ": grp["organ"].to_numpy(),
                        "scenario": scen, "member": m_name, "decays_per_parent_decay": k, "stays": stays,
                        "dose_gy_per_mbq": d, "dose_alpha_gy_per_mbq": d_cls["alpha"],
                        "dose_rbe_weighted_gy_per_mbq": d + (rbe - 1.0) * d_cls["alpha"]})
    doses = stack_frames(out, DOSE_COLUMNS)
    doses = doses.sort_values(["compound", "nuclide", "organ"], kind="stable").reset_index(drop=True)
    if chain_out:
        cdf = stack_frames(chain_out, CHAIN_COLUMNS)
        order = {n: i for i, n in enumerate(cdf["member"].drop_duplicates())}
        cdf = cdf.assign(_o=cdf["member"].map(order)).sort_values(
            ["compound", "nuclide", "organ", "scenario", "_o"], kind="stable").drop(columns="_o")
        cdf = cdf.reset_index(drop=True)
    else:
        cdf = pd.DataFrame(columns=CHAIN_COLUMNS)
    return doses, cdf


def stack_frames(parts: list[dict], columns: list[str]) -> pd.DataFrame:
    """One DataFrame from many dicts of equal-length arrays/scalars (much faster than concat of DataFrames)."""
    if not parts:
        return pd.DataFrame(columns=columns)
    cols = {}
    for c in columns:
        arrs = []
        for d in parts:
            n = d["_n"]
            v = d[c]
            arrs.append(np.asarray(v) if isinstance(v, np.ndarray | list) else np.full(n, v, dtype=object
                        if isinstance(v, str) else None))
        cols[c] = np.concatenate(arrs)
    return pd.DataFrame(cols)[columns]
