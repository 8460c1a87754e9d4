"""Dosimetry physics: ranges, attenuation, sphere absorbed fractions against published reference values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiovector.dosimetry import physics as ph
from radiovector.dosimetry.spheres import MAX_MASS_G, MIN_MASS_G, SphereModel, emissions, sphere, sphere_table


@pytest.mark.parametrize(
    ("energy_mev", "ref_g_cm2"),
    # NIST ESTAR, liquid water, CSDA range (Berger MJ et al., NISTIR 4999; physics.nist.gov/PhysRefData/Star)
    [(0.01, 2.515e-4), (0.1, 1.431e-2), (1.0, 0.4367), (2.0, 0.9785)],
)
def test_electron_csda_range_matches_estar(energy_mev: float, ref_g_cm2: float) -> None:
    assert ph.electron_csda_range(np.array([energy_mev]))[0] == pytest.approx(ref_g_cm2, rel=0.03)


def test_alpha_range_matches_astar() -> None:
    # NIST ASTAR, liquid water, 5 MeV alpha CSDA range 3.623e-3 g/cm^2 (Berger MJ et al., NISTIR 4999)
    assert ph.alpha_csda_range(np.array([5.0]))[0] == pytest.approx(3.623e-3, rel=0.08)


@pytest.mark.parametrize(
    ("energy_mev", "ref_cm2_g"),
    # NIST XCOM / Hubbell & Seltzer (NISTIR 5632) mass energy-absorption coefficients of liquid water
    [
        (0.01, 4.944),
        (0.02, 0.5503),
        (0.03, 0.1557),
        (0.05, 0.04223),
        (0.1, 0.02546),
        (0.2, 0.02967),
        (0.5, 0.03303),
        (1.0, 0.03103),
        (2.0, 0.02608),
    ],
)
def test_mu_en_within_15_percent_of_xcom(energy_mev: float, ref_cm2_g: float) -> None:
    assert ph.photon_mu_en(np.array([energy_mev]))[0] == pytest.approx(ref_cm2_g, rel=0.15)


@pytest.mark.parametrize(
    ("mass_g", "ref"),
    # Lu-177 self-absorbed fraction of the non-penetrating energy in unit-density spheres, OLINDA/EXM sphere model
    # (Stabin MG, Konijnenberg MW. J Nucl Med 2000;41:149-160; values as quoted in issue 7)
    [(0.0043, 0.83), (0.116, 0.95), (0.93, 0.98)],
)
def test_lu177_nonpenetrating_absorbed_fraction_olinda(mass_g: float, ref: float) -> None:
    af = sphere("Lu-177", mass_g)["absorbed_fraction_nonpenetrating"]
    assert af == pytest.approx(ref, rel=0.05)


def test_escape_probability_limits() -> None:
    tau = np.geomspace(1e-6, 1e3, 200)
    p = ph.escape_probability_sphere(tau)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(np.diff(p) <= 1e-12)
    assert p[0] == pytest.approx(1.0, abs=1e-5)
    # thick sphere: P_esc -> 3 / (4 tau) (surface layer)
    assert p[-1] == pytest.approx(3 / (4 * tau[-1]), rel=0.01)


def test_beta_spectrum_energy_matches_icrp107_mean() -> None:
    from radiovector.nuclides import mean_energy_mev

    for nuc in ("Lu-177", "Y-90", "Cu-64", "Ga-68", "Tb-161"):
        m = mean_energy_mev(nuc)
        expect = sum(m[k] for k in ("beta_minus", "beta_plus", "electron_ce", "electron_auger"))
        assert emissions(nuc).emitted_mev()["electron"] == pytest.approx(expect, rel=1e-9)
        assert emissions(nuc).emitted_mev()["photon"] == pytest.approx(m["photon"], rel=1e-9)


def test_size_ordering_of_nuclides() -> None:
    # physics: at 1 mg Y-90 (mean beta 0.93 MeV) loses far more energy than Lu-177 (0.13 MeV)
    t = sphere_table(["Lu-177", "Y-90"], [1e-3]).set_index("nuclide")
    assert t.loc["Y-90", "absorbed_fraction_electrons"] < 0.5 * t.loc["Lu-177", "absorbed_fraction_electrons"]
    # alphas (range 40-90 um) are almost fully absorbed in a 1 mm sphere but not in a single 10 um cell
    a = sphere_table(["Ac-225"], [MIN_MASS_G, 4.2e-3]).set_index("mass_g")["absorbed_fraction_alpha"]
    assert a.iloc[0] < 0.3 < 0.95 < a.iloc[1]


MASSES = np.geomspace(MIN_MASS_G, MAX_MASS_G, 50)


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(
        [
            "Lu-177",
            "Y-90",
            "Tb-161",
            "I-131",
            "Cu-67",
            "Ac-225",
            "Bi-213",
            "Pb-212",
            "At-211",
            "Ga-68",
            "In-111",
            "Tc-99m",
            "Th-227",
            "Sc-47",
            "Ra-223",
        ]
    )
)
def test_physical_limits_property(nuclide: str) -> None:
    t = sphere_table([nuclide], MASSES)
    for col in ("absorbed_fraction_electrons", "absorbed_fraction_photons", "absorbed_fraction_alpha"):
        v = t[col].dropna().to_numpy()
        assert np.all((v >= 0) & (v <= 1)), col
    for cls in ("electron", "photon", "alpha"):
        assert np.all(t[f"{cls}_absorbed_mev"] <= t[f"{cls}_emitted_mev"] * (1 + 1e-9) + 1e-15)
    e = t["absorbed_fraction_electrons"].dropna().to_numpy()
    assert np.all(np.diff(e) >= -1e-9), "electron AF must not decrease with mass"
    a = t["absorbed_fraction_alpha"].dropna().to_numpy()
    assert np.all(np.diff(a) >= -1e-9)
    assert np.all(t["s_value_gy_per_bq_s"] > 0)
    assert np.all(np.diff(t["s_value_gy_per_bq_s"].to_numpy()) < 0), "S decreases with mass"


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=1e-3, max_value=9.0), st.floats(min_value=-8.4, max_value=3.0))
def test_monoenergetic_electron_af_monotone(energy: float, log_mass: float) -> None:
    masses = 10.0 ** np.array([log_mass - 0.5, log_mass])
    model = SphereModel(masses)
    from radiovector.dosimetry.spheres import _interp_rows

    af = _interp_rows(ph.ELECTRON_E_GRID, model._el, np.array([energy]))[0]
    assert 0 <= af[0] <= af[1] <= 1


def test_bad_mass_rejected() -> None:
    from radiovector.errors import InputError

    with pytest.raises(InputError):
        SphereModel([0.0])
    with pytest.raises(InputError):
        sphere("Xx-999", 1.0)


# --- issue 14: path-bounded displacement, small volumes ------------------------------------------------------

# Tolerances per (nuclide, target) against the EGSnrc voxel S-values of Lanconelli et al. (Phys Med Biol
# 2012;57:517; src/radiovector/dosimetry/data/voxel_s_references.csv). Measured: Y-90 self +1.3..+3.5 %, face
# -2.2..+1.9 % (the former Gaussian displacement: self +4.7..+21.7 %); Re-188 self +10.4 % at 2.21 mm (11 mg) and
# +5.6 % at 5 mm, face within 2.2 %; I-131 self +2.2..+2.5 %; Lu-177 self +8.4 % (the reference deposits 0.139 MeV
# per decay in the 3x3x3 voxels around the source, ICRP-107 emits 0.148 MeV of electrons, all absorbed there:
# a decay-data difference, not transport). Face neighbours of I-131 and Lu-177 are photon-dominated (photon
# cross-dose is not modelled) and are not asserted.
VOXEL_TOLERANCE = {
    ("Y-90", "self"): 0.05,
    ("Y-90", "face"): 0.05,
    ("Re-188", "self"): 0.11,
    ("Re-188", "face"): 0.05,
    ("I-131", "self"): 0.05,
    ("Lu-177", "self"): 0.10,
}


def test_voxel_s_values_match_egsnrc_monte_carlo() -> None:
    from radiovector.dosimetry.references import compare_voxels

    df = compare_voxels()
    assert set(df["nuclide"]) >= {"Y-90", "Re-188", "I-131", "Lu-177"}
    checked = 0
    for r in df.itertuples():
        tol = VOXEL_TOLERANCE.get((r.nuclide, r.target))
        if tol is None:
            continue
        checked += 1
        assert abs(r.deviation) <= tol, (r.nuclide, r.voxel_mm, r.target, r.model_s_mgy_per_mbq_s, r.s_mgy_per_mbq_s)
    assert checked == 17
    # every Y-90 voxel (13 mg - 0.83 g) within 5 %: the small-volume over-estimate of issue 14 is gone
    y = df[df["nuclide"] == "Y-90"]
    assert (y["deviation"].abs() < 0.05).all()


def test_displacement_nodes_bounded_and_moment_matched() -> None:
    q = np.linspace(0.02, 0.99, 40)
    nodes = ph.displacement_nodes(q)
    assert np.all((nodes >= 0) & (nodes <= 1.0 + 1e-12)), "an electron is never displaced beyond its path length"
    assert np.allclose((nodes**2).mean(axis=1), q**2, rtol=0.02), "second moment = Lewis <r^2>/s^2"


def test_bounded_distribution_tends_to_gaussian_when_diffusive() -> None:
    rho = np.geomspace(1e-2, 10, 30)
    assert np.allclose(ph.psi_bounded(rho, np.full_like(rho, 0.02)), ph.psi_gauss(rho), atol=5e-3)
    # ballistic limit: r = s exactly, psi_bounded(rho, 1) = psi_sphere(rho)
    x = np.linspace(0.01, 1.9, 30)
    assert np.allclose(ph.psi_bounded(x, np.ones_like(x)), ph.psi_sphere(x), atol=5e-3)


def test_point_pair_factors_integrate_to_target_volume() -> None:
    # int psi_{T<-S}(r) 4 pi r^2 dr = V_T for any source and target (uniform source; Berger 1971)
    r = np.linspace(0.0, 2.0, 4001)
    for neighbour in (False, True):
        v = np.trapezoid(ph.psi_cube(r, 1.0, neighbour) * 4 * np.pi * r**2, r)
        assert v == pytest.approx(1.0, rel=0.01), neighbour
    assert np.trapezoid(ph.psi_sphere(r) * 4 * np.pi * r**2, r) == pytest.approx(4 / 3 * np.pi, rel=1e-3)


def test_sphere_table_equals_direct_quadrature() -> None:
    # the tabulated psi_bounded (sphere model) and the direct node quadrature (any geometry) agree
    radii = np.array([1e-3, 3e-2, 0.3])
    tab = ph.electron_af_grid(radii)
    for k, a in enumerate(radii):
        direct = np.minimum.accumulate(ph.electron_af_psi(lambda r, a=a: ph.psi_sphere(r / a)))
        assert np.allclose(tab[:, k], direct, atol=3e-3)
