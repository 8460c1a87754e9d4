"""MIRD cellular S-values for a cell and its nucleus as concentric unit-density spheres (any ICRP-107 nuclide).

Geometry (Goddu SM, Howell RW, Bouchet LG, Bolch WE, Rao DV. MIRD Cellular S Values, SNM 1997; Goddu SM et al.,
J Nucl Med 1994;35:303-316): a spherical cell of radius R_C with a concentric spherical nucleus of radius R_N < R_C,
both liquid water (1 g/cm^3). Sources uniform in the nucleus (N), the cytoplasm (Cy, the shell R_N < r < R_C), on
the cell surface (CS, the sphere r = R_C) or in the whole cell (C); targets the nucleus (N) or the cell (C).

    S(T <- S) = sum_i Delta_i phi_i(T <- S) / m_T        (Gy per Bq s; Delta_i = E_i Y_i in J)

phi_i(T <- S) = (1/E_i) int (dE/ds) <psi_{T<-S}(r)>_s ds: the energy deposited along the electron's (or alpha's)
path s, at a displacement r from the emission point, weighted by the point-pair geometric factor psi_{T<-S}(r),
the probability that a point at distance r (random direction) from a random source point lies in the target.
For a source point at distance rho from the centre, the fraction of the sphere of radius r around it that lies
inside a centred sphere of radius R is 1 (rho + r <= R), 0 (|rho - r| >= R, outside) or the spherical-cap
fraction (R^2 - (rho - r)^2) / (4 rho r); psi_{T<-S}(r) averages it over the radial density of source points
(3 rho^2 / (R_2^3 - R_1^3) for a volume, a delta at R_C for the surface). This is the distance-distribution
formulation of Goddu et al. (and of Berger's psi for a sphere, MIRD Pamphlet 7, which psi_{C<-C} reproduces).

Transport: electrons (beta spectra, conversion and Auger electrons) use the CSDA path kernels and the
path-bounded displacement distribution of :mod:`.physics` (the sphere model's transport, unchanged); alphas go
straight (r = s) with the Bethe Bragg curve. Electrons below 1 keV (range < 0.1 um in this model) use the 1 keV
kernel. Photons (gamma, X-ray, annihilation) are neglected, as in Goddu et al. 1997: a cell of radius R_C
absorbs about 0.75 mu_en R_C of the photon energy (R_C = 10 um: 0.4 % at 10 keV, < 0.05 % above 30 keV).
Alpha recoil energy is not counted.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.errors import InputError, InvariantError

#: (target, source) pairs with the output key of each S-value (Gy per Bq s).
PAIRS: dict[tuple[str, str], str] = {
    ("nucleus", "nucleus"): "s_nucleus_from_nucleus_gy_per_bq_s",
    ("nucleus", "cytoplasm"): "s_nucleus_from_cytoplasm_gy_per_bq_s",
    ("nucleus", "cell_surface"): "s_nucleus_from_cell_surface_gy_per_bq_s",
    ("cell", "cell"): "s_cell_from_cell_gy_per_bq_s",
}
SOURCES = ("nucleus", "cytoplasm", "cell_surface", "cell")
TARGETS = ("nucleus", "cell")
_N_RHO = 1200  # source-radius nodes (equal-volume midpoints)
_N_R = 3000  # distance grid of psi


def _check_radii(cell_radius_um: float, nucleus_radius_um: float) -> None:
    for name, v in (("cell radius", cell_radius_um), ("nucleus radius", nucleus_radius_um)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number of micrometres, got {v!r}")
    if not nucleus_radius_um < cell_radius_um:
        raise InputError(
            f"nucleus radius ({nucleus_radius_um:g} um) must be smaller than the cell radius ({cell_radius_um:g} um)",
            hint="give --nucleus-radius-um < --cell-radius-um (e.g. --cell-radius-um 5 --nucleus-radius-um 3)",
        )


def _inside_fraction(rho: np.ndarray, r: np.ndarray, big_r: float) -> np.ndarray:
    """Fraction of the sphere of radius r centred at distance rho from the centre lying inside the centred sphere
    of radius big_r (broadcasting)."""
    rho, r = np.broadcast_arrays(np.asarray(rho, dtype=float), np.asarray(r, dtype=float))
    full = rho + r <= big_r
    none = np.abs(rho - r) >= big_r
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = (big_r**2 - (rho - r) ** 2) / (4.0 * rho * r)
    return np.where(full, 1.0, np.where(none, 0.0, np.clip(cap, 0.0, 1.0)))


def _source_radii(source: str, rc: float, rn: float) -> tuple[np.ndarray, np.ndarray]:
    """Radii (same unit as rc, rn) and weights (sum 1) of source points of a source region: midpoints of a uniform
    grid in rho weighted by rho^2 for volumes (resolution (R_2 - R_1) / n everywhere), one point for the surface."""
    if source == "cell_surface":
        return np.array([rc]), np.array([1.0])
    bounds = {"nucleus": (0.0, rn), "cell": (0.0, rc), "cytoplasm": (rn, rc)}
    if source not in bounds:
        raise ValueError(f"unknown source region {source!r}; one of {SOURCES}")
    lo, hi = bounds[source]
    edges = np.linspace(lo, hi, _N_RHO + 1)
    rho = 0.5 * (edges[1:] + edges[:-1])
    w = np.diff(edges**3)  # exact shell volumes (x 3/(4 pi))
    return rho, w / w.sum()


def geometric_factor(target: str, source: str, r: np.ndarray, rc: float, rn: float) -> np.ndarray:
    """psi_{target<-source}(r): probability that a point at distance r (random direction) from a random point of
    the source region lies in the target region; r, rc, rn in the same unit; rn < rc."""
    if target not in TARGETS:
        raise ValueError(f"unknown target region {target!r}; one of {TARGETS}")
    big_r = rn if target == "nucleus" else rc
    rho, weight = _source_radii(source, rc, rn)
    r = np.asarray(r, dtype=float)
    out = np.empty(r.shape)
    flat = r.reshape(-1)
    res = out.reshape(-1)
    for i0 in range(0, flat.size, 500):  # chunks: (500 x 1200) at a time
        chunk = flat[i0 : i0 + 500]
        res[i0 : i0 + 500] = _inside_fraction(rho[None, :], chunk[:, None], big_r) @ weight
    return out


@cache
def _psi_table(target: str, source: str, rc_um: float, rn_um: float) -> tuple[np.ndarray, np.ndarray]:
    """psi on a distance grid (cm) from 0 to rc + target radius (beyond which it is 0)."""
    rc, rn = rc_um * 1e-4, rn_um * 1e-4
    r_max = rc + (rn if target == "nucleus" else rc)
    r = np.concatenate([[0.0], np.geomspace(r_max * 1e-5, r_max, _N_R - 1)])
    return r, geometric_factor(target, source, r, rc, rn)


def _psi(target: str, source: str, rc_um: float, rn_um: float, r_cm: np.ndarray) -> np.ndarray:
    grid, vals = _psi_table(target, source, rc_um, rn_um)
    return np.interp(r_cm, grid, vals, right=0.0)


@cache
def electron_af(target: str, source: str, cell_radius_um: float, nucleus_radius_um: float) -> np.ndarray:
    """Absorbed fraction phi(target <- source) of monoenergetic electrons on :data:`physics.ELECTRON_E_GRID`."""
    _check_radii(cell_radius_um, nucleus_radius_um)
    return ph.electron_af_psi(lambda r: _psi(target, source, cell_radius_um, nucleus_radius_um, r))


@cache
def alpha_af(target: str, source: str, cell_radius_um: float, nucleus_radius_um: float) -> np.ndarray:
    """Absorbed fraction phi(target <- source) of monoenergetic alphas (straight tracks) on ALPHA_E_GRID."""
    _check_radii(cell_radius_um, nucleus_radius_um)
    s, wd = ph.alpha_path_kernels()
    psi = _psi(target, source, cell_radius_um, nucleus_radius_um, s)
    return np.clip((wd * psi).sum(axis=1) / wd.sum(axis=1), 0.0, 1.0)


def _region_mass_kg(target: str, rc_um: float, rn_um: float) -> float:
    radius_um = rn_um if target == "nucleus" else rc_um
    return float(ph.sphere_mass_g_from_radius_um(float(radius_um))) * 1e-3


def cellular_table(nuclide: str, cell_radius_um: float, nucleus_radius_um: float) -> pd.DataFrame:
    """Cellular S-values by target <- source pair and emission class for one nuclide (no progeny).

    Columns: nuclide, target, source, key, target_mass_kg, electron_emitted_mev, alpha_emitted_mev,
    electron_absorbed_mev, alpha_absorbed_mev (per decay, in the target), absorbed_fraction (electrons + alphas,
    energy-weighted), s_electron_gy_per_bq_s, s_alpha_gy_per_bq_s, s_gy_per_bq_s. Photons are not counted.
    """
    from radiovector.dosimetry.spheres import _interp_rows, emissions
    from radiovector.nuclides import canonical_name

    cell_radius_um, nucleus_radius_um = float(cell_radius_um), float(nucleus_radius_um)
    _check_radii(cell_radius_um, nucleus_radius_um)
    canon = canonical_name(nuclide)
    em = emissions(canon)
    rows = []
    for (target, source), key in PAIRS.items():
        af_e = _interp_rows(
            ph.ELECTRON_E_GRID, electron_af(target, source, cell_radius_um, nucleus_radius_um)[:, None], em.electron_e
        )[:, 0]
        af_a = _interp_rows(
            ph.ALPHA_E_GRID, alpha_af(target, source, cell_radius_um, nucleus_radius_um)[:, None], em.alpha_e
        )[:, 0]
        e_emit = float(np.sum(em.electron_e * em.electron_y))
        a_emit = float(np.sum(em.alpha_e * em.alpha_y))
        e_abs = float(np.sum(em.electron_e * em.electron_y * af_e))
        a_abs = float(np.sum(em.alpha_e * em.alpha_y * af_a))
        for cls, absorbed, emitted in (("electron", e_abs, e_emit), ("alpha", a_abs, a_emit)):
            if not (-1e-15 <= absorbed <= emitted * (1 + 1e-9) + 1e-15):
                raise InvariantError(
                    f"{canon}: {cls} energy absorbed in the {target} from the {source} per decay "
                    f"({absorbed} MeV) outside [0, emitted = {emitted} MeV]"
                )
        m = _region_mass_kg(target, cell_radius_um, nucleus_radius_um)
        s_e = e_abs * ph.MEV_TO_J / m
        s_a = a_abs * ph.MEV_TO_J / m
        total_emit = e_emit + a_emit
        rows.append(
            {
                "nuclide": canon,
                "target": target,
                "source": source,
                "key": key,
                "target_mass_kg": m,
                "electron_emitted_mev": e_emit,
                "alpha_emitted_mev": a_emit,
                "electron_absorbed_mev": e_abs,
                "alpha_absorbed_mev": a_abs,
                "absorbed_fraction": (e_abs + a_abs) / total_emit if total_emit > 0 else float("nan"),
                "s_electron_gy_per_bq_s": s_e,
                "s_alpha_gy_per_bq_s": s_a,
                "s_gy_per_bq_s": s_e + s_a,
            }
        )
    return pd.DataFrame(rows)


def cellular_s_values(nuclide: str, cell_radius_um: float, nucleus_radius_um: float) -> dict[str, float]:
    """The four MIRD cellular S-values (Gy per Bq s): S(N<-N), S(N<-Cy), S(N<-CS), S(C<-C), keyed as in
    :data:`PAIRS` (``s_nucleus_from_nucleus_gy_per_bq_s`` ...). Electrons and alphas; photons neglected."""
    t = cellular_table(nuclide, cell_radius_um, nucleus_radius_um)
    return {str(k): float(v) for k, v in zip(t["key"], t["s_gy_per_bq_s"], strict=True)}


REFERENCE_COLUMNS = (
    "nuclide",
    "cell_radius_um",
    "nucleus_radius_um",
    "target",
    "source",
    "energy_released_mev",
    "dose_gy",
    "method",
    "reference",
)


def reference_values() -> pd.DataFrame:
    """Published Monte Carlo cellular doses (``data/cellular_references.csv``, one reference per row).

    Each row: the mean absorbed dose (Gy) to ``target`` when ``energy_released_mev`` of the nuclide's electron
    emissions is released uniformly in ``source`` of a single cell (the convention of Alcocer-Avila et al. 2020)."""
    from importlib import resources

    path = resources.files("radiovector.dosimetry") / "data" / "cellular_references.csv"
    df = pd.read_csv(str(path))
    missing = set(REFERENCE_COLUMNS) - set(df.columns)
    if missing:
        raise InputError(
            f"{path}: missing column(s) {sorted(missing)}", hint=f"columns: {', '.join(REFERENCE_COLUMNS)}"
        )
    for i, row in df.iterrows():
        if (row["target"], row["source"]) not in PAIRS or not str(row["reference"]).strip():
            raise InputError(
                f"{path}, line {int(i) + 2}: target/source {row['target']!r}/{row['source']!r} is not one "
                f"of {sorted(PAIRS)} or the reference column is empty"
            )
    return df


def dose_for_energy_release(
    nuclide: str, cell_radius_um: float, nucleus_radius_um: float, target: str, source: str, energy_released_mev: float
) -> float:
    """Mean absorbed dose (Gy) to ``target`` when ``energy_released_mev`` of the nuclide's electron emissions is
    released uniformly in ``source`` (electrons only: the decays are N = energy / electron energy per decay)."""
    from radiovector.dosimetry.spheres import _interp_rows, emissions
    from radiovector.nuclides import canonical_name

    em = emissions(canonical_name(nuclide))
    af = _interp_rows(
        ph.ELECTRON_E_GRID,
        electron_af(target, source, float(cell_radius_um), float(nucleus_radius_um))[:, None],
        em.electron_e,
    )[:, 0]
    fraction = float(np.sum(em.electron_e * em.electron_y * af) / np.sum(em.electron_e * em.electron_y))
    return energy_released_mev * fraction * ph.MEV_TO_J / _region_mass_kg(target, cell_radius_um, nucleus_radius_um)


def compare_references() -> pd.DataFrame:
    """:func:`reference_values` with this model's dose (``model_dose_gy``) and ``deviation`` (model / ref - 1)."""
    df = reference_values()
    df["model_dose_gy"] = [
        dose_for_energy_release(
            r.nuclide, r.cell_radius_um, r.nucleus_radius_um, r.target, r.source, r.energy_released_mev
        )
        for r in df.itertuples()
    ]
    df["deviation"] = df["model_dose_gy"] / df["dose_gy"] - 1.0
    return df
