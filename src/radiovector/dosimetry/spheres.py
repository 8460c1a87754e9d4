"""Self-dose S-values of unit-density spheres for any ICRP-107 nuclide (self-irradiation only: source = target).

Emission data come from ``icrp107-database`` (ICRP Publication 107): the beta spectrum (``b-spectra``, per
beta, scaled to the listed beta yields and mean energies), the discrete conversion (``IE``) and Auger electrons,
alpha lines, and gamma, X-ray and annihilation photons. Alpha-recoil energy is not counted (as in MIRD
Pamphlet 21 / OLINDA practice) and neither are neutrinos. Absorbed fractions come from :mod:`.physics`.

``S = sum_i E_i Y_i phi_i(m) / m`` (MIRD Pamphlet 21: Bolch WE et al., J Nucl Med 2009;50:477-484).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.errors import InputError, InvariantError

#: Smallest and largest sphere the model is meant for: a 10 um-radius cell (4.19 ng) to 1 kg.
MIN_MASS_G = ph.sphere_mass_g_from_radius_cm(10e-4)
MAX_MASS_G = 1000.0
CLASSES = ("electron", "photon", "alpha")


@dataclass(frozen=True)
class Emissions:
    """Energy lines of one nuclide by transport class: energies (MeV) and yields per decay (energy weights)."""

    nuclide: str
    electron_e: np.ndarray
    electron_y: np.ndarray
    photon_e: np.ndarray
    photon_y: np.ndarray
    alpha_e: np.ndarray
    alpha_y: np.ndarray

    def emitted_mev(self) -> dict[str, float]:
        """Mean energy emitted per decay by class, MeV."""
        return {c: float(np.sum(getattr(self, f"{c}_e") * getattr(self, f"{c}_y"))) for c in CLASSES}


@cache
def _record(name: str) -> dict | None:
    path = resources.files("icrp107_database") / "icrp107" / f"{name}.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    return json.loads(raw) if isinstance(raw, str) else raw


def _lines(emis: dict, key: str) -> np.ndarray:
    rows = emis.get(key) or []
    return np.asarray(rows, dtype=float).reshape(-1, 2)


@cache
def emissions(nuclide: str) -> Emissions:
    """Emission lines of ``nuclide`` (canonical name, e.g. ``Lu-177``) from icrp107-database.

    The continuous beta spectrum is discretised on its own energy grid (midpoints, trapezoid weights), scaled so
    that its number of particles equals the sum of the beta-/beta+ yields and its mean energy per decay equals
    the ICRP-107 mean beta energy per decay exactly. Nuclides without a tabulated spectrum use each branch's
    mean energy as a line (flagged in the docs as an approximation).
    """
    rec = _record(nuclide)
    if rec is None:
        raise InputError(f"no ICRP-107 emission data for {nuclide!r}",
                         hint="use a nuclide present in icrp107-database, e.g. Lu-177, Y-90, Ac-225")
    em = rec["emissions"]
    beta = np.concatenate([_lines(em, "beta-"), _lines(em, "beta+")])
    n_beta = float(beta[:, 1].sum()) if len(beta) else 0.0
    e_beta = float(np.sum(beta[:, 0] * beta[:, 1])) if len(beta) else 0.0
    el_e, el_y = [], []
    spec = _lines(em, "b-spectra")
    if n_beta > 0 and len(spec) >= 3 and np.trapezoid(spec[:, 1], spec[:, 0]) > 0:
        x, f = spec[:, 0], np.maximum(spec[:, 1], 0.0)
        mid = 0.5 * (x[1:] + x[:-1])
        w = 0.5 * (f[1:] + f[:-1]) * np.diff(x)
        keep = w > 0
        mid, w = mid[keep], w[keep]
        w = w / w.sum() * n_beta
        w = w * (e_beta / float(np.sum(mid * w)))  # exact mean energy per decay (energy-weighted line yields)
        el_e.append(mid)
        el_y.append(w)
    elif n_beta > 0:
        el_e.append(beta[:, 0])
        el_y.append(beta[:, 1])
    for key in ("IE", "auger"):
        arr = _lines(em, key)
        if len(arr):
            el_e.append(arr[:, 0])
            el_y.append(arr[:, 1])
    ph_arr = np.concatenate([_lines(em, k) for k in ("gamma", "X", "annihilation")])
    al = _lines(em, "alpha")
    return Emissions(nuclide, cat(el_e), cat(el_y), ph_arr[:, 0], ph_arr[:, 1], al[:, 0], al[:, 1])


def cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)


def _interp_rows(grid: np.ndarray, table: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Linear interpolation in log(E) of table rows (grid x masses) at energies e; clamped at the ends."""
    if len(e) == 0:
        return np.zeros((0, table.shape[1]))
    lg = np.log(grid)
    le = np.clip(np.log(np.maximum(e, 1e-12)), lg[0], lg[-1])
    idx = np.clip(np.searchsorted(lg, le) - 1, 0, len(lg) - 2)
    f = ((le - lg[idx]) / (lg[idx + 1] - lg[idx]))[:, None]
    return table[idx] * (1 - f) + table[idx + 1] * f


