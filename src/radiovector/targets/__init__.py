"""Omics target ranking for targeted radionuclide therapy (issue 3).

Stage function: :func:`rank_targets` (tables in, tables out); file-level convenience:
:func:`rank_targets_from_files`.
"""

from radiovector.targets.ingest import (
    read_normal,
    read_sample_matrix,
    read_sample_sheet,
    read_surface,
    read_surfaces,
    read_tumour_summary,
)
from radiovector.targets.params import DEFAULT_ORGAN_PANEL, DEFAULT_PARAMS, resolve_params
from radiovector.targets.pipeline import load_inputs, rank_targets_from_files
from radiovector.targets.samples import summarise_normal_samples, summarise_samples
from radiovector.targets.score import harmonise, rank_targets, surface_scores

__all__ = [
    "DEFAULT_ORGAN_PANEL",
    "DEFAULT_PARAMS",
    "harmonise",
    "load_inputs",
    "rank_targets",
    "rank_targets_from_files",
    "read_normal",
    "read_sample_matrix",
    "read_sample_sheet",
    "read_surface",
    "read_surfaces",
    "read_tumour_summary",
    "resolve_params",
    "summarise_normal_samples",
    "summarise_samples",
    "surface_scores",
]
