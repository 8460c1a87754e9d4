"""One vocabulary per concept (issue 15): organs, nuclide names, ionisable groups, sphere geometry."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from radiovector.candidates import ionisable
from radiovector.dosimetry import compute_doses, physics
from radiovector.dosimetry import stage as dose_stage
from radiovector.errors import InputError
from radiovector.nuclides import canonical_name
from radiovector.nuclides.names import known_nuclides
from radiovector.pk import fit_biodistribution
from radiovector.vocab import organs

ALIASES = sorted(organs.aliases().items())
TIMES = (1, 4, 24, 48, 96, 168)
FAST = {"n_bootstrap": 20}


def _rows(organ, a, b, unit="%ID/g", **extra):
    return [dict(compound="C1", radionuclide="Lu-177", organ=organ, time_h=float(t), value=a * math.exp(-b * t),
                 unit=unit, decay_corrected=True, **extra) for t in TIMES]


# --- organs ------------------------------------------------------------------------------------------------------


def test_both_stages_use_the_one_organ_module():
    from radiovector.dosimetry import indices, organ_doses
    from radiovector.pk import curves

    for module in (curves, organ_doses, indices):
        assert module.canonical_organ is organs.canonical_organ
    assert not hasattr(curves, "_BODY") and not hasattr(organ_doses, "_ORGAN_ALIASES")


@pytest.mark.parametrize(("alias", "organ"), ALIASES)
def test_pk_and_dosimetry_agree_on_every_alias(alias, organ):
    variant = alias.title().replace(" ", "_")  # "whole blood" -> "Whole_Blood"
    assert organs.canonical_organ(variant) == organ
    # pk: the same standard mass as the canonical name
    assert organs.standard_organ_mass_g(variant, 25.0) == organs.standard_organ_mass_g(organ, 25.0)
    # dosimetry: config keys and organ rows map to the canonical name
    p = dose_stage.resolve_params({"organ_masses_g": {variant: 1.0}, "ti_organs": [variant]})
    assert list(p["organ_masses_g"]) == [organ] and p["ti_organs"] == [organ]


def test_organ_kinds():
    assert organs.organ_kind("Whole body") == "whole_body" and organs.is_whole_body("whole_body")
    assert organs.organ_kind("Carcass") == "remainder" and not organs.is_whole_body("carcass")
    assert organs.is_remainder(organs.REMAINDER)
    assert organs.organ_kind("Whole blood") == "tissue" and organs.organ_kind("thymus") == "tissue"


def test_every_mass_row_carries_a_reference():
    table = organs.organ_mass_table()
    assert len(table) and table["reference"].str.len().gt(20).all() and table["source"].str.len().gt(0).all()
    assert set(table["organ"]) <= set(organs.organ_table()["organ"])
    # the Brown et al. 1997 mouse fractions, unchanged from the former pk/organs.py
    assert organs.MOUSE_ORGAN_FRACTION == {
        "liver": 0.055, "kidney": 0.017, "heart": 0.005, "lung": 0.007, "spleen": 0.0035, "brain": 0.017,
        "muscle": 0.384, "skin": 0.165, "gut": 0.042, "blood": 0.049}
    assert organs.REFERENCE_BODY_MASS_G == 25.0
    with pytest.raises(ValueError, match="species"):
        organs.organ_fractions("human")  # ICRP 89 adults are absolute masses: human_organ_masses.csv


def test_whole_blood_gives_red_marrow_rows_end_to_end():
    rows = _rows("Whole blood", 3.0, 0.1) + _rows("Kidneys", 10.0, 0.02) + _rows("tumor", 8, 0.01, organ_mass_g=0.3)
    tia = fit_biodistribution(pd.DataFrame(rows), FAST)["pk_tia"]
    out = compute_doses(tia)
    doses = out["doses"]
    marrow = doses[doses["organ"] == "red marrow"]
    blood = doses[doses["organ"] == "Whole blood"].iloc[0]
    assert len(marrow) == 1 and marrow["organ_class"].iloc[0] == "marrow"
    assert marrow["tiac_h_per_g"].iloc[0] == pytest.approx(0.36 * blood["tiac_h_per_g"])
    ti = out["therapeutic_index"].iloc[0]
    assert np.isfinite(ti["dose_red_marrow_gy_per_mbq"]) and np.isfinite(ti["ti_red_marrow"])
    assert ti["dose_kidney_gy_per_mbq"] > 0  # "Kidneys" reaches the kidney TI column


def test_carcass_is_not_the_whole_body():
    rows = (_rows("kidney", 10.0, 0.02) + _rows("liver", 5.0, 0.05)
            + _rows("carcass", 40.0, 0.05, unit="%ID"))
    pk = fit_biodistribution(pd.DataFrame(rows), FAST)
    check, tia = pk["pk_sum_check"], pk["pk_tia"]
    # carcass %ID adds to the organ sum; the limit stays 100 %ID (no whole-body measurement)
    first = check.iloc[0]
    assert first["n_organs"] == 3 and np.isnan(first["whole_body_pct_id"]) and first["limit_pct_id"] == 100.0
    kid_liv = 0.017 * 25 * 10 * math.exp(-0.02) + 0.055 * 25 * 5 * math.exp(-0.05)
    assert first["sum_pct_id"] == pytest.approx(kid_liv + 40 * math.exp(-0.05), rel=1e-9)
    assert bool(check["within_limit"].all())
    # the measured carcass is the remainder: no derived row, mass = body - listed organs
    assert organs.REMAINDER not in set(tia["organ"])
    carcass = tia[tia["organ"] == "carcass"].iloc[0]
    assert carcass["organ_mass_g"] == pytest.approx(25.0 * (1 - 0.017 - 0.055))
    assert carcass["organ_mass_source"] == "body mass - listed organs"
    # dosimetry: a source region with a dose, never the limiting organ
    out = compute_doses(tia)
    assert "carcass" in set(out["doses"]["organ"])
    assert out["therapeutic_index"]["limiting_organ"].iloc[0] != "carcass"


def test_whole_body_curve_still_sets_the_limit():
    rows = _rows("kidney", 10.0, 0.02) + _rows("Whole_Body", 50.0, 0.05, unit="%ID")
    check = fit_biodistribution(pd.DataFrame(rows), FAST)["pk_sum_check"]
    assert (check["n_organs"] == 1).all()
    assert check["limit_pct_id"].iloc[0] == pytest.approx(50.0 * math.exp(-0.05))


# --- nuclide names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["177Lu", "Lu177", "lu-177", "LU-177", "lu177", "Lu 177", "177-Lu", " Lu-177 ",
                                  "lu_177", "177LU"])
def test_nuclide_normaliser_accepts_common_spellings(text):
    assert canonical_name(text) == "Lu-177"


@pytest.mark.parametrize(("text", "norm"), [("99mTc", "Tc-99m"), ("Tc99m", "Tc-99m"), ("225Ac", "Ac-225"),
                                            ("ga68", "Ga-68"), ("54mn", "Mn-54"), ("Bi-209", "Bi-209")])
def test_nuclide_normaliser_metastable_and_stable(text, norm):
    assert canonical_name(text) == norm


@pytest.mark.parametrize("text", ["Xx-999", "Lu", "177", "", "Lu-1770"])
def test_nuclide_normaliser_rejects(text):
    with pytest.raises(InputError):
        canonical_name(text)


def test_nuclide_normaliser_equals_radioactivedecay_on_every_icrp107_radionuclide():
    rd = pytest.importorskip("radioactivedecay")
    for name in sorted(known_nuclides()):
        element, mass = name.split("-")
        for text in (name, element + mass, mass + element, name.lower()):
            assert canonical_name(text) == str(rd.Nuclide(text).nuclide) == name


# --- ionisable groups --------------------------------------------------------------------------------------------


def test_ionisable_data_rows_carry_references():
    assert all(len(g.reference) > 20 for g in ionisable.groups())
    assert ionisable.cluster_pkas(True, 4) == (11.1, 9.7, 4.9, 4.0)
    assert ionisable.cluster_pkas(False, 5) == (10.5, 8.6, 4.3, 4.3, 4.3)


def test_one_model_for_candidates_and_peptides():
    from rdkit import Chem

    from radiovector.candidates.descriptors import net_charge_ph74

    mol = Chem.MolFromSmiles("NCCCC[C@H](N)C(=O)O")  # lysine: +1 +1 -1 at pH 7.4
    sites = ionisable.find_sites(mol)
    pkas, signs, chel = ionisable.site_arrays(sites)
    assert net_charge_ph74(mol) == round(ionisable.net_charge(sites), 2) == pytest.approx(1.0, abs=0.01)
    assert sorted(pkas) == [4.0, 10.0, 10.0] and not chel.any()
    assert ionisable.isoelectric_point(pkas, signs) == pytest.approx(10.0, abs=0.05)
    with pytest.raises(ValueError):
        ionisable.net_charge(sites, ph=15)


# --- sphere geometry ---------------------------------------------------------------------------------------------


def test_sphere_helpers_round_trip_and_limits():
    r_um = np.array([10.0, 100.0, 1000.0])
    m = physics.sphere_mass_g_from_radius_um(r_um)
    assert m == pytest.approx(4.0 / 3.0 * math.pi * (r_um * 1e-4) ** 3)
    assert physics.sphere_radius_cm_from_mass_g(m) * 1e4 == pytest.approx(r_um)
    assert physics.sphere_mass_g_from_radius_cm(1.0, density_g_cm3=2.0) == pytest.approx(8.0 / 3.0 * math.pi)
    assert isinstance(physics.sphere_mass_g_from_radius_um(450.0), float)
    with pytest.raises(ValueError):
        physics.sphere_mass_g_from_radius_cm(-1.0)
    with pytest.raises(ValueError):
        physics.sphere_radius_cm_from_mass_g([1.0], density_g_cm3=0.0)
