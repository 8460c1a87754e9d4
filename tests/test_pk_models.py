"""PK models and fits: analytic integrals, parameter recovery, lambda_eff >= lambda_phys, AICc selection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from radiovector.nuclides import decay_constant_per_h
from radiovector.pk import MODELS, akaike_weights, fit_model, nca_tiac, select
from radiovector.pk.fit import aicc_value, fit_candidates, sigma_for

LAM_LU = decay_constant_per_h("Lu-177")
T = np.array([0.5, 1, 2, 4, 8, 24, 48, 72, 96, 144, 168.0])
TRUE = {
    "mono": [10.0, 0.05],
    "uptake2": [20.0, 0.3],
    "uptake3": [20.0, 0.02, 0.5],
    "bi": [5.0, 0.01, 10.0, 0.3],
    "tri": [2.0, 0.003, 5.0, 0.05, 10.0, 1.0],
}


@pytest.mark.parametrize("name", list(MODELS))
def test_closed_form_integral_matches_quadrature(name):
    m = MODELS[name]
    x = np.array(TRUE[name])
    exact = m.integral(x, LAM_LU)
    num, _ = integrate.quad(lambda t: float(m.evaluate(x, np.array([t]), LAM_LU)[0]), 0, np.inf, limit=500)
    assert exact == pytest.approx(num, rel=1e-6)
    tail = m.integral(x, LAM_LU, 50.0)
    num_tail, _ = integrate.quad(lambda t: float(m.evaluate(x, np.array([t]), LAM_LU)[0]), 50, np.inf)
    assert tail == pytest.approx(num_tail, rel=1e-6)


def test_mono_integral_analytic():
    # A / (b + lambda): integral of A exp(-(b+lambda) t) from 0 to infinity
    m = MODELS["mono"]
    assert m.integral(np.array([3.0, 0.1]), LAM_LU) == pytest.approx(3.0 / (0.1 + LAM_LU), rel=1e-12)


@pytest.mark.parametrize("name", list(MODELS))
def test_recovers_parameters_and_tia_from_noise_free_data(name):
    m = MODELS[name]
    x = np.array(TRUE[name])
    y = m.evaluate(x, T)
    r = fit_model(m, T, y, sigma_for(y, None, "relative"), "relative", n_starts=3)
    assert r.ok
    # issue 6 validation: TIA of analytic curves within 0.1 %
    assert m.integral(r.x, LAM_LU) == pytest.approx(m.integral(x, LAM_LU), rel=1e-3)
    np.testing.assert_allclose(r.x, x, rtol=1e-3, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0.1, 100), b=st.floats(0.0, 1.0), noise=st.lists(st.floats(-0.3, 0.3), min_size=6, max_size=6),
    name=st.sampled_from(list(MODELS)),
)
def test_lambda_eff_never_below_physical(a, b, noise, name):
    t = np.array([1, 4, 24, 48, 96, 168.0])
    y = a * np.exp(-b * t) * (1 + np.array(noise))
    r = fit_model(name, t, y, sigma_for(y, None, "relative"), "relative", n_starts=1)
    if r.ok:
        c, rates = MODELS[name].coefs(r.x)
        assert np.all(rates >= 0)  # lambda_eff = lambda_phys + rate >= lambda_phys
        assert np.all(r.x >= np.array(MODELS[name].min_lower) - 1e-12)
        tia = MODELS[name].integral(r.x, LAM_LU)
        gmax = float(np.max(MODELS[name].evaluate(r.x, np.linspace(0, 2000, 20001))))
        assert tia <= gmax / LAM_LU * (1 + 1e-6)  # TIAC <= max fraction x tau_physical


def test_akaike_weights_sum_to_one_and_order():
    w = akaike_weights(np.array([10.0, 12.0, np.nan, 20.0]))
    assert w.sum() == pytest.approx(1.0)
    assert w[2] == 0 and w[0] > w[1] > w[3]
    assert w[0] / w[1] == pytest.approx(math.exp(1.0))


def test_aicc_undefined_when_too_few_points():
    assert math.isnan(aicc_value(1.0, 5, 3, "relative")[0])  # K = 4, n - K - 1 = 0
    assert math.isfinite(aicc_value(1.0, 5, 2, "relative")[0])
    assert math.isfinite(aicc_value(1.0, 5, 3, "sd")[0])


def test_not_eligible_when_fewer_points_than_parameters():
    t = np.array([1.0, 24.0, 48.0])
    y = np.array([10.0, 5.0, 2.0])
    r = fit_model("tri", t, y, sigma_for(y, None, "relative"))
    assert r.status == "not_eligible" and "parameters" in r.reason


# the selection study of bench/bench_pk.py (same generating curves, designs, seed and replicates)
SEL_GEN = {"mono": [10.0, 0.05], "uptake2": [20.0, 0.3], "uptake3": [20.0, 0.02, 0.5],
           "bi": [5.0, 0.01, 20.0, 0.5], "tri": [2.0, 0.003, 5.0, 0.05, 10.0, 1.0]}
SEL_DESIGNS = {
    "original": np.array([0.25, 0.5, 1, 2, 4, 8, 12, 24, 48, 72, 96, 120, 168.0]),
    "imaging": np.array([5 / 60, 10 / 60, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8, 12, 24, 48, 72, 96, 120, 144, 168.0]),
}


def selection_rates(noise: float, reps: int, seed: int, design: str, models, parsimony_delta: float = 2.0
                    ) -> dict[str, float]:
    """Share of noisy replicates (proportional normal noise) for which the generating model is selected,
    every candidate model fitted (the same design as bench/bench_pk.py)."""
    rng = np.random.default_rng(seed)
    t = SEL_DESIGNS[design]
    out = {}
    for name in models:
        y0 = MODELS[name].evaluate(np.array(SEL_GEN[name]), t)
        hits = 0
        for _ in range(reps):
            y = np.maximum(y0 * (1 + noise * rng.standard_normal(len(t))), 1e-6)
            fits = fit_candidates(list(MODELS), t, y, sigma_for(y, None, "relative"), "relative", n_starts=2)
            best, _, _ = select(fits, parsimony_delta)
            hits += fits[best].model == name
        out[name] = hits / reps
    return out


def test_selection_picks_generating_model_at_10pct_noise():
    # issue 6: >= 90 % per model at 10 % noise over 200 seeded replicates, original 13-point design.
    # The tri-exponential is not asserted here: 45 % on this design (docs/methods/pharmacokinetics.md, Validation:
    # a bi-exponential absorbs its two faster phases within the noise and AICc charges tri 17.8 units more).
    rates = selection_rates(0.10, reps=200, seed=3, design="original", models=["mono", "uptake2", "uptake3", "bi"])
    assert all(v >= 0.90 for v in rates.values()), rates


def test_selection_on_imaging_design_all_models():
    # 18-point design with dense early (dynamic imaging) sampling, where all three phases are identifiable
    rates = selection_rates(0.10, reps=200, seed=3, design="imaging", models=list(SEL_GEN))
    assert all(v >= 0.90 for v in rates.values()), rates


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), noise=st.floats(0.02, 0.3), name=st.sampled_from(["mono", "bi", "tri"]))
def test_richer_fit_never_worse_than_nested(seed, noise, name):
    # tri contains bi (A3 = 0), bi contains mono (A2 = 0), uptake3 contains uptake2 (b = 0): at the optimum the
    # richer model's WRSS can never exceed the nested one's (nested warm starts guarantee it)
    t = SEL_DESIGNS["original"]
    rng = np.random.default_rng(seed)
    y = np.maximum(MODELS[name].evaluate(np.array(SEL_GEN[name]), t) * (1 + noise * rng.standard_normal(len(t))),
                   1e-6)
    fits = {f.model: f for f in fit_candidates(list(MODELS), t, y, sigma_for(y, None, "relative"), n_starts=2)}
    assert all(f.ok for f in fits.values())
    for rich, nested in (("bi", "mono"), ("tri", "bi"), ("uptake3", "uptake2")):
        assert fits[rich].wrss <= fits[nested].wrss * (1 + 1e-6) + 1e-12, (rich, nested)


def test_parsimony_rule_prefers_fewer_parameters_within_delta():
    from radiovector.pk.fit import FitResult

    fits = [FitResult("mono", "ok", n=10, p=2, aicc=11.5), FitResult("bi", "ok", n=10, p=4, aicc=10.0),
            FitResult("tri", "ok", n=10, p=6, aicc=5.0)]
    best, w, crit = select(fits, 0.0)
    assert best == 2 and crit == "aicc"
    fits[2].aicc = 20.0
    assert select(fits, 0.0)[0] == 1  # plain minimum AICc
    best, w2, _ = select(fits, 2.0)  # bi is only 1.5 better than mono: its two extra parameters are not supported
    assert best == 0
    np.testing.assert_allclose(w, akaike_weights(np.array([11.5, 10.0, 5.0])))
    np.testing.assert_allclose(w2, akaike_weights(np.array([11.5, 10.0, 20.0])))  # weights unchanged by the rule
    fits[1].aicc = 9.0  # now 2.5 better: bi is selected
    assert select(fits, 2.0)[0] == 1


def test_nca_exact_for_linear_and_tails():
    t = np.array([1.0, 2.0, 3.0])
    g = np.array([2.0, 2.0, 2.0])
    lam = 0.0
    out = nca_tiac(t, g, 1e-9, t0="first")
    assert out["auc_data"] == pytest.approx(6.0, rel=1e-6)
    out0 = nca_tiac(t, g, lam + 1e-9, t0="zero")
    assert out0["auc_data"] == pytest.approx(5.0, rel=1e-6)
    # physical-only tail is the conservative (largest) bound
    t = np.array([1.0, 24.0, 48.0, 96.0])
    g = 10 * np.exp(-0.03 * t)
    res = nca_tiac(t, g, LAM_LU)
    assert res["tiac_nca_phys"] >= res["tiac_nca"]
    assert res["lambda_z_per_h"] == pytest.approx(0.03 + LAM_LU, rel=1e-6)
