"""Radiation transport approximations for unit-density soft tissue (liquid water), from first principles.

Everything here is computed from physical constants (``scipy.constants``, CODATA 2018) and textbook formulas;
no attenuation or stopping-power table is typed in. See docs/methods/dosimetry.md for the derivations.

Electrons (beta spectra, conversion and Auger electrons)
    * Collision stopping power: Bethe formula for electrons (Rohrlich & Carlson 1954; ICRU Report 37, 1984,
      eq. 2.2) for water, I = 75 eV (ICRU 37), Z/A = 10/18.015, no density-effect correction (< 1 % below
      2 MeV in water). Radiative stopping: S_rad / S_col = T Z / 800 MeV with Z = 7.42 (Attix FH, Introduction
      to Radiological Physics and Radiation Dosimetry, Wiley 1986, eq. 8.12 and the effective Z of water).
    * CSDA range R(E) = integral of dE / S(E) (the continuous-slowing-down approximation).
    * Angular diffusion: transport mean free path lambda_1 from the screened-Rutherford (Wentzel) cross section
      with Moliere's screening parameter (Moliere 1947; Salvat F et al., PENELOPE manual, OECD/NEA 2015,
      sect. 3.1), electron-electron scattering by Z(Z+1). Lewis (1950, Phys Rev 78:526) showed that the
      mean direction cosine after path length s is exp(-int ds/lambda_1), which gives the exact mean-square
      displacement <r^2(s)> of a CSDA electron (a worm-like chain with energy-dependent persistence length).
    * Absorbed fraction of a monoenergetic source uniform in a sphere of radius a: energy deposited at path
      length s (dE/ds = S) at a displacement r drawn from an isotropic Gaussian (Maxwell) distribution with
      <r^2(s)>, weighted by the geometric reduction factor psi(r/a) = 1 - 3r/(4a) + r^3/(16a^3) (r <= 2a; the
      probability that a point at distance r from a random point of the sphere lies inside it: Berger MJ,
      MIRD Pamphlet 7, J Nucl Med 1971;12 Suppl 5:5-23, eq. 18).
Alphas
    * Bethe stopping power for a bare helium nucleus (z = 2; ICRU Report 49, 1993, eq. 2.1) above 1 MeV;
      below 1 MeV (the last ~5 um of track) the stopping power is held at its 1 MeV value. Straight tracks.
Photons
    * Mass energy-absorption coefficient of water: Klein-Nishina energy-transfer cross section (exact, per
      electron; Klein & Nishina 1929) plus K-shell photoabsorption of oxygen from the hydrogenic Stobbe formula
      (Stobbe 1930; Bethe & Salpeter, Quantum Mechanics of One- and Two-Electron Atoms, 1957, eq. 71.x) with
      Slater screening Z - 0.3. Coherent scattering deposits no energy; pair production (> 1.022 MeV) and L-shell
      absorption are neglected. Agreement with NIST XCOM mu_en/rho (Hubbell & Seltzer, NISTIR 5632) is within
      15 % from 10 keV to 2 MeV (tests/test_dosimetry_physics.py).
    * Absorbed fraction in a sphere: 1 - P_esc(mu_en a), the first-flight escape probability of a uniform
      isotropic source in a sphere (Case KM, de Hoffmann F, Placzek G. Introduction to the Theory of Neutron
      Diffusion, LANL 1953) evaluated with mu_en (the "mu_en approximation" for scattered photons).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
from scipy import constants as _C

# --- physical constants (CODATA 2018 via scipy.constants) -------------------------------------------------
ME_MEV: float = _C.physical_constants["electron mass energy equivalent in MeV"][0]
M_ALPHA_MEV: float = _C.physical_constants["alpha particle mass energy equivalent in MeV"][0]
R_E_CM: float = _C.physical_constants["classical electron radius"][0] * 100.0
A0_CM: float = _C.physical_constants["Bohr radius"][0] * 100.0
RYDBERG_MEV: float = _C.physical_constants["Rydberg constant times hc in eV"][0] * 1e-6
HBARC_MEV_CM: float = _C.hbar * _C.c / _C.e * 1e-6 * 100.0
ALPHA_FS: float = _C.fine_structure
N_A: float = _C.N_A
MEV_TO_J: float = _C.e * 1e6

# --- water (unit-density soft tissue) ---------------------------------------------------------------------
#: Molar mass of H2O, g/mol (IUPAC standard atomic weights: H 1.008, O 15.999).
WATER_MOLAR_MASS: float = 2 * 1.008 + 15.999
#: Electrons per gram of water.
WATER_ELECTRONS_PER_G: float = 10.0 * N_A / WATER_MOLAR_MASS
#: Mean excitation energy of liquid water, MeV (ICRU Report 37, 1984: 75.0 eV).
WATER_I_MEV: float = 75.0e-6
#: Effective atomic number of water, 7.42 (Spiers FW, Br J Radiol 1946;19:52), used in Attix's S_rad/S_col.
WATER_Z_EFF: float = 7.42
#: Atoms per molecule (Z, count).
WATER_ATOMS: tuple[tuple[int, int], ...] = ((1, 2), (8, 1))
#: Density, g/cm^3 (unit-density soft tissue, as in the OLINDA sphere model).
DENSITY_G_CM3: float = 1.0

# Grids on which monoenergetic quantities are tabulated (interpolated in log E).
ELECTRON_E_GRID = np.geomspace(1e-3, 10.0, 161)  # MeV
ALPHA_E_GRID = np.geomspace(1.0, 12.0, 61)  # MeV
PHOTON_E_MIN = 1e-3  # MeV; photons below this are absorbed locally (AF = 1)
_PATH_POINTS = 256


def electron_stopping_power(e_mev: np.ndarray) -> np.ndarray:
    """Total (collision + radiative) mass stopping power of water for electrons, MeV cm^2/g."""
    e = np.asarray(e_mev, dtype=float)
    tau = e / ME_MEV
    gamma = tau + 1.0
    beta2 = 1.0 - 1.0 / gamma**2
    f_minus = 1.0 - beta2 + (tau**2 / 8.0 - (2.0 * tau + 1.0) * np.log(2.0)) / (tau + 1.0) ** 2
    arg = tau**2 * (tau + 2.0) / (2.0 * (WATER_I_MEV / ME_MEV) ** 2)
    s_col = 2 * np.pi * R_E_CM**2 * ME_MEV * WATER_ELECTRONS_PER_G / beta2 * (np.log(arg) + f_minus)
    return s_col * (1.0 + e * WATER_Z_EFF / 800.0)


@cache
def _electron_range_table() -> tuple[np.ndarray, np.ndarray]:
    e = np.geomspace(1e-3, 20.0, 6000)
    inv = 1.0 / electron_stopping_power(e)
    # below 1 keV: constant stopping power (range ~ E / S), a < 0.1 um correction
    r = e[0] * inv[0] + np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(e))])
    return e, r


def electron_csda_range(e_mev: np.ndarray) -> np.ndarray:
    """CSDA range of electrons in water, g/cm^2 (= cm at unit density)."""
    e, r = _electron_range_table()
    x = np.asarray(e_mev, dtype=float)
    return np.where(x < e[0], x * r[0] / e[0], np.interp(x, e, r))


def _energy_at_range(r_cm: np.ndarray) -> np.ndarray:
    e, r = _electron_range_table()
    return np.interp(r_cm, r, e)


def inverse_transport_mfp(e_mev: np.ndarray) -> np.ndarray:
    """1 / lambda_1 for electrons in water, cm^2/g (screened Rutherford, Moliere screening, Z(Z+1))."""
    e = np.asarray(e_mev, dtype=float)
    pc = np.sqrt(e * (e + 2 * ME_MEV))
    beta = pc / (e + ME_MEV)
    total = np.zeros_like(e)
    for z, n in WATER_ATOMS:
        a_tf = 0.885 * A0_CM * z ** (-1.0 / 3.0)  # Thomas-Fermi radius
        screen = (HBARC_MEV_CM / (2 * pc * a_tf)) ** 2 * (1.13 + 3.76 * (ALPHA_FS * z / beta) ** 2)
        sig = (
            2
            * np.pi
            * z
            * (z + 1)
            * R_E_CM**2
            * (ME_MEV / (pc * beta)) ** 2
            * (np.log1p(1 / screen) - 1 / (1 + screen))
        )
        total = total + n * sig
    return total * N_A / WATER_MOLAR_MASS


@cache
def electron_path_kernels() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Path-length kernels on :data:`ELECTRON_E_GRID`.

    Returns (s, ds, dep, r_rms): per energy, the path length s (cm) of each path point, the path-step weights ds
    (cm), the energy deposited per unit path dE/ds at each point (MeV/cm) and the rms displacement from the
    origin (cm, Lewis 1950); shapes (n_E, n_s).
    """
    e0 = ELECTRON_E_GRID
    r0 = electron_csda_range(e0)
    u = np.linspace(0.0, 1.0, _PATH_POINTS)
    s = r0[:, None] * u[None, :]
    e_res = _energy_at_range(np.maximum(r0[:, None] - s, 0.0))
    e_res = np.maximum(e_res, 1e-4)
    dep = electron_stopping_power(e_res)
    g = inverse_transport_mfp(np.maximum(e_res, 1e-3))
    ds = np.diff(s, axis=1)
    # stable recursion for inner(s1) = int_0^s1 exp(-int_s2^s1 g) ds2 and <r^2> = 2 int_0^s inner ds1
    inner = np.zeros_like(s)
    for j in range(1, s.shape[1]):
        step = 0.5 * (g[:, j] + g[:, j - 1]) * ds[:, j - 1]
        att = np.exp(-step)
        inner[:, j] = inner[:, j - 1] * att + ds[:, j - 1] * 0.5 * (1 + att)
    r2 = 2 * np.concatenate(
        [np.zeros((len(e0), 1)), np.cumsum(0.5 * (inner[:, 1:] + inner[:, :-1]) * ds, axis=1)], axis=1
    )
    # <r^2> <= s^2 holds exactly (|r| <= s); the trapezoid sums can exceed it by rounding at the first steps
    r2 = np.minimum(r2, s**2)
    w = np.zeros_like(s)
    w[:, 1:] += 0.5 * ds
    w[:, :-1] += 0.5 * ds
    # normalise so that the deposited energy integrates to E0 exactly (CSDA energy conservation)
    dep = dep * (e0 / np.sum(dep * w, axis=1))[:, None]
    return s, w, dep, np.sqrt(r2)


