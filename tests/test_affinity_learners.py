"""Affinity learners: kernels against RDKit, MinMax kernel properties, nested CV that never sees the test fold,
conformal coverage on synthetic data with known noise, intervals that widen away from the training set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from scipy import sparse

from radiovector.candidates import learners as L
from radiovector.candidates.affinity import featurise

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES = ROOT / "resources" / "example" / "affinity_CHEMBL4203.csv"


@pytest.fixture(scope="module")
def example_mols():
    frame = pd.read_csv(ACTIVITIES).iloc[:120]
    return [Chem.MolFromSmiles(s) for s in frame["smiles"]] + [Chem.MolFromSmiles("[H][H]")]  # last: no bits


def test_tanimoto_kernel_equals_rdkit_bulk_tanimoto(example_mols):
    x, bits = featurise(example_mols)
    k = L.kernel(x[:40], x, "tanimoto")
    for i in range(40):
        assert np.array_equal(k[i], np.array(DataStructs.BulkTanimotoSimilarity(bits[i], bits)))


def _brute_minmax(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty((len(a), len(b)))
    for i, u in enumerate(a):
        for j, v in enumerate(b):
            den = np.maximum(u, v).sum()
            out[i, j] = np.minimum(u, v).sum() / den if den else 1.0
    return out


def test_minmax_kernel_properties(example_mols):
    rng = np.random.default_rng(3)
    a = rng.poisson(0.4, size=(30, 64)) * (rng.random((30, 64)) < 0.5)
    a[0] = 0  # an empty fingerprint
    k = L.kernel(a, a, "minmax")
    assert np.allclose(k, _brute_minmax(a, a))
    assert np.allclose(k, k.T) and np.allclose(np.diag(k), 1.0) and k.min() >= 0 and k.max() <= 1
    assert np.linalg.eigvalsh(k).min() > -1e-9  # positive semi-definite (a valid GP/SVR kernel)
    # on 0/1 vectors MinMax is Tanimoto; it depends on the counts, Tanimoto only on the bits
    b = (a > 0).astype(int)
    assert np.allclose(L.kernel(b, b, "minmax"), L.kernel(a, a, "tanimoto"))
    x, _ = featurise(example_mols)
    km = L.kernel(x[:25], x[:25], "minmax")
    assert np.allclose(km, _brute_minmax(x[:25].astype(int), x[:25].astype(int)))
    # blocks give the same result as one product
    assert np.array_equal(L.kernel(x, x[:25], "minmax", block=7), L.kernel(x, x[:25], "minmax"))


def _synthetic(n: int, rng, noise: float, weights: np.ndarray):
    """Sparse count 'fingerprints' and y = linear signal + Gaussian noise of known sd."""
    counts = rng.poisson(0.08, size=(n, 256)).astype(np.uint8)
    y = 6.0 + counts @ weights + rng.normal(0, noise, n)
    return sparse.csr_matrix(counts), y


def test_conformal_coverage_on_synthetic_data_with_known_noise():
    rng = np.random.default_rng(0)
    noise = 0.5
    weights = np.zeros(256)
    weights[:40] = rng.normal(0, 1.0, 40)
    train_x, train_y = _synthetic(500, rng, noise, weights)
    test_x, test_y = _synthetic(1500, rng, noise, weights)
    data = L.TrainData(train_x, train_y, np.arange(500))
    specs = {"gp_minmax": L.learner_specs()["gp_minmax"]}
    run = L.nested_cv(data, specs, "random", n_outer=5, n_inner=3, seed=0)
    oof = run["learners"]["gp_minmax"]["oof"]
    cal = L.Calibration.from_oof(train_y, oof, run["difficulty"])
    est, _, _ = L.fit_learner(specs["gp_minmax"], data, np.arange(500), "random", 3, 0)
    pred = est.predict(L.kernel(test_x, train_x, "minmax"))
    diff = L.difficulty(L.kernel(test_x, train_x, "tanimoto"))
    for level in (0.8, 0.9):
        lo, hi = cal.interval(pred, diff, level)
        cover = np.mean((test_y >= lo) & (test_y <= hi))
        assert abs(cover - level) < 0.05, (level, cover)
    # a 90 % interval cannot be narrower than the noise alone allows (+-1.645 sd)
    lo, hi = cal.interval(pred, diff, 0.9)
    assert np.mean(hi - lo) > 2 * 1.645 * noise * 0.9
    check = L.cross_conformal_check(train_y, oof, run["difficulty"], run["fold"])
    assert abs(check["0.9"]["coverage"] - 0.9) < 0.05


def test_conformal_quantile_is_the_finite_sample_rank():
    scores = np.arange(1, 10, dtype=float)  # n = 9
    assert L.conformal_quantile(scores, 0.8) == 8.0  # ceil(10 * 0.8) = 8th smallest
    assert L.conformal_quantile(scores, 0.95) == np.inf  # ceil(10 * 0.95) = 10 > n


def test_intervals_widen_away_from_training_data(example_mols):
    x, _ = featurise(example_mols[:100])
    cal = L.Calibration(np.linspace(0, 2, 99), d_scale=0.5)
    near = L.difficulty(L.kernel(x[:10], x, "tanimoto"))
    far_mol = Chem.MolFromSmiles("OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1")  # DOTA
    far = L.difficulty(L.kernel(featurise([far_mol])[0], x, "tanimoto"))
    lo_n, hi_n = cal.interval(np.zeros(10), near, 0.9)
    lo_f, hi_f = cal.interval(np.zeros(1), far, 0.9)
    assert (hi_f - lo_f).min() > (hi_n - lo_n).max()


@pytest.mark.parametrize("split", ["scaffold", "random"])
def test_nested_cv_never_sees_the_outer_test_fold(example_mols, split):
    x, _ = featurise(example_mols[:90])
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 25, 90)
    data = L.TrainData(L.as_counts(x), rng.normal(7, 1, 90), groups)
    calls = []
    specs = {n: s for n, s in L.learner_specs(n_estimators=5).items() if n in ("knn", "svr_tanimoto", "gp_minmax",
                                                                               "rf")}

    def probe(name, what, tr, te):
        calls.append((name, what, set(tr), set(() if te is None else te)))

    run = L.nested_cv(data, specs, split, n_outer=4, n_inner=3, seed=0, probe=probe)
    seen, n_outer = set(), 0
    pending = []
    for name, what, tr, te in calls:
        if what != "outer_test":
            pending.append((name, what, tr, te))
            continue
        n_outer += 1
        assert tr.isdisjoint(te) and te
        if split == "scaffold":
            assert set(groups[list(tr)]).isdisjoint(groups[list(te)])  # whole scaffold groups held out
        for p_name, p_what, p_tr, p_va in pending:
            assert p_name == name
            assert p_tr <= tr and p_va <= tr, f"{name} {p_what} touched the outer test fold"
            assert p_tr.isdisjoint(p_va)
        assert any(w == "inner" for _, w, _, _ in pending) or len(specs[name].grid) == 1
        pending = []
        seen |= te
    assert n_outer == 4 * len(specs) and seen == set(range(90))
    assert all(np.isfinite(r["oof"]).all() for r in run["learners"].values())


def test_knn_is_similarity_weighted_mean_of_nearest():
    k = np.array([[0.9, 0.1, 0.5, 0.0]])
    y = np.array([1.0, 5.0, 3.0, 100.0])
    pred = L.KNN(k=2).fit(None, y).predict(k)
    assert pred[0] == pytest.approx((0.9 * 1 + 0.5 * 3) / 1.4)


def test_ensemble_is_the_mean_of_its_members(example_mols):
    x, _ = featurise(example_mols[:60])
    rng = np.random.default_rng(2)
    data = L.TrainData(L.as_counts(x), rng.normal(7, 1, 60), np.arange(60) % 12)
    specs = L.learner_specs()
    train = np.arange(45)
    ens, params, kind = L.fit_final(L.ENSEMBLE, specs, data, train, "scaffold", 3, 0)
    assert kind == L.ENSEMBLE and set(params) == set(L.ENSEMBLE_MEMBERS)
    test = data.counts[45:]
    feats = {k: L.kernel(test, data.counts[train], k) for k in L.KERNELS}
    members = []
    for name in L.ENSEMBLE_MEMBERS:
        est, _, _ = L.fit_learner(specs[name], data, train, "scaffold", 3, 0)
        members.append(est.predict(feats[specs[name].kernel]))
    assert np.allclose(ens.predict_with(feats.get), np.mean(members, axis=0))
    run = L.nested_cv(data, {n: specs[n] for n in L.ENSEMBLE_MEMBERS}, "random", 3, 2, 0, ensemble=True)
    oof = np.mean([run["learners"][n]["oof"] for n in L.ENSEMBLE_MEMBERS], axis=0)
    assert np.allclose(run["learners"][L.ENSEMBLE]["oof"], oof)


def test_stack_weights_recover_a_known_mixture_and_never_see_the_fold_they_predict():
    # y is exactly 0.7 a + 0.3 b; c is noise: NNLS (Breiman 1996) gives those weights, summing to 1
    rng = np.random.default_rng(4)
    a, b, c = rng.normal(7, 1, (3, 200))
    w = L.stack_weights(0.7 * a + 0.3 * b, {"a": a, "b": b, "c": c})
    assert w["a"] == pytest.approx(0.7, abs=1e-9) and w["b"] == pytest.approx(0.3, abs=1e-9)
    assert w["c"] == pytest.approx(0.0, abs=1e-9) and sum(w.values()) == pytest.approx(1.0)
    # out-of-fold: changing fold 0's labels must not change fold 0's stacked predictions
    y = 0.5 * a + 0.5 * b + rng.normal(0, 0.1, 200)
    fold = np.arange(200) % 4
    oof, per_fold = L.stacked_oof(y, {"a": a, "b": b, "c": c}, fold)
    y2 = y.copy()
    y2[fold == 0] += rng.normal(0, 5, (fold == 0).sum())
    oof2, per_fold2 = L.stacked_oof(y2, {"a": a, "b": b, "c": c}, fold)
    assert np.array_equal(oof[fold == 0], oof2[fold == 0]) and per_fold[0] == per_fold2[0]
    assert not np.array_equal(oof[fold == 1], oof2[fold == 1])


def test_an_ensemble_pickled_before_weights_existed_is_a_plain_mean():
    import pickle

    one, four = (L.KNN(k=1).fit(None, np.array([v])) for v in (1.0, 4.0))  # predict v for any similarity > 0
    old = L.Ensemble([("tanimoto", one), ("tanimoto", four)], weights=[0.9, 0.1])
    del old.__dict__["weights"]  # the state an ensemble saved by the previous version has
    back = pickle.loads(pickle.dumps(old))
    assert np.allclose(back.predict_with(lambda kind: np.ones((3, 1))), 2.5)


def test_stack_is_the_weighted_mean_of_its_fitted_members(example_mols):
    x, _ = featurise(example_mols[:60])
    rng = np.random.default_rng(3)
    data = L.TrainData(L.as_counts(x), rng.normal(7, 1, 60), np.arange(60) % 12)
    specs = {n: s for n, s in L.learner_specs().items() if n in ("knn", "svr_tanimoto", "gp_minmax")}
    train = np.arange(45)
    weights = {"knn": 0.0, "svr_tanimoto": 0.25, "gp_minmax": 0.75}
    fitted = {}
    stack, params, kind = L.fit_final(L.STACK, specs, data, train, "random", 2, 0, weights=weights, fitted=fitted)
    assert kind == L.STACK and set(params) == {"svr_tanimoto", "gp_minmax"}  # a zero weight is not fitted
    assert set(fitted) == {"svr_tanimoto", "gp_minmax"}
    test = data.counts[45:]
    feats = {k: L.kernel(test, data.counts[train], k) for k in L.KERNELS}
    expect = 0.25 * fitted["svr_tanimoto"][0].predict(feats["tanimoto"]) + 0.75 * fitted["gp_minmax"][0].predict(
        feats["minmax"])
    assert np.allclose(stack.predict_with(feats.get), expect)
    run = L.nested_cv(data, specs, "random", 3, 2, 0, stack=True)
    oof, _ = L.stacked_oof(data.y, {n: run["learners"][n]["oof"] for n in specs}, run["fold"])
    assert np.allclose(run["learners"][L.STACK]["oof"], oof) and np.isfinite(oof).all()


def test_model_minmax_from_shared_bits_equals_the_kernel(example_mols):
    from radiovector.candidates.affinity import AffinityModel, count_matrix

    counts = count_matrix(example_mols)
    train, query = counts[:80], counts[80:]
    gp = L.GP(0.1).fit(L.kernel(train, train, "minmax"), np.linspace(5, 9, 80))
    model = AffinityModel(gp, None, "pki", calibration=L.Calibration(np.linspace(0, 2, 79), 0.5),
                          train_counts=train, learner_kernel="minmax")
    k_tan, feats = model._kernels(query)
    assert np.array_equal(k_tan, L.kernel(query, train, "tanimoto"))
    assert np.allclose(feats("minmax"), L.kernel(query, train, "minmax"), rtol=0, atol=1e-12)
    assert np.allclose(model.predict_counts(query)["paffinity_pred"], gp.predict(L.kernel(query, train, "minmax")))
