"""The ``dosimetry:`` section: absorbed doses, therapeutic indices, dose limits, tumour sizes
(docs/methods/dosimetry.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from radiovector.settings.base import Section, StrKeys, StrList, canonical_nuclides, str_keys
from radiovector.vocab.organs import canonical_organ

Positive = Annotated[float, Field(gt=0)]


class DosimetrySettings(Section):
    """Absorbed doses (MIRD), therapeutic indices, maximum tolerated activity and nuclide choice by tumour size."""

    nuclides: StrList = Field(default_factory=list, description="restrict to these nuclides of pk_tia (empty: "
                                                                "every nuclide present)")
    tiac_column: Literal["tiac", "tiac_model_avg", "tiac_nca"] = Field(
        "tiac", description="pk_tia column used as the time-integrated activity coefficient")
    tumour_organs: StrList = Field(default_factory=lambda: ["tumour", "tumor"],
                                   description="organ names treated as the tumour")
    tumour_mass_g: Positive | dict[str, Positive] = Field(
        0.2, description="measured tumour mass (g, > 0): a number, or a mapping compound -> g")
    body_mass_g: Positive = Field(25.0, description="mouse body mass (g) when pk_tia has no body_mass_g (Brown et "
                                                    "al. 1997 reference mouse)")
    organ_masses_g: Annotated[dict[str, Positive], StrKeys] = Field(
        default_factory=dict, description="organ -> mass (g, > 0), overriding pk_tia's organ_mass_g")
    default_organ_mass_g: Positive = Field(0.1, description="sphere mass (g) for organs without any mass (flagged "
                                                            "organ_mass_assumed)")
    blood_organ: str = Field("blood", description="organ name of the blood curve (red-marrow model)")
    marrow_organ: str = Field("red marrow", description="name of the derived red-marrow row")
    marrow_rmblr: float = Field(0.36, ge=0, le=10, description="red-marrow-to-blood activity concentration ratio "
                                                               "in [0, 10]; Sgouros 1993 uses 0.36 (no specific "
                                                               "marrow uptake), 0-1 is typical")
    marrow_cavity_diameter_um: Positive = Field(900.0, description="sphere diameter (um) for marrow "
                                                                   "self-absorption: mouse long-bone marrow cavity")
    photon_cross_dose: bool = Field(True, description="add photon cross-dose (uniform-body approximation)")
    rbe_alpha: Positive = Field(5.0, description="RBE of alpha particles for the weighted dose (Sgouros et al. "
                                                 "2010, MIRD Pamphlet 22)")
    max_daughter_half_life_h: Positive = Field(8760.0, description="daughters living longer (h) and their "
                                                                   "progeny are left out of a chain")
    redistributing_daughter: Annotated[dict[str, str | None], StrKeys] = Field(
        default_factory=dict, description="parent nuclide -> daughter that redistributes, overriding the default "
                                          "choice (empty or null: none)")
    ti_organs: StrList = Field(default_factory=lambda: ["kidney", "red marrow", "salivary gland"],
                               description="organs with a therapeutic-index column")
    dose_limits_gy: Annotated[dict[str, float], StrKeys] = Field(
        default_factory=lambda: {"kidney": 23.0, "red marrow": 2.0, "salivary gland": 32.0, "liver": 30.0,
                                 "lung": 17.5},
        description="organ -> dose limit (Gy) for the maximum tolerated activity: human clinical tolerance doses "
                    "(Emami et al. 1991 TD5/5; red marrow 2 Gy, Benua et al. 1962), used on mouse doses only to "
                    "rank candidates")
    mta_dose: Literal["rbe_weighted", "absorbed"] = Field(
        "rbe_weighted", description="dose compared with the limits")
    human_projection: bool = Field(True, description="project the mouse kinetics to the ICRP 89 reference adult "
                                                     "(human_doses, human_mta tables; docs/methods/dosimetry.md)")
    projection_methods: list[Literal["relative_mass", "relative_mass_allometric", "none"]] = Field(
        default_factory=lambda: ["relative_mass", "relative_mass_allometric", "none"],
        description="mouse-to-human projections computed for human_doses: relative organ-mass scaling (Kirschner "
                    "et al. 1975; Sparks & Aydogan 1999), the same with allometric time scaling, no scaling")
    projection_method: Literal["relative_mass", "none"] = Field(
        "relative_mass", description="projection used for the patient MTA in therapeutic_index, nuclide_by_size "
                                     "and the dossier")
    allometric_time_scaling: bool = Field(False, description="stretch biological times by (m_body,human / "
                                                             "m_body,mouse)^allometric_exponent for the patient "
                                                             "MTA (method relative_mass_allometric)")
    allometric_exponent: Positive = Field(0.25, description="exponent of the allometric time scaling (0.25: "
                                                            "Lindstedt & Calder 1981)")
    patient_sexes: list[Literal["male", "female"]] = Field(
        default_factory=lambda: ["male", "female"], description="ICRP 89 reference adults projected to")
    patient_sex: Literal["male", "female"] = Field("male", description="reference adult of the patient MTA used in "
                                                                       "therapeutic_index and the dossier")
    human_tumour_mass_g: Positive = Field(10.0, description="tumour mass (g) of the projected patient: a 10 g "
                                                            "lesion (2.7 cm diameter), an assumption")
    limits_file: str = Field("", description="CSV of organ limits for the patient MTA (organ, limit_kind bed or "
                                             "absorbed, limit_gy, alpha_beta_gy, repair_half_time_h, reference); "
                                             "empty: the packaged dosimetry/data/organ_limits.csv")
    therapy_nuclides: StrList = Field(
        default_factory=lambda: ["Lu-177", "Y-90", "Tb-161", "Cu-67", "I-131", "Sc-47", "Ac-225", "Pb-212",
                                 "Th-227", "Bi-213", "At-211"],
        description="nuclides compared for the radionuclide choice by tumour size")
    compatibility_levels: StrList = Field(default_factory=lambda: ["compatible", "possible"],
                                          description="chelator compatibility levels a candidate's nuclide may have")
    size_radii_um: list[Positive] = Field(default_factory=lambda: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
                                                                   10000, 20000],
                                          description="tumour radii (um, > 0) compared, single cell to 4 cm lesion")
    reference_uptake_pct_id_per_g: Positive = Field(10.0, description="uptake (%ID/g) retained, physical decay "
                                                                      "only, when kinetics are missing")

    @field_validator("tumour_mass_g", mode="before")
    @classmethod
    def _mass(cls, value: object) -> object:
        """One clear message instead of one per alternative (number or mapping)."""
        masses = value.values() if isinstance(value, dict) else [value]
        if not all(isinstance(m, int | float) and not isinstance(m, bool) and m > 0 for m in masses):
            raise ValueError("must be a mass in g > 0, or a mapping compound -> mass in g > 0")
        return str_keys(value)

    @field_validator("nuclides", "therapy_nuclides", mode="after")
    @classmethod
    def _nuclides(cls, value: list[str]) -> list[str]:
        return canonical_nuclides(value)

    @field_validator("tumour_organs", "ti_organs", mode="after")
    @classmethod
    def _organs(cls, value: list[str]) -> list[str]:
        return [canonical_organ(o) for o in value]

    @field_validator("organ_masses_g", "dose_limits_gy", mode="after")
    @classmethod
    def _organ_keys(cls, value: dict[str, float]) -> dict[str, float]:
        return {canonical_organ(k): v for k, v in value.items()}

    @field_validator("size_radii_um", mode="after")
    @classmethod
    def _sorted(cls, value: list[float]) -> list[float]:
        return sorted(float(r) for r in value)

    @field_validator("redistributing_daughter", mode="after")
    @classmethod
    def _daughters(cls, value: dict[str, str | None]) -> dict[str, str]:
        parents = canonical_nuclides(list(value))
        return {p: (canonical_nuclides([d])[0] if d else "") for p, d in zip(parents, value.values(), strict=True)}
