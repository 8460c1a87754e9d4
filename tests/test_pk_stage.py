"""The pk stage on the bundled example and on constructed bad / edge-case inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import command_app
from typer.testing import CliRunner

from radiovector.errors import RadioVectorError
from radiovector.io.tables import load_input
from radiovector.nuclides import decay_constant_per_h
from radiovector.paths import project_root
from radiovector.pk import MODELS, fit_biodistribution

FAST = {"n_bootstrap": 100}


def _rows(organ="kidney", times=(1, 4, 24, 48, 96), values=None, unit="%ID/g", nuclide="Lu-177",
          corrected=True, compound="C1", **extra):
    values = values if values is not None else [10 * math.exp(-0.02 * t) for t in times]
    return [dict(compound=compound, radionuclide=nuclide, organ=organ, time_h=float(t), value=float(v), unit=unit,
                 decay_corrected=corrected, **extra) for t, v in zip(times, values, strict=True)]


@pytest.fixture(scope="module")
def example():
    v = load_input(project_root() / "resources/example/biodistribution.csv", "biodistribution")
    return fit_biodistribution(v.accepted, {"n_bootstrap": 200, "therapy_nuclides": ["Lu-177"]})


def test_example_fits_every_organ(example):
    tia = example["pk_tia"]
    assert sorted(tia["organ"].unique()) == ["blood", "kidney", "liver", "remainder of body", "tumour"]
    tia = tia[tia["organ"] != "remainder of body"]
    assert set(tia["nuclide"]) == {"In-111", "Lu-177"}
    assert (tia["tiac"] > 0).all() and (tia["tiac_unit"] == "h/g").all()
    assert (tia["tiac_low"] <= tia["tiac_high"]).all()
    assert tia["extrapolated_fraction"].between(0, 1).all()
    # the tumour curve rises then plateaus: an uptake model, not a pure washout, is selected
    assert tia.loc[tia["organ"] == "tumour", "model"].iloc[0].startswith("uptake")
    # Lu-177 (6.6 d) is longer-lived than In-111 (2.8 d): more of its TIA lies beyond 96 h
    piv = tia.pivot(index="organ", columns="nuclide", values="extrapolated_fraction")
    assert (piv["Lu-177"] > piv["In-111"]).all()
    assert tia.loc[tia["nuclide"] == "Lu-177", "flags"].str.contains("theranostic_extrapolation").all()
    assert example["rejects"].empty
    fits = example["pk_fits"]
    for _, grp in fits.groupby("organ"):
        assert grp["akaike_weight"].sum() == pytest.approx(1.0)
        assert grp["selected"].sum() == 1
    ok = fits[fits["status"] == "ok"]
    assert (ok["lambda_eff_min_per_h"] >= decay_constant_per_h("In-111") * (1 - 1e-12)).all()


def test_deterministic(example):
    v = load_input(project_root() / "resources/example/biodistribution.csv", "biodistribution")
    again = fit_biodistribution(v.accepted, {"n_bootstrap": 200, "therapy_nuclides": ["Lu-177"]})
    pd.testing.assert_frame_equal(again["pk_tia"], example["pk_tia"])
    pd.testing.assert_frame_equal(again["pk_curves"], example["pk_curves"])


def test_decay_corrected_flag_equivalent():
    lam = decay_constant_per_h("Lu-177")
    times = (1, 4, 24, 48, 96, 168)
    dc = [10 * math.exp(-0.02 * t) for t in times]
    raw = [v * math.exp(-lam * t) for v, t in zip(dc, times, strict=True)]
    a = fit_biodistribution(pd.DataFrame(_rows(times=times, values=dc, corrected=True)), FAST)["pk_tia"]
    b = fit_biodistribution(pd.DataFrame(_rows(times=times, values=raw, corrected=False)), FAST)["pk_tia"]
    assert a["tiac"].iloc[0] == pytest.approx(b["tiac"].iloc[0], rel=1e-6)
    # analytic: 0.1 x 10 / (0.02 + lambda) for %ID/g -> h/g, within 0.1 %
    assert a["tiac"].iloc[0] == pytest.approx(0.10 / (0.02 + lam), rel=1e-3)


def test_theranostic_redecay_analytic():
    # imaging Ga-68 kinetics, biological washout 0.05/h; re-decayed with Lu-177: A / (0.05 + lambda_Lu)
    times = (0.5, 1, 2, 3, 4, 6)
    rows = _rows(times=times, values=[20 * math.exp(-0.05 * t) for t in times], nuclide="Ga-68", unit="%ID")
    tia = fit_biodistribution(pd.DataFrame(rows), FAST | {"therapy_nuclides": "Lu-177"})["pk_tia"]
    lu = tia[tia["nuclide"] == "Lu-177"].iloc[0]
    assert lu["tiac"] == pytest.approx(0.20 / (0.05 + decay_constant_per_h("Lu-177")), rel=1e-3)
    assert lu["tiac_unit"] == "h"
    assert lu["extrapolated_fraction"] > 0.7  # most of a Lu-177 TIA lies beyond a 6 h Ga-68 study
    assert "extrapolated_fraction_gt_0.2" in lu["flags"]


def test_bad_rows_go_to_rejects_with_reasons():
    rows = (
        _rows(organ="kidney")
        + _rows(organ="liver", times=(1,))  # too few points
        + _rows(organ="spleen", unit="%ID", times=(1, 4, 24), values=[1, 2, 3])
        + [dict(compound="C1", radionuclide="Lu-177", organ="spleen", time_h=48.0, value=1.0, unit="Bq",
                decay_corrected=True)]  # unit mismatch
        + _rows(organ="heart", times=(1, 4, 4, 24))  # duplicate time without animal id
        + _rows(organ="bone", nuclide="Xx-999")
        + _rows(organ="lung", unit="%ID", times=(1, 4), values=[150, 20])  # %ID > 100
    )
    frame = pd.DataFrame(rows)
    out = fit_biodistribution(frame, FAST)
    rej = out["rejects"]
    assert list(rej.columns) == ["input", "source", "row_number", "column", "value", "reason"]
    reasons = " | ".join(rej["reason"])
    for text in ("distinct time point", "unit mismatch", "duplicate time point", "unknown radionuclide",
                 "%ID above 100"):
        assert text in reasons
    # every input row is either fitted or rejected
    used = out["pk_points"]
    assert len(rej) + len(used) == len(frame)  # heart keeps 2 of its 4 rows, the 2 duplicates are rejected
    assert sorted(out["pk_tia"]["organ"]) == ["heart", "kidney", "remainder of body"]


def test_unit_and_key_errors():
    with pytest.raises(RadioVectorError):
        fit_biodistribution(pd.DataFrame(_rows()), {"nonsense": 1})
    with pytest.raises(RadioVectorError):
        fit_biodistribution(pd.DataFrame(_rows()), {"models": ["quad"]})
    with pytest.raises(RadioVectorError):
        fit_biodistribution(pd.DataFrame(_rows()), {"therapy_nuclides": ["Qq-1"]})


def test_per_animal_bootstrap_and_sd_model():
    rng = np.random.default_rng(1)
    rows = []
    for t in (1, 4, 24, 48, 96, 168):
        for a in range(4):
            v = 10 * math.exp(-0.02 * t) * (1 + 0.1 * rng.standard_normal())
            rows += _rows(times=(t,), values=[v], animal_id=f"m{a}")
    out = fit_biodistribution(pd.DataFrame(rows), {"n_bootstrap": 200})
    tia = out["pk_tia"].iloc[0]
    assert tia["error_model"] == "sd"
    assert "ci_bootstrap_animals" in tia["flags"]
    assert tia["tiac_low"] < tia["tiac"] < tia["tiac_high"]
    assert tia["tiac"] == pytest.approx(0.10 / (0.02 + decay_constant_per_h("Lu-177")), rel=0.05)
    assert 0.005 < (tia["tiac_high"] - tia["tiac_low"]) / tia["tiac"] < 0.5


def test_sum_pct_id_flag():
    rows = _rows(organ="liver", unit="%ID", values=[60, 55, 50, 45, 40]) + _rows(
        organ="kidney", unit="%ID", values=[50, 45, 40, 35, 30])
    out = fit_biodistribution(pd.DataFrame(rows), FAST)
    assert not out["pk_sum_check"]["within_limit"].all()
    assert out["pk_tia"]["flags"].str.contains("sum_pct_id_above_limit").all()


def test_fitted_curves_in_table(example):
    cur = example["pk_curves"]
    assert {"time_h", "fit_decay_corrected", "fit_low", "fit_high", "fit_activity"} <= set(cur.columns)
    kid = cur[cur["organ"] == "kidney"]
    sel = example["pk_fits"].query("organ == 'kidney' and selected").iloc[0]
    assert kid["model"].iloc[0] == sel["model"] and sel["model"] in MODELS


def test_cli_commands(tmp_path):
    from radiovector.cli import nuclide, pk

    app = command_app(nuclide, pk)
    runner = CliRunner()
    res = runner.invoke(app, ["nuclide", "Lu-177", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["mean_energy_mev"]) == {"alpha", "beta_minus", "beta_plus", "electron_ce", "electron_auger",
                                           "photon"}
    assert doc["half_life_h"] == pytest.approx(159.528)
    csv = project_root() / "resources/example/biodistribution.csv"
    res = runner.invoke(app, ["fit-pk", str(csv), "-n", "Lu-177", "--bootstrap", "50", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    tia = pd.read_parquet(tmp_path / "pk_tia.parquet")
    assert {"compound", "organ", "model", "akaike_weight", "tiac", "tiac_unit", "tiac_low", "tiac_high",
            "tiac_nca", "extrapolated_fraction", "flags"} <= set(tia.columns)
    assert (tmp_path / "plots").is_dir() and any((tmp_path / "plots").glob("*.png"))