def electron_kernels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ds, dep, r_rms) of :func:`electron_path_kernels` (kept for callers that do not need s)."""
    _, w, dep, r = electron_path_kernels()
    return w, dep, r


# --- displacement distribution ---------------------------------------------------------------------------
# The displacement r of an electron after path length s obeys r <= s, and the Lewis theory gives <r^2(s)>
# exactly. An isotropic Gaussian with that variance (the previous model) puts part of the displacement beyond
# s and, near the start of a track (s << lambda_1, nearly straight flight, r ~ s), spreads r down to 0: there it
# underestimates the typical displacement (mean r 0.92 r_rms instead of ~r_rms) and so overestimates the energy
# deposited near the source. The distribution used now: t = (r/s)^2 ~ Beta(3/2, k + 1), i.e. the radial density
# p(r) ~ r^2 (1 - r^2/s^2)^k on [0, s], with k fixed by the exact second moment, <r^2>/s^2 = 3 / (2k + 5).
# It is bounded by the path length, reduces to the Maxwell (Gaussian) distribution of the same variance in the
# diffusive limit (k -> infinity: (1 - r^2/s^2)^k -> exp(-k r^2/s^2)) and to straight flight (r = s) in the
# ballistic limit (<r^2> -> s^2, k -> -1). No parameter is fitted: the only input is Lewis' <r^2(s)>.
_Q_GRID = np.linspace(0.0, 1.0, 201)  # q = r_rms / s
_N_NODES = 64


@cache
def _displacement_node_table() -> np.ndarray:
    """Equal-probability nodes of r/s on :data:`_Q_GRID`, shape (len(_Q_GRID), _N_NODES)."""
    from scipy.special import betaincinv

    p = (np.arange(_N_NODES) + 0.5) / _N_NODES
    out = np.empty((len(_Q_GRID), _N_NODES))
    inner = (_Q_GRID > 0.0) & (_Q_GRID < 1.0 - 1e-9)
    k = (3.0 / _Q_GRID[inner] ** 2 - 5.0) / 2.0
    out[inner] = np.sqrt(betaincinv(1.5, (k + 1.0)[:, None], p[None, :]))
    out[_Q_GRID <= 0.0] = 0.0
    out[_Q_GRID >= 1.0 - 1e-9] = 1.0
    return out


def displacement_nodes(q: np.ndarray) -> np.ndarray:
    """Equal-probability nodes of r/s (shape q.shape + (64,)) for rms-displacement-to-path ratios q = r_rms/s.

    The mean of any function f(r) over the displacement distribution at path s is ``f(s * nodes).mean(-1)``.
    """
    q = np.clip(np.asarray(q, dtype=float), 0.0, 1.0)
    tab = _displacement_node_table()
    x = q * (len(_Q_GRID) - 1)
    i = np.clip(np.floor(x).astype(int), 0, len(_Q_GRID) - 2)
    f = (x - i)[..., None]
    return tab[i] * (1 - f) + tab[i + 1] * f


def psi_sphere(x: np.ndarray) -> np.ndarray:
    """Geometric reduction factor of a sphere: x = r / a (Berger 1971)."""
    x = np.asarray(x, dtype=float)
    return np.where(x < 2.0, 1.0 - 0.75 * x + x**3 / 16.0, 0.0)


@cache
def _psi_gauss_table() -> tuple[np.ndarray, np.ndarray]:
    """psi averaged over a Maxwell distribution of r with <r^2> = (rho a)^2, tabulated in rho."""
    rho = np.geomspace(1e-5, 1e3, 801)
    uu = np.linspace(0.0, 6.0, 1201)
    pdf = np.sqrt(2 / np.pi) * 3**1.5 * uu**2 * np.exp(-1.5 * uu**2)
    pdf /= np.trapezoid(pdf, uu)
    vals = np.trapezoid(psi_sphere(rho[:, None] * uu[None, :]) * pdf[None, :], uu, axis=1)
    return np.log(rho), vals


def psi_gauss(rho: np.ndarray) -> np.ndarray:
    lr, vals = _psi_gauss_table()
    rho = np.asarray(rho, dtype=float)
    return np.interp(np.log(np.maximum(rho, 1e-300)), lr, vals, left=1.0, right=0.0)


@cache
def _psi_bounded_table() -> tuple[np.ndarray, np.ndarray]:
    """psi averaged over the path-bounded displacement distribution, tabulated in (log rho, q).

    rho = r_rms / a (a the sphere radius), q = r_rms / s; returns (log rho grid, table of shape (n_rho, n_q)).
    """
    rho = np.geomspace(1e-5, 1e3, 801)
    nodes = _displacement_node_table()  # r/s
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(_Q_GRID > 0, 1.0 / np.maximum(_Q_GRID, 1e-300), 0.0)  # r/r_rms = (r/s) / q
    vals = np.empty((len(rho), len(_Q_GRID)))
    for j, q in enumerate(_Q_GRID):
        if q <= 0.0:
            vals[:, j] = _psi_gauss_table()[1]
        else:
            vals[:, j] = psi_sphere(rho[:, None] * (nodes[j] * scale[j])[None, :]).mean(axis=1)
    return np.log(rho), vals


def psi_bounded(rho: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Mean geometric factor psi(r/a) over the path-bounded displacement distribution.

    rho = r_rms / a, q = r_rms / s (same shape); bilinear in (log rho, q); 1 below the grid, 0 above it.
    """
    lr, vals = _psi_bounded_table()
    rho = np.asarray(rho, dtype=float)
    q = np.clip(np.asarray(q, dtype=float), 0.0, 1.0)
    x = (np.log(np.maximum(rho, 1e-300)) - lr[0]) / (lr[1] - lr[0])
    i = np.clip(np.floor(x).astype(int), 0, len(lr) - 2)
    fx = np.clip(x - i, 0.0, 1.0)
    y = q * (len(_Q_GRID) - 1)
    j = np.clip(np.floor(y).astype(int), 0, len(_Q_GRID) - 2)
    fy = y - j
    v = (
        vals[i, j] * (1 - fx) * (1 - fy)
        + vals[i + 1, j] * fx * (1 - fy)
        + vals[i, j + 1] * (1 - fx) * fy
        + vals[i + 1, j + 1] * fx * fy
    )
    return np.where(x < 0, 1.0, np.where(x > len(lr) - 1, 0.0, v))


