"""One curve from data to time-integrated activity: every candidate model fitted (multi-start weighted least
squares), selection by AICc, integration with physical decay, a bootstrap interval and the NCA checks.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Iterable

import numpy as np

from radiovector.errors import InvariantError
from radiovector.nuclides import decay_constant_per_h
from radiovector.pk.curves import PCT_UNITS, Curve
from radiovector.pk.fit import FitResult, correlation, fit_candidates, fit_model, param_cv, select, sigma_for
from radiovector.pk.models import MODELS
from radiovector.pk.nca import nca_tiac


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
