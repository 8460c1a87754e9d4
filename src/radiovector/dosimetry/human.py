"""From mouse to patient: time-integrated activity projected to the ICRP 89 reference adult, human organ doses
per injected GBq, biologically effective dose (BED) limits and the projected patient maximum tolerated activity.

Projection methods (``method`` column; docs/methods/dosimetry.md):

* ``relative_mass``: the organ's share of the body-weight-normalised uptake is kept (Kirschner AS, Ice RD,
  Beierwaltes WH, J Nucl Med 1975;16:248-249; Sparks RB, Aydogan B, Proc. 6th Int. Radiopharm. Dosim. Symp.,
  ORISE 1999, pp. 705-716):
  ``(A~/A0)_organ,human = (A~/A0 per g)_organ,mouse x m_body,mouse x m_organ,human / m_body,human``,
  i.e. the human concentration is the mouse concentration x m_body,mouse / m_body,human.
* ``relative_mass_allometric``: the same, with biological times stretched by ``k = (m_body,human /
  m_body,mouse)^0.25`` (allometric time scaling; Lindstedt SL, Calder WA, Q Rev Biol 1981;56:1-16; as used for
  radiopharmaceutical extrapolation by Sparks & Aydogan 1999). Only the biological rates are divided by k; the
  physical decay of the nuclide is then applied unchanged (``sum_j c_j / (b_j/k + lambda_phys)``), never the
  effective rate (which would stretch the physical half-life too).
* ``none``: the fraction of injected activity per organ is transferred unchanged (no scaling; for comparison).

Human organ doses use the mouse stage's MIRD machinery (:func:`radiovector.dosimetry.organ_doses.organ_doses`):
self-dose in a unit-density sphere of the human organ mass (electrons, alphas, photons), the uniform-body photon
cross-dose at the human body mass, red marrow from blood (Sgouros 1993) at the ICRP 89 red-marrow mass, and both
alpha-chain scenarios. The interval is the pk stage's bootstrap TIAC interval carried as a ratio.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from radiovector.dosimetry.energies import ChainEnergies
from radiovector.dosimetry.organ_doses import dose_regions, organ_doses
from radiovector.errors import InputError, InvariantError
from radiovector.vocab.organs import SEXES, canonical_organ, human_organ_masses, is_remainder, organ_fractions

METHODS: tuple[str, ...] = ("relative_mass", "relative_mass_allometric", "none")
#: Dose columns of the mouse table converted from per MBq to per GBq.
_PER_MBQ = [
    "dose_gy_per_mbq",
    "dose_low_gy_per_mbq",
    "dose_high_gy_per_mbq",
    "dose_self_gy_per_mbq",
    "dose_photon_cross_gy_per_mbq",
    "dose_electron_gy_per_mbq",
    "dose_photon_gy_per_mbq",
    "dose_alpha_gy_per_mbq",
    "dose_rbe_weighted_gy_per_mbq",
    "dose_redistributed_gy_per_mbq",
    "dose_redistributed_rbe_weighted_gy_per_mbq",
]
HUMAN_DOSE_COLUMNS = [
    "compound",
    "radionuclide",
    "nuclide",
    "sex",
    "method",
    "organ",
    "organ_class",
    "mass_g",
    "mass_source",
    "body_mass_g",
    "mouse_tiac_h_per_g",
    "tiac_h_per_g",
    "tiac_organ_h",
    "time_scale_factor",
    "lambda_eff_per_h",
    *[c.replace("_mbq", "_gbq") for c in _PER_MBQ],
    "redistributing_daughter",
    "extrapolated_fraction",
    "species_note",
    "flags",
]
MTA_COLUMNS = [
    "compound",
    "radionuclide",
    "nuclide",
    "sex",
    "method",
    "dose_kind",
    "limiting_organ",
    "limit_kind",
    "limit_gy",
    "alpha_beta_gy",
    "repair_half_time_h",
    "lambda_eff_per_h",
    "g_factor",
    "limiting_organ_dose_gy_per_gbq",
    "mta_gbq",
    "mta_low_gbq",
    "mta_high_gbq",
    "dose_at_mta_gy",
    "bed_at_mta_gy",
    "tumour_dose_gy_per_gbq",
    "tumour_dose_at_mta_gy",
    "organs_limited",
    "flags",
]


# ------------------------------------------------------------------------------------------------------------
# data files


def _read_data(name: str) -> pd.DataFrame:
    text = resources.files("radiovector.dosimetry").joinpath("data", name).read_text(encoding="utf-8")
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def _float(value: str, where: str, column: str, *, blank_ok: bool = False) -> float:
    if blank_ok and str(value).strip() == "":
        return float("nan")
    try:
        return float(value)
    except ValueError:
        raise InputError(
            f"{where}, column {column}: {value!r} is not a number",
            hint="write the value in the file's unit (Gy or h) as a plain number",
        ) from None


def load_limits(path: str | Path | None = None) -> pd.DataFrame:
    """Organ limits for the patient MTA: organ, limit_kind (bed | absorbed), limit_gy, alpha_beta_gy,
    repair_half_time_h, reference. ``path`` None or '' reads the packaged ``dosimetry/data/organ_limits.csv``.

    Checked on load, errors naming the file, its line (header = line 1) and the column: canonical organ, known
    kind, limit > 0, alpha/beta > 0 and repair half-time > 0 for a BED limit, a reference on every row.
    """
    if path:
        p = Path(path)
        if not p.is_file():
            raise InputError(
                f"limits file {p} not found",
                hint="set dosimetry.limits_file to an existing CSV, or leave it empty for the packaged limits",
            )
        table = pd.read_csv(p, dtype=str, keep_default_na=False)
        name = str(p)
    else:
        table = _read_data("organ_limits.csv")
        name = "organ_limits.csv (packaged)"
    need = ["organ", "limit_kind", "limit_gy", "alpha_beta_gy", "repair_half_time_h", "reference"]
    missing = [c for c in need if c not in table]
    if missing:
        raise InputError(f"{name}: missing column(s) {missing}", hint=f"the header must be {','.join(need)}")
    rows = []
    for i, r in enumerate(table.itertuples(index=False), start=2):
        where = f"{name} line {i}"
        kind = str(r.limit_kind).strip()
        if kind not in ("bed", "absorbed"):
            raise InputError(f"{where}, column limit_kind: {kind!r}", hint="use bed or absorbed")
        limit = _float(r.limit_gy, where, "limit_gy")
        ab = _float(r.alpha_beta_gy, where, "alpha_beta_gy", blank_ok=kind == "absorbed")
        trep = _float(r.repair_half_time_h, where, "repair_half_time_h", blank_ok=kind == "absorbed")
        if not limit > 0:
            raise InputError(f"{where}, column limit_gy: {limit} must be > 0 Gy")
        if kind == "bed" and not (ab > 0 and trep > 0):
            raise InputError(
                f"{where}: a BED limit needs alpha_beta_gy > 0 and repair_half_time_h > 0, got "
                f"{r.alpha_beta_gy!r} and {r.repair_half_time_h!r}"
            )
        if not str(r.reference).strip():
            raise InputError(f"{where}, column reference: empty", hint="every limit needs its published source")
        rows.append(
            {
                "organ": canonical_organ(r.organ),
                "limit_kind": kind,
                "limit_gy": limit,
                "alpha_beta_gy": ab,
                "repair_half_time_h": trep,
                "reference": str(r.reference),
            }
        )
    out = pd.DataFrame(rows, columns=need)
    dup = out["organ"].duplicated()
    if dup.any():
        raise InputError(f"{name}: organ {out.loc[dup, 'organ'].iloc[0]!r} appears twice; keep one limit per organ")
    return out


@cache
def species_differences() -> pd.DataFrame:
    """Known mouse-human differences: organ, compound_pattern (regex, case-insensitive), effect, note, reference."""
    table = _read_data("species_differences.csv")
    for i, r in enumerate(table.itertuples(index=False), start=2):
        if not str(r.reference).strip():
            raise InputError(f"species_differences.csv line {i}, column reference: empty")
        try:
            re.compile(r.compound_pattern)
        except re.error as exc:
            raise InputError(f"species_differences.csv line {i}, column compound_pattern: {exc}") from None
    table["organ"] = table["organ"].map(canonical_organ)
    return table


def species_note(compound: str, organ: str) -> str:
    """Known species difference for this compound's organ ('' if none is recorded)."""
    table = species_differences()
    key = canonical_organ(organ)
    hits = [
        f"{r.effect}: {r.note}"
        for r in table.itertuples(index=False)
        if r.organ == key and re.search(r.compound_pattern, str(compound), flags=re.IGNORECASE)
    ]
    return "; ".join(hits)


