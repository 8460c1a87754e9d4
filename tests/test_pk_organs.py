"""%ID/g -> %ID with organ masses, remainder of body, Bq input, physical limits, bootstrap without SD, fit-pk -o."""

from __future__ import annotations

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
from radiovector.pk import fit_biodistribution
from radiovector.vocab.organs import MOUSE_ORGAN_FRACTION, REFERENCE_BODY_MASS_G, REMAINDER, standard_organ_mass_g

LAM = decay_constant_per_h("Lu-177")
TIMES = (1, 4, 24, 48, 96, 168)
FAST = {"n_bootstrap": 50}


def _rows(organ, values, unit="%ID/g", times=TIMES, compound="C1", **extra):
    return [dict(compound=compound, radionuclide="Lu-177", organ=organ, time_h=float(t), value=float(v), unit=unit,
                 decay_corrected=True, **extra) for t, v in zip(times, values, strict=True)]


def _mono(a, b, times=TIMES):
    return [a * math.exp(-b * t) for t in times]


def _one(tia, organ, nuclide="Lu-177"):
    return tia[(tia["organ"] == organ) & (tia["nuclide"] == nuclide)].iloc[0]


def test_standard_masses_scale_with_body_weight():
    assert standard_organ_mass_g("Liver", 25.0) == pytest.approx(0.055 * 25)
    assert standard_organ_mass_g("kidneys", 30.0) == pytest.approx(MOUSE_ORGAN_FRACTION["kidney"] * 30)
    assert standard_organ_mass_g("tumour", 25.0) is None
    assert standard_organ_mass_g("thyroid", 20.0, {"thyroid": 0.0001}) == pytest.approx(0.002)
    # the table is a partition of part of the body: its fractions must sum below 1
    assert 0.5 < sum(MOUSE_ORGAN_FRACTION.values()) < 1.0


def test_pct_id_per_g_to_organ_tiac_with_given_and_standard_masses():
    rows = (_rows("kidney", _mono(10, 0.02)) + _rows("liver", _mono(5, 0.05))
            + _rows("tumour", _mono(8, 0.01), organ_mass_g=0.3))
    tia = fit_biodistribution(pd.DataFrame(rows), FAST)["pk_tia"]
    kid, liv, tum = _one(tia, "kidney"), _one(tia, "liver"), _one(tia, "tumour")
    m_kid = MOUSE_ORGAN_FRACTION["kidney"] * REFERENCE_BODY_MASS_G
    assert kid["organ_mass_g"] == pytest.approx(m_kid) and "Brown" in kid["organ_mass_source"]
    assert tum["organ_mass_g"] == pytest.approx(0.3) and tum["organ_mass_source"] == "input organ_mass_g"
    # analytic: 0.01 x A / (b + lambda) h/g, times the organ mass -> h (fraction of injected activity)
    assert kid["tiac"] == pytest.approx(0.1 / (0.02 + LAM), rel=1e-3)
    assert kid["tiac_organ_h"] == pytest.approx(0.1 / (0.02 + LAM) * m_kid, rel=1e-3)
    assert tum["tiac_organ_h"] == pytest.approx(0.08 / (0.01 + LAM) * 0.3, rel=1e-3)
    assert kid["tiac_organ_low_h"] <= kid["tiac_organ_h"] <= kid["tiac_organ_high_h"]
    # remainder of body: no whole-body curve -> no excretion assumed, total = tau_phys
    rem = _one(tia, REMAINDER)
    organs = tia[tia["organ"] != REMAINDER]
    assert rem["tiac_unit"] == "h" and "remainder_assumes_no_excretion" in rem["flags"]
    assert rem["tiac"] + organs["tiac_organ_h"].sum() == pytest.approx(1 / LAM, rel=1e-9)
    assert rem["organ_mass_g"] == pytest.approx(REFERENCE_BODY_MASS_G - organs["organ_mass_g"].sum())
    assert liv["max_fraction"] == pytest.approx(0.05 * MOUSE_ORGAN_FRACTION["liver"] * 25, rel=1e-3)


