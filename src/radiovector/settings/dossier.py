"""The ``dossier:`` section: how the dossier lists and scores tumour type x target x candidate x nuclide
(docs/methods/dossier.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from radiovector.settings.base import Section

Fraction = Annotated[float, Field(ge=0, le=1)]


class DossierWeights(Section):
    """Exponents of the weighted geometric mean dossier_score = target_score^target x candidate_score^candidate."""

    target: Fraction = Field(0.5, description="weight of the target score, in [0, 1]")
    candidate: Fraction = Field(0.5, description="weight of the candidate score, in [0, 1]")


class CompatibilityFactors(Section):
    """Factor on the dossier score per chelator-nuclide compatibility (an incompatible chelator scores 0)."""

    compatible: Fraction = Field(1.0, description="the chelator is known to hold the nuclide; in [0, 1]")
    possible: Fraction = Field(0.5, description="the chelator may hold the nuclide; in [0, 1]")
    incompatible: Fraction = Field(0.0, description="the chelator does not hold the nuclide; in [0, 1]")
    no_chelator: Fraction = Field(0.0, description="no chelator recognised; in [0, 1]")


class DossierSettings(Section):
    """One dossier row per tumour type x target x candidate x therapy nuclide."""

    max_target_rank: int = Field(50, ge=1, description="a target is listed for a tumour type when it ranks at most "
                                                       "this high there")
    always_best_tumour_type: bool = Field(True, description="also list every candidate for the tumour type where "
                                                            "its target ranks best")
    weights: DossierWeights = Field(default_factory=DossierWeights, description="score weights")
    compatibility_factor: CompatibilityFactors = Field(default_factory=CompatibilityFactors,
                                                       description="factor per chelator-nuclide compatibility")
    therapy_preference: list[str] = Field(
        default_factory=lambda: ["Lu-177", "Ac-225", "Tb-161", "Y-90", "Cu-67", "Pb-212", "I-131", "Sc-47"],
        description="therapy nuclides in order of preference when no dose estimate decides")