# ------------------------------------------------------------------------------------------------------------
# radiobiology


def time_scale_factor(body_mass_human_g: float, body_mass_mouse_g: float, exponent: float = 0.25) -> float:
    """Allometric factor k = (m_body,human / m_body,mouse)^exponent by which biological times lengthen."""
    if not (body_mass_human_g > 0 and body_mass_mouse_g > 0):
        raise InvariantError(f"body masses must be > 0 g, got human {body_mass_human_g}, mouse {body_mass_mouse_g}")
    return float((body_mass_human_g / body_mass_mouse_g) ** exponent)


def scaled_tiac_ratio(model: str, x: np.ndarray, lam_per_h: float, k: float) -> float:
    """TIAC with every biological rate divided by ``k`` (physical decay ``lam_per_h`` unchanged) over the
    unscaled TIAC, for a fitted sum-of-exponentials model of :mod:`radiovector.pk.models`."""
    from radiovector.pk.models import MODELS

    m = MODELS[model]
    x = np.asarray(x, dtype=float)
    xs = x.copy()
    xs[list(m.rate_idx)] = xs[list(m.rate_idx)] / k
    base = m.integral(x, lam_per_h)
    return float(m.integral(xs, lam_per_h) / base) if base > 0 and math.isfinite(base) else float("nan")