class SphereModel:
    """Absorbed fractions for a fixed set of sphere masses, reused across nuclides (fast for tables)."""

    def __init__(self, masses_g: np.ndarray | list[float]) -> None:
        self.masses_g = np.atleast_1d(np.asarray(masses_g, dtype=float))
        if np.any(~np.isfinite(self.masses_g)) or np.any(self.masses_g <= 0):
            raise InputError(f"sphere masses must be positive numbers (g), got {self.masses_g.tolist()}")
        self.radii_cm = ph.sphere_radius_cm_from_mass_g(self.masses_g)
        self._el = ph.electron_af_grid(self.radii_cm)
        self._al = ph.alpha_af_grid(self.radii_cm)

    def absorbed(self, nuclide: str) -> dict[str, np.ndarray]:
        """Energy emitted and absorbed per decay (MeV) by class for every mass of the model."""
        em = emissions(nuclide)
        af_el = _interp_rows(ph.ELECTRON_E_GRID, self._el, em.electron_e)
        af_al = _interp_rows(ph.ALPHA_E_GRID, self._al, em.alpha_e)
        af_ph = ph.photon_af(em.photon_e, self.radii_cm)
        out = {}
        for cls, af in (("electron", af_el), ("photon", af_ph), ("alpha", af_al)):
            e, y = getattr(em, f"{cls}_e"), getattr(em, f"{cls}_y")
            emitted = float(np.sum(e * y))
            absorbed = (e * y) @ af if len(e) else np.zeros(len(self.masses_g))
            out[f"{cls}_emitted_mev"] = np.full(len(self.masses_g), emitted)
            out[f"{cls}_absorbed_mev"] = absorbed
        # physical limits: energy absorbed <= energy emitted, fractions in [0, 1]
        for cls in CLASSES:
            absorbed, emitted = out[f"{cls}_absorbed_mev"], out[f"{cls}_emitted_mev"]
            bad = (absorbed > emitted * (1 + 1e-9) + 1e-15) | (absorbed < -1e-15)
            if np.any(bad):
                raise InvariantError(
                    f"{nuclide}: {cls} energy absorbed per decay outside [0, emitted] for sphere mass(es) "
                    f"{self.masses_g[bad].tolist()} g: absorbed {absorbed[bad].tolist()} MeV, emitted "
                    f"{emitted[bad].tolist()} MeV")
        return out


def _af(absorbed: np.ndarray, emitted: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(emitted > 0, absorbed / np.where(emitted > 0, emitted, 1.0), np.nan)


def sphere_table(nuclides: list[str], masses_g: list[float] | np.ndarray) -> pd.DataFrame:
    """Self-dose S-values of unit-density spheres, one row per nuclide x mass (in the given order).

    Columns: nuclide, mass_g, radius_um, <class>_emitted_mev, <class>_absorbed_mev (per decay) and
    absorbed_fraction_<electrons|photons|alpha> (energy-weighted; NaN when the class emits nothing),
    absorbed_fraction_nonpenetrating (electrons + alphas), s_value_gy_per_bq_s, s_value_mgy_per_mbq_s.
    Single nuclides only (no progeny): use :func:`radiovector.dosimetry.chains` for chains.
    """
    from radiovector.nuclides import canonical_name

    model = SphereModel(masses_g)
    frames = []
    for nuc in nuclides:
        canon = canonical_name(nuc)
        res = model.absorbed(canon)
        frames.append(_frame(canon, model, res))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _frame(canon: str, model: SphereModel, res: dict[str, np.ndarray]) -> pd.DataFrame:
    df = pd.DataFrame({"nuclide": canon, "mass_g": model.masses_g, "radius_um": model.radii_cm * 1e4})
    for k, v in res.items():
        df[k] = v
    df["absorbed_fraction_electrons"] = _af(res["electron_absorbed_mev"], res["electron_emitted_mev"])
    df["absorbed_fraction_photons"] = _af(res["photon_absorbed_mev"], res["photon_emitted_mev"])
    df["absorbed_fraction_alpha"] = _af(res["alpha_absorbed_mev"], res["alpha_emitted_mev"])
    np_abs = res["electron_absorbed_mev"] + res["alpha_absorbed_mev"]
    np_emit = res["electron_emitted_mev"] + res["alpha_emitted_mev"]
    df["absorbed_fraction_nonpenetrating"] = _af(np_abs, np_emit)
    total = sum(res[f"{c}_absorbed_mev"] for c in CLASSES)
    df["energy_absorbed_mev"] = total
    df["s_value_gy_per_bq_s"] = total * ph.MEV_TO_J / (model.masses_g * 1e-3)
    df["s_value_mgy_per_mbq_s"] = df["s_value_gy_per_bq_s"] * 1e3 * 1e6
    return df


def sphere(nuclide: str, mass_g: float) -> dict[str, float]:
    """S-value (mGy per MBq s) and absorbed fractions by class for one nuclide and one sphere mass."""
    row = sphere_table([nuclide], [float(mass_g)]).iloc[0]
    keys = ("nuclide", "mass_g", "radius_um", "s_value_mgy_per_mbq_s", "s_value_gy_per_bq_s",
            "absorbed_fraction_electrons", "absorbed_fraction_photons", "absorbed_fraction_alpha",
            "absorbed_fraction_nonpenetrating", "electron_emitted_mev", "photon_emitted_mev", "alpha_emitted_mev",
            "energy_absorbed_mev")
    out = {}
    for k in keys:
        v = row[k]
        out[k] = v if isinstance(v, str) else float(v)
    return out
