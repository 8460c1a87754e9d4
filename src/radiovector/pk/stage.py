"""The pharmacokinetics stage: biodistribution table in, fits / TIA / curves / rejects tables out.

Entry point: :func:`fit_biodistribution` (called by the Snakemake script and by ``radiovector fit-pk``).
See docs/methods/pharmacokinetics.md for the methods and references.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from radiovector.errors import InputError, InvariantError
from radiovector.io.tables import reject_rows, rejects_frame
from radiovector.nuclides import canonical_name, decay_constant_per_h
from radiovector.pk.fit import FitResult, correlation, fit_candidates, fit_model, param_cv, select, sigma_for
from radiovector.pk.models import MODELS
from radiovector.pk.nca import nca_tiac
from radiovector.settings import resolve
from radiovector.settings.pk import PkSettings
from radiovector.vocab.organs import (
    REFERENCE_BODY_MASS_G,
    REMAINDER,
    canonical_organ,
    is_remainder,
    is_whole_body,
    standard_organ_mass_g,
)
from radiovector.vocab.organs import SOURCE as MASS_SOURCE

#: Config keys (``pk:`` section) and defaults (declared by :class:`radiovector.settings.pk.PkSettings`).
DEFAULTS: dict = PkSettings.defaults()
PCT_UNITS = {"%ID/g": ("h/g", 0.01), "%ID": ("h", 0.01), "Bq/g": ("Bq h/g", 1.0), "Bq": ("Bq h", 1.0)}
_BQ_TO_PCT = {"Bq": "%ID", "Bq/g": "%ID/g"}


def resolve_params(params: dict | None) -> dict:
    """``params`` (the ``pk:`` section) validated over :data:`DEFAULTS` (keys given as None take the default);
    unknown keys and bad values raise :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(PkSettings, params, "pk", drop_none=True)


@dataclass
class Curve:
    """One compound x radionuclide x organ time-activity curve, decay-corrected, group means per time."""

    compound: str
    radionuclide: str
    organ: str
    unit: str
    t: np.ndarray  # h, ascending, distinct
    g: np.ndarray  # decay-corrected mean per time (input unit)
    sd_mean: np.ndarray | None  # SD of the mean per time, decay-corrected (None if any missing)
    animals: list[np.ndarray] | None  # per-animal decay-corrected values per time (bootstrap over animals)
    lam: float  # physical decay constant of the measured nuclide (1/h)
    mass_g: float | None = None  # organ mass used for %ID/g -> %ID (input column or standard table)
    mass_source: str = ""
    body_mass_g: float = REFERENCE_BODY_MASS_G
    flags: tuple[str, ...] = ()  # notes from preparation (e.g. converted_from_bq)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.compound, self.radionuclide, self.organ)


