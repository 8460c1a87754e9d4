"""Benchmark the dosimetry stage; prints figures (not a test).

1. Full sphere S-value table: every therapy nuclide of the compatibility table x 50 masses (10 um-radius cell to
   1 kg), cold start (absorbed-fraction grids built in the run). Baseline: a plain loop of one ``sphere()`` call
   per nuclide x mass (a fresh sphere model per call); ratio printed. Target < 10 s.
2. Doses for C candidates x 10 organs x 5 nuclides (pk_tia of C x 50 rows) with compute_doses (marrow, photon
   cross-dose, chains, therapeutic index, nuclide by size). Baseline: the bare arithmetic D = TIAC x E_abs x k
   with a per-row dictionary lookup of the absorbed energy (no cross-dose, marrow, chains or indices); ratio
   printed. Target < 10 s for C = 1,000.

Usage: python bench/bench_dosimetry.py [--candidates 1000] [--baseline-cells 60]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def therapy_nuclides() -> list[str]:
    from importlib import resources

    from radiovector.dosimetry.stage import DEFAULTS

    path = resources.files("radiovector.candidates") / "data" / "compatibility.csv"
    with resources.as_file(path) as p:
        comp = pd.read_csv(p)
    listed = set(comp["nuclide"])
    return [n for n in DEFAULTS["therapy_nuclides"] if n in listed]


def bench_spheres(baseline_cells: int) -> None:
    from radiovector.dosimetry import physics as ph
    from radiovector.dosimetry.spheres import MAX_MASS_G, MIN_MASS_G, sphere, sphere_table

    nucs = therapy_nuclides()
    masses = np.geomspace(MIN_MASS_G, MAX_MASS_G, 50)
    for f in (
        ph.electron_path_kernels,
        ph._psi_gauss_table,
        ph._psi_bounded_table,
        ph._displacement_node_table,
        ph._mu_en_table,
        ph._electron_range_table,
        ph._alpha_range_table,
        ph.alpha_path_kernels,
    ):
        f.cache_clear()
    t0 = time.perf_counter()
    table = sphere_table(nucs, masses)
    dt = time.perf_counter() - t0
    print(
        f"[1] sphere S-value table: {len(nucs)} nuclides x {len(masses)} masses = {len(table)} rows "
        f"in {dt:.2f} s (target < 10 s); nuclides: {', '.join(nucs)}"
    )
    # baseline: one sphere() call per cell, on a sample of cells, extrapolated to the full table
    rng = np.random.default_rng(0)
    cells = [
        (nucs[i % len(nucs)], float(masses[j]))
        for i, j in zip(range(baseline_cells), rng.integers(0, len(masses), baseline_cells), strict=True)
    ]
    t0 = time.perf_counter()
    for n, m in cells:
        sphere(n, m)
    per_cell = (time.perf_counter() - t0) / len(cells)
    base = per_cell * len(table)
    print(
        f"    baseline: one sphere() per nuclide x mass: {per_cell * 1e3:.1f} ms/cell, "
        f"{base:.1f} s for the table (extrapolated from {len(cells)} cells); ratio baseline/table = "
        f"{base / dt:.1f}x"
    )


def synthetic_tia(n_candidates: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    organs = ["tumour", "kidney", "liver", "blood", "salivary gland", "spleen", "lung", "heart", "muscle", "brain"]
    nucs = ["Lu-177", "Y-90", "Tb-161", "Ac-225", "Pb-212"]
    n = n_candidates * len(organs) * len(nucs)
    comp = np.repeat([f"C{i:05d}" for i in range(n_candidates)], len(organs) * len(nucs))
    nuc = np.tile(np.repeat(nucs, len(organs)), n_candidates)
    org = np.tile(organs, n_candidates * len(nucs))
    tiac = rng.lognormal(1.0, 1.0, n)
    return pd.DataFrame(
        {
            "compound": comp,
            "radionuclide": "Ga-68",
            "organ": org,
            "nuclide": nuc,
            "tiac": tiac,
            "tiac_unit": "h/g",
            "tiac_low": 0.8 * tiac,
            "tiac_high": 1.2 * tiac,
            "extrapolated_fraction": 0.1,
            "flags": "",
        }
    )


def bench_doses(n_candidates: int) -> None:
    from radiovector.dosimetry import compute_doses
    from radiovector.dosimetry.organ_doses import GY_FACTOR
    from radiovector.dosimetry.spheres import SphereModel

    tia = synthetic_tia(n_candidates)
    t0 = time.perf_counter()
    out = compute_doses(tia, {"organ_masses_g": {"salivary gland": 0.1}})
    dt = time.perf_counter() - t0
    print(
        f"[2] compute_doses: {n_candidates} candidates x 10 organs x 5 nuclides = {len(tia)} TIAC rows -> "
        f"{len(out['doses'])} dose rows, {len(out['chain_doses'])} chain rows, "
        f"{len(out['therapeutic_index'])} TI rows, {len(out['nuclide_by_size'])} size rows in {dt:.2f} s "
        f"(target < 10 s)"
    )
    # baseline: bare per-row arithmetic with precomputed absorbed energies (parent nuclide only, no chain)
    masses = {
        "tumour": 0.2,
        "kidney": 0.425,
        "liver": 1.375,
        "blood": 1.225,
        "salivary gland": 0.1,
        "spleen": 0.0875,
        "lung": 0.175,
        "heart": 0.125,
        "muscle": 9.6,
        "brain": 0.425,
    }
    model = SphereModel(sorted(set(masses.values())))
    t0 = time.perf_counter()
    eabs = {}
    for nuc in tia["nuclide"].unique():
        res = model.absorbed(nuc)
        tot = res["electron_absorbed_mev"] + res["photon_absorbed_mev"] + res["alpha_absorbed_mev"]
        for organ, m in masses.items():
            eabs[(nuc, organ)] = float(tot[list(model.masses_g).index(m)])
    dose = [t * eabs[(n, o)] * GY_FACTOR for t, n, o in zip(tia["tiac"], tia["nuclide"], tia["organ"], strict=True)]
    base = time.perf_counter() - t0
    print(
        f"    baseline: bare D = TIAC x E_abs loop ({len(dose)} rows, parent only) in {base:.2f} s; "
        f"ratio stage/baseline = {dt / base:.1f}x (the stage adds chains, marrow, cross-dose, TI, MTA, sizes)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--baseline-cells", type=int, default=60)
    a = ap.parse_args()
    bench_spheres(a.baseline_cells)
    bench_doses(a.candidates)


if __name__ == "__main__":
    main()
