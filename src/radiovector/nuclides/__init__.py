"""Radionuclide data (radioactivedecay + icrp107-database) and theranostic pairs."""

from radiovector.nuclides.data import (
    EMISSION_CLASSES,
    MAIN_CLASSES,
    NuclideInfo,
    canonical_name,
    chain_decays_per_parent_decay,
    chain_energy_per_parent_decay,
    decay_chain,
    decay_constant_per_h,
    half_life_h,
    mean_energy_mev,
    nuclide_info,
)
from radiovector.nuclides.pairs import theranostic_pairs, therapy_partners

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