def prepare_curves(accepted: pd.DataFrame, params: dict) -> tuple[list[Curve], pd.DataFrame]:
    """Group validated rows into curves; rows that cannot be used go to a rejects table with the reason."""
    p = params
    df = accepted.copy()
    df["_row"] = df["row_number"] if "row_number" in df else np.arange(1, len(df) + 1)
    for col in ("sd", "n", "animal_id", "injected_activity_bq", "organ_mass_g", "body_mass_g"):
        if col not in df:
            df[col] = None
    rejects: list[pd.DataFrame] = []
    curves: list[Curve] = []

    def bad(rows: pd.DataFrame, column: str, reason: str) -> pd.DataFrame:
        return reject_rows(p["input_name"], p["source"], rows["_row"], column, rows.get(column), reason)

    # Bq and Bq/g with the injected activity known -> %ID and %ID/g (value / injected activity x 100)
    df["_from_bq"] = False
    if len(df):
        ia = pd.to_numeric(df["injected_activity_bq"], errors="coerce")
        bq = df["unit"].isin(list(_BQ_TO_PCT)) & ia.gt(0)
        if bq.any():
            df = df.copy()
            df["value"] = df["value"].astype(float)
            df["sd"] = pd.to_numeric(df["sd"], errors="coerce")
            df.loc[bq, "value"] = df.loc[bq, "value"] / ia[bq] * 100.0
            df.loc[bq, "sd"] = df.loc[bq, "sd"] / ia[bq] * 100.0
            df.loc[bq, "unit"] = df.loc[bq, "unit"].map(_BQ_TO_PCT)
            df.loc[bq, "_from_bq"] = True
    # %ID values above 100 are physically impossible for one organ
    if len(df):
        over = (df["unit"] == "%ID") & (df["value"].astype(float) > 100.0)
        if over.any():
            rejects.append(bad(df[over], "value", "%ID above 100 (more than the injected activity; Bq values "
                                    "are divided by injected_activity_bq)"))
            df = df[~over]
    for key, grp in df.groupby(["compound", "radionuclide", "organ"], sort=True, dropna=False):
        compound, nuclide, organ = (str(k) for k in key)
        grp = grp.sort_values(["time_h", "_row"], kind="stable")
        try:
            canon = canonical_name(nuclide)
            lam = decay_constant_per_h(canon)
        except InputError as exc:
            rejects.append(bad(grp, "radionuclide", f"unknown radionuclide: {exc.message}"))
            continue
        if grp["unit"].nunique() > 1:
            units = sorted(grp["unit"].unique())
            hint = " (Bq rows are converted only where injected_activity_bq is given)" if grp["_from_bq"].any() else ""
            rejects.append(bad(grp, "unit", f"unit mismatch within one curve: {units}{hint}"))
            continue
        if grp["decay_corrected"].astype(bool).nunique() > 1:
            rejects.append(bad(grp, "decay_corrected", "mixed decay_corrected flags within one curve"))
            continue
        unit = str(grp["unit"].iloc[0])
        has_animals = grp["animal_id"].notna().all()
        if not has_animals:
            dup = grp["time_h"].duplicated(keep=False)
            if dup.any():
                rejects.append(bad(
                    grp[dup], "time_h",
                    "duplicate time point without animal_id (add animal_id for per-animal rows)"))
                grp = grp[~dup]
        else:
            dup = grp.duplicated(["time_h", "animal_id"], keep=False)
            if dup.any():
                rejects.append(bad(grp[dup], "animal_id", "same animal twice at one time point"))
                grp = grp[~dup]
        times = np.sort(grp["time_h"].astype(float).unique())
        if len(times) < p["min_points"]:
            rejects.append(bad(
                grp, "time_h",
                f"curve has {len(times)} distinct time point(s); at least {p['min_points']} needed"))
            continue
        corrected = bool(grp["decay_corrected"].iloc[0])
        vals = grp["value"].astype(float).to_numpy()
        tt = grp["time_h"].astype(float).to_numpy()
        factor = np.ones_like(vals) if corrected else np.exp(lam * tt)  # to decay-corrected
        gv = vals * factor
        if has_animals:
            animals = [gv[tt == x] for x in times]
            g = np.array([a.mean() for a in animals])
            sds = [a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else np.nan for a in animals]
            sd_mean = np.array(sds) if np.all(np.isfinite(sds)) and np.all(np.array(sds) > 0) else None
        else:
            animals = None
            g = gv
            sd = grp["sd"].astype(float).to_numpy() * factor
            n = grp["n"].astype(float).to_numpy()
            n = np.where(np.isfinite(n), n, 1.0)
            sd_mean = sd / np.sqrt(n) if np.all(np.isfinite(sd)) and np.all(sd > 0) else None
        body = pd.to_numeric(grp["body_mass_g"], errors="coerce")
        body_mass = float(body.mean()) if body.notna().any() else float(p["body_mass_g"])
        given = pd.to_numeric(grp["organ_mass_g"], errors="coerce")
        if given.notna().any():
            mass, source = float(given.mean()), "input organ_mass_g"
        elif is_whole_body(organ):
            mass, source = body_mass, "body mass"
        elif is_remainder(organ):
            mass, source = None, ""  # body mass - the other organs' masses, filled in below
        else:
            mass = standard_organ_mass_g(organ, body_mass, p["organ_mass_fractions"])
            if mass is not None and canonical_organ(organ) in {canonical_organ(k) for k in p["organ_mass_fractions"]}:
                source = f"pk.organ_mass_fractions x {body_mass:g} g"
            else:
                source = f"{MASS_SOURCE} x {body_mass:g} g" if mass is not None else ""
        flags = ("converted_from_bq",) if grp["_from_bq"].any() else ()
        if unit in ("Bq", "Bq/g"):
            flags += ("no_injected_activity",)
        curves.append(Curve(compound, canon, organ, unit, times, g, sd_mean, animals, lam, mass, source,
                            body_mass, flags))
    _carcass_masses(curves)
    return curves, rejects_frame(pd.concat(rejects, ignore_index=True) if rejects else None)


