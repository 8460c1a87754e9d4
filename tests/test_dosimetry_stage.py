"""Dosimetry stage: doses from TIACs, chains, marrow, therapeutic index, nuclide by size, config, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from conftest import command_app
from typer.testing import CliRunner

from radiovector.dosimetry import compute_doses, resolve_params, sphere
from radiovector.dosimetry.organ_doses import GY_FACTOR
from radiovector.errors import ConfigError


def _tia(nuclides=("Lu-177",), organs=None) -> pd.DataFrame:
    organs = organs or {"tumour": 20.0, "kidney": 10.0, "blood": 1.0, "liver": 5.0, "salivary gland": 2.0}
    rows = []
    for nuc in nuclides:
        for organ, tiac in organs.items():
            rows.append({"compound": "C1", "radionuclide": "Ga-68", "organ": organ, "nuclide": nuc, "tiac": tiac,
                         "tiac_unit": "h/g", "tiac_low": 0.8 * tiac, "tiac_high": 1.2 * tiac,
                         "extrapolated_fraction": 0.1, "flags": ""})
    return pd.DataFrame(rows)


def test_self_dose_equals_tiac_times_s_value() -> None:
    p = {"photon_cross_dose": False, "tumour_mass_g": 0.5, "organ_masses_g": {"kidney": 0.4}}
    d = compute_doses(_tia(), p)["doses"].set_index("organ")
    for organ, mass, tiac in (("tumour", 0.5, 20.0), ("kidney", 0.4, 10.0)):
        s = sphere("Lu-177", mass)
        # D = A~/m x S x m  (TIAC per gram x energy absorbed per decay)
        expect = tiac * s["energy_absorbed_mev"] * GY_FACTOR
        assert d.loc[organ, "dose_gy_per_mbq"] == pytest.approx(expect, rel=1e-9)
        assert d.loc[organ, "dose_gy_per_mbq"] == pytest.approx(tiac * mass * 3600 * s["s_value_gy_per_bq_s"] * 1e6,
                                                                rel=1e-9)
        assert d.loc[organ, "dose_low_gy_per_mbq"] == pytest.approx(0.8 * expect, rel=1e-9)


def test_marrow_from_blood_sgouros() -> None:
    d = compute_doses(_tia(), {"photon_cross_dose": False})["doses"].set_index("organ")
    assert d.loc["red marrow", "tiac_h_per_g"] == pytest.approx(0.36 * 1.0)  # RMBLR 0.36 (Sgouros 1993)
    assert d.loc["red marrow", "organ_class"] == "marrow"
    assert 0 < d.loc["red marrow", "dose_gy_per_mbq"] < d.loc["blood", "dose_gy_per_mbq"]


def test_photon_cross_dose_small_and_positive() -> None:
    d = compute_doses(_tia(), {})["doses"]
    assert (d["dose_photon_cross_gy_per_mbq"] >= 0).all()
    assert (d["dose_photon_cross_gy_per_mbq"] < 0.2 * d["dose_gy_per_mbq"]).all()


def test_alpha_chain_scenarios_and_rbe() -> None:
    out = compute_doses(_tia(("Ac-225",)), {"rbe_alpha": 5.0})
    d = out["doses"].set_index("organ")
    assert (d["redistributing_daughter"] == "Bi-213").all()
    t = d.loc["tumour"]
    assert t["dose_rbe_weighted_gy_per_mbq"] == pytest.approx(
        t["dose_gy_per_mbq"] + 4.0 * t["dose_alpha_gy_per_mbq"], rel=1e-9)
    # Bi-213 and its progeny leave a high-uptake organ: less dose there
    assert t["dose_redistributed_gy_per_mbq"] < t["dose_gy_per_mbq"]
    c = out["chain_doses"]
    members = c[(c["organ"] == "tumour") & (c["scenario"] == "in_situ")]
    assert list(members["member"]) == ["Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209"]
    assert members["dose_gy_per_mbq"].sum() == pytest.approx(t["dose_self_gy_per_mbq"], rel=1e-9)
    gone = c[(c["organ"] == "tumour") & (c["scenario"] == "redistributed") & ~c["stays"]]
    assert set(gone["member"]) == {"Bi-213", "Po-213", "Tl-209", "Pb-209"}
    assert (gone["dose_gy_per_mbq"] == 0).all()


def test_therapeutic_index_and_mta() -> None:
    limits = {"kidney": 23.0, "red marrow": 2.0}
    ti = compute_doses(_tia(), {"dose_limits_gy": limits})["therapeutic_index"].iloc[0]
    assert ti["ti_kidney"] == pytest.approx(ti["tumour_dose_gy_per_mbq"] / ti["dose_kidney_gy_per_mbq"])
    assert not math.isnan(ti["ti_salivary_gland"])
    lim = ti["mta_limiting_organ"]
    dose = ti[f"dose_{lim.replace(' ', '_')}_gy_per_mbq"]
    assert ti["mta_mbq"] * dose == pytest.approx(limits[lim])
    for organ, limit in limits.items():  # no organ exceeds its limit at the MTA
        assert ti["mta_mbq"] * ti[f"dose_{organ.replace(' ', '_')}_gy_per_mbq"] <= limit * (1 + 1e-9)


def test_nuclide_by_size_candidates_and_partners() -> None:
    cand = pd.DataFrame({"candidate_id": ["C1"] * 4, "nuclide": ["Lu-177", "Y-90", "Ac-225", "Ga-68"],
                         "chelator": ["dota"] * 4, "compatibility": ["compatible"] * 4})
    out = compute_doses(_tia(("Lu-177", "Y-90", "Ac-225")), {}, cand)["nuclide_by_size"]
    assert set(out["nuclide"]) == {"Lu-177", "Y-90", "Ac-225"}  # Ga-68 is not a therapy nuclide
    assert (out["kinetics"] == "measured").all()
    assert out.loc[out["nuclide"] == "Lu-177", "imaging_partner"].iloc[0] == "Ga-68"
    piv = out.pivot(index="radius_um", columns="nuclide", values="absorbed_fraction")
    assert (piv["Y-90"].iloc[:6] < piv["Lu-177"].iloc[:6]).all()  # high-energy beta loses energy in small lesions
    assert (out.groupby(["candidate_id", "radius_um"])["best_at_size"].sum() == 1).all()
    assert out["absorbed_fraction"].between(0, 1).all()


def test_missing_kinetics_fall_back_to_reference_uptake() -> None:
    cand = pd.DataFrame({"candidate_id": ["X"], "nuclide": ["Tb-161"], "chelator": ["dota"],
                         "compatibility": ["compatible"]})
    out = compute_doses(_tia(), {}, cand)["nuclide_by_size"]
    x = out[out["candidate_id"] == "X"]
    assert len(x) and (x["kinetics"] == "retained_reference").all()
    assert (x["rank_metric"] == "dose_rbe_weighted_gy_per_mbq").all()
    # the measured compound, which has no candidate row, is still compared across sizes with its own kinetics
    assert (out.loc[out["candidate_id"] != "X", "kinetics"] == "measured").all()


def test_deterministic_and_sorted() -> None:
    tia = _tia(("Y-90", "Lu-177"))
    a = compute_doses(tia, {})
    b = compute_doses(tia.sample(frac=1, random_state=3), {})
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    keys = a["doses"][["compound", "nuclide", "organ"]]
    assert keys.equals(keys.sort_values(["compound", "nuclide", "organ"]).reset_index(drop=True))


def test_percent_id_per_organ_units_use_mass() -> None:
    tia = _tia(organs={"tumour": 20.0})
    tia2 = tia.assign(tiac=20.0 * 0.5, tiac_unit="h", tiac_low=np.nan, tiac_high=np.nan)  # %ID curve of 0.5 g
    p = {"tumour_mass_g": 0.5, "photon_cross_dose": False}
    d1 = compute_doses(tia, p)["doses"]["dose_gy_per_mbq"].iloc[0]
    d2 = compute_doses(tia2, p)["doses"]["dose_gy_per_mbq"].iloc[0]
    assert d1 == pytest.approx(d2)


def test_resolve_params_errors() -> None:
    with pytest.raises(ConfigError, match="dosimetry.rbe: unknown key"):
        resolve_params({"rbe": 5})
    with pytest.raises(ConfigError):
        resolve_params({"tumour_mass_g": -1})
    with pytest.raises(ConfigError):
        resolve_params({"mta_dose": "max"})
    p = resolve_params({"tumour_mass_g": {"C1": 0.3}, "ti_organs": "Kidneys"})
    assert p["ti_organs"] == ["kidney"] and p["tumour_mass_g"] == {"C1": 0.3}


def test_example_in111_redecayed_to_lu177() -> None:
    from radiovector.io.tables import load_input
    from radiovector.pk import fit_biodistribution

    repo = Path(__file__).resolve().parents[1]
    v = load_input(repo / "resources" / "example" / "biodistribution.csv", "biodistribution")
    tia = fit_biodistribution(v.accepted, {"therapy_nuclides": ["Lu-177"], "n_bootstrap": 0})["pk_tia"]
    out = compute_doses(tia, {"nuclides": ["Lu-177"]})
    d = out["doses"].set_index("organ")["dose_gy_per_mbq"]
    assert d["tumour"] > d["kidney"] > d["red marrow"] > 0
    ti = out["therapeutic_index"].iloc[0]
    assert ti["limiting_organ"] == "kidney" and ti["ti_kidney"] > 1


def _app() -> typer.Typer:
    from radiovector.cli import dosimetry

    return command_app(dosimetry)


def test_cli_sphere_json() -> None:
    res = CliRunner().invoke(_app(), ["sphere", "--nuclide", "Lu-177", "--mass-g", "0.116", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    for key in ("s_value_mgy_per_mbq_s", "absorbed_fraction_electrons", "absorbed_fraction_photons",
                "absorbed_fraction_alpha"):
        assert key in doc
    assert doc["absorbed_fraction_alpha"] is None
    assert doc["absorbed_fraction_electrons"] == pytest.approx(0.95, rel=0.05)


def test_cli_dose(tmp_path) -> None:
    path = tmp_path / "pk_tia.parquet"
    _tia(("Lu-177", "Y-90")).to_parquet(path)
    out = tmp_path / "doses.parquet"
    res = CliRunner().invoke(_app(), ["dose", str(path), "--nuclide", "Lu-177", "-o", str(out),
                                      "--plots", str(tmp_path / "plots")])
    assert res.exit_code == 0, res.output
    d = pd.read_parquet(out)
    assert set(d["nuclide"]) == {"Lu-177"} and "dose_gy_per_mbq" in d
    assert (tmp_path / "doses_therapeutic_index.parquet").is_file()
    assert list((tmp_path / "plots").glob("*.png"))
