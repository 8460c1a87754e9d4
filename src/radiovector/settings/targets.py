"""The ``targets:`` section: target-ranking weights, organ panel, scales (docs/methods/targets.md)."""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from radiovector.settings.base import Section, StrKeys

#: Default organ panel: HPA tissue name -> weight in [0, 1] (how dose-limiting the organ is; see
#: docs/methods/targets.md for the reasons behind each weight).
DEFAULT_ORGAN_PANEL: dict[str, float] = {
    "kidney": 1.0,
    "bone_marrow": 1.0,
    "salivary_gland": 0.8,
    "liver": 0.6,
    "lung": 0.5,
    "heart_muscle": 0.5,
    "small_intestine": 0.4,
    "duodenum": 0.4,
    "spleen": 0.3,
}

Weight = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class TargetWeights(Section):
    """Weights of the component scores (each component lies in [0, 1]); the score is their weighted mean. A
    component undefined for a whole tumour type (prevalence from summary tables, contrast without normal samples)
    is left out and the remaining weights are renormalised. At least one weight must be positive."""

    level: Weight = Field(0.30, description="weight of the tumour expression level score")
    contrast: Weight = Field(0.15, description="weight of the tumour-vs-matched-normal contrast score")
    safety: Weight = Field(0.30, description="weight of the safety score, 1 - organ penalty")
    surface: Weight = Field(0.15, description="weight of the cell-surface evidence score")
    prevalence: Weight = Field(0.10, description="weight of the prevalence score, sample-level inputs only")

    @model_validator(mode="after")
    def _some_positive(self) -> TargetWeights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("all weights are zero; give at least one component a positive weight")
        return self


class SurfaceScores(Section):
    """Surface evidence per source; a gene's surface score is the maximum over sources."""

    surfy_base: float = Field(0.5, description='score of a SURFY "surface" call')
    surfy_ml_weight: float = Field(0.5, description="added: this weight x the SURFY machine-learning score")
    cspa_categories: Annotated[dict[str, float], StrKeys] = Field(
        default_factory=lambda: {"1 - high confidence": 1.0, "2 - putative": 0.7, "3 - unspecific": 0.4},
        description="CSPA category -> score (replaced whole when given)",
    )
    default_score: float = Field(1.0, description="score of any other source without a score of its own "
                                                  "(e.g. a custom curated list)")
    hpa_reliability: Annotated[dict[str, Fraction], StrKeys] = Field(
        default_factory=lambda: {"Enhanced": 0.8, "Validated": 0.8, "Supported": 0.6, "Approved": 0.4,
                                 "Uncertain": 0.2},
        description="HPA subcellular location ('Plasma membrane'): antibody reliability grade -> score in [0, 1], "
                    "below SURFY/CSPA because cell-line staining is noisy for tissue-restricted proteins (replaced "
                    "whole when given)",
    )
    curated_score: Fraction = Field(1.0, description="score of a gene on a user-curated surface list (--curated); "
                                                     "in [0, 1]")


class TargetsSettings(Section):
    """Target ranking: weights, organ panel and scales; every key is explained in docs/methods/targets.md."""

    weights: TargetWeights = Field(default_factory=TargetWeights, description="component score weights")
    organ_panel: Annotated[dict[str, Fraction], StrKeys] = Field(
        default_factory=lambda: dict(DEFAULT_ORGAN_PANEL), min_length=1,
        description="dose-limiting organs: HPA tissue name -> weight in [0, 1] (replaced whole when given)",
    )
    penalty_mean_blend: Fraction = Field(0.2, description="organ penalty = (1 - blend) x worst organ + blend x "
                                                          "weighted mean over the panel; in [0, 1]")
    harmonisation: Literal["quantile", "log"] = Field(
        "quantile", description="scale harmonisation of tumour values onto the normal panel's nTPM scale")
    level_floor_ntpm: float = Field(1.0, ge=0, description="tumour level score 0 at or below this (nTPM-eq.; the "
                                                           "ramp is on log2(1 + x))")
    level_saturation_ntpm: float = Field(300.0, ge=0, description="tumour level score 1 at or above this "
                                                                  "(nTPM-eq.); > level_floor_ntpm")
    organ_floor_ntpm: float = Field(1.0, ge=0, description="organ risk 0 at or below this (nTPM)")
    organ_saturation_ntpm: float = Field(100.0, ge=0, description="organ risk 1 at or above this (nTPM); "
                                                                  "> organ_floor_ntpm")
    contrast_saturation_log2: float = Field(3.0, ge=1e-9, description="contrast score 1 at or above this "
                                                                      "tumour-vs-matched-normal log2 fold change")
    missing_organ_risk: Fraction = Field(1.0, description="risk assumed for a panel organ without data for a gene "
                                                          "(unknown is never good); in [0, 1]")
    missing_contrast_score: Fraction = Field(0.0, description="contrast score assumed when a gene's matched-normal "
                                                              "value is missing; in [0, 1]")
    surface: SurfaceScores = Field(default_factory=SurfaceScores, description="surface evidence scores per source")
    universe: Literal["surface", "all"] = Field(
        "surface", description="genes ranked: surface (surface evidence in any source) or all")
    prevalence_threshold: float = Field(10.0, ge=0, description="sample-level inputs: expression (input units, "
                                                                "e.g. TPM) above which a tumour sample counts as "
                                                                "expressing the gene")
    quantiles: list[Fraction] = Field(default_factory=lambda: [0.1, 0.25, 0.75, 0.9],
                                      description="sample-level inputs: quantiles reported, each in [0, 1]")
    tumour_types: list[str] | None = Field(None, description="restrict to these tumour types (null: all in the "
                                                             "input)")
    top_n: int = Field(25, ge=1, description="rows per tumour type in plots and printed tables (the table keeps "
                                             "every gene)")
    low_tumour_tpm: float = Field(5.0, ge=0, description="tumour median (input units, TPM) below which the reason "
                                                         "says the data cannot support the target")
    calibration: str | None = Field(
        None, description="calibrated parameters laid under the user's own: null (the defaults), bundled (the "
                          "package's leave-one-tumour-type-out calibration, docs/methods/targets.md) or a file "
                          "written by `radiovector evaluate-targets --fit`")

    @model_validator(mode="after")
    def _saturation_above_floor(self) -> TargetsSettings:
        for lo, hi in (("level_floor_ntpm", "level_saturation_ntpm"), ("organ_floor_ntpm", "organ_saturation_ntpm")):
            if getattr(self, hi) <= getattr(self, lo):
                raise ValueError(f"{hi} must be greater than {lo}")
        return self


#: Keys whose mapping or list replaces the default whole instead of being merged key by key.
REPLACED_WHOLE = {"organ_panel", "surface.cspa_categories", "surface.hpa_reliability", "tumour_types", "quantiles"}


def _layer(base: dict[str, Any], over: dict[str, Any], path: str = "") -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict) and isinstance(out.get(key), dict) and where not in REPLACED_WHOLE:
            out[key] = _layer(out[key], value, where)
        else:
            out[key] = copy.deepcopy(value)
    return out


def with_calibration(section: dict[str, Any] | None) -> dict[str, Any]:
    """The ``targets:`` section with the calibration it names laid under it (the user's keys win); unchanged
    without one. Idempotent, so a section already expanded (and default-filled) by ``load_config`` stays as is."""
    section = dict(section or {})
    if section.get("calibration") is None:
        return section
    from radiovector.targets.calibration import load_calibrated

    return _layer(load_calibrated(section["calibration"]), section)
