"""Mouse-to-human projection, BED (linear-quadratic, Lea-Catcheside) limits and the projected patient MTA
(radiovector.dosimetry.human; issue 14)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiovector.dosimetry import compute_doses
from radiovector.dosimetry.human import (
    activity_at_bed,
    bed,
    g_factor,
    human_doses,
    load_limits,
    patient_mta,
    project_regions,
    scaled_tiac_ratio,
    time_scale_factor,
)
from radiovector.dosimetry.stage import resolve_params
from radiovector.errors import InputError, InvariantError
from radiovector.nuclides import decay_constant_per_h
from radiovector.pk.models import MODELS
from radiovector.vocab.organs import human_mass_table, human_organ_masses

LU177 = decay_constant_per_h("Lu-177")


#: organ -> (A: peak uptake %ID/g, b: biological washout 1/h, mouse organ mass g): mono-exponential mouse curves
ORGANS = {
    "tumour": (10.0, 0.005, 0.2),
    "kidney": (40.0, 0.05, 0.425),
    "blood": (8.0, 0.3, 1.225),
    "liver": (3.0, 0.02, 1.375),
}


def _tia(body_mass_g: float = 25.0, organs: dict | None = None, nuclide: str = "Lu-177") -> pd.DataFrame:
    """pk_tia rows of mono-exponential %ID/g curves g(t) = A exp(-b t) (as the pk stage writes them):
    tiac = 0.01 A / (b + lambda) h/g, max_fraction = 0.01 A x organ mass."""
    lam = decay_constant_per_h(nuclide)
    rows = []
    for organ, (a, b, mass) in (organs or ORGANS).items():
        tiac = 0.01 * a / (b + lam)
        rows.append(
            {
                "compound": "C1",
                "radionuclide": "Ga-68",
                "organ": organ,
                "nuclide": nuclide,
                "tiac": tiac,
                "tiac_unit": "h/g",
                "tiac_low": 0.8 * tiac,
                "tiac_high": 1.25 * tiac,
                "extrapolated_fraction": 0.1,
                "flags": "",
                "organ_mass_g": mass,
                "body_mass_g": body_mass_g,
                "max_fraction": 0.01 * a * mass,
                "max_value": a,
                "tiac_organ_h": tiac * mass,
                "model": "mono",
            }
        )
    return pd.DataFrame(rows)


def _params(organs: dict | None = None) -> pd.DataFrame:
    """pk_params rows of the same mono-exponential fits."""
    return pd.DataFrame(
        [
            {"compound": "C1", "radionuclide": "Ga-68", "organ": o, "model": "mono", "param": n, "value": v}
            for o, (a, b, _) in (organs or ORGANS).items()
            for n, v in (("A", a), ("b", b))
        ]
    )


def _p(**over) -> dict:
    return resolve_params({"photon_cross_dose": False, **over})


# ---------------------------------------------------------------------------------------------------------------
# ICRP 89 reference masses


def test_icrp89_reference_masses_present() -> None:
    """ICRP Publication 89 (2002) reference adults, as tabulated by Turner (Atoms, Radiation, and Radiation
    Protection, Table 16.1) and J Nucl Med (Table 2, 'Data are from ICRP Publication 89')."""
    male, female = human_organ_masses("male"), human_organ_masses("female")
    assert male["whole body"] == 73000 and female["whole body"] == 60000
    assert male["liver"] == 1800 and female["liver"] == 1400
    assert male["kidney"] == 310 and female["kidney"] == 275
    assert male["spleen"] == 150 and female["spleen"] == 130
    assert male["salivary gland"] == 85 and female["salivary gland"] == 70
    assert male["red marrow"] == 1170 and female["red marrow"] == 900
    table = human_mass_table()
    assert (table["reference"].str.contains("ICRP Publication 89")).all()


# ---------------------------------------------------------------------------------------------------------------
# projection


def test_relative_mass_projection_with_equal_masses_is_the_identity() -> None:
    """A 'mouse' with the reference adult's body and organ masses projects onto itself: same concentrations, same
    organ TIACs (Kirschner et al. 1975 scaling with m_body,mouse = m_body,human)."""
    m = human_organ_masses("male")
    tia = _tia(
        body_mass_g=m["whole body"], organs={"kidney": (0.5, 0.05, m["kidney"]), "liver": (0.1, 0.02, m["liver"])}
    )
    for method in ("relative_mass", "none"):
        reg = project_regions(tia, _p(), "male", method).set_index("organ")
        for organ in ("kidney", "liver"):
            assert reg.loc[organ, "tiac_h_per_g"] == pytest.approx(reg.loc[organ, "mouse_tiac_h_per_g"], rel=1e-12)
            assert reg.loc[organ, "tiac_organ_h"] == pytest.approx(
                tia.set_index("organ").loc[organ, "tiac"] * m[organ], rel=1e-12
            )


def test_relative_mass_projection_formula() -> None:
    """(A~/A0)_organ,human = (A~/A0 per g)_mouse x m_body,mouse x m_organ,human / m_body,human."""
    reg = project_regions(_tia(), _p(), "female", "relative_mass").set_index("organ")
    f = human_organ_masses("female")
    t = _tia().set_index("organ")["tiac"]
    assert reg.loc["kidney", "tiac_organ_h"] == pytest.approx(t["kidney"] * 25.0 * f["kidney"] / f["whole body"])
    assert reg.loc["kidney", "mass_g"] == f["kidney"]
    # red marrow from the projected blood (Sgouros 1993, RMBLR 0.36), at the ICRP 89 red-marrow mass
    assert reg.loc["red marrow", "tiac_h_per_g"] == pytest.approx(0.36 * t["blood"] * 25.0 / f["whole body"])
    assert reg.loc["red marrow", "mass_g"] == f["red marrow"]
    # no scaling: the fraction of injected activity in the organ is carried over
    none = project_regions(_tia(), _p(), "female", "none").set_index("organ")
    assert none.loc["kidney", "tiac_organ_h"] == pytest.approx(t["kidney"] * 0.425)


def test_allometric_time_factor() -> None:
    assert time_scale_factor(73000, 25) == pytest.approx((73000 / 25) ** 0.25)
    assert time_scale_factor(25, 25) == 1.0
    with pytest.raises(InvariantError):
        time_scale_factor(0, 25)


@settings(max_examples=60, deadline=None)
@given(b=st.floats(1e-4, 5.0), k=st.floats(1.0, 20.0), a=st.floats(0.01, 100.0))
def test_allometric_scaling_stretches_biology_only(b: float, k: float, a: float) -> None:
    """Mono-exponential: TIAC_human / TIAC_mouse = (b + lam) / (b/k + lam) exactly. Physical decay is re-applied,
    not stretched: the ratio lies in [1, k], tends to 1 for b -> 0 (physical decay only: nothing to stretch) and is
    non-decreasing in k."""
    x = np.array([a, b])
    r = scaled_tiac_ratio("mono", x, LU177, k)
    assert r == pytest.approx((b + LU177) / (b / k + LU177), rel=1e-10)
    assert 1.0 - 1e-12 <= r <= k + 1e-9
    assert scaled_tiac_ratio("mono", x, LU177, k * 1.5) >= r - 1e-12
    assert scaled_tiac_ratio("mono", np.array([a, 0.0]), LU177, k) == pytest.approx(1.0)


def test_allometric_scaling_of_an_uptake_curve_uses_every_rate() -> None:
    """uptake3 A(exp(-b t) - exp(-(b+ku) t)): both biological rates are divided by k."""
    m = MODELS["uptake3"]
    x = np.array([10.0, 0.05, 0.8])
    k = 3.0
    c, b = m.coefs(x)
    expect = float(np.sum(c / (b / k + LU177)) / np.sum(c / (b + LU177)))
    assert scaled_tiac_ratio("uptake3", x, LU177, k) == pytest.approx(expect, rel=1e-12)


def test_allometric_projection_from_pk_params_and_without() -> None:
    """With pk_params the fitted curve is stretched exactly; without, the mono-exponential of equal peak and TIAC
    is stretched (flagged) - identical for mono-exponential curves."""
    tia = _tia()
    p = _p()
    exact = project_regions(tia, p, "male", "relative_mass_allometric", _params()).set_index("organ")
    plain = project_regions(tia, p, "male", "relative_mass").set_index("organ")
    k = time_scale_factor(73000, 25)
    b = ORGANS["kidney"][1]
    ratio = (b + LU177) / (b / k + LU177)
    assert exact.loc["kidney", "tiac_h_per_g"] == pytest.approx(plain.loc["kidney", "tiac_h_per_g"] * ratio)
    assert exact.loc["kidney", "time_scale_factor"] == pytest.approx(k)
    # lambda_eff of the stretched curve: b/k + lambda_phys
    assert exact.loc["kidney", "lambda_eff_per_h"] == pytest.approx(b / k + LU177, rel=1e-9)
    fallback = project_regions(tia, p, "male", "relative_mass_allometric").set_index("organ")
    assert "time_scaling_effective_monoexponential" in fallback.loc["kidney", "flags"]
    assert fallback.loc["kidney", "tiac_h_per_g"] == pytest.approx(exact.loc["kidney", "tiac_h_per_g"], rel=1e-9)


def test_effective_decay_constant_never_below_physical() -> None:
    reg = project_regions(_tia(), _p(), "male", "relative_mass_allometric")
    lam = reg["lambda_eff_per_h"].dropna()
    assert len(lam) and (lam >= LU177 * (1 - 1e-9)).all()


def test_projected_fraction_above_one_is_an_error() -> None:
    """A peak fraction that the projection (not the mouse data) pushes above 1 stops the run."""
    tia = _tia(organs={"kidney": (90.0 / 0.425, 0.05, 0.425)})  # 90 % of the activity at the peak
    project_regions(tia, _p(), "male", "none")  # no scaling keeps the mouse fraction (0.9): fine
    # relative-mass scaling to the 310 g kidney of the 73 kg man: 211.8 %ID/g x m_body x 310 g / 73 kg, i.e. 22 %
    # from a 25 g mouse, 90 % from a 100 g animal; from a 120 g animal 108 %: impossible, an error
    project_regions(tia.assign(body_mass_g=100.0), _p(), "male", "relative_mass")
    with pytest.raises(InvariantError, match="peak fraction"):
        project_regions(tia.assign(body_mass_g=120.0), _p(), "male", "relative_mass")


def test_human_doses_units_and_methods() -> None:
    p = _p(projection_methods=["relative_mass", "none"])
    hd = human_doses(_tia(), p)
    assert set(hd["method"]) == {"relative_mass", "none"} and set(hd["sex"]) == {"male", "female"}
    assert hd["method"].notna().all()
    k = hd[(hd["organ"] == "kidney") & (hd["sex"] == "male") & (hd["method"] == "relative_mass")].iloc[0]
    # Gy/GBq = 1000 x Gy/MBq of the same TIAC concentration in a sphere of the ICRP 89 kidney mass
    from radiovector.dosimetry import sphere
    from radiovector.dosimetry.organ_doses import GY_FACTOR

    s = sphere("Lu-177", 310.0)
    assert k["dose_self_gy_per_gbq"] == pytest.approx(
        k["tiac_h_per_g"] * s["energy_absorbed_mev"] * GY_FACTOR * 1000, rel=1e-9
    )
    assert k["dose_low_gy_per_gbq"] == pytest.approx(0.8 * k["dose_gy_per_gbq"], rel=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# BED and the patient MTA


def test_bed_instantaneous_and_protracted() -> None:
    """Dale 1985: BED = D (1 + G D/(alpha/beta)); G = 1 for an instantaneous dose, G -> 0 (BED -> D) for delivery
    much slower than repair."""
    assert float(bed(20.0, 2.6, 1.0)) == pytest.approx(20.0 * (1 + 20.0 / 2.6))
    g_slow = float(g_factor(1e-9, 2.8))
    assert float(bed(20.0, 2.6, g_slow)) == pytest.approx(20.0, rel=1e-7)
    g_fast = float(g_factor(1e6, 2.8))
    assert g_fast == pytest.approx(1.0, rel=1e-6)
    # Lu-177 kidney, effective half-life 50 h: G = lambda_eff / (lambda_eff + ln2/2.8 h)
    lam = math.log(2) / 50.0
    assert float(g_factor(lam, 2.8)) == pytest.approx(lam / (lam + math.log(2) / 2.8))
    with pytest.raises(InvariantError):
        bed(1.0, 2.6, 1.5)
    with pytest.raises(InvariantError):
        g_factor(-1.0, 2.8)


@settings(max_examples=80, deadline=None)
@given(d=st.floats(1e-3, 50.0), limit=st.floats(1.0, 100.0), ab=st.floats(0.5, 20.0), g=st.floats(0.0, 1.0))
def test_mta_solves_bed_exactly(d: float, limit: float, ab: float, g: float) -> None:
    a = activity_at_bed(d, limit, ab, g)
    assert float(bed(d * a, ab, g)) == pytest.approx(limit, rel=1e-10)
    assert a <= limit / d * (1 + 1e-12)  # a BED limit never allows more than the absorbed-dose reading


def test_patient_mta_kidney_bed_and_marrow_dose_limits() -> None:
    p = _p(projection_methods=["relative_mass"], patient_sexes=["male"])
    hd = human_doses(_tia(), p)
    limits = load_limits()
    mta = patient_mta(hd, p, limits).iloc[0]
    kid = limits.set_index("organ").loc["kidney"]
    assert kid["limit_kind"] == "bed" and kid["limit_gy"] == 40.0
    assert kid["alpha_beta_gy"] == 2.6 and kid["repair_half_time_h"] == 2.8
    organ = mta["limiting_organ"]
    row = hd[hd["organ"] == organ].iloc[0]
    d = row["dose_rbe_weighted_gy_per_gbq"]
    if mta["limit_kind"] == "bed":
        assert float(bed(d * mta["mta_gbq"], mta["alpha_beta_gy"], mta["g_factor"])) == pytest.approx(
            mta["limit_gy"], rel=1e-10
        )
    else:
        assert d * mta["mta_gbq"] == pytest.approx(mta["limit_gy"], rel=1e-10)
    assert mta["mta_low_gbq"] <= mta["mta_gbq"] <= mta["mta_high_gbq"]
    # no limited organ exceeds its limit at the MTA
    for r in hd.itertuples(index=False):
        if r.organ not in set(limits["organ"]):
            continue
        lim = limits.set_index("organ").loc[r.organ]
        dose_at = r.dose_rbe_weighted_gy_per_gbq * mta["mta_gbq"]
        if lim["limit_kind"] == "absorbed":
            assert dose_at <= lim["limit_gy"] * (1 + 1e-9)
        else:
            g = float(g_factor(r.lambda_eff_per_h, lim["repair_half_time_h"]))
            assert float(bed(dose_at, lim["alpha_beta_gy"], g)) <= lim["limit_gy"] * (1 + 1e-9)


def test_limits_file_errors_name_line_and_column(tmp_path) -> None:
    bad = tmp_path / "limits.csv"
    bad.write_text(
        "organ,limit_kind,limit_gy,alpha_beta_gy,repair_half_time_h,reference\nkidney,bed,40,,2.8,Bodei 2008\n"
    )
    with pytest.raises(InputError, match=r"limits.csv line 2, column alpha_beta_gy"):
        load_limits(bad)
    bad.write_text("organ,limit_kind,limit_gy,alpha_beta_gy,repair_half_time_h,reference\nkidney,absorbed,x,,,ref\n")
    with pytest.raises(InputError, match=r"line 2, column limit_gy"):
        load_limits(bad)


def test_stage_reports_patient_mta_and_keeps_mouse_mta() -> None:
    out = compute_doses(_tia(), {"photon_cross_dose": False, "patient_sex": "female"})
    ti = out["therapeutic_index"].iloc[0]
    assert ti["mta_mbq"] > 0 and ti["patient_mta_gbq"] > 0  # mouse MBq and patient GBq side by side
    assert ti["patient_sex"] == "female" and ti["patient_method"] == "relative_mass"
    m = out["human_mta"]
    sel = m[(m["sex"] == "female") & (m["method"] == "relative_mass")].iloc[0]
    assert ti["patient_mta_gbq"] == sel["mta_gbq"]
    by_size = out["nuclide_by_size"]
    assert (by_size["rank_metric"] == "tumour_dose_at_patient_mta_gy").all()
    assert np.allclose(
        by_size["tumour_dose_at_patient_mta_gy"],
        by_size["patient_dose_rbe_weighted_gy_per_gbq"] * by_size["patient_mta_gbq"],
    )
    allo = compute_doses(_tia(), {"photon_cross_dose": False, "allometric_time_scaling": True})
    assert allo["therapeutic_index"]["patient_method"].iloc[0] == "relative_mass_allometric"
    off = compute_doses(_tia(), {"photon_cross_dose": False, "human_projection": False})
    assert off["human_doses"].empty and off["therapeutic_index"]["patient_mta_gbq"].isna().all()