def _positive(name: str, value: float | np.ndarray, allow_zero: bool = True) -> None:
    arr = np.asarray(value, dtype=float)
    ok = np.isfinite(arr) & ((arr >= 0) if allow_zero else (arr > 0))
    if not np.all(ok):
        raise ValueError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {value!r}")


def sphere_mass_g_from_radius_cm(
    radius_cm: float | np.ndarray, density_g_cm3: float = DENSITY_G_CM3
) -> float | np.ndarray:
    """Mass (g) of a sphere of radius ``radius_cm`` (cm) and density ``density_g_cm3`` (g/cm^3): 4/3 pi r^3 rho.

    A float gives a float, an array (or list) an array; ValueError for negative or non-finite radii or a density
    that is not > 0."""
    _positive("sphere radius (cm)", radius_cm)
    _positive("density (g/cm^3)", density_g_cm3, allow_zero=False)
    r = radius_cm if isinstance(radius_cm, float | int) else np.asarray(radius_cm, dtype=float)
    return 4.0 / 3.0 * math.pi * r**3 * density_g_cm3


def sphere_mass_g_from_radius_um(
    radius_um: float | np.ndarray, density_g_cm3: float = DENSITY_G_CM3
) -> float | np.ndarray:
    """Mass (g) of a sphere of radius ``radius_um`` (micrometres); see :func:`sphere_mass_g_from_radius_cm`."""
    r = radius_um if isinstance(radius_um, float | int) else np.asarray(radius_um, dtype=float)
    return sphere_mass_g_from_radius_cm(r * 1e-4, density_g_cm3)


