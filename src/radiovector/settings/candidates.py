"""The ``candidates:`` section (with its ``peptides:`` subsection) and the ``design:`` section
(docs/methods/candidates.md, docs/methods/peptides.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from radiovector.candidates import limits
from radiovector.peptides.stability import PROTEASES
from radiovector.settings.base import Section, SplitStrList, StrList, reraise

Protease = Literal[PROTEASES]  # type: ignore[valid-type]


def _nuclides(value: list[str]) -> list[str]:
    """Nuclide names normalised (``177Lu`` -> ``Lu-177``), each with chelator compatibility data."""
    from radiovector.candidates.recognition import check_nuclides

    return reraise(check_nuclides, value)


def _profile(name: str, profiles: dict[str, Any]) -> None:
    """Check that the desirability profile ``name`` exists (built in or in ``profiles``) and is well formed."""
    from radiovector.candidates.scoring import resolve_profile

    reraise(lambda n: resolve_profile(n, profiles), name)


class PeptideSettings(Section):
    """How peptide candidates are built and scored (docs/methods/peptides.md)."""

    profile: str = Field("peptide", description="desirability profile for peptides (candidates.profile is for "
                                                "small molecules)")
    monomer_files: StrList = Field(default_factory=list, description="extra monomer CSVs (columns as data/"
                                                                     "monomers.csv); later files override names")
    reference_peptides: str | None = Field(None, description="CSV id,sequence[,target] of known peptide ligands "
                                                             "(null: the bundled data/known_peptides.csv)")
    proteases: list[Protease] = Field(default_factory=lambda: list(PROTEASES),
                                      description="protease cleavage rules scanned")
    max_sequence_length: int = Field(limits.PEPTIDE_MAX_SEQUENCE_LENGTH, ge=1, description=(
        "longer sequence texts (characters) are rejects before parsing (docs/data-formats.md, size limits)"))
    max_residues: int = Field(limits.PEPTIDE_MAX_RESIDUES, ge=1, description=(
        "peptides with more units (residues and conjugated groups) are rejects before the molecule is built"))
    max_heavy_atoms: int = Field(limits.PEPTIDE_MAX_HEAVY_ATOMS, ge=1, le=limits.INCHI_MAX_ATOMS, description=(
        "built peptides with more heavy atoms are rejects before standardisation (at most 1023: InChI's limit)"))


class _Scoring(Section):
    """Settings candidate and design-space scoring share."""

    nuclides: SplitStrList = Field(default_factory=list, description=(
        "radionuclides checked for every candidate (Lu-177, 177Lu, lu-177 are all accepted; a string is split at "
        "commas); each needs chelator compatibility data"))
    profile: str = Field("renal_small_molecule", description="desirability profile: renal_small_molecule, "
                                                             "albumin_binding, peptide, or one defined in profiles")
    profiles: dict[str, Any] = Field(default_factory=dict, description="extra or overriding desirability profiles "
                                                                       "(layout of candidates/data/profiles.yaml)")
    max_heavy_atoms: int = Field(limits.MAX_HEAVY_ATOMS, ge=1, le=limits.INCHI_MAX_ATOMS, description=(
        "structures with more heavy atoms are rejects before any RDKit call (counted from the SMILES text; at "
        "most 1023: InChI's limit; docs/data-formats.md, size limits)"))
    max_smiles_length: int = Field(limits.MAX_SMILES_LENGTH, ge=1, description=(
        "longer SMILES texts (characters) are rejects before anything else is done with them"))

    @field_validator("nuclides", mode="after")
    @classmethod
    def _known_nuclides(cls, value: list[str]) -> list[str]:
        return _nuclides(value)


class CandidatesSettings(_Scoring):
    """Candidate scoring of the ``candidates`` and ``peptides`` inputs."""

    nuclides: SplitStrList = Field(default_factory=list, description=(
        "radionuclides checked for every candidate (Lu-177, 177Lu, lu-177 are all accepted; a string is split at "
        "commas); each needs chelator compatibility data. Empty: each row's own nuclide"))
    pareto_max_rows: int = Field(5000, description="beyond this many rows Pareto ranks are computed among the "
                                                   "best-scoring rows only")
    source: str = Field("candidates", description="source label in rejects when the input has no source column")
    alerts: bool = Field(True, description="PAINS/Brenk structural alerts (the slowest step)")
    qed_sa: bool = Field(True, description="QED and SA score (false leaves them empty: faster)")
    interval: float = Field(0.9, gt=0, lt=1, description="central coverage of the affinity model's conformal "
                                                         "prediction interval (paffinity_low, paffinity_high)")
    peptides: PeptideSettings = Field(default_factory=PeptideSettings, description="peptide candidates")

    @model_validator(mode="after")
    def _profiles_exist(self) -> CandidatesSettings:
        _profile(self.profile, self.profiles)
        _profile(self.peptides.profile, self.profiles)
        return self


class DesignSettings(_Scoring):
    """Design-space screening: vector x linker x chelator [x albumin binder] conjugates enumerated from building
    blocks, scored in chunks and gathered into the design_space table. Without building_blocks: no design space."""

    building_blocks: str = Field("", description="CSV id, role, smiles of the building blocks (relative paths "
                                                 "against the config file); empty: no design-space screening")
    chunk_size: int = Field(50000, ge=1, description="conjugates per workflow job (bounds memory per job)")
    nuclides: SplitStrList = Field(default_factory=list, description=(
        "radionuclides whose chelator compatibility is checked for every conjugate (a string is split at commas)"))
    top_n: int = Field(1000, ge=1, description="best-scoring conjugates kept in design_space (plus the Pareto "
                                               "front)")
    alerts: bool = Field(True, description="PAINS/Brenk alerts per conjugate")
    qed_sa: bool = Field(True, description="QED and SA score per conjugate")
    selection: Literal["bounded", "exhaustive"] = Field("bounded", description=(
        "bounded: score every conjugate cheaply (upper bound of its score, exact Pareto objectives) and fully "
        "score only what can enter the top N or the front (same table as exhaustive); exhaustive: score all"))
    bounds: Literal["blocks", "conjugates"] = Field("blocks", description=(
        "how bounded selection bounds each conjugate: blocks (intervals from the building blocks' properties and "
        "junction environments; conjugates the proof does not cover are built one by one) or conjugates (build "
        "and standardise every conjugate: the slower reference)"))

    @model_validator(mode="after")
    def _blocks_given(self) -> DesignSettings:
        if not self.building_blocks.strip():
            defaults = self.defaults()
            changed = sorted(k for k in self.model_fields_set if getattr(self, k) != defaults[k])
            if changed:
                raise ValueError(f"building_blocks is missing (design settings {changed} given without it); give "
                                 "a CSV of building blocks (id, role, smiles), e.g. "
                                 "../resources/example/building_blocks.csv")
        _profile(self.profile, self.profiles)
        return self