def test_body_mass_column_and_param_scale_masses():
    rows = _rows("liver", _mono(5, 0.05), body_mass_g=20.0) + _rows("kidney", _mono(10, 0.02))
    tia = fit_biodistribution(pd.DataFrame(rows), FAST | {"body_mass_g": 30.0})["pk_tia"]
    assert _one(tia, "liver")["organ_mass_g"] == pytest.approx(0.055 * 20)
    assert _one(tia, "kidney")["organ_mass_g"] == pytest.approx(0.017 * 30)
    with pytest.raises(RadioVectorError):
        fit_biodistribution(pd.DataFrame(rows), {"body_mass_g": -1})
    with pytest.raises(RadioVectorError):
        fit_biodistribution(pd.DataFrame(rows), {"organ_mass_fractions": {"liver": 2.0}})
    with pytest.raises(RadioVectorError):
        fit_biodistribution(pd.DataFrame(rows), {"parsimony_delta": -1})


def test_unknown_mass_is_flagged_not_guessed():
    tia = fit_biodistribution(pd.DataFrame(_rows("tumour", _mono(8, 0.01)) + _rows("liver", _mono(5, 0.05))),
                              FAST)["pk_tia"]
    tum = _one(tia, "tumour")
    assert math.isnan(tum["tiac_organ_h"]) and "organ_mass_unknown" in tum["flags"]
    assert "organs_without_mass:tumour" in _one(tia, REMAINDER)["flags"]


def test_bq_with_injected_activity_equals_pct_id():
    ia = 2.0e6
    pct = _rows("liver", _mono(30, 0.05), unit="%ID")
    bq = _rows("liver", [v / 100 * ia for v in _mono(30, 0.05)], unit="Bq", compound="C2", injected_activity_bq=ia)
    bqg = _rows("kidney", [v / 100 * ia for v in _mono(10, 0.02)], unit="Bq/g", compound="C2",
                injected_activity_bq=ia)
    raw = _rows("spleen", [1e4, 8e3, 5e3, 3e3, 1e3, 500], unit="Bq", compound="C3")  # no injected activity
    tia = fit_biodistribution(pd.DataFrame(pct + bq + bqg + raw), FAST)["pk_tia"]
    a = tia[(tia["compound"] == "C1") & (tia["organ"] == "liver")].iloc[0]
    b = tia[(tia["compound"] == "C2") & (tia["organ"] == "liver")].iloc[0]
    k = tia[(tia["compound"] == "C2") & (tia["organ"] == "kidney")].iloc[0]
    assert b["tiac_unit"] == "h" and b["tiac"] == pytest.approx(a["tiac"], rel=1e-6)
    assert "converted_from_bq" in b["flags"]
    assert k["tiac_unit"] == "h/g" and k["tiac"] == pytest.approx(0.1 / (0.02 + LAM), rel=1e-3)
    c = tia[tia["compound"] == "C3"].iloc[0]
    assert c["tiac_unit"] == "Bq h" and "no_injected_activity" in c["flags"]


def test_bq_above_injected_activity_rejected():
    rows = _rows("liver", [3e6, 1e6, 5e5, 2e5, 1e5, 5e4], unit="Bq", injected_activity_bq=2e6)
    out = fit_biodistribution(pd.DataFrame(rows), FAST)
    assert len(out["rejects"]) == 1 and "%ID above 100" in out["rejects"]["reason"].iloc[0]


def test_whole_body_curve_sets_remainder_and_sum_limit():
    wb = _rows("whole body", _mono(90, 0.03), unit="%ID")
    organs = _rows("liver", _mono(20, 0.05), unit="%ID") + _rows("kidney", _mono(10, 0.02))
    out = fit_biodistribution(pd.DataFrame(wb + organs), FAST)
    tia, check = out["pk_tia"], out["pk_sum_check"]
    rem = _one(tia, REMAINDER)
    body = _one(tia, "whole body")
    organ_sum = tia[~tia["organ"].isin([REMAINDER, "whole body"])]["tiac_organ_h"].sum()
    assert rem["criterion"] == "whole-body curve" and "remainder_assumes_no_excretion" not in rem["flags"]
    assert rem["tiac"] == pytest.approx(body["tiac"] - organ_sum, rel=1e-9)
    assert (check["limit_pct_id"] == check["whole_body_pct_id"]).all() and check["within_limit"].all()
    # organs holding more than the measured whole body: flagged at every such time point
    over = _rows("liver", _mono(80, 0.01), unit="%ID", compound="C2") + _rows(
        "whole body", _mono(60, 0.03), unit="%ID", compound="C2")
    out2 = fit_biodistribution(pd.DataFrame(over), FAST)
    assert not out2["pk_sum_check"]["within_limit"].all()
    assert out2["pk_tia"]["flags"].str.contains("sum_pct_id_above_limit").all()
    assert "organ_sum_exceeds_whole_body" in _one(out2["pk_tia"], REMAINDER)["flags"]