def g_factor(lambda_eff_per_h: float | np.ndarray, repair_half_time_h: float | np.ndarray) -> np.ndarray:
    """Lea-Catcheside factor of a mono-exponentially decaying dose rate delivered to completion:
    G = lambda_eff / (lambda_eff + mu), mu = ln 2 / T_rep (Dale RG, Br J Radiol 1985;58:515-528)."""
    lam = np.asarray(lambda_eff_per_h, dtype=float)
    mu = math.log(2.0) / np.asarray(repair_half_time_h, dtype=float)
    if np.any(lam < 0) or np.any(~(mu > 0)):
        raise InvariantError(
            f"G factor needs lambda_eff >= 0 and a repair half-time > 0, got lambda_eff "
            f"{lam.tolist()}/h, T_rep {np.asarray(repair_half_time_h).tolist()} h"
        )
    return lam / (lam + mu)


def bed(dose_gy: float | np.ndarray, alpha_beta_gy: float, g: float | np.ndarray = 1.0) -> np.ndarray:
    """Biologically effective dose BED = D (1 + G D / (alpha/beta)) (Dale 1985); G = 1 for an instantaneous
    dose, G -> 0 for very slow delivery (BED -> D)."""
    d = np.asarray(dose_gy, dtype=float)
    g = np.asarray(g, dtype=float)
    if np.any(g < 0) or np.any(g > 1):
        raise InvariantError(f"Lea-Catcheside factor outside [0, 1]: {g.tolist()}")
    return d * (1.0 + g * d / alpha_beta_gy)


def activity_at_bed(dose_per_gbq: float, limit_gy: float, alpha_beta_gy: float, g: float) -> float:
    """Activity A (GBq) with BED(A d) = limit exactly: the positive root of (G d^2/ab) A^2 + d A - L = 0, written
    as A = 2L / (d + sqrt(d^2 + 4 G d^2 L / ab)) (no cancellation as G -> 0, where A -> L/d)."""
    d = float(dose_per_gbq)
    if not (d > 0 and math.isfinite(d)):
        return float("nan")
    return 2.0 * limit_gy / (d + math.sqrt(d * d + 4.0 * g * d * d * limit_gy / alpha_beta_gy))


# ------------------------------------------------------------------------------------------------------------
# projection


