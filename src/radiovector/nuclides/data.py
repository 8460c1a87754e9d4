"""Radionuclide data: half-lives, decay chains (``radioactivedecay``) and mean emission energies (ICRP-107).

Nothing here is hand-typed. Half-lives, progeny and branching fractions come from the ``radioactivedecay``
package's default dataset (ICRP-107 decay data with AME2020/NUBASE2020 masses; Eckerman & Endo, ICRP
Publication 107, Ann. ICRP 38(3), 2008). Emission lines (energy in MeV, yield per decay) come from the
``icrp107-database`` package, which transcribes the same ICRP-107 ``.RAD`` files. Mean energy per decay of an
emission class is ``sum(energy * yield)`` over its lines; for beta+/beta- the listed energies are already the
mean energies of each beta branch, so the same sum gives the mean beta energy per decay.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import radioactivedecay as rd

from radiovector.errors import InputError
from radiovector.nuclides.names import canonical_name

#: Emission classes reported per decay, mapped to the icrp107-database spectrum keys they sum.
#: "IE" = internal-conversion electrons; "X" = X-rays; "annihilation" = 511 keV photons from beta+ decay.
EMISSION_CLASSES: dict[str, tuple[str, ...]] = {
    "alpha": ("alpha",),
    "beta_minus": ("beta-",),
    "beta_plus": ("beta+",),
    "electron_ce": ("IE",),
    "electron_auger": ("auger",),
    "photon": ("gamma", "X", "annihilation"),
    "alpha_recoil": ("alpha recoil",),
    "neutron": ("neutron",),
}
#: The keys the CLI and most callers use (issue 6); the others are reported for completeness.
MAIN_CLASSES = ("alpha", "beta_minus", "beta_plus", "electron_ce", "electron_auger", "photon")
#: Non-penetrating (locally absorbed) classes, as in MIRD Pamphlet 21 practice.
NONPENETRATING = ("alpha", "alpha_recoil", "beta_minus", "beta_plus", "electron_ce", "electron_auger")

_LN2 = math.log(2.0)


@cache
def _rd_nuclide(name: str) -> rd.Nuclide:
    return rd.Nuclide(name)


def half_life_h(name: str) -> float:
    """Physical half-life in hours (radioactivedecay, ICRP-107). ``inf`` for stable nuclides."""
    return float(_rd_nuclide(canonical_name(name)).half_life("h"))


def decay_constant_per_h(name: str) -> float:
    """Physical decay constant lambda = ln 2 / T1/2, in 1/h (0 for stable nuclides)."""
    t = half_life_h(name)
    return 0.0 if math.isinf(t) else _LN2 / t


@cache
def _icrp107_record(name: str) -> dict | None:
    root = resources.files("icrp107_database") / "icrp107" / f"{name}.json"
    if not root.is_file():
        return None
    raw = json.loads(root.read_text())
    return json.loads(raw) if isinstance(raw, str) else raw  # files hold a JSON-encoded JSON string


@cache
def mean_energy_mev(name: str) -> dict[str, float]:
    """Mean energy emitted per decay by emission class, in MeV (sum of energy x yield, ICRP-107).

    Keys: :data:`EMISSION_CLASSES`. Stable nuclides return zeros. A radioactive nuclide missing from
    icrp107-database raises InputError.
    """
    canon = canonical_name(name)
    record = _icrp107_record(canon)
    if record is None:
        if math.isinf(half_life_h(canon)):
            return {k: 0.0 for k in EMISSION_CLASSES}
        raise InputError(f"no ICRP-107 emission data for {canon}", hint="icrp107-database lacks it")
    emissions = record["emissions"]
    out = {}
    for cls, keys in EMISSION_CLASSES.items():
        total = 0.0
        for key in keys:
            lines = emissions.get(key) or []
            if lines:
                arr = np.asarray(lines, dtype=float)
                total += float(np.sum(arr[:, 0] * arr[:, 1]))
        out[cls] = total
    return out


@dataclass(frozen=True)
class NuclideInfo:
    """Summary of one nuclide: half-life (h), decay constant (1/h), direct progeny and mean energies (MeV)."""

    name: str
    half_life_h: float
    decay_constant_per_h: float
    decay_modes: tuple[str, ...]
    progeny: tuple[str, ...]
    branching_fractions: tuple[float, ...]
    mean_energy_mev: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "half_life_h": self.half_life_h,
            "decay_constant_per_h": self.decay_constant_per_h,
            "decay_modes": list(self.decay_modes),
            "progeny": list(self.progeny),
            "branching_fractions": list(self.branching_fractions),
            "mean_energy_mev": dict(self.mean_energy_mev),
            "chain": decay_chain(self.name).to_dict(orient="records"),
        }


def nuclide_info(name: str) -> NuclideInfo:
    """Half-life, decay constant, direct progeny with branching and mean energies of one nuclide."""
    canon = canonical_name(name)
    nuc = _rd_nuclide(canon)
    return NuclideInfo(
        name=canon,
        half_life_h=half_life_h(canon),
        decay_constant_per_h=decay_constant_per_h(canon),
        decay_modes=tuple(str(m) for m in nuc.decay_modes()),
        progeny=tuple(str(p) for p in nuc.progeny()),
        branching_fractions=tuple(float(b) for b in nuc.branching_fractions()),
        mean_energy_mev=mean_energy_mev(canon),
    )


def decay_chain(name: str) -> pd.DataFrame:
    """All members of the decay chain of ``name`` (parent first, breadth-first, stable end members included).

    Columns: nuclide, parent (direct parent on the first path found), branching (from that parent),
    decays_per_parent_decay (sum over all paths of the product of branching fractions: the number of decays of
    this member per decay of the chain parent at secular/transient equilibrium, i.e. integrated to infinity),
    half_life_h, stable.
    """
    canon = canonical_name(name)
    yields: dict[str, float] = {canon: 1.0}
    parent_of: dict[str, tuple[str, float]] = {canon: ("", 1.0)}
    order = [canon]
    # Breadth-first walk collecting edges; decay chains are DAGs, so a longest-path layering puts every
    # parent before its children and yields can then be summed over all paths.
    edges: list[tuple[str, str, float]] = []
    queue = [canon]
    seen = {canon}
    while queue:
        cur = queue.pop(0)
        if math.isinf(half_life_h(cur)):
            continue
        nuc = _rd_nuclide(cur)
        for child, frac in zip(nuc.progeny(), nuc.branching_fractions(), strict=True):
            child = str(child)
            if child == "SF" or float(frac) <= 0.0:
                continue
            edges.append((cur, child, float(frac)))
            if child not in seen:
                seen.add(child)
                order.append(child)
                parent_of[child] = (cur, float(frac))
                queue.append(child)
    # Propagate yields in an order where parents come before children (longest-path layering).
    depth = {n: 0 for n in order}
    for _ in range(len(order)):
        changed = False
        for p, c, _f in edges:
            if depth[c] < depth[p] + 1:
                depth[c] = depth[p] + 1
                changed = True
        if not changed:
            break
    order = sorted(order, key=lambda n: (depth[n], order.index(n)))
    for n in order[1:]:
        yields[n] = sum(yields[p] * f for p, c, f in edges if c == n)
    rows = [
        {
            "nuclide": n,
            "parent": parent_of[n][0],
            "branching": parent_of[n][1],
            "decays_per_parent_decay": yields[n],
            "half_life_h": half_life_h(n),
            "stable": math.isinf(half_life_h(n)),
        }
        for n in order
    ]
    return pd.DataFrame(rows)


def chain_decays_per_parent_decay(name: str, time_h: float | None = None) -> pd.DataFrame:
    """Decays of every chain member per decay of the parent, with explicit daughter kinetics (Bateman).

    ``time_h=None`` gives the equilibrium (integrated to infinity) numbers from branching alone. A finite
    ``time_h`` integrates the Bateman solution from 0 to ``time_h`` for a pure parent at t=0 (in-situ decay,
    no biological redistribution of daughters) via ``radioactivedecay.Inventory.cumulative_decays`` and
    divides by the parent's own decays in that window, so short windows show daughters lagging behind
    equilibrium.
    Columns: nuclide, decays_per_parent_decay.
    """
    chain = decay_chain(name)
    radioactive = chain.loc[~chain["stable"]]
    if time_h is None or math.isinf(time_h):
        return radioactive[["nuclide", "decays_per_parent_decay"]].reset_index(drop=True)
    if time_h <= 0:
        raise InputError(f"time window must be positive, got {time_h} h")
    parent = chain["nuclide"].iloc[0]
    inv = rd.Inventory({parent: 1.0}, "Bq")
    cum = {str(k): float(v) for k, v in inv.cumulative_decays(float(time_h), "h").items()}
    parent_decays = cum[parent]
    values = [cum.get(n, 0.0) / parent_decays for n in radioactive["nuclide"]]
    return pd.DataFrame({"nuclide": radioactive["nuclide"].to_numpy(), "decays_per_parent_decay": values})


def chain_energy_per_parent_decay(name: str, time_h: float | None = None) -> pd.DataFrame:
    """Mean energy (MeV) per decay of the chain parent, by member and emission class.

    One row per radioactive chain member plus a final ``TOTAL`` row; columns nuclide,
    decays_per_parent_decay and one ``<class>_mev`` column per :data:`EMISSION_CLASSES`.
    ``time_h=None``: equilibrium (all daughters decay where the parent did); finite ``time_h``: Bateman
    kinetics over [0, time_h] (see :func:`chain_decays_per_parent_decay`).
    """
    decays = chain_decays_per_parent_decay(name, time_h)
    rows = []
    for nuc, k in zip(decays["nuclide"], decays["decays_per_parent_decay"], strict=True):
        energies = mean_energy_mev(nuc)
        row = {"nuclide": nuc, "decays_per_parent_decay": k}
        rows.append(row | {f"{c}_mev": k * e for c, e in energies.items()})
    out = pd.DataFrame(rows)
    total = {"nuclide": "TOTAL", "decays_per_parent_decay": float("nan")}
    total |= {f"{c}_mev": float(out[f"{c}_mev"].sum()) for c in EMISSION_CLASSES}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)
