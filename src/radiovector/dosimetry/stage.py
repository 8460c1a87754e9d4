"""The dosimetry stage: pk_tia (time-integrated activity coefficients) in, doses / indices / nuclide choice out.

Entry point :func:`compute_doses` (called by the Snakemake script and by ``radiovector dose``). MIRD formalism
D = sum over sources of TIA x S, with the sphere model of :mod:`.spheres` for self-dose, a uniform-body
approximation for photon cross-dose, the blood-based red-marrow model (Sgouros 1993) and two scenarios for
alpha-emitter chains. See docs/methods/dosimetry.md for methods and references.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.dosimetry import chains as ch
from radiovector.dosimetry import physics as ph
from radiovector.dosimetry.spheres import CLASSES, SphereModel
from radiovector.errors import InvariantError
from radiovector.settings import resolve
from radiovector.settings.dosimetry import DosimetrySettings
from radiovector.vocab.organs import canonical_organ, is_remainder, is_whole_body

#: Gy per MBq injected, per (h/g of TIAC concentration) per (MeV absorbed per decay):
#: 3600 s/h x 1e6 Bq/MBq x 1.602e-13 J/MeV / 1e-3 kg/g.
GY_FACTOR = 3600.0 * 1e6 * ph.MEV_TO_J / 1e-3

#: Config keys (``dosimetry:`` section) and defaults (declared, with units, references and allowed values, by
#: :class:`radiovector.settings.dosimetry.DosimetrySettings`).
DEFAULTS: dict = DosimetrySettings.defaults()

def resolve_params(params: dict | None) -> dict:
    """``params`` (the ``dosimetry:`` section) validated over :data:`DEFAULTS` (keys given as None take the
    default): nuclide and organ names canonical, single names read as lists, radii sorted. Unknown keys or bad values
    raise :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(DosimetrySettings, params, "dosimetry", drop_none=True)


# --------------------------------------------------------------------------------------------------------------
# chain energies per parent decay, per sphere mass


class ChainEnergies:
    """Energy absorbed per parent decay (MeV) by class in spheres of given masses, for both chain scenarios."""

    def __init__(self, masses_g: np.ndarray, p: dict) -> None:
        self.masses = np.unique(np.asarray(masses_g, dtype=float))
        self.model = SphereModel(self.masses)
        self.p = p
        self._cache: dict[str, dict] = {}

    def daughter(self, nuclide: str) -> str:
        kept, _ = ch.dose_members(nuclide, self.p["max_daughter_half_life_h"])
        d = self.p["redistributing_daughter"].get(nuclide, ch.redistributing_daughter(nuclide))
        return d if d in set(kept["nuclide"].iloc[1:]) else ""

    def get(self, nuclide: str) -> dict:
        """Per member rows and totals: dict with 'members' (list of (member, k, leaves, absorbed dict))."""
        if nuclide in self._cache:
            return self._cache[nuclide]
        kept, dropped = ch.dose_members(nuclide, self.p["max_daughter_half_life_h"])
        daughter = self.daughter(nuclide)
        leaving = ch.leaving_members(nuclide, daughter)
        members = []
        for n, k in zip(kept["nuclide"], kept["decays_per_parent_decay"], strict=True):
            res = self.model.absorbed(n)
            members.append((n, float(k), n in leaving, {key: float(k) * v for key, v in res.items()}))
        out = {"members": members, "daughter": daughter, "dropped": dropped}
        for scen in ("in_situ", "redistributed"):
            tot = {}
            for cls in CLASSES:
                tot[f"{cls}_absorbed_mev"] = sum(m[3][f"{cls}_absorbed_mev"] for m in members
                                                 if scen == "in_situ" or not m[2])
                tot[f"{cls}_emitted_mev"] = sum(m[3][f"{cls}_emitted_mev"] for m in members
                                                if scen == "in_situ" or not m[2])
            out[scen] = tot
        # energy carried away by the redistributing daughter and its progeny (all classes), per parent decay
        out["leaving_emitted_mev"] = sum(sum(m[3][f"{c}_emitted_mev"][0] for c in CLASSES) for m in members if m[2])
        self._cache[nuclide] = out
        return out

    def index(self, mass: float) -> int:
        return int(np.searchsorted(self.masses, mass))


