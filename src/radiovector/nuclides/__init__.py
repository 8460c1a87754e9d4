"""Radionuclide data (radioactivedecay + icrp107-database), theranostic pairs and the one nuclide-name normaliser.

Submodules are imported lazily: ``from radiovector.nuclides import canonical_name`` does not load
radioactivedecay (about 2 s), which the candidate stage's batch jobs never need.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EMISSION_CLASSES",
    "MAIN_CLASSES",
    "NuclideInfo",
    "canonical_name",
    "chain_decays_per_parent_decay",
    "chain_energy_per_parent_decay",
    "decay_chain",
    "decay_constant_per_h",
    "half_life_h",
    "mean_energy_mev",
    "nuclide_info",
    "theranostic_pairs",
    "therapy_partners",
]
_WHERE = {name: "data" for name in __all__} | {
    "canonical_name": "names", "theranostic_pairs": "pairs", "therapy_partners": "pairs"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"radiovector.nuclides.{_WHERE[name]}"), name)
    raise AttributeError(name)
