"""Energy absorbed per parent decay (MeV), by emission class, in unit-density spheres of given masses, for
both alpha-chain scenarios (every daughter decays in place; the redistributing daughter leaves).
"""

from __future__ import annotations

import numpy as np

from radiovector.dosimetry import chains as ch
from radiovector.dosimetry.spheres import CLASSES, SphereModel


class ChainEnergies:
    """Energy absorbed per parent decay (MeV) by class in spheres of given masses, for both chain scenarios."""

    def __init__(self, masses_g: np.ndarray, p: dict) -> None:
        self.masses = np.unique(np.asarray(masses_g, dtype=float))
        self.model = SphereModel(self.masses)
        self.p = p
        self._cache: dict[str, dict] = {}

    def daughter(self, nuclide: str) -> str:
        kept, _ = ch.dose_members(nuclide, self.p["max_daughter_half_life_h"])
        d = self.p["redistributing_daughter"].get(nuclide, ch.redistributing_daughter(nuclide))
        return d if d in set(kept["nuclide"].iloc[1:]) else ""

    def get(self, nuclide: str) -> dict:
        """Per member rows and totals: dict with 'members' (list of (member, k, leaves, absorbed dict))."""
        if nuclide in self._cache:
            return self._cache[nuclide]
        kept, dropped = ch.dose_members(nuclide, self.p["max_daughter_half_life_h"])
        daughter = self.daughter(nuclide)
        leaving = ch.leaving_members(nuclide, daughter)
        members = []
        for n, k in zip(kept["nuclide"], kept["decays_per_parent_decay"], strict=True):
            res = self.model.absorbed(n)
            members.append((n, float(k), n in leaving, {key: float(k) * v for key, v in res.items()}))
        out = {"members": members, "daughter": daughter, "dropped": dropped}
        for scen in ("in_situ", "redistributed"):
            tot = {}
            for cls in CLASSES:
                tot[f"{cls}_absorbed_mev"] = sum(m[3][f"{cls}_absorbed_mev"] for m in members
                                                 if scen == "in_situ" or not m[2])
                tot[f"{cls}_emitted_mev"] = sum(m[3][f"{cls}_emitted_mev"] for m in members
                                                if scen == "in_situ" or not m[2])
            out[scen] = tot
        # energy carried away by the redistributing daughter and its progeny (all classes), per parent decay
        out["leaving_emitted_mev"] = sum(sum(m[3][f"{c}_emitted_mev"][0] for c in CLASSES) for m in members if m[2])
        self._cache[nuclide] = out
        return out

    def index(self, mass: float) -> int:
        return int(np.searchsorted(self.masses, mass))
