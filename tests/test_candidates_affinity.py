"""Affinity model: training with random/scaffold CV, persistence, prediction with applicability domain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiovector.candidates.affinity import AffinityModel, metadata_path, train_affinity
from radiovector.candidates.stage import score_candidates
from radiovector.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES = ROOT / "resources" / "example" / "affinity_CHEMBL4203.csv"


@pytest.fixture(scope="module")
def small_set() -> pd.DataFrame:
    return pd.read_csv(ACTIVITIES).iloc[:240]


@pytest.fixture(scope="module")
def trained(small_set, tmp_path_factory):
    model, rejects = train_affinity(small_set, "affinity_CHEMBL4203.csv", seed=1, n_folds=3, n_estimators=25)
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    model.save(path)
    return model, rejects, path


def test_example_affinity_is_pki_from_moleculeace():
    # MoleculeACE y = -log10(Ki/nM); first CHEMBL4203 row has Ki = 9.49 nM in the source -> pKi = 8.02 (9 + y)
    raw = pd.read_csv(ROOT.parent / "shared" / "data" / "bioactivity" / "moleculeace_CHEMBL4203_Ki.csv.gz") \
        if (ROOT.parent / "shared" / "data" / "bioactivity").is_dir() else None
    ours = pd.read_csv(ACTIVITIES)
    assert ours["pki"].between(3, 12).all()
    if raw is not None:
        assert np.allclose(ours["pki"], 9 - np.log10(raw["exp_mean [nM]"]), atol=1e-3)


def test_metadata_explains_the_choice(trained):
    model, rejects, path = trained
    meta = json.loads(metadata_path(path).read_text())
    assert meta["value_column"] == "pki" and meta["n_train"] == 240 and len(rejects) == 0
    sel = meta["selection"]
    assert sel["split"] == "scaffold" and set(meta["cv"]) == {"scaffold", "random"}
    learners = {"knn", "rf", "svr_tanimoto", "svr_minmax", "gp_tanimoto", "gp_minmax", "ensemble", "stack"}
    for split in ("random", "scaffold"):
        assert set(meta["cv"][split]["learners"]) == learners
        for who in ("model", "knn_baseline"):
            m = meta["cv"][split][who]
            assert m["n"] == 240 and m["rmse"] > 0 and np.isfinite(m["r2"])
        for m in meta["cv"][split]["learners"].values():
            assert len(m["params_per_fold"]) == meta["cv"][split]["folds"]
        assert 0 < meta["cv"][split]["interval_check"]["0.9"]["coverage"] <= 1
    scaffold = meta["cv"]["scaffold"]["learners"]
    assert sel["selected"] == min(scaffold, key=lambda n: scaffold[n]["rmse"])  # chosen by the evidence
    assert meta["estimator"]["type"] == sel["selected"]
    assert meta["calibration"]["n"] == 240 and meta["calibration"]["q90"] > 0
    weights = meta["learners"]["stack"]["weights"]  # the stack's weights are stored and form a weighted mean
    assert set(weights) == learners - {"ensemble", "stack"} and sum(weights.values()) == pytest.approx(1.0)
    assert min(weights.values()) >= 0


def test_a_stack_of_one_learner_is_refused(small_set):
    with pytest.raises(InputError, match="combines at least two other learners"):
        train_affinity(small_set.iloc[:60], "x.csv", learners=("knn", "stack"), other_split=False)


def test_cliff_rmse_reported_when_the_data_flag_cliffs(small_set):
    frame = small_set.iloc[:60].copy()
    frame["cliff_mol"] = [1, 0, 0] * 20
    model, _ = train_affinity(frame, "x.csv", n_folds=3, learners=("knn", "gp_tanimoto"), other_split=False)
    m = model.metadata["cv"]["scaffold"]["learners"]["knn"]
    assert m["n_cliff"] == 20 and m["rmse_cliff"] > 0
    assert list(model.metadata["cv"]) == ["scaffold"]


def test_save_load_roundtrip_predicts_the_same(trained, small_set):
    model, _, path = trained
    loaded = AffinityModel.load(path)
    from radiovector.candidates.standardise import standardise_smiles

    mols = [standardise_smiles(s).mol for s in small_set["smiles"].iloc[:5]]
    a, b = model.predict_mols(mols), loaded.predict_mols(mols)
    pd.testing.assert_frame_equal(a, b)
    assert b["in_domain"].all()  # training molecules are trivially in domain (Tanimoto 1)
    assert (b["ad_max_tanimoto"] == 1.0).all()
    assert (b["paffinity_low"] < b["paffinity_pred"]).all() and (b["paffinity_pred"] < b["paffinity_high"]).all()
    c = loaded.predict_mols(mols, interval=0.8)
    assert ((c["paffinity_high"] - c["paffinity_low"]) <= (b["paffinity_high"] - b["paffinity_low"])).all()
    assert loaded.metadata == model.metadata and loaded.learner_kernel == model.learner_kernel


def test_bare_estimator_models_still_predict_without_intervals(small_set):
    from radiovector.candidates.affinity import featurise, make_estimator
    from radiovector.candidates.standardise import standardise_smiles

    mols = [standardise_smiles(s).mol for s in small_set["smiles"].iloc[:40]]
    x, bits = featurise(mols)
    model = AffinityModel(make_estimator(0, 1, n_estimators=5).fit(x, small_set["pki"].iloc[:40]), bits, "pki")
    out = model.predict_mols(mols[:3])
    assert out["paffinity_low"].isna().all() and out["in_domain"].all() and (out["ad_max_tanimoto"] == 1).all()


def test_scoring_with_model_adds_prediction_and_domain(trained):
    model, _, _ = trained
    frame = pd.read_csv(ROOT / "resources" / "example" / "candidates.csv")
    cand = score_candidates(frame, {"nuclides": ["Lu-177"]}, model=model)["candidates"]
    assert cand["paffinity_pred"].notna().all()
    assert (cand["paffinity_low"] < cand["paffinity_pred"]).all()
    assert (cand["paffinity_high"] > cand["paffinity_pred"]).all()
    narrow = score_candidates(frame, {"nuclides": ["Lu-177"], "interval": 0.8}, model=model)["candidates"]
    width = cand["paffinity_high"] - cand["paffinity_low"]
    assert ((narrow["paffinity_high"] - narrow["paffinity_low"]) < width).all()
    assert not cand["in_domain"].any()  # radioligands are far from kinase inhibitors: flagged out of domain
    assert cand["reason"].str.contains("OUT of domain").all()


def test_value_column_errors_name_the_file():
    frame = pd.DataFrame({"smiles": ["CCO"] * 12, "activity": [1.0] * 12})
    with pytest.raises(InputError, match="acts.csv"):
        train_affinity(frame, "acts.csv")
    frame2 = frame.rename(columns={"activity": "pIC50"})
    with pytest.raises(InputError, match="at least 10"):
        train_affinity(frame2.iloc[:5], "acts.csv")


def test_bad_rows_are_rejected_not_dropped(small_set):
    frame = small_set.iloc[:30].copy()
    frame.loc[0, "smiles"] = "C1CC"
    frame.loc[1, "pki"] = np.nan
    model, rejects, = train_affinity(frame, "x.csv", n_folds=2, n_estimators=5, learners=("knn", "rf"))
    assert model.metadata["n_train"] == 28 and len(rejects) == 2
    assert sorted(rejects["row_number"]) == [2, 3]  # rows 1 and 2: lines 2 and 3 as a CSV with a header


def test_load_rejects_non_model(tmp_path):
    bogus = tmp_path / "x.joblib"
    bogus.write_text("not a model")
    with pytest.raises(InputError):
        AffinityModel.load(bogus)