def _model_params(pk_params: pd.DataFrame | None) -> dict[tuple[str, str, str, str], np.ndarray]:
    """(compound, radionuclide, organ, model) -> parameter vector in the model's order (from pk_params)."""
    from radiovector.pk.models import MODELS

    out: dict = {}
    if pk_params is None or pk_params.empty:
        return out
    for (c, r, o, m), grp in pk_params.groupby(["compound", "radionuclide", "organ", "model"], sort=False):
        if m not in MODELS:
            continue
        vals = dict(zip(grp["param"], grp["value"], strict=True))
        names = MODELS[m].params
        if all(n in vals for n in names):
            out[(c, r, o, m)] = np.array([float(vals[n]) for n in names])
    return out


def project_regions(
    tia: pd.DataFrame, p: dict, sex: str, method: str, pk_params: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Source regions of the reference adult (``dose_regions`` layout, human masses and TIAC concentrations per
    unit injected activity), for one sex and projection method; extra columns ``mouse_tiac_h_per_g``,
    ``time_scale_factor`` and ``lambda_eff_per_h``."""
    from radiovector.nuclides import decay_constant_per_h

    if method not in METHODS:
        raise InputError(f"projection method {method!r}", hint=f"use one of {METHODS}")
    masses = human_organ_masses(sex)
    m_bh = masses["whole body"]
    mouse = dose_regions(tia, p)
    mouse = mouse[mouse["organ_class"] != "marrow"].copy()  # re-derived from the human blood below
    if mouse.empty:
        return mouse
    params = _model_params(pk_params) if method.endswith("allometric") else {}
    fractions = organ_fractions("mouse")
    tumour_mass = p["human_tumour_mass_g"]
    rows = []
    for (compound, radionuclide, nuclide), grp in mouse.groupby(["compound", "radionuclide", "nuclide"], sort=True):
        lam = decay_constant_per_h(nuclide)
        listed = 0.0
        human_mass, source = {}, {}
        for r in grp.itertuples(index=False):
            key = r.organ_key
            if r.organ_class == "tumour":
                human_mass[r.organ], source[r.organ] = tumour_mass, "dosimetry.human_tumour_mass_g"
            elif is_remainder(key):
                continue
            elif key in masses:
                human_mass[r.organ], source[r.organ] = masses[key], f"ICRP 89 reference adult {sex}"
            elif key in fractions:
                human_mass[r.organ] = fractions[key] * m_bh
                source[r.organ] = "mouse fraction of body mass x ICRP 89 body mass (no ICRP 89 value)"
            else:
                human_mass[r.organ] = r.mass_g / r.body_mass_g * m_bh
                source[r.organ] = "mouse organ/body mass ratio x ICRP 89 body mass"
            listed += human_mass[r.organ]
        for r in grp.itertuples(index=False):
            row = r._asdict()
            flags = [r.flags] if r.flags else []
            m_bm = float(r.body_mass_g)
            if is_remainder(r.organ_key):
                m_oh = max(m_bh - listed, 0.0)
                src = "ICRP 89 body mass - listed organs"
            else:
                m_oh, src = human_mass[r.organ], source[r.organ]
                if "no ICRP 89" in src or "ratio" in src:
                    flags.append("human_mass_from_mouse_ratio")
            c_m = float(r.tiac_h_per_g)
            if method == "none":
                c_h = c_m * float(r.mass_g) / m_oh if m_oh > 0 else float("nan")
            else:
                c_h = c_m * m_bm / m_bh
            k = ratio = 1.0
            if method.endswith("allometric"):
                k = time_scale_factor(m_bh, m_bm, p["allometric_exponent"])
                x = params.get((compound, radionuclide, r.organ, getattr(r, "model", None)))
                if is_remainder(r.organ_key):
                    flags.append("time_scaling_not_applied")  # a derived residual has no curve of its own
                elif x is not None:
                    ratio = scaled_tiac_ratio(r.model, x, lam, k)
                else:
                    lam_eff = _mouse_lambda_eff(r)
                    if math.isfinite(lam_eff):
                        b = max(lam_eff - lam, 0.0)
                        ratio = (b + lam) / (b / k + lam)
                        flags.append("time_scaling_effective_monoexponential")
                    else:
                        flags.append("time_scaling_not_applied")
                c_h *= ratio
            # physical limits: the projected peak fraction of injected activity in the organ stays <= 1 where the
            # mouse fraction was; lambda_eff >= lambda_phys where the mouse curve obeyed it
            peak_m = pd.to_numeric(getattr(r, "max_fraction", np.nan), errors="coerce")
            peak_h = float("nan")
            if np.isfinite(peak_m) and not is_remainder(r.organ_key) and c_m > 0:
                peak_h = float(peak_m) * (c_h / ratio * m_oh) / (c_m * float(r.mass_g))
                if peak_h > 1.0 + 1e-9 and peak_m <= 1.0 + 1e-9:
                    raise InvariantError(
                        f"{compound} ({nuclide}) {r.organ}, {method} projection to the {sex} adult: peak fraction "
                        f"of injected activity {peak_h:.4g} > 1 (mouse {float(peak_m):.4g})",
                        hint="check the organ masses (human_organ_masses.csv, dosimetry.human_tumour_mass_g)",
                    )
            tiac_organ = c_h * m_oh
            lam_eff = peak_h / tiac_organ if np.isfinite(peak_h) and tiac_organ > 0 else float("nan")
            if np.isfinite(lam_eff) and lam_eff < lam * (1 - 1e-9):
                if "tiac_exceeds_max_times_tau" not in r.flags:
                    raise InvariantError(
                        f"{compound} ({nuclide}) {r.organ}, {method} ({sex}): effective decay constant "
                        f"{lam_eff:.4g}/h below the physical {lam:.4g}/h",
                        hint="a projection may stretch biological times only; report this as a bug",
                    )
                lam_eff = lam
                flags.append("lambda_eff_set_to_physical")
            row.update(
                mass_g=m_oh,
                mass_source=src,
                body_mass_g=m_bh,
                mouse_tiac_h_per_g=c_m,
                tiac_h_per_g=c_h,
                tiac_organ_h=tiac_organ,
                tiac_unit="h/g",
                time_scale_factor=k,
                lambda_eff_per_h=lam_eff,
                flags=";".join(dict.fromkeys(filter(None, flags))),
            )
            rows.append(row)
    out = pd.DataFrame(rows)
    # red marrow from blood (Sgouros 1993) at the ICRP 89 red-marrow mass
    blood = out[out["organ_key"] == canonical_organ(p["blood_organ"])]
    marrow_key = canonical_organ(p["marrow_organ"])
    have = set(map(tuple, out.loc[out["organ_key"] == marrow_key, ["compound", "radionuclide", "nuclide"]].to_numpy()))
    extra = []
    for r in blood.itertuples(index=False):
        if (r.compound, r.radionuclide, r.nuclide) in have:
            continue
        row = r._asdict()
        row.update(
            organ=p["marrow_organ"],
            organ_key=marrow_key,
            organ_class="marrow",
            tiac_h_per_g=p["marrow_rmblr"] * r.tiac_h_per_g,
            mouse_tiac_h_per_g=p["marrow_rmblr"] * r.mouse_tiac_h_per_g,
            mass_g=masses["red marrow"],
            mass_source=f"ICRP 89 red marrow, adult {sex}",
            tiac_organ_h=np.nan,
            tiac_value=np.nan,
            lambda_eff_per_h=r.lambda_eff_per_h,
            flags=";".join(filter(None, [r.flags, f"marrow_from_blood_rmblr_{p['marrow_rmblr']:g}"])),
        )
        extra.append(row)
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out


def _mouse_lambda_eff(r) -> float:
    """Effective decay constant (1/h) of the mono-exponential with the mouse curve's peak fraction and TIAC."""
    peak = pd.to_numeric(getattr(r, "max_fraction", np.nan), errors="coerce")
    tiac = pd.to_numeric(getattr(r, "tiac_organ_h", np.nan), errors="coerce")
    return float(peak / tiac) if np.isfinite(peak) and np.isfinite(tiac) and tiac > 0 else float("nan")


def human_doses(tia: pd.DataFrame, p: dict, pk_params: pd.DataFrame | None = None) -> pd.DataFrame:
    """Organ doses per injected GBq in the ICRP 89 adult male and female, for every projection method in
    ``p['projection_methods']`` and sex in ``p['patient_sexes']`` (columns :data:`HUMAN_DOSE_COLUMNS`)."""
    projected = []
    for sex in p["patient_sexes"]:
        if sex not in SEXES:
            raise InputError(f"dosimetry.patient_sexes: {sex!r}", hint=f"use {SEXES}")
        for method in p["projection_methods"]:
            regions = project_regions(tia, p, sex, method, pk_params)
            if len(regions):
                projected.append((sex, method, regions))
    if not projected:
        return pd.DataFrame(columns=HUMAN_DOSE_COLUMNS)
    # one sphere model for every human mass of every sex and method (absorbed fractions computed once)
    masses = np.concatenate([r[c].to_numpy(float) for _, _, r in projected for c in ("mass_g", "body_mass_g")])
    energies = ChainEnergies(masses, p)
    keys = ["compound", "radionuclide", "nuclide", "organ"]
    extra_cols = ["mouse_tiac_h_per_g", "tiac_organ_h", "body_mass_g", "time_scale_factor", "lambda_eff_per_h"]
    frames = []
    for sex, method, regions in projected:
        doses, _ = organ_doses(regions, energies, p)
        doses = doses.merge(regions[keys + extra_cols], on=keys, how="left", validate="one_to_one")
        for c in _PER_MBQ:
            doses[c.replace("_mbq", "_gbq")] = doses.pop(c).astype(float) * 1000.0
        doses["sex"] = sex
        doses["method"] = method
        frames.append(doses)
    if not frames:
        return pd.DataFrame(columns=HUMAN_DOSE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["species_note"] = [species_note(c, o) for c, o in zip(out["compound"], out["organ"], strict=True)]
    out = out.sort_values(["compound", "nuclide", "sex", "method", "organ"], kind="stable").reset_index(drop=True)
    return out[HUMAN_DOSE_COLUMNS]


# ------------------------------------------------------------------------------------------------------------
# patient maximum tolerated activity


def patient_mta(hd: pd.DataFrame, p: dict, limits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Projected patient maximum tolerated activity (GBq) per compound x nuclide x sex x method.

    For each organ with a limit (:func:`load_limits`): an absorbed-dose limit gives A = L / d; a BED limit gives the
    exact root of BED(A d) = L with the Lea-Catcheside factor G = lambda_eff / (lambda_eff + ln2/T_rep) of the
    projected organ curve (mono-exponential of equal peak and TIAC; G = 1, instantaneous, where no peak is known).
    d is the dose per GBq of the ``mta_dose`` kind (RBE-weighted by default). The MTA is the minimum over organs;
    its interval comes from the organ dose interval (bootstrap TIAC) at the same G.
    """
    if hd.empty:
        return pd.DataFrame(columns=MTA_COLUMNS)
    limits = load_limits(p["limits_file"]) if limits is None else limits
    lim = {r.organ: r for r in limits.itertuples(index=False)}
    kind = "dose_rbe_weighted_gy_per_gbq" if p["mta_dose"] == "rbe_weighted" else "dose_gy_per_gbq"
    out = []
    for (compound, radionuclide, nuclide, sex, method), grp in hd.groupby(
        ["compound", "radionuclide", "nuclide", "sex", "method"], sort=True
    ):
        keys = grp["organ"].map(canonical_organ)
        t = grp[grp["organ_class"] == "tumour"]
        t_dose = float(t[kind].iloc[0]) if len(t) else float("nan")
        cands = []
        for key, r in zip(keys, grp.itertuples(index=False), strict=True):
            if key not in lim:
                continue
            d = float(getattr(r, kind))
            if not (d > 0 and math.isfinite(d)):
                continue
            base = float(r.dose_gy_per_gbq)
            lo_ratio = float(r.dose_low_gy_per_gbq) / base if base > 0 else float("nan")
            hi_ratio = float(r.dose_high_gy_per_gbq) / base if base > 0 else float("nan")
            L = lim[key]
            flags = []
            if L.limit_kind == "bed":
                lam = float(r.lambda_eff_per_h)
                if not math.isfinite(lam):
                    g = 1.0
                    flags.append("bed_instantaneous_no_kinetics")
                else:
                    g = float(g_factor(lam, L.repair_half_time_h))
                a = activity_at_bed(d, L.limit_gy, L.alpha_beta_gy, g)
                a_hi = activity_at_bed(d * lo_ratio, L.limit_gy, L.alpha_beta_gy, g)
                a_lo = activity_at_bed(d * hi_ratio, L.limit_gy, L.alpha_beta_gy, g)
                bed_at = float(bed(d * a, L.alpha_beta_gy, g))
            else:
                g, lam = float("nan"), float(r.lambda_eff_per_h)
                a, a_hi, a_lo = L.limit_gy / d, L.limit_gy / (d * lo_ratio), L.limit_gy / (d * hi_ratio)
                bed_at = float("nan")
            cands.append(
                {
                    "organ": key,
                    "a": a,
                    "a_lo": a_lo,
                    "a_hi": a_hi,
                    "d": d,
                    "g": g,
                    "lam": lam,
                    "bed": bed_at,
                    "L": L,
                    "flags": flags,
                }
            )
        row = {
            "compound": compound,
            "radionuclide": radionuclide,
            "nuclide": nuclide,
            "sex": sex,
            "method": method,
            "dose_kind": kind.replace("_gy_per_gbq", ""),
            "tumour_dose_gy_per_gbq": t_dose,
            "organs_limited": ",".join(sorted(c["organ"] for c in cands)),
        }
        if not cands:
            row.update({c: np.nan for c in MTA_COLUMNS if c not in row})
            row.update(limiting_organ="", limit_kind="", flags="no_organ_with_limit")
            out.append(row)
            continue
        best = min(sorted(cands, key=lambda c: c["organ"]), key=lambda c: c["a"])
        # the interval is the minimum over organs at each bound
        a_lo = (
            min(c["a_lo"] for c in cands if math.isfinite(c["a_lo"]))
            if any(math.isfinite(c["a_lo"]) for c in cands)
            else float("nan")
        )
        a_hi = (
            min(c["a_hi"] for c in cands if math.isfinite(c["a_hi"]))
            if any(math.isfinite(c["a_hi"]) for c in cands)
            else float("nan")
        )
        L = best["L"]
        if (math.isfinite(a_lo) and a_lo > best["a"] * (1 + 1e-12)) or (
            math.isfinite(a_hi) and a_hi < best["a"] * (1 - 1e-12)
        ):
            best["flags"].append("ci_excludes_estimate")  # a skewed percentile bootstrap interval (pk_tia)
        row.update(
            limiting_organ=best["organ"],
            limit_kind=L.limit_kind,
            limit_gy=L.limit_gy,
            alpha_beta_gy=L.alpha_beta_gy,
            repair_half_time_h=L.repair_half_time_h,
            lambda_eff_per_h=best["lam"],
            g_factor=best["g"],
            limiting_organ_dose_gy_per_gbq=best["d"],
            mta_gbq=best["a"],
            mta_low_gbq=a_lo,
            mta_high_gbq=a_hi,
            dose_at_mta_gy=best["d"] * best["a"],
            bed_at_mta_gy=best["bed"],
            tumour_dose_at_mta_gy=t_dose * best["a"],
            flags=";".join(best["flags"]),
        )
        # exactness: the limiting organ sits at its limit (BED or dose)
        reached = row["bed_at_mta_gy"] if L.limit_kind == "bed" else row["dose_at_mta_gy"]
        if not math.isclose(reached, L.limit_gy, rel_tol=1e-9):
            raise InvariantError(
                f"{compound} {nuclide} ({sex}, {method}): {best['organ']} at the MTA reaches "
                f"{reached!r} Gy, not its {L.limit_kind} limit {L.limit_gy} Gy"
            )
        out.append(row)
    return pd.DataFrame(out)[MTA_COLUMNS]
