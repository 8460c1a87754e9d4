"""Comparison of the transport model with published Monte Carlo reference values (data/*.csv, one reference per row).

Voxel S-values (Lanconelli et al., Phys Med Biol 2012;57:517, EGSnrc): the self-dose S of a cubic soft-tissue voxel
and the S to its face neighbour probe the electron absorbed fraction of 10 mg-1 g volumes, where the nuclide choice
by tumour size is made. The model's cube factors: :func:`physics.psi_cube` (exact point-pair overlap of cubes);
electron transport as in the sphere model, scaled to the reference density (ranges in g/cm^2); photons in the source
voxel from the equal-volume sphere (self only; the photon share of the self S is < 3 % for these nuclides);
photon cross-dose to the neighbour is not modelled (the comparison of face neighbours is therefore restricted to
electron-dominated rows by the tests).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.errors import InputError

VOXEL_COLUMNS = ("nuclide", "voxel_mm", "target", "s_mgy_per_mbq_s", "density_g_cm3", "method", "reference")


def voxel_references() -> pd.DataFrame:
    """Published voxel S-values (``data/voxel_s_references.csv``): nuclide, voxel side (mm), target ``self`` or
    ``face`` (the face-adjacent voxel), S (mGy per MBq s), density, method, reference."""
    path = resources.files("radiovector.dosimetry") / "data" / "voxel_s_references.csv"
    df = pd.read_csv(str(path))
    missing = set(VOXEL_COLUMNS) - set(df.columns)
    if missing:
        raise InputError(f"{path}: missing column(s) {sorted(missing)}", hint=f"columns: {', '.join(VOXEL_COLUMNS)}")
    for i, row in df.iterrows():
        if row["target"] not in ("self", "face") or not str(row["reference"]).strip():
            raise InputError(
                f"{path}, line {int(i) + 2}, column target/reference: target must be 'self' or 'face' "
                f"and the reference non-empty, got {row['target']!r}"
            )
    return df


@cache
def _cube_electron_af(side_g_cm2: float, neighbour: bool, displacement: str) -> np.ndarray:
    r_max = 3.0 * side_g_cm2
    grid = np.linspace(0.0, r_max, 1200)
    vals = ph.psi_cube(grid, side_g_cm2, neighbour)
    return ph.electron_af_psi(lambda r: np.interp(r, grid, vals, right=0.0), displacement)


def voxel_s_value(
    nuclide: str, voxel_mm: float, target: str, density_g_cm3: float = 1.04, displacement: str = "bounded"
) -> float:
    """Model S (mGy per MBq s) of a cubic voxel of side ``voxel_mm`` to itself (``self``) or to its face neighbour
    (``face``): electrons (and alphas, straight) with the cube factors; photons for ``self`` only, from the
    equal-volume sphere."""
    from radiovector.dosimetry.spheres import _interp_rows, emissions
    from radiovector.nuclides import canonical_name

    if target not in ("self", "face"):
        raise ValueError(f"target must be 'self' or 'face', got {target!r}")
    em = emissions(canonical_name(nuclide))
    side = voxel_mm * 0.1 * density_g_cm3  # g/cm^2
    af = _cube_electron_af(round(side, 9), target == "face", displacement)
    e_abs = float(
        np.sum(em.electron_e * em.electron_y * _interp_rows(ph.ELECTRON_E_GRID, af[:, None], em.electron_e)[:, 0])
    )
    if target == "self" and len(em.photon_e):
        radius = float(ph.sphere_radius_cm_from_mass_g(voxel_mm**3 * 1e-3))  # equal volume, in cm
        e_abs += float(
            np.sum(em.photon_e * em.photon_y * ph.photon_af(em.photon_e, np.array([radius * density_g_cm3]))[:, 0])
        )
    mass_kg = density_g_cm3 * (voxel_mm * 0.1) ** 3 * 1e-3
    return e_abs * ph.MEV_TO_J / mass_kg * 1e9  # Gy/(Bq s) -> mGy/(MBq s)


def compare_voxels(displacement: str = "bounded") -> pd.DataFrame:
    """:func:`voxel_references` with the model S (``model_s_mgy_per_mbq_s``) and ``deviation`` (model / ref - 1)."""
    df = voxel_references()
    df["model_s_mgy_per_mbq_s"] = [
        voxel_s_value(r.nuclide, r.voxel_mm, r.target, r.density_g_cm3, displacement) for r in df.itertuples()
    ]
    df["deviation"] = df["model_s_mgy_per_mbq_s"] / df["s_mgy_per_mbq_s"] - 1.0
    return df