def sphere_radius_cm_from_mass_g(mass_g: float | np.ndarray, density_g_cm3: float = DENSITY_G_CM3) -> np.ndarray:
    """Radius (cm) of a sphere of ``mass_g`` grams and density ``density_g_cm3`` (g/cm^3), as an array.

    ValueError for negative or non-finite masses or a density that is not > 0."""
    _positive("sphere mass (g)", mass_g)
    _positive("density (g/cm^3)", density_g_cm3, allow_zero=False)
    return (3.0 * np.asarray(mass_g, dtype=float) / (4.0 * np.pi * density_g_cm3)) ** (1.0 / 3.0)


#: Displacement distributions of :func:`electron_af_grid`: "bounded" (default, r <= s) or "gaussian" (previous).
DISPLACEMENT_MODELS = ("bounded", "gaussian")


def electron_af_grid(radii_cm: np.ndarray, displacement: str = "bounded") -> np.ndarray:
    """Self-absorbed fraction of monoenergetic electrons, shape (len(ELECTRON_E_GRID), len(radii)).

    ``displacement``: "bounded" (path-bounded, moment-matched; the default) or "gaussian" (isotropic Gaussian
    with Lewis' variance, the model before issue 14, kept for comparison).
    """
    if displacement not in DISPLACEMENT_MODELS:
        raise ValueError(f"displacement must be one of {DISPLACEMENT_MODELS}, got {displacement!r}")
    s, w, dep, r = electron_path_kernels()
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(s > 0, r / np.where(s > 0, s, 1.0), 1.0)
    radii = np.asarray(radii_cm, dtype=float)
    out = np.empty((len(ELECTRON_E_GRID), len(radii)))
    wd = w * dep
    tot = wd.sum(axis=1)
    for k, a in enumerate(radii):
        psi = psi_bounded(r / a, q) if displacement == "bounded" else psi_gauss(r / a)
        out[:, k] = (wd * psi).sum(axis=1) / tot
    out = np.clip(out, 0.0, 1.0)
    # monotone in energy at fixed size (physical: higher energy, longer range, more escape)
    return np.minimum.accumulate(out, axis=0)


