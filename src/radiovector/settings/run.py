"""The whole run configuration: title, inputs, workdir, report and one section per stage."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from radiovector.settings.base import Section
from radiovector.settings.candidates import CandidatesSettings, DesignSettings
from radiovector.settings.dosimetry import DosimetrySettings
from radiovector.settings.dossier import DossierSettings
from radiovector.settings.pk import PkSettings
from radiovector.settings.targets import TargetsSettings


def _no_default(schema: dict[str, Any]) -> None:
    """An input kind that is absent is not an input: no ``default: null`` for validators that fill defaults."""
    schema.pop("default", None)
    schema.pop("anyOf", None)
    schema["type"] = "string"


def _input(description: str) -> Any:
    return Field(None, description=description, json_schema_extra=_no_default)


class Inputs(Section):
    """Input tables, by kind. Each kind has a row schema in config/schemas/tables/<kind>.schema.yaml and is
    validated on ingestion; rejected rows go to the rejects table. Relative paths are resolved against the
    directory of the config file."""

    model_config = ConfigDict(validate_default=False)  # an absent input stays absent (None)

    tumour_expression: str | None = _input("tumour-vs-normal expression summaries (OncoDB/TCGA shape)")
    normal_expression: str | None = _input("normal-tissue expression, gene x tissue (HPA shape)")
    surfaceome: str | None = _input("cell-surface evidence per protein (SURFY shape)")
    candidates: str | None = _input("candidate structures (CSV/TSV/Parquet with id and smiles, SDF, SMILES)")
    peptides: str | None = _input("peptide candidates (CSV/TSV/Parquet with id and sequence, native notation or "
                                  "HELM; FASTA)")
    biodistribution: str | None = _input("biodistribution, %ID/g per organ and time point")
    cspa: str | None = _input("Cell Surface Protein Atlas evidence (optional second surface source)")

    @field_validator("*", mode="after")
    @classmethod
    def _given(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("give the path of the input table, or leave the key out")
        return value

    @model_validator(mode="after")
    def _at_least_one(self) -> Inputs:
        if not self.model_fields_set:
            raise ValueError("give at least one input table")
        return self


class ReportSettings(Section):
    """The HTML report."""

    top_n: int = Field(20, ge=1, description="rows shown per table in the report")


class RunConfig(Section):
    """A RadioVector run."""

    title: str = Field("RadioVector run", description="a human-readable name for the run, shown in the report")
    inputs: Inputs = Field(description="input tables by kind (at least one)", json_schema_extra={"minProperties": 1})
    targets: TargetsSettings = Field(default_factory=TargetsSettings, description="target ranking "
                                                                                  "(docs/methods/targets.md)")
    candidates: CandidatesSettings = Field(default_factory=CandidatesSettings,
                                           description="candidate scoring (docs/methods/candidates.md)")
    design: DesignSettings = Field(default_factory=DesignSettings, description="design-space screening "
                                                                               "(docs/methods/candidates.md)")
    pk: PkSettings = Field(default_factory=PkSettings, description="pharmacokinetic fits "
                                                                   "(docs/methods/pharmacokinetics.md)")
    dosimetry: DosimetrySettings = Field(default_factory=DosimetrySettings,
                                         description="absorbed doses (docs/methods/dosimetry.md)")
    dossier: DossierSettings = Field(default_factory=DossierSettings, description="the dossier "
                                                                                  "(docs/methods/dossier.md)")
    workdir: str = Field("results/work", description="where Snakemake writes intermediate files (relative to "
                                                      "where the run is started)")
    report: ReportSettings = Field(default_factory=ReportSettings, description="the HTML report")


#: Config section name -> its model (the stage sections and the report).
SECTIONS: dict[str, type[Section]] = {
    "targets": TargetsSettings,
    "candidates": CandidatesSettings,
    "design": DesignSettings,
    "pk": PkSettings,
    "dosimetry": DosimetrySettings,
    "dossier": DossierSettings,
    "report": ReportSettings,
}