# --------------------------------------------------------------------------------------------------------------


def _organ_rows(tia: pd.DataFrame, p: dict) -> pd.DataFrame:
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


def compute_doses(pk_tia: pd.DataFrame, params: dict | None = None,
                  candidate_nuclides: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Absorbed doses, therapeutic indices and the radionuclide choice by tumour size.

    ``pk_tia``: the pk stage's TIA table (compound, radionuclide, organ, nuclide, tiac, tiac_unit h or h/g, ...).
    ``params``: the ``dosimetry`` config section (:data:`DEFAULTS`). ``candidate_nuclides``: optional long table
    (candidate_id, nuclide, chelator, compatibility) from the candidates stage.
    Returns ``doses`` (key compound, nuclide, organ), ``chain_doses`` (key compound, nuclide, organ, scenario,
    member), ``therapeutic_index`` (key compound, nuclide), ``nuclide_by_size`` (key candidate_id, nuclide,
    radius_um) and ``sphere_s_values`` (key nuclide, radius_um). Row order is deterministic (sorted keys).
    """
    p = resolve_params(params)
    tia = pk_tia
    if len(tia) and p["nuclides"]:
        tia = tia[tia["nuclide"].isin(p["nuclides"])]
    rows = _organ_rows(tia, p) if len(tia) else pd.DataFrame()
    size_masses = ph.sphere_mass_g_from_radius_um(np.asarray(p["size_radii_um"]))
    masses = np.concatenate([rows["mass_g"].to_numpy(float) if len(rows) else [],
                             rows["body_mass_g"].to_numpy(float) if len(rows) else [], size_masses,
                             [p["body_mass_g"]]])
    energies = ChainEnergies(masses, p)
    doses, chain_rows = _doses(rows, energies, p)
    ti = therapeutic_index(doses, p)
    by_size = nuclide_by_size(doses, ti, candidate_nuclides, energies, p)
    s_tab = _size_s_table(sorted(set(by_size["nuclide"])) if len(by_size) else [], energies, p)
    return {"doses": doses, "chain_doses": chain_rows, "therapeutic_index": ti, "nuclide_by_size": by_size,
            "sphere_s_values": s_tab}


DOSE_COLUMNS = [
    "compound", "radionuclide", "nuclide", "organ", "organ_class", "mass_g", "mass_source", "tiac_unit",
    "tiac_h_per_g", "dose_gy_per_mbq", "dose_low_gy_per_mbq", "dose_high_gy_per_mbq", "dose_self_gy_per_mbq",
    "dose_photon_cross_gy_per_mbq", "dose_electron_gy_per_mbq", "dose_photon_gy_per_mbq", "dose_alpha_gy_per_mbq",
    "dose_rbe_weighted_gy_per_mbq", "redistributing_daughter", "dose_redistributed_gy_per_mbq",
    "dose_redistributed_rbe_weighted_gy_per_mbq", "extrapolated_fraction", "flags",
]
CHAIN_COLUMNS = ["compound", "nuclide", "organ", "scenario", "member", "decays_per_parent_decay", "stays",
                 "dose_gy_per_mbq", "dose_alpha_gy_per_mbq", "dose_rbe_weighted_gy_per_mbq"]


def _doses(rows: pd.DataFrame, en: ChainEnergies, p: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    doses = _stack(out, DOSE_COLUMNS)
    doses = doses.sort_values(["compound", "nuclide", "organ"], kind="stable").reset_index(drop=True)
    if chain_out:
        cdf = _stack(chain_out, CHAIN_COLUMNS)
        order = {n: i for i, n in enumerate(cdf["member"].drop_duplicates())}
        cdf = cdf.assign(_o=cdf["member"].map(order)).sort_values(
            ["compound", "nuclide", "organ", "scenario", "_o"], kind="stable").drop(columns="_o")
        cdf = cdf.reset_index(drop=True)
    else:
        cdf = pd.DataFrame(columns=CHAIN_COLUMNS)
    return doses, cdf


def _stack(parts: list[dict], columns: list[str]) -> pd.DataFrame:
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


def _col(organ: str) -> str:
    return canonical_organ(organ).replace(" ", "_")


def therapeutic_index(doses: pd.DataFrame, p: dict) -> pd.DataFrame:
    """One row per compound x nuclide: tumour dose, TI per organ, limiting organ, maximum tolerated activity.

    TI_organ = tumour dose / organ dose (same dose kind as ``mta_dose``). The maximum tolerated activity (MBq,
    for the kinetics measured, i.e. per mouse) is min over organs with a limit of limit / dose per MBq; the organ
    that sets it is the limiting organ. Without any limited organ the limiting organ is the normal organ with the
    highest dose (excluding blood and the remainder of body or carcass) and the MTA is NaN.
    """
    ti_organs = p["ti_organs"]
    base = ["compound", "nuclide", "tumour_organ", "tumour_dose_gy_per_mbq", "tumour_dose_rbe_weighted_gy_per_mbq"]
    cols = base + [f"dose_{_col(o)}_gy_per_mbq" for o in ti_organs] + [f"ti_{_col(o)}" for o in ti_organs] + [
        "limiting_organ", "limiting_organ_dose_gy_per_mbq", "ti_limiting_organ", "mta_mbq", "mta_limiting_organ",
        "tumour_dose_at_mta_gy", "mta_dose"]
    if doses.empty:
        return pd.DataFrame(columns=cols)
    kind = "dose_rbe_weighted_gy_per_mbq" if p["mta_dose"] == "rbe_weighted" else "dose_gy_per_mbq"
    out = []
    blood = canonical_organ(p["blood_organ"])
    for (compound, nuclide), grp in doses.groupby(["compound", "nuclide"], sort=True):
        keys = grp["organ"].map(canonical_organ)
        t = grp[grp["organ_class"] == "tumour"]
        row: dict = {"compound": compound, "nuclide": nuclide, "mta_dose": kind.replace("_gy_per_mbq", "")}
        t_dose = float(t[kind].iloc[0]) if len(t) else np.nan
        row.update(tumour_organ=str(t["organ"].iloc[0]) if len(t) else "",
                   tumour_dose_gy_per_mbq=float(t["dose_gy_per_mbq"].iloc[0]) if len(t) else np.nan,
                   tumour_dose_rbe_weighted_gy_per_mbq=float(t["dose_rbe_weighted_gy_per_mbq"].iloc[0])
                   if len(t) else np.nan)
        by_organ = dict(zip(keys, grp[kind].astype(float), strict=True))
        for o in ti_organs:
            d = by_organ.get(o, np.nan)
            row[f"dose_{_col(o)}_gy_per_mbq"] = d
            row[f"ti_{_col(o)}"] = t_dose / d if d and np.isfinite(d) and d > 0 else np.nan
        limited = {o: p["dose_limits_gy"][o] / by_organ[o] for o in by_organ
                   if o in p["dose_limits_gy"] and np.isfinite(by_organ[o]) and by_organ[o] > 0}
        if limited:
            lim = min(sorted(limited), key=lambda o: limited[o])
            row.update(mta_mbq=limited[lim], mta_limiting_organ=lim, limiting_organ=lim)
        else:
            normal = {o: d for o, d in by_organ.items()
                      if o != blood and not is_remainder(o) and o not in p["tumour_organs"] and np.isfinite(d)}
            lim = max(sorted(normal), key=lambda o: normal[o]) if normal else ""
            row.update(mta_mbq=np.nan, mta_limiting_organ="", limiting_organ=lim)
        ld = by_organ.get(row["limiting_organ"], np.nan)
        row["limiting_organ_dose_gy_per_mbq"] = ld
        row["ti_limiting_organ"] = t_dose / ld if ld and np.isfinite(ld) and ld > 0 else np.nan
        row["tumour_dose_at_mta_gy"] = t_dose * row["mta_mbq"]
        out.append(row)
    return pd.DataFrame(out)[cols]


def _imaging_partners() -> dict[str, str]:
    """Therapy nuclide -> its imaging partners joined by '/', from the theranostic pairs table."""
    from radiovector.nuclides.pairs import imaging_partners

    return {therapy: "/".join(partners) for therapy, partners in imaging_partners().items()}


SIZE_COLUMNS = [
    "candidate_id", "chelator", "nuclide", "compatibility", "imaging_partner", "radius_um", "mass_g",
    "energy_emitted_mev_per_decay", "energy_absorbed_mev_per_decay", "absorbed_fraction",
    "absorbed_fraction_nonpenetrating", "alpha_fraction_of_absorbed", "kinetics", "tumour_tiac_h_per_g",
    "dose_gy_per_mbq", "dose_rbe_weighted_gy_per_mbq", "mta_mbq", "tumour_dose_at_mta_gy", "rank_metric",
    "rank_value", "rank_at_size", "best_at_size",
]


def nuclide_by_size(doses: pd.DataFrame, ti: pd.DataFrame, candidate_nuclides: pd.DataFrame | None,
                    en: ChainEnergies, p: dict) -> pd.DataFrame:
    """Compare the therapy nuclides a candidate's chelator accepts across tumour sizes (one cell to cm lesions).

    Dose to a sphere of radius r holding the tumour's TIAC concentration (the measured kinetics re-decayed to
    each nuclide when pk_tia has them: ``kinetics = measured``; else ``reference_uptake_pct_id_per_g`` retained
    with physical decay only: ``kinetics = retained_reference``). Ranking per size: the RBE-weighted tumour dose
    at the maximum tolerated activity where a limit applies (``rank_metric = tumour_dose_at_mta_gy``), else the
    RBE-weighted dose per MBq.
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
        frames.append({"_n": len(radii),
            "candidate_id": r.candidate_id, "chelator": r.chelator, "nuclide": r.nuclide,
            "compatibility": r.compatibility, "imaging_partner": partners.get(r.nuclide, ""),
            "radius_um": radii, "mass_g": masses, "energy_emitted_mev_per_decay": emitted,
            "energy_absorbed_mev_per_decay": absorbed, "absorbed_fraction": absorbed / emitted,
            "absorbed_fraction_nonpenetrating": np.where(np_emit > 0, np_abs / np.where(np_emit > 0, np_emit, 1),
                                                         np.nan),
            "alpha_fraction_of_absorbed": alpha / absorbed, "kinetics": kin, "tumour_tiac_h_per_g": conc,
            "dose_gy_per_mbq": dose, "dose_rbe_weighted_gy_per_mbq": dose_rbe, "mta_mbq": m,
            "tumour_dose_at_mta_gy": dose_rbe * m,
        })
    out = _stack(frames, [c for c in SIZE_COLUMNS if not c.startswith("rank") and c != "best_at_size"])
    use_mta = out.groupby("candidate_id")["tumour_dose_at_mta_gy"].transform(lambda s: s.notna().all())
    out["rank_metric"] = np.where(use_mta, "tumour_dose_at_mta_gy", "dose_rbe_weighted_gy_per_mbq")
    out["rank_value"] = np.where(use_mta, out["tumour_dose_at_mta_gy"], out["dose_rbe_weighted_gy_per_mbq"])
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


def _size_s_table(nuclides: list[str], en: ChainEnergies, p: dict) -> pd.DataFrame:
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
