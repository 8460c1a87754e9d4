"""File-level entry point: read every input, rank, and collect the rejects of all readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from radiovector.io.tables import rejects_frame
from radiovector.targets.ingest import (
    read_curated,
    read_normal,
    read_sample_matrix,
    read_sample_sheet,
    read_surfaces,
    read_tumour_summary,
)
from radiovector.targets.params import resolve_params
from radiovector.targets.samples import summarise_samples
from radiovector.targets.score import rank_targets


def load_inputs(
    tumour: str | Path | list[str | Path],
    normal: str | Path,
    surfaces: list[str | Path],
    sample_sheet: str | Path | None = None,
    params: dict[str, Any] | None = None,
    curated: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read tumour (summary table(s), or a sample-level matrix when ``sample_sheet`` is given), normal and surface
    inputs (SURFY, CSPA, HPA subcellular location, custom lists; ``curated``: a curated surface-gene list with
    reasons). Returns (tumour summary, normal long, surface evidence, rejects of all readers)."""
    p = resolve_params(params)
    rejects = []
    if sample_sheet is not None:
        sheet, rej_sheet = read_sample_sheet(sample_sheet)
        values, genes, samples, rej_matrix = read_sample_matrix(tumour)
        summary = summarise_samples(values, genes, samples, sheet, p["prevalence_threshold"], p["quantiles"])
        rejects += [rej_sheet, rej_matrix]
    else:
        parts = [read_tumour_summary(path) for path in (tumour if isinstance(tumour, list) else [tumour])]
        summary = pd.concat([part[0] for part in parts], ignore_index=True)
        rejects += [part[1] for part in parts]
    normal_table, rej_normal = read_normal(normal)
    evidence, rej_surface = read_surfaces(list(surfaces))
    rejects += [rej_normal, rej_surface]
    if curated is not None:
        cur, rej_cur = read_curated(curated)
        evidence = pd.concat([evidence, cur], ignore_index=True)
        rejects.append(rej_cur)
    rejects = [r for r in rejects if len(r)] or [rejects_frame()]
    return summary, normal_table, evidence, pd.concat(rejects, ignore_index=True)


def rank_targets_from_files(
    tumour: str | Path,
    normal: str | Path,
    surfaces: list[str | Path],
    params: dict[str, Any] | None = None,
    sample_sheet: str | Path | None = None,
    curated: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the inputs and run :func:`rank_targets`; ``rejects`` holds the readers' rejects too."""
    summary, normal_table, evidence, rejects = load_inputs(tumour, normal, surfaces, sample_sheet, params, curated)
    result = rank_targets(summary, normal_table, evidence, params)
    result["rejects"] = pd.concat(
        [r for r in (rejects, result["rejects"]) if len(r)] or [rejects], ignore_index=True
    )
    return result