def test_sum_check_converts_pct_id_per_g_with_masses():
    # 40 %ID/g in the liver (1.375 g) is 55 %ID, with 50 %ID in the kidney: 105 %ID > 100
    rows = _rows("liver", [40] * 6) + _rows("kidney", [50] * 6, unit="%ID")
    out = fit_biodistribution(pd.DataFrame(rows), FAST)
    check = out["pk_sum_check"]
    assert check["sum_pct_id"].iloc[0] == pytest.approx(40 * 0.055 * 25 + 50)
    assert not check["within_limit"].any()


@pytest.fixture(scope="module")
def example():
    v = load_input(project_root() / "resources/example/biodistribution.csv", "biodistribution")
    return fit_biodistribution(v.accepted, {"n_bootstrap": 300, "therapy_nuclides": ["Lu-177"]})


def test_tiac_never_exceeds_max_fraction_times_tau(example):
    tia = example["pk_tia"]
    ok = tia[tia["tiac_organ_h"].notna()]
    assert len(ok) >= 6
    assert (ok["tiac_organ_h"] <= ok["tiac_bound_h"] * (1 + 1e-9)).all()
    assert not tia["flags"].str.contains("tiac_exceeds_max_times_tau").any()
    # the whole body (organs + remainder) never holds more than tau_phys x 100 % of the injected activity
    for _, grp in tia.groupby("nuclide"):
        assert grp["tiac_organ_h"].sum() <= grp["tau_phys_h"].iloc[0] * (1 + 1e-9)


def test_bootstrap_without_sd_gives_sensible_interval(example):
    # example means have no SD: residual bootstrap (log residuals) of the relative-error fit
    tia = example["pk_tia"]
    for organ in ("blood", "kidney", "liver", "tumour"):
        r = _one(tia, organ, "In-111")
        assert "ci_residual_bootstrap" in r["flags"]
        assert 0.3 * r["tiac"] < r["tiac_low"] < r["tiac"] < r["tiac_high"] < 3 * r["tiac"], organ


def test_cli_out_parquet_and_directory(tmp_path):
    from radiovector.cli import pk

    app = command_app(pk)
    csv = project_root() / "resources/example/biodistribution.csv"
    runner = CliRunner()
    out = tmp_path / "res" / "pk.parquet"
    res = runner.invoke(app, ["fit-pk", str(csv), "--nuclide", "Lu-177", "--bootstrap", "30", "-o", str(out)])
    assert res.exit_code == 0, res.output
    tia = pd.read_parquet(out)
    assert {"compound", "organ", "model", "akaike_weight", "tiac", "tiac_unit", "tiac_low", "tiac_high",
            "tiac_nca", "extrapolated_fraction", "flags", "tiac_organ_h", "organ_mass_g"} <= set(tia.columns)
    assert set(tia["tiac_unit"]) == {"h/g", "h"}
    for name in ("fits", "params", "curves", "points", "sum_check", "rejects"):
        assert (tmp_path / "res" / f"pk.{name}.parquet").is_file(), name
    assert any((tmp_path / "res" / "pk.plots").glob("*.png"))
    res = runner.invoke(app, ["fit-pk", str(csv), "--bootstrap", "0", "--no-plots", "-o", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d" / "pk_tia.parquet").is_file() and (tmp_path / "d" / "rejects.parquet").is_file()
    assert np.isnan(pd.read_parquet(tmp_path / "d" / "pk_tia.parquet")["tiac_low"]).all()