def _carcass_masses(curves: list[Curve]) -> None:
    """A carcass (remainder) curve without ``organ_mass_g`` gets body mass - the masses of the compound's other
    tissue curves (the same definition as the derived remainder of body); None if that is not positive."""
    for c in curves:
        if c.mass_g is not None or not is_remainder(c.organ):
            continue
        listed = sum(o.mass_g for o in curves if o.compound == c.compound and o.radionuclide == c.radionuclide
                     and o.mass_g is not None and not is_whole_body(o.organ) and not is_remainder(o.organ))
        rest = c.body_mass_g - listed
        if rest > 0:
            c.mass_g, c.mass_source = rest, "body mass - listed organs"


def _seed(base: int, key: Iterable[str]) -> int:
    return (int(base) * 1_000_003 + zlib.crc32("\x1f".join(key).encode())) % (2**32)


def _tia_block(model_name: str, x: np.ndarray, lam: float, t_last: float) -> tuple[float, float]:
    m = MODELS[model_name]
    total = m.integral(x, lam)
    beyond = m.integral(x, lam, t_last)
    return total, (beyond / total if total > 0 else float("nan"))


def fit_curve(curve: Curve, p: dict) -> dict:
    """Fit every candidate model to one curve, select, integrate, bootstrap. Returns row dicts per table."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _fit_curve(curve, p)


def _fit_curve(c: Curve, p: dict) -> dict:
    error_model = p["error_model"]
    if error_model == "auto":
        error_model = "sd" if c.sd_mean is not None else "relative"
    curve_flags = list(c.flags)
    if error_model == "sd" and c.sd_mean is None:
        error_model = "relative"
        curve_flags.append("sd_missing_used_relative")
    sigma = sigma_for(c.g, c.sd_mean, error_model)
    # every candidate model; nested models seed the richer ones; a failing fit is recorded, never dropped
    fits: list[FitResult] = fit_candidates(p["models"], c.t, c.g, sigma, error_model, p["n_starts"],
                                           cv_flag=p["cv_flag"], corr_flag=p["corr_flag"])
    best, weights, criterion = select(fits, p["parsimony_delta"])
    unit_out, scale = PCT_UNITS[c.unit]
    # %ID/g x organ mass -> %ID (fraction of injected activity x 100); %ID is already per organ
    if c.unit == "%ID":
        organ_factor = 1.0
    elif c.unit == "%ID/g" and c.mass_g is not None:
        organ_factor = float(c.mass_g)
    else:
        organ_factor = float("nan")
    nuclides = [(c.radionuclide, c.lam)] + [
        (n, decay_constant_per_h(n)) for n in p["therapy_nuclides"] if n != c.radionuclide]
    t_last = float(c.t[-1])
    base = {"compound": c.compound, "radionuclide": c.radionuclide, "organ": c.organ}
    fit_rows, param_rows = [], []
    for i, f in enumerate(fits):
        m = MODELS[f.model]
        row = base | {
            "model": f.model, "status": f.status, "reason": f.reason, "n_points": f.n, "n_params": f.p,
            "error_model": error_model, "wrss": f.wrss, "aicc": f.aicc, "aic": f.aic,
            "akaike_weight": float(weights[i]), "selected": best == i, "r2_weighted": f.r2,
            "chi2_p": f.chi2_p, "max_abs_correlation": float("nan"), "lambda_eff_min_per_h": float("nan"),
            "tiac": float("nan"), "tiac_se": float("nan"), "extrapolated_fraction": float("nan"),
            "flags": ";".join(f.flags),
        }
        if f.ok:
            cvals, b = m.coefs(f.x)
            lam_eff = b + c.lam
            if np.any(lam_eff < c.lam - 1e-15):  # holds by construction: biological rates are >= 0
                raise InvariantError(
                    f"{c.compound}/{c.radionuclide}/{c.organ}, model {f.model}: effective decay constant "
                    f"{float(lam_eff.min())!r}/h below the physical one {c.lam!r}/h (a negative biological rate)")
            row["lambda_eff_min_per_h"] = float(lam_eff[cvals != 0].min()) if np.any(cvals != 0) else c.lam
            corr = correlation(f)
            if corr is not None and f.p > 1:
                off = np.abs(corr[~np.eye(f.p, dtype=bool)])
                row["max_abs_correlation"] = float(np.nanmax(off)) if np.isfinite(off).any() else float("nan")
            tot, frac = _tia_block(f.model, f.x, c.lam, t_last)
            row["tiac"] = tot * scale
            row["extrapolated_fraction"] = frac
            grad = m.integral_grad(f.x, c.lam)
            if f.cov is not None:
                row["tiac_se"] = float(math.sqrt(max(grad @ f.cov @ grad, 0.0))) * scale
            cv = param_cv(f)
            se = np.sqrt(np.clip(np.diag(f.cov), 0, None)) if f.cov is not None else np.full(f.p, np.nan)
            for k, name in enumerate(m.params):
                unit = c.unit if k in m.amp_idx else "1/h"
                param_rows.append(base | {"model": f.model, "param": name, "value": float(f.x[k]),
                                          "unit": unit, "se": float(se[k]), "cv": float(cv[k])})
            if f.cov is not None:
                cov_b = m.mr @ f.cov @ m.mr.T
                for j in range(m.n_terms):
                    if cvals[j] == 0:
                        continue
                    se_j = math.sqrt(max(cov_b[j, j], 0.0))
                    param_rows.append(base | {"model": f.model, "param": f"lambda_eff_{j + 1}",
                                              "value": float(lam_eff[j]), "unit": "1/h", "se": se_j,
                                              "cv": se_j / lam_eff[j]})
        fit_rows.append(row)

    # bootstrap of the selected model
    boot = None
    ci_flags: list[str] = []
    if best is not None and p["n_bootstrap"] > 0:
        boot, ci_flags = _bootstrap(c, fits[best], sigma, error_model, p)
    alpha = (1 - float(p["ci_level"])) / 2
    tia_rows = []
    for nuc, lam in nuclides:
        nca = nca_tiac(c.t, c.g, lam, p["nca_t0"], p["nca_tail_points"])
        row = base | {"nuclide": nuc, "model": None, "criterion": criterion, "akaike_weight": float("nan"),
                      "tiac": float("nan"), "tiac_unit": unit_out, "tiac_low": float("nan"),
                      "tiac_high": float("nan"), "tiac_model_avg": float("nan"),
                      "tiac_nca": nca["tiac_nca"] * scale, "tiac_nca_phys": nca["tiac_nca_phys"] * scale,
                      "extrapolated_fraction": float("nan"), "max_value": float("nan"),
                      "tau_phys_h": 1 / lam if lam > 0 else float("inf"), "n_points": len(c.t),
                      "last_time_h": t_last, "error_model": error_model, "n_bootstrap": 0, "flags": "",
                      "organ_mass_g": c.mass_g if c.mass_g is not None else float("nan"),
                      "organ_mass_source": c.mass_source, "body_mass_g": c.body_mass_g,
                      "tiac_organ_h": float("nan"), "tiac_organ_low_h": float("nan"),
                      "tiac_organ_high_h": float("nan"), "tiac_organ_nca_h": nca["tiac_nca"] * 0.01 * organ_factor,
                      "max_fraction": float("nan"), "tiac_bound_h": float("nan")}
        flags = list(curve_flags)
        if c.unit == "%ID/g" and c.mass_g is None:
            flags.append("organ_mass_unknown")
        if best is None:
            flags.append("all_fits_failed")
        else:
            f = fits[best]
            tot, frac = _tia_block(f.model, f.x, lam, t_last)
            row.update(model=f.model, akaike_weight=float(weights[best]), tiac=tot * scale,
                       extrapolated_fraction=frac)
            avg = sum(weights[i] * _tia_block(fits[i].model, fits[i].x, lam, t_last)[0]
                      for i in range(len(fits)) if weights[i] > 0)
            row["tiac_model_avg"] = float(avg) * scale
            tgrid = np.linspace(0, max(t_last, 5 / (lam + 1e-12)) if lam > 0 else t_last, 2000)
            gmax = float(np.max(MODELS[f.model].evaluate(f.x, tgrid)))
            row["max_value"] = gmax
            # physical limit: TIAC <= max fraction x tau_phys (exact for g >= 0 with b >= 0)
            if lam > 0 and tot > gmax / lam * (1 + 1e-6):
                flags.append("tiac_exceeds_max_times_tau")
            row["tiac_organ_h"] = tot * 0.01 * organ_factor
            row["max_fraction"] = gmax * 0.01 * organ_factor
            row["tiac_bound_h"] = row["max_fraction"] / lam if lam > 0 else float("inf")
            if row["max_fraction"] > 1.0 + 1e-9:
                flags.append("organ_fraction_above_1")
            if c.unit == "%ID" and gmax > 100.0 * (1 + 1e-9):
                flags.append("fitted_fraction_above_1")
            if criterion != "aicc":
                flags.append(criterion)
            flags += [fl for fl in fits[best].flags if fl != "lambda_eff_at_physical"]
            if frac > p["extrapolation_flag"]:
                flags.append(f"extrapolated_fraction_gt_{p['extrapolation_flag']:g}")
            if nuc != c.radionuclide:
                flags.append("theranostic_extrapolation")
            if boot is not None:
                vals = boot[nuc]
                vals = vals[np.isfinite(vals)]
                if len(vals) >= 10:
                    row["tiac_low"] = float(np.quantile(vals, alpha)) * scale
                    row["tiac_high"] = float(np.quantile(vals, 1 - alpha)) * scale
                    row["n_bootstrap"] = int(len(vals))
                    row["tiac_organ_low_h"] = row["tiac_low"] / scale * 0.01 * organ_factor
                    row["tiac_organ_high_h"] = row["tiac_high"] / scale * 0.01 * organ_factor
                flags += ci_flags
        row["flags"] = ";".join(dict.fromkeys(flags))
        tia_rows.append(row)

    curve_rows = []
    if best is not None:
        f = fits[best]
        tg = np.linspace(0.0, t_last * 1.1, int(p["curve_points"]))
        fit_dc = MODELS[f.model].evaluate(f.x, tg)
        lo = hi = np.full_like(tg, np.nan)
        if boot is not None and len(boot["_x"]):
            curves = np.array([MODELS[f.model].evaluate(x, tg) for x in boot["_x"]])
            lo, hi = np.quantile(curves, [alpha, 1 - alpha], axis=0)
        for k in range(len(tg)):
            curve_rows.append(base | {"model": f.model, "unit": c.unit, "time_h": float(tg[k]),
                                      "fit_decay_corrected": float(fit_dc[k]),
                                      "fit_low": float(lo[k]), "fit_high": float(hi[k]),
                                      "fit_activity": float(fit_dc[k] * math.exp(-c.lam * tg[k]))})
    data_rows = [base | {"unit": c.unit, "time_h": float(c.t[k]), "value_decay_corrected": float(c.g[k]),
                         "sd_mean_decay_corrected": float(c.sd_mean[k]) if c.sd_mean is not None else np.nan,
                         "n_animals": len(c.animals[k]) if c.animals is not None else np.nan,
                         "organ_mass_g": c.mass_g if c.mass_g is not None else np.nan,
                         "value_pct_id_decay_corrected": float(c.g[k]) * organ_factor}
                 for k in range(len(c.t))]
    return {"pk_fits": fit_rows, "pk_params": param_rows, "pk_tia": tia_rows, "pk_curves": curve_rows,
            "pk_points": data_rows}


def _bootstrap(c: Curve, f: FitResult, sigma: np.ndarray, error_model: str, p: dict):
    """Refit the selected model to resampled data; returns TIA (input units x h) per nuclide and the x's."""
    rng = np.random.default_rng(_seed(p["seed"], c.key))
    B = int(p["n_bootstrap"])
    m = MODELS[f.model]
    flags: list[str] = []
    if c.animals is not None and all(len(a) > 1 for a in c.animals):
        idx = [rng.integers(0, len(a), size=(B, len(a))) for a in c.animals]
        ys = np.column_stack([a[i].mean(axis=1) for a, i in zip(c.animals, idx, strict=True)])
        flags.append("ci_bootstrap_animals")
    elif c.sd_mean is not None:
        ys = c.g[None, :] + rng.standard_normal((B, len(c.t))) * c.sd_mean[None, :]
        flags.append("ci_parametric_sd")
    else:
        # Relative (proportional) error model without SD: resample the model's own log residuals
        # ln(y_i / f_i), centred and inflated by sqrt(n / (n - p)) for the fitted parameters (residual
        # bootstrap, Efron & Tibshirani 1993 ch. 9; Davison & Hinkley 1997 sec. 6.2.3), y* = f exp(e*).
        # Replicates stay positive and keep the proportional error structure. (Normal draws with SD
        # s x y_obs truncated at 0, used before, produced zeros whenever s was large - a poor fit - and the
        # refits collapsed towards 0, giving lower bounds of ~1e-9.)
        dof = f.n - f.p
        if dof <= 0:
            return None, ["ci_unavailable_no_dof"]
        fitted = m.evaluate(f.x, c.t)
        if np.all(fitted > 0) and np.all(c.g > 0):
            e = np.log(c.g / fitted)
            e = (e - e.mean()) * math.sqrt(f.n / dof)
            ys = fitted[None, :] * np.exp(e[rng.integers(0, len(e), size=(B, len(e)))])
            flags.append("ci_residual_bootstrap")
        else:  # zero observations: normal draws from the fitted relative-error model (truncated at 0)
            s = math.sqrt(f.wrss / dof)
            ys = fitted[None, :] + rng.standard_normal((B, len(c.t))) * (s * sigma)[None, :]
            flags.append("ci_parametric_residual")
    ys = np.maximum(ys, 0.0)
    nuclides = [(c.radionuclide, c.lam)] + [
        (n, decay_constant_per_h(n)) for n in p["therapy_nuclides"] if n != c.radionuclide]
    out: dict = {n: np.full(B, np.nan) for n, _ in nuclides}
    xs = []
    for b in range(B):
        sig_b = sigma if error_model == "sd" else sigma_for(ys[b], None, "relative")
        r = fit_model(m, c.t, ys[b], sig_b, error_model, x0=f.x)
        if not r.ok:
            continue
        xs.append(r.x)
        for n, lam in nuclides:
            out[n][b] = m.integral(r.x, lam)
    out["_x"] = xs
    return out, flags


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def fit_biodistribution(accepted: pd.DataFrame, params: dict | None = None) -> dict[str, pd.DataFrame]:
    """Fit every compound x radionuclide x organ curve of a validated biodistribution table.

    ``accepted``: the accepted rows of ``load_input(path, "biodistribution")`` (an optional ``row_number``
    column is carried into rejects). ``params``: the ``pk`` config section (see :data:`DEFAULTS`).
    Returns tables pk_fits (one row per curve x model), pk_params (estimates, SE, CV), pk_tia (one row per
    curve x nuclide: selected-model TIAC with bootstrap CI, model average, NCA), pk_curves (fitted curve and
    band), pk_points (decay-corrected data used), pk_sum_check (sum of %ID per time point), rejects.
    Row order is deterministic (sorted keys).
    """
    p = resolve_params(params)
    curves, rejects = prepare_curves(accepted, p)
    if p["n_jobs"] > 1 and len(curves) > 1:
        with ProcessPoolExecutor(max_workers=int(p["n_jobs"])) as ex:
            results = list(ex.map(fit_curve, curves, [p] * len(curves), chunksize=max(1, len(curves) // 64)))
    else:
        results = [fit_curve(c, p) for c in curves]
    tables: dict[str, pd.DataFrame] = {}
    for name in ("pk_fits", "pk_params", "pk_tia", "pk_curves", "pk_points"):
        rows = [r for res in results for r in res[name]]
        tables[name] = pd.DataFrame(rows) if rows else _empty(["compound", "radionuclide", "organ"])
    tables["pk_tia"] = add_remainder_rows(tables["pk_tia"])
    tables["pk_sum_check"] = sum_pct_id_check(tables["pk_points"])
    tia = tables["pk_tia"]
    check = tables["pk_sum_check"]
    if len(check) and (~check["within_limit"]).any():
        keys = set(map(tuple, check.loc[~check["within_limit"], ["compound", "radionuclide"]].to_numpy()))
        hit = [(a, b) in keys for a, b in zip(tia["compound"], tia["radionuclide"], strict=True)]
        tia.loc[hit, "flags"] = [";".join(filter(None, [f, "sum_pct_id_above_limit"]))
                                 for f in tia.loc[hit, "flags"]]
    tables["rejects"] = rejects
    return tables


def sum_pct_id_check(points: pd.DataFrame) -> pd.DataFrame:
    """Sum of organ %ID (decay-corrected) per compound x nuclide x time against the physical limit.

    Organ %ID is the measured %ID, or %ID/g x organ mass (input ``organ_mass_g`` or the standard mouse mass);
    organs without a mass are counted in ``n_organs_without_mass`` and left out of the sum. A carcass (what
    remains after dissection) is part of the body and adds to the sum. Names of the whole body (``whole body``,
    ``body``, ``total``; :func:`radiovector.vocab.organs.is_whole_body`) are not organs: their %ID is reported as
    ``whole_body_pct_id``. The limit is 100 %ID, and the whole-body %ID where it was measured at that time
    (organs cannot hold more than the body); ``within_limit`` is False when the sum exceeds it.
    """
    cols = ["compound", "radionuclide", "time_h", "sum_pct_id", "n_organs", "n_organs_without_mass",
            "whole_body_pct_id", "limit_pct_id", "within_limit"]
    if points.empty or "value_pct_id_decay_corrected" not in points:
        return pd.DataFrame(columns=cols)
    pts = points[points["unit"].isin(["%ID", "%ID/g"])].copy()
    if pts.empty:
        return pd.DataFrame(columns=cols)
    pts["_body"] = pts["organ"].map(is_whole_body)
    organs = pts[~pts["_body"]]
    keys = ["compound", "radionuclide", "time_h"]
    out = (organs.groupby(keys, sort=True)["value_pct_id_decay_corrected"]
           .agg(sum_pct_id="sum", n_organs="count", n_total="size").reset_index())
    out["n_organs_without_mass"] = out.pop("n_total") - out["n_organs"]
    body = pts[pts["_body"] & (pts["unit"] == "%ID")].groupby(keys, sort=True)["value_pct_id_decay_corrected"].max()
    out = out.merge(body.rename("whole_body_pct_id").reset_index(), on=keys, how="left")
    out = out[out["n_organs"] > 0].reset_index(drop=True)
    out["limit_pct_id"] = np.minimum(100.0, out["whole_body_pct_id"].fillna(100.0))
    out["within_limit"] = out["sum_pct_id"] <= out["limit_pct_id"] * (1 + 1e-9)
    return out[cols]


def add_remainder_rows(tia: pd.DataFrame) -> pd.DataFrame:
    """Append one ``remainder of body`` row per compound x radionuclide x nuclide to the TIA table.

    TIAC of the remainder (h, fraction of injected activity) = TIAC of the whole body - sum of the organ TIACs
    (``tiac_organ_h``: %ID curves, and %ID/g curves x organ mass). The whole-body TIAC is the fitted whole-body
    %ID curve where one was measured, else ``tau_phys`` (all injected activity retained, decaying physically:
    the conservative upper bound, flag ``remainder_assumes_no_excretion``). Remainder mass = body mass - sum of
    the organ masses. Organs without a mass are not counted (flag ``organs_without_mass``); a remainder below 0
    (organs hold more than the body) is set to 0 and flagged ``organ_sum_exceeds_whole_body``.

    A measured carcass (or any ``remainder`` name of :mod:`radiovector.vocab.organs`) with an organ TIAC is the
    remainder of body, measured: no derived row is added for that compound x radionuclide x nuclide (it would
    count the carcass twice). A carcass without an organ TIAC (no mass) is one of the organs without a mass.
    """
    if tia.empty or "tiac_organ_h" not in tia:
        return tia
    rows = []
    for (compound, nuclide_m, nuclide), grp in tia.groupby(["compound", "radionuclide", "nuclide"], sort=True):
        whole = grp["organ"].map(is_whole_body)
        body = grp[whole & grp["tiac_unit"].eq("h") & grp["tiac"].notna()]
        organs = grp[~whole]
        known = organs[organs["tiac_organ_h"].notna()]
        if known.empty or known["organ"].map(is_remainder).any():
            continue
        tau = float(grp["tau_phys_h"].iloc[0])
        flags = []
        if len(body):
            total, total_nca = float(body["tiac"].iloc[0]), float(body["tiac_nca"].iloc[0])
            src = "whole-body curve"
        else:
            total = total_nca = tau
            src = "no excretion (tau_phys)"
            flags.append("remainder_assumes_no_excretion")
        missing = sorted(organs.loc[organs["tiac_organ_h"].isna(), "organ"])
        if missing:
            flags.append("organs_without_mass:" + ",".join(missing))
        rem = total - float(known["tiac_organ_h"].sum())
        rem_nca = total_nca - float(known["tiac_organ_nca_h"].sum())
        if rem < 0:
            flags.append("organ_sum_exceeds_whole_body")
        body_mass = float(grp["body_mass_g"].iloc[0])
        rem_mass = body_mass - float(known["organ_mass_g"].fillna(0).sum())
        rows.append({
            "compound": compound, "radionuclide": nuclide_m, "organ": REMAINDER, "nuclide": nuclide,
            "model": "derived", "criterion": src, "tiac": max(rem, 0.0), "tiac_unit": "h",
            "tiac_nca": max(rem_nca, 0.0), "tau_phys_h": tau, "organ_mass_g": rem_mass,
            "organ_mass_source": "body mass - listed organs", "body_mass_g": body_mass,
            "tiac_organ_h": max(rem, 0.0), "tiac_organ_nca_h": max(rem_nca, 0.0), "max_fraction": 1.0,
            "tiac_bound_h": tau, "n_points": 0, "n_bootstrap": 0, "flags": ";".join(flags),
            "error_model": "",
        })
    if not rows:
        return tia
    out = pd.concat([tia, pd.DataFrame(rows)], ignore_index=True)
    return out.sort_values(["compound", "radionuclide", "nuclide", "organ"], kind="stable").reset_index(drop=True)
