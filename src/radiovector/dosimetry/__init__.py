"""Absorbed dose (MIRD), therapeutic index and radionuclide choice by tumour size.

Entry points: :func:`compute_doses` (stage), :func:`resolve_params` (``dosimetry:`` config section),
:func:`sphere` / :func:`sphere_table` (sphere S-values), :func:`cellular_s_values` (MIRD cellular S-values),
plots in :mod:`radiovector.dosimetry.plots`.
See docs/methods/dosimetry.md.
"""

from radiovector.dosimetry.cellular import cellular_s_values, cellular_table
from radiovector.dosimetry.spheres import SphereModel, emissions, sphere, sphere_table
from radiovector.dosimetry.stage import DEFAULTS, compute_doses, resolve_params, therapeutic_index

__all__ = [
    "DEFAULTS",
    "SphereModel",
    "cellular_s_values",
    "cellular_table",
    "compute_doses",
    "emissions",
    "resolve_params",
    "sphere",
    "sphere_table",
    "therapeutic_index",
]
