"""Nuclide data against published values (ICRP-107, Eckerman & Endo 2008) and first principles."""

from __future__ import annotations

import math

import pytest

from radiovector.errors import InputError
from radiovector.nuclides import (
    MAIN_CLASSES,
    canonical_name,
    chain_decays_per_parent_decay,
    chain_energy_per_parent_decay,
    decay_chain,
    decay_constant_per_h,
    half_life_h,
    mean_energy_mev,
    nuclide_info,
    theranostic_pairs,
)


def test_lu177_published_values():
    # ICRP-107 (Eckerman & Endo 2008): Lu-177 T1/2 = 6.647 d, mean beta- energy 133.3 keV per decay (issue 6).
    assert half_life_h("Lu-177") == pytest.approx(6.647 * 24, rel=1e-6)
    assert mean_energy_mev("Lu-177")["beta_minus"] == pytest.approx(0.1333, abs=0.0002)
    assert decay_constant_per_h("Lu-177") == pytest.approx(math.log(2) / (6.647 * 24))


def test_y90_mean_beta_energy():
    # ICRP-107: Y-90 mean beta- energy 932.9 keV per decay (issue 6); T1/2 64.1 h.
    assert mean_energy_mev("Y-90")["beta_minus"] == pytest.approx(0.9329, abs=0.0005)
    assert half_life_h("Y-90") == pytest.approx(64.1, rel=1e-6)


def test_ga68_positron_and_annihilation():
    e = mean_energy_mev("Ga-68")
    assert e["beta_minus"] == 0.0
    # ICRP-107 Ga-68 mean beta+ energy ~0.836 MeV per positron x 0.889 positrons per decay ~ 0.74 MeV/decay
    assert 0.70 < e["beta_plus"] < 0.78
    # two 511 keV photons per positron dominate the photon energy
    assert e["photon"] > 2 * 0.511 * 0.85


def test_main_classes_present_and_nonnegative():
    e = mean_energy_mev("Ac-225")
    assert set(MAIN_CLASSES) <= set(e)
    assert all(v >= 0 for v in e.values())
    assert e["alpha"] > 5.0  # Ac-225 alpha ~5.8 MeV


def test_canonical_names_and_unknown():
    assert canonical_name("lu177") == "Lu-177"
    assert canonical_name("177Lu") == "Lu-177"
    assert canonical_name("Tc-99m") == "Tc-99m"
    with pytest.raises(InputError):
        canonical_name("Xx-999")


def test_ac225_chain_equilibrium():
    chain = decay_chain("Ac-225")
    names = list(chain["nuclide"])
    assert names[0] == "Ac-225"
    assert {"Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209"} <= set(names)
    y = dict(zip(chain["nuclide"], chain["decays_per_parent_decay"], strict=True))
    # branching at Bi-213: Po-213 and Tl-209 together carry every Bi-213 decay
    assert y["Po-213"] + y["Tl-209"] == pytest.approx(y["Bi-213"], rel=1e-9)
    totals = chain_energy_per_parent_decay("Ac-225").set_index("nuclide")
    # four alphas per Ac-225 decay at equilibrium, ~27.5 MeV in total (sum of ICRP-107 alpha energies)
    assert 26.5 < totals.loc["TOTAL", "alpha_mev"] < 28.5


def test_pb212_branching():
    y = chain_decays_per_parent_decay("Pb-212").set_index("nuclide")["decays_per_parent_decay"]
    assert y["Po-212"] + y["Tl-208"] == pytest.approx(1.0, abs=1e-6)
    e = chain_energy_per_parent_decay("Pb-212").set_index("nuclide")
    assert 7.0 < e.loc["TOTAL", "alpha_mev"] < 8.2  # one alpha per decay: ~6.05 (Bi-212) or 8.78 (Po-212) MeV


def test_bateman_approaches_equilibrium():
    eq = chain_energy_per_parent_decay("Th-227").set_index("nuclide")
    short = chain_energy_per_parent_decay("Th-227", time_h=24.0).set_index("nuclide")
    long = chain_energy_per_parent_decay("Th-227", time_h=1e6).set_index("nuclide")
    # Ra-223 (T1/2 11.4 d) grows in slowly: within a day far fewer Ra-223 decays than at equilibrium
    assert short.loc["Ra-223", "decays_per_parent_decay"] < 0.2
    assert long.loc["TOTAL", "alpha_mev"] == pytest.approx(eq.loc["TOTAL", "alpha_mev"], rel=1e-3)
    assert short.loc["TOTAL", "alpha_mev"] < eq.loc["TOTAL", "alpha_mev"]
    # the parent's own energy is the same in every window (per parent decay)
    assert short.loc["Th-227", "alpha_mev"] == pytest.approx(eq.loc["Th-227", "alpha_mev"], rel=1e-9)


def test_nuclide_info_to_dict():
    d = nuclide_info("Lu-177").to_dict()
    assert d["name"] == "Lu-177"
    assert d["progeny"] == ["Hf-177"]
    assert d["chain"][0]["nuclide"] == "Lu-177"


def test_theranostic_pairs_have_references():
    pairs = theranostic_pairs()
    assert len(pairs) >= 7
    assert (pairs["reference"].str.len() > 20).all()
    for img, ther in [("Ga-68", "Lu-177"), ("Cu-64", "Cu-67"), ("Tb-152", "Tb-161"), ("Pb-203", "Pb-212"),
                      ("I-124", "I-131"), ("Sc-44", "Sc-47"), ("In-111", "Y-90")]:
        assert ((pairs["imaging_nuclide"] == img) & (pairs["therapy_nuclide"] == ther)).any()
    assert (pairs["imaging_half_life_h"] > 0).all()