def electron_af_psi(psi: Callable[[np.ndarray], np.ndarray], displacement: str = "bounded") -> np.ndarray:
    """Absorbed fraction of monoenergetic electrons (on :data:`ELECTRON_E_GRID`) for any source/target geometry.

    ``psi(r_cm)`` is the geometry's point-pair factor: the probability that a point at distance r (cm, random
    direction) from a random source point lies in the target. The energy deposited at path s is averaged over the
    displacement distribution (:func:`displacement_nodes`, or the Gaussian with ``displacement="gaussian"``).
    """
    if displacement not in DISPLACEMENT_MODELS:
        raise ValueError(f"displacement must be one of {DISPLACEMENT_MODELS}, got {displacement!r}")
    s, w, dep, r_rms = electron_path_kernels()
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(s > 0, r_rms / np.where(s > 0, s, 1.0), 1.0)
    nodes = displacement_nodes(q) if displacement == "bounded" else q[..., None] * _maxwell_nodes()
    vals = psi(s[..., None] * nodes).mean(axis=-1)
    wd = w * dep
    return np.clip((wd * vals).sum(axis=1) / wd.sum(axis=1), 0.0, 1.0)


@cache
def _maxwell_nodes() -> np.ndarray:
    """Equal-probability nodes of r / r_rms of the Maxwell distribution (isotropic Gaussian displacement)."""
    from scipy.special import gammaincinv

    p = (np.arange(_N_NODES) + 0.5) / _N_NODES
    return np.sqrt(2.0 * gammaincinv(1.5, p) / 3.0)


