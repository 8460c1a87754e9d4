"""The ``pk:`` section: pharmacokinetic fits, bootstrap, theranostic re-decay
(docs/methods/pharmacokinetics.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from radiovector.pk.models import DEFAULT_MODELS
from radiovector.settings.base import Section, StrKeys, StrList, canonical_nuclides
from radiovector.vocab.organs import REFERENCE_BODY_MASS_G

ModelName = Literal[DEFAULT_MODELS]  # type: ignore[valid-type]


class PkSettings(Section):
    """Pharmacokinetic fits of the biodistribution input: models, error model, bootstrap, theranostic re-decay."""

    models: list[ModelName] = Field(default_factory=lambda: list(DEFAULT_MODELS), min_length=1,
                                    description="candidate time-activity models, any of " + ", ".join(DEFAULT_MODELS))
    error_model: Literal["auto", "sd", "relative"] = Field(
        "auto", description="auto (sd when every point of a curve has sd > 0, else relative), sd or relative")
    n_starts: int = Field(2, description="multi-start seeds per model (best grid points over the rate parameters)")
    n_bootstrap: int = Field(1000, description="bootstrap replicates per curve for the TIA confidence interval "
                                               "(0 = off)")
    ci_level: float = Field(0.95, gt=0, lt=1, description="two-sided confidence level of tiac_low/tiac_high, "
                                                          "in (0, 1)")
    seed: int = Field(20240601, description="base seed; each curve's stream is seeded from it and the curve's key")
    therapy_nuclides: StrList = Field(default_factory=list, description="nuclides to re-decay the biological "
                                                                        "kinetics with (theranostic extrapolation)")
    nca_t0: Literal["first", "zero"] = Field(
        "first", description="NCA before the first point: first (hold the first value back to t=0) or zero "
                             "(linear rise from 0)")
    nca_tail_points: int = Field(3, description="points used for the NCA terminal slope")
    cv_flag: float = Field(0.5, description="flag fits with any parameter CV above this")
    corr_flag: float = Field(0.95, description="flag fits with any absolute parameter correlation above this")
    extrapolation_flag: float = Field(0.2, description="flag TIAs with more than this fraction beyond the last "
                                                       "time point")
    min_points: int = Field(2, description="curves with fewer distinct time points are rejected")
    parsimony_delta: float = Field(2.0, ge=0, description="select the fewest-parameter model within this AICc of "
                                                          "the best (0 = plain minimum AICc; 2 is standard)")
    body_mass_g: float = Field(REFERENCE_BODY_MASS_G, gt=0, description="mouse body mass (g) for standard organ "
                                                                        "masses (a body_mass_g column wins)")
    organ_mass_fractions: Annotated[dict[str, Annotated[float, Field(gt=0, lt=1)]], StrKeys] = Field(
        default_factory=dict, description="organ -> fraction of body weight in (0, 1), overriding or extending "
                                          "the standard table, e.g. {thyroid: 0.0001}")
    curve_points: int = Field(200, description="points per fitted curve in pk_curves")
    n_jobs: int = Field(1, description="worker processes over curves (the workflow sets the rule's threads)")
    input_name: str = Field("biodistribution", description="'input' column of rejects")
    source: str = Field("", description="'source' column of rejects (the workflow sets the file path)")

    @field_validator("therapy_nuclides", mode="after")
    @classmethod
    def _canonical(cls, value: list[str]) -> list[str]:
        return canonical_nuclides(value)

    @field_validator("models", mode="after")
    @classmethod
    def _canonical_order(cls, value: list[str]) -> list[str]:
        """Models in canonical order, simplest first."""
        return [m for m in DEFAULT_MODELS if m in value]
