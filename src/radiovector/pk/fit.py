"""Weighted least-squares fits of one time-activity curve, model selection by AICc, model averaging.

Fits are done on the decay-corrected (biological) curve ``g(t)``; because each residual and its standard
deviation scale by the same factor ``exp(-lambda_phys t)``, the weighted residuals (and so the estimates) are
identical to a fit of the non-decay-corrected activity with ``lambda_eff = lambda_phys + b``.

Error models
- ``sd``: known standard deviations (SD of the group mean, ``sd / sqrt(n)`` when n is known); chi-square
  likelihood, AICc = chi2 + 2p + 2p(p+1)/(n-p-1) (Burnham & Anderson 2002, Model Selection and Multimodel
  Inference, 2nd ed., Springer, eq. 2.14 with known variance).
- ``relative``: sigma_i proportional to the observed value (floored at 1 % of the maximum), scale unknown;
  AICc = n ln(WRSS/n) + 2K + 2K(K+1)/(n-K-1) with K = p + 1 (Glatting et al., Med Phys 2007;34:4285-4292,
  "Choosing the optimal fit function: comparison of the Akaike information criterion and the F-test";
  Kletting et al., Med Phys 2013;40:102504, NUKFIT).
Akaike weights w_m = exp(-dAICc_m/2) / sum exp(-dAICc/2) (Burnham & Anderson 2002, sec. 2.9).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from radiovector.pk.models import MODELS, Model

REL_FLOOR = 0.01  # sigma floor for the relative model: 1 % of the largest observation


@dataclass
class FitResult:
    """Outcome of fitting one model to one curve (decay-corrected units)."""

    model: str
    status: str  # "ok", "failed", "not_eligible"
    reason: str = ""
    x: np.ndarray | None = None
    cov: np.ndarray | None = None
    n: int = 0
    p: int = 0
    wrss: float = float("nan")
    aicc: float = float("nan")
    aic: float = float("nan")
    r2: float = float("nan")
    chi2_p: float = float("nan")
    flags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def sigma_for(y: np.ndarray, sd: np.ndarray | None, error_model: str) -> np.ndarray:
    """Per-point standard deviations used as weights (1/sigma^2)."""
    if error_model == "sd":
        if sd is None:
            raise ValueError("sigma_for: error_model 'sd' needs the measured standard deviations (sd is None)")
        return np.asarray(sd, float)
    floor = REL_FLOOR * max(float(np.max(y)), 1e-300)
    return np.maximum(np.asarray(y, float), floor)


def _rate_grid(t: np.ndarray, n_rates: int, m: int) -> np.ndarray:
    """Candidate biological rates / increments (1/h): 0 and a geometric grid spanning the sampling window."""
    tpos = t[t > 0]
    t_lo = float(tpos.min()) if tpos.size else 1.0
    t_hi = float(t.max()) if t.max() > 0 else 1.0
    grid = np.concatenate([[0.0], np.geomspace(0.05 / t_hi, 5.0 / t_lo, m)])
    return np.array(list(itertools.product(grid, repeat=n_rates)))


def _vp_seeds(model: Model, rates: np.ndarray, t: np.ndarray, y: np.ndarray,
              w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameter vectors for rows of rate parameters (in ``model.rate_idx`` order), the amplitudes solved by
    weighted linear least squares (clipped at 0), and their weighted residual sums of squares."""
    xs = np.zeros((len(rates), model.n_params))
    xs[:, list(model.rate_idx)] = rates
    # design: for each grid point, columns d g / d amp (g is linear in the amplitudes)
    b = np.einsum("ij,gj->gi", model.mr, xs)
    e = np.exp(-t[None, :, None] * b[:, None, :])  # (grid, n, terms)
    design = e @ model.mc[:, list(model.amp_idx)]  # (grid, n, n_amp)
    dw = design * w[None, :, None]
    yw = y * w
    gram = np.einsum("gni,gnj->gij", dw, dw) + 1e-12 * np.eye(len(model.amp_idx))[None]
    rhs = np.einsum("gni,n->gi", dw, yw)
    try:
        amps = np.linalg.solve(gram, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        amps = np.zeros_like(rhs)
    amps = np.maximum(amps, 0.0)
    resid = np.einsum("gni,gi->gn", dw, amps) - yw[None, :]
    cost = np.einsum("gn,gn->g", resid, resid)
    cost[~np.isfinite(cost)] = np.inf
    xs[:, list(model.amp_idx)] = amps
    return xs, cost


def _distinct_best(xs: np.ndarray, cost: np.ndarray, k: int, picked: list[np.ndarray] | None = None
                   ) -> list[np.ndarray]:
    """Up to ``k`` lowest-cost rows that differ from each other (and from ``picked``) by > 20 % somewhere."""
    prior = list(picked or [])
    out: list[np.ndarray] = []
    for i in np.argsort(cost, kind="stable"):
        if not np.isfinite(cost[i]) or len(out) >= k:
            break
        cand = xs[i]
        if all(np.max(np.abs(cand - q) / (np.abs(q) + 1e-9)) > 0.2 for q in prior + out):
            out.append(cand.copy())
    return out


def _starts(model: Model, t: np.ndarray, y: np.ndarray, w: np.ndarray, n_starts: int,
            extra_rates: np.ndarray | None = None) -> list[np.ndarray]:
    """Multi-start seeds: grid over the rate parameters (plus ``extra_rates`` rows, e.g. from a nested fit),
    amplitudes by weighted linear least squares; the ``n_starts`` best distinct points."""
    nr = len(model.rate_idx)
    m = {1: 12, 2: 8, 3: 5}.get(nr, 4)
    rates = _rate_grid(t, nr, m)
    if extra_rates is not None and len(extra_rates):
        rates = np.vstack([np.asarray(extra_rates, float).reshape(-1, nr), rates])
    if model.name == "uptake2" or model.name == "uptake3":
        ku_col = model.rate_idx.index(model.params.index("ku"))
        rates = rates[rates[:, ku_col] > 0]
    xs, cost = _vp_seeds(model, rates, t, y, w)
    picked = _distinct_best(xs, cost, n_starts)
    return picked or [np.maximum(xs[0], np.array(model.min_lower)) + 1e-3]


#: Nested pairs used for warm starts: the simpler model is a special case of the richer one
#: (bi with A2 = 0 is mono, tri with A3 = 0 is bi, uptake3 with b = 0 is uptake2).
NESTED_IN: dict[str, str] = {"bi": "mono", "tri": "bi", "uptake3": "uptake2"}


def _sum_exp_x(model: Model, amps: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Parameters of a sum-of-exponentials model (mono, bi, tri) from amplitudes and ascending rates."""
    x = np.zeros(model.n_params)
    x[list(model.amp_idx)] = amps
    x[list(model.rate_idx)] = np.diff(np.concatenate([[0.0], rates]))
    return x


def nested_seeds(model: Model | str, simpler: FitResult, t: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Warm starts for ``model`` from the fit of the model nested in it (``NESTED_IN``): ``(exact, rate_rows)``.

    ``exact``: the simpler solution embedded exactly (the extra amplitude 0, or uptake3's washout b = 0). Least
    squares only descends from a start, so a fit from it can never end with a larger WRSS than the nested fit.
    ``rate_rows``: for sums of exponentials, the simpler fit's rates plus one new rate from the multi-start grid
    (above, between or below the fitted ones), as rows of ``model``'s rate parameters; they join the grid of
    :func:`_starts` and compete with it for the ``n_starts`` seeds (no extra optimiser runs).
    """
    model = MODELS[model] if isinstance(model, str) else model
    none = np.zeros((0, len(model.rate_idx)))
    if simpler.x is None or not simpler.ok or NESTED_IN.get(model.name) != simpler.model:
        return None, none
    if model.name == "uptake3":
        a, ku = simpler.x
        return np.array([a, 0.0, ku]), none
    c, b = MODELS[simpler.model].coefs(simpler.x)
    order = np.argsort(b, kind="stable")
    c, b = c[order], b[order]
    exact = _sum_exp_x(model, np.append(c, 0.0), np.append(b, max(float(b[-1]), 1e-6) * 10.0))
    rows = [_sum_exp_x(model, np.zeros(model.n_terms), np.sort(np.append(b, r)))[list(model.rate_idx)]
            for r in _rate_grid(t, 1, 12)[:, 0]]
    return exact, np.array(rows)


def aicc_value(wrss: float, n: int, p: int, error_model: str) -> tuple[float, float]:
    """(AICc, AIC) for a weighted fit; AICc is NaN where n - K - 1 <= 0."""
    if error_model == "sd":
        k = p
        aic = wrss + 2 * k
    else:
        k = p + 1
        aic = n * math.log(max(wrss, 1e-300) / n) + 2 * k
    aicc = aic + 2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else float("nan")
    return aicc, aic


def fit_model(
    model: Model | str,
    t: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    error_model: str = "relative",
    n_starts: int = 3,
    x0: np.ndarray | None = None,
    cv_flag: float = 0.5,
    corr_flag: float = 0.95,
    poor_fit_p: float = 0.01,
    rel_sd_flag: float = 0.25,
    extra_rates: np.ndarray | None = None,
    fallback: np.ndarray | None = None,
    fallback_wrss: float = float("inf"),
) -> FitResult:
    """Fit one model by weighted least squares (scipy ``least_squares`` LM on x = lower + theta^2,
    analytic Jacobian).

    ``t`` in h, ``y`` decay-corrected values, ``sigma`` per-point SD (same units). ``x0`` (e.g. the original
    estimate in a bootstrap) replaces the multi-start grid; ``extra_rates`` join the grid's candidate rate rows;
    ``fallback`` (a start with known WRSS ``fallback_wrss``, e.g. the exact nested embedding of
    :func:`nested_seeds`) is tried only when no start reaches a WRSS below ``fallback_wrss``. Returns estimates,
    covariance and flags: poor fit = chi-square p < ``poor_fit_p`` (known SD) or residual relative SD above
    ``rel_sd_flag`` (relative model).
    """
    model = MODELS[model] if isinstance(model, str) else model
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    n, p = len(t), model.n_params
    res = FitResult(model=model.name, status="ok", n=n, p=p)
    if n < p:
        res.status, res.reason = "not_eligible", f"{n} time points < {p} parameters"
        return res
    w = 1.0 / np.asarray(sigma, float)
    lower = np.array(model.min_lower, float)

    def fun(x):
        return (model.evaluate(x, t) - y) * w

    def jac(x):
        return model.jacobian(x, t) * w[:, None]

    starts = [np.maximum(x0, lower)] if x0 is not None else _starts(model, t, y, w, n_starts, extra_rates)
    # Bounds x >= lower are built into the parameterisation x = lower + theta^2, so the fast unbounded
    # Levenberg-Marquardt (MINPACK) can be used; lambda_eff >= lambda_phys holds for every theta.

    def fun_t(th):
        return fun(lower + th * th)

    def jac_t(th):
        return jac(lower + th * th) * (2.0 * th)[None, :]

    best = None

    def run(s: np.ndarray, th0: np.ndarray | None = None) -> None:
        nonlocal best
        th0 = np.sqrt(np.maximum(s - lower, 0.0)) + 1e-6 if th0 is None else th0
        try:
            with np.errstate(all="ignore"):
                sol = optimize.least_squares(fun_t, th0, jac=jac_t, method="lm", max_nfev=100 * (p + 1))
        except (ValueError, np.linalg.LinAlgError) as exc:  # pragma: no cover - defensive
            res.reason = f"{type(exc).__name__}: {exc}"
            return
        if not np.all(np.isfinite(sol.fun)):
            return
        if best is None or sol.cost < best.cost:
            best = sol

    for s in starts:
        run(s)
    if fallback is not None and (best is None or 2 * best.cost > fallback_wrss * (1 + 1e-9)):
        # the exact embedding: theta of the zero parameter exactly 0 would be a stationary point of LM, so
        # start it at a tiny positive value; its WRSS equals the nested fit's to ~1e-12 relative
        run(np.maximum(np.asarray(fallback, float), lower),
            np.sqrt(np.maximum(np.asarray(fallback, float) - lower, 0.0)) + 1e-9)
    if best is None:
        res.status = "failed"
        res.reason = res.reason or "optimizer returned no finite solution from any start"
        return res
    x = lower + best.x * best.x
    res.x = x
    wrss = float(2 * best.cost)
    res.wrss = wrss
    res.aicc, res.aic = aicc_value(wrss, n, p, error_model)
    yw_mean = np.average(y, weights=w**2)
    ss_tot = float(np.sum(((y - yw_mean) * w) ** 2))
    res.r2 = 1.0 - wrss / ss_tot if ss_tot > 0 else float("nan")
    if not best.success:
        res.flags.append("not_converged")
    # covariance: (J'J)^-1 scaled by s^2 = WRSS/(n-p) for the relative model, by 1 for known SD
    jw = jac(x)
    dof = n - p
    try:
        jtj_inv = np.linalg.pinv(jw.T @ jw)
        scale = 1.0 if error_model == "sd" else (wrss / dof if dof > 0 else float("nan"))
        res.cov = jtj_inv * scale
    except np.linalg.LinAlgError:  # pragma: no cover - pinv rarely fails
        res.cov = np.full((p, p), np.nan)
    if error_model == "sd" and dof > 0:
        res.chi2_p = float(stats.chi2.sf(wrss, dof))
        if res.chi2_p < poor_fit_p:
            res.flags.append("poor_fit_chi2")
    if error_model == "relative" and dof > 0 and math.sqrt(wrss / dof) > rel_sd_flag:
        res.flags.append("poor_fit_residual_cv")
    cv = param_cv(res)
    if dof <= 0:
        res.flags.append("no_residual_dof")
    elif np.any(~np.isfinite(cv)) or np.any(cv > cv_flag):
        res.flags.append("high_cv")
    corr = correlation(res)
    if corr is not None and p > 1:
        off = np.abs(corr[~np.eye(p, dtype=bool)])
        if np.isfinite(off).any() and np.nanmax(off) > corr_flag:
            res.flags.append("high_correlation")
    c, b = model.coefs(x)
    if np.any(b[c != 0] <= 1e-12):
        res.flags.append("lambda_eff_at_physical")
    return res


def fit_candidates(names, t: np.ndarray, y: np.ndarray, sigma: np.ndarray, error_model: str = "relative",
                   n_starts: int = 3, **kwargs) -> list[FitResult]:
    """Fit every candidate model in ``names`` (order kept) to one curve.

    Each model nested in another (``NESTED_IN``) is fitted first and its solution seeds the richer model
    (:func:`nested_seeds`): its rates plus one new rate join the multi-start grid, and if no start reaches the
    nested fit's WRSS the exact embedding is fitted as well, so a richer fit never ends worse than the nested one.
    A fit that raises is recorded as ``failed`` with the reason, never dropped.
    """
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    done: dict[str, FitResult] = {}

    def fit(name: str) -> FitResult:
        if name in done:
            return done[name]
        simpler = NESTED_IN.get(name)
        try:
            extra, fb, fb_wrss = None, None, float("inf")
            if simpler is not None and len(t) >= MODELS[name].n_params:
                nested = fit(simpler)
                fb, extra = nested_seeds(name, nested, t)
                fb_wrss = nested.wrss if fb is not None else float("inf")
            res = fit_model(name, t, y, sigma, error_model, n_starts, extra_rates=extra, fallback=fb,
                            fallback_wrss=fb_wrss, **kwargs)
        except Exception as exc:  # a failing fit is recorded, never dropped
            res = FitResult(model=name, status="failed", reason=f"{type(exc).__name__}: {exc}",
                            n=len(t), p=MODELS[name].n_params)
        done[name] = res
        return res

    for name in names:
        fit(name)
    return [done[name] for name in names]


def param_cv(res: FitResult) -> np.ndarray:
    """Coefficient of variation (SE / |estimate|) of each parameter; inf for zero estimates."""
    if res.x is None or res.cov is None:
        return np.array([])
    se = np.sqrt(np.clip(np.diag(res.cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(res.x) > 0, se / np.abs(res.x), np.inf)


def correlation(res: FitResult) -> np.ndarray | None:
    """Parameter correlation matrix from the covariance (None when unavailable)."""
    if res.cov is None:
        return None
    d = np.sqrt(np.clip(np.diag(res.cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return res.cov / np.outer(d, d)


def akaike_weights(aicc: np.ndarray) -> np.ndarray:
    """Akaike weights from AICc values (NaN entries get weight 0)."""
    aicc = np.asarray(aicc, float)
    out = np.zeros_like(aicc)
    ok = np.isfinite(aicc)
    if ok.any():
        d = aicc[ok] - aicc[ok].min()
        e = np.exp(-0.5 * d)
        out[ok] = e / e.sum()
    return out


def select(results: list[FitResult], parsimony_delta: float = 2.0) -> tuple[int | None, np.ndarray, str]:
    """Index of the selected fit, Akaike weights, and the criterion used.

    AICc among fits where it is defined; if none, plain AIC among fits with residual degrees of freedom
    (flagged ``aic_uncorrected``); if none, the simplest successful fit (``underdetermined``).

    Parsimony rule (``parsimony_delta`` > 0): among the models whose criterion lies within ``parsimony_delta``
    of the minimum, the one with the fewest parameters is selected (ties: lower criterion, then the earlier,
    simpler model in :data:`MODELS` order). Models within 2 AICc units of the best have substantial support,
    and an extra parameter that does not lower AICc by more than 2 is "uninformative" (Burnham & Anderson 2002,
    sec. 2.6 and p. 131; Arnold TW, J Wildl Manage 2010;74:1175-1178). ``parsimony_delta=0`` gives the plain
    minimum-AICc choice. Akaike weights (and so model averaging) are unaffected by the rule.
    """
    aicc = np.array([r.aicc if r.ok else np.nan for r in results])
    if np.isfinite(aicc).any():
        return _pick(results, aicc, parsimony_delta), akaike_weights(aicc), "aicc"
    aic = np.array([r.aic if (r.ok and r.n > r.p) else np.nan for r in results])
    if np.isfinite(aic).any():
        return _pick(results, aic, parsimony_delta), akaike_weights(aic), "aic_uncorrected"
    for i, r in enumerate(results):
        if r.ok:
            w = np.zeros(len(results))
            w[i] = 1.0
            return i, w, "underdetermined"
    return None, np.zeros(len(results)), "none"


def _pick(results: list[FitResult], crit: np.ndarray, delta: float) -> int:
    """Minimum criterion, or with ``delta`` > 0 the fewest-parameter model within ``delta`` of the minimum."""
    best = int(np.nanargmin(crit))
    if not delta > 0:
        return best
    near = [i for i in range(len(results)) if np.isfinite(crit[i]) and crit[i] - crit[best] < delta]
    return min(near, key=lambda i: (results[i].p, crit[i], i))