@cache
def _octant_directions(n: int = 4000) -> np.ndarray:
    """|u| components of n quasi-uniform unit vectors (Fibonacci sphere), shape (n, 3)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = np.pi * (1.0 + 5.0**0.5) * i
    rr = np.sqrt(1.0 - z * z)
    return np.abs(np.stack([rr * np.cos(phi), rr * np.sin(phi), z], axis=1))


def psi_cube(r: np.ndarray, side: float, neighbour: bool = False) -> np.ndarray:
    """Point-pair factor of a cube of side ``side`` (same unit as r): source uniform in the cube, target the cube
    itself or (``neighbour``) the face-adjacent cube. For a displacement d, the fraction of source points whose
    end point lies in the target is the product over axes of the overlap of the shifted cube (exact); averaged
    over isotropic directions (4000-point Fibonacci quadrature)."""
    u = _octant_directions()
    r = np.asarray(r, dtype=float)
    flat = r.reshape(-1)
    out = np.empty(flat.size)
    for i0 in range(0, flat.size, 256):
        rr = flat[i0 : i0 + 256, None]
        a = np.clip(1.0 - rr * u[:, 0] / side, 0.0, None) * np.clip(1.0 - rr * u[:, 1] / side, 0.0, None)
        if neighbour:  # +z and -z displacements with equal weight; the target is shifted by +side along z
            dz = rr * u[:, 2]
            z = 0.5 * (
                np.clip(1.0 - np.abs(dz - side) / side, 0.0, None) + np.clip(1.0 - np.abs(-dz - side) / side, 0.0, None)
            )
        else:
            z = np.clip(1.0 - rr * u[:, 2] / side, 0.0, None)
        out[i0 : i0 + 256] = (a * z).mean(axis=1)
    return out.reshape(r.shape)


def alpha_stopping_power(e_mev: np.ndarray) -> np.ndarray:
    """Electronic stopping power of water for alpha particles, MeV cm^2/g (Bethe, z = 2; const below 1 MeV)."""
    e = np.maximum(np.asarray(e_mev, dtype=float), 1.0)
    gamma = 1.0 + e / M_ALPHA_MEV
    beta2 = 1.0 - 1.0 / gamma**2
    arg = 2 * ME_MEV * beta2 * gamma**2 / WATER_I_MEV
    return 4 * np.pi * R_E_CM**2 * ME_MEV * WATER_ELECTRONS_PER_G * 4.0 / beta2 * (np.log(arg) - beta2)


@cache
def _alpha_range_table() -> tuple[np.ndarray, np.ndarray]:
    e = np.linspace(0.0, 15.0, 3001)
    inv = 1.0 / alpha_stopping_power(e)
    r = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(e))])
    return e, r


def alpha_csda_range(e_mev: np.ndarray) -> np.ndarray:
    """CSDA range of alpha particles in water, g/cm^2."""
    e, r = _alpha_range_table()
    return np.interp(np.asarray(e_mev, dtype=float), e, r)


@cache
def alpha_path_kernels() -> tuple[np.ndarray, np.ndarray]:
    """Straight-track alpha kernels on :data:`ALPHA_E_GRID`: (s, wd), path length s (cm) of each track point and
    the energy deposited in its path step (MeV cm^2/g x cm, trapezoid weights, unnormalised); shapes (n_E, 400)."""
    e_tab, r_tab = _alpha_range_table()
    e0 = ALPHA_E_GRID
    r0 = alpha_csda_range(e0)
    u = np.linspace(0.0, 1.0, 400)
    s = r0[:, None] * u[None, :]
    e_res = np.interp(r0[:, None] - s, r_tab, e_tab)
    dep = alpha_stopping_power(e_res)
    wd = dep * (s[:, 1:2] - s[:, 0:1])
    wd[:, [0, -1]] *= 0.5
    return s, wd


def alpha_af_grid(radii_cm: np.ndarray) -> np.ndarray:
    """Self-absorbed fraction of monoenergetic alphas (straight tracks), shape (len(ALPHA_E_GRID), len(radii))."""
    s, wd = alpha_path_kernels()
    tot = wd.sum(axis=1)
    radii = np.asarray(radii_cm, dtype=float)
    out = np.stack([(wd * psi_sphere(s / a)).sum(axis=1) / tot for a in radii], axis=1)
    return np.minimum.accumulate(np.clip(out, 0.0, 1.0), axis=0)


def _kn_transfer_per_electron(e_mev: np.ndarray) -> np.ndarray:
    k = (np.asarray(e_mev, dtype=float) / ME_MEV)[:, None]
    mu = np.linspace(-1.0, 1.0, 2001)[None, :]
    ratio = 1.0 / (1.0 + k * (1.0 - mu))  # E'/E
    dsig = np.pi * R_E_CM**2 * ratio**2 * (ratio + 1.0 / ratio - (1.0 - mu**2))  # dsigma/dcos(theta)
    return np.trapezoid(dsig * (1.0 - ratio), mu[0], axis=1)


def _photoelectric_oxygen_k(e_mev: np.ndarray) -> np.ndarray:
    """K-shell photoabsorption cross section of oxygen (2 electrons), cm^2/atom, hydrogenic Stobbe formula."""
    z_s = 8 - 0.3
    i_k = z_s**2 * RYDBERG_MEV
    e = np.maximum(np.asarray(e_mev, dtype=float), 1.001 * i_k)
    n = np.sqrt(i_k / (e - i_k))
    f = np.exp(-4 * n * np.arctan(1 / n)) / (-np.expm1(-2 * np.pi * n))
    return 2 * (2**9 * np.pi**2 / 3) * ALPHA_FS * A0_CM**2 / z_s**2 * (i_k / e) ** 4 * f


@cache
def _mu_en_table() -> tuple[np.ndarray, np.ndarray]:
    e = np.geomspace(PHOTON_E_MIN, 20.0, 400)
    mu = _kn_transfer_per_electron(e) * WATER_ELECTRONS_PER_G + _photoelectric_oxygen_k(e) * N_A / WATER_MOLAR_MASS
    return np.log(e), np.log(mu)


def photon_mu_en(e_mev: np.ndarray) -> np.ndarray:
    """Mass energy-absorption coefficient of water, cm^2/g (see module docstring; > 1 keV)."""
    le, lmu = _mu_en_table()
    return np.exp(np.interp(np.log(np.maximum(np.asarray(e_mev, dtype=float), PHOTON_E_MIN)), le, lmu))


def escape_probability_sphere(tau: np.ndarray) -> np.ndarray:
    """First-flight escape probability from a sphere of optical radius tau = mu a, uniform isotropic source."""
    t = np.asarray(tau, dtype=float)
    small = t < 1e-3
    ts = np.where(small, 1.0, t)
    p = 3.0 / (8.0 * ts**3) * (2 * ts**2 - 1 + (1 + 2 * ts) * np.exp(-2 * ts))
    return np.clip(np.where(small, 1.0 - 0.75 * t, p), 0.0, 1.0)


def photon_af(e_mev: np.ndarray, radii_cm: np.ndarray) -> np.ndarray:
    """Self-absorbed fraction of photons, shape (len(e), len(radii)); photons below 1 keV absorbed locally."""
    e = np.asarray(e_mev, dtype=float)
    radii = np.asarray(radii_cm, dtype=float)
    tau = photon_mu_en(e)[:, None] * DENSITY_G_CM3 * radii[None, :]
    af = 1.0 - escape_probability_sphere(tau)
    return np.where(e[:, None] < PHOTON_E_MIN, 1.0, af)
