"""Typed configuration (radiovector.settings): defaults, did-you-mean at any depth, bad values named by key path,
and the generated schema and docs in sync with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE_CONFIG, write_config

from radiovector.config import load_config, validate_config
from radiovector.errors import ConfigError
from radiovector.settings.generate import generated_files
from radiovector.settings.run import SECTIONS

REPO = Path(__file__).resolve().parents[1]

# The stages' hand-written DEFAULTS dicts before the config models (commit c055c2d), frozen here: the models must
# keep every default value.
OLD_DEFAULTS = {
    "targets": {
        "weights": {"level": 0.3, "contrast": 0.15, "safety": 0.3, "surface": 0.15, "prevalence": 0.1},
        "organ_panel": {"kidney": 1.0, "bone_marrow": 1.0, "salivary_gland": 0.8, "liver": 0.6, "lung": 0.5,
                        "heart_muscle": 0.5, "small_intestine": 0.4, "duodenum": 0.4, "spleen": 0.3},
        "penalty_mean_blend": 0.2, "harmonisation": "quantile", "level_floor_ntpm": 1.0,
        "level_saturation_ntpm": 300.0, "organ_floor_ntpm": 1.0, "organ_saturation_ntpm": 100.0,
        "contrast_saturation_log2": 3.0, "missing_organ_risk": 1.0, "missing_contrast_score": 0.0,
        "surface": {"surfy_base": 0.5, "surfy_ml_weight": 0.5,
                    "cspa_categories": {"1 - high confidence": 1.0, "2 - putative": 0.7, "3 - unspecific": 0.4},
                    "default_score": 1.0,
                    "hpa_reliability": {"Enhanced": 0.8, "Validated": 0.8, "Supported": 0.6, "Approved": 0.4,
                                        "Uncertain": 0.2},
                    "curated_score": 1.0},
        "universe": "surface", "prevalence_threshold": 10.0, "quantiles": [0.1, 0.25, 0.75, 0.9],
        "tumour_types": None, "top_n": 25,
        # added by issue 13 (HPA subcellular location, curated lists, data-limit reasons, calibration); the
        # previous keys keep their values
        "low_tumour_tpm": 5.0, "calibration": None,
    },
    "candidates": {
        "nuclides": [], "profile": "renal_small_molecule", "profiles": {}, "pareto_max_rows": 5000,
        "source": "candidates", "alerts": True, "qed_sa": True,
        "interval": 0.9,  # new (issue 17): coverage of the affinity model's prediction interval
        "max_heavy_atoms": 500, "max_smiles_length": 10000,  # new (issue 18): size limits, checked before RDKit
        "peptides": {"profile": "peptide", "monomer_files": [], "reference_peptides": None,
                     "proteases": ["trypsin", "chymotrypsin", "neprilysin", "dpp4", "aminopeptidase",
                                   "carboxypeptidase"],
                     "max_sequence_length": 2000, "max_residues": 150, "max_heavy_atoms": 1000},  # issue 18
    },
    "design": {"building_blocks": "", "chunk_size": 50000, "nuclides": [], "profile": "renal_small_molecule",
               "profiles": {}, "top_n": 1000, "alerts": True, "qed_sa": True,
               "selection": "bounded",  # added by issue 16 (bounded selection; same design_space as exhaustive)
               "bounds": "blocks",  # added by issue 16 (phase-1 bounds from building blocks)
               "max_heavy_atoms": 500, "max_smiles_length": 10000},  # added by issue 18 (size limits)
    "pk": {
        "models": ["mono", "uptake2", "uptake3", "bi", "tri"], "error_model": "auto", "n_starts": 2,
        "n_bootstrap": 1000, "ci_level": 0.95, "seed": 20240601, "therapy_nuclides": [], "nca_t0": "first",
        "nca_tail_points": 3, "cv_flag": 0.5, "corr_flag": 0.95, "extrapolation_flag": 0.2, "min_points": 2,
        "parsimony_delta": 2.0, "body_mass_g": 25.0, "organ_mass_fractions": {}, "curve_points": 200, "n_jobs": 1,
        "input_name": "biodistribution", "source": "",
    },
    "dosimetry": {
        "nuclides": [], "tiac_column": "tiac", "tumour_organs": ["tumour", "tumor"], "tumour_mass_g": 0.2,
        "body_mass_g": 25.0, "organ_masses_g": {}, "default_organ_mass_g": 0.1, "blood_organ": "blood",
        "marrow_organ": "red marrow", "marrow_rmblr": 0.36, "marrow_cavity_diameter_um": 900.0,
        "photon_cross_dose": True, "rbe_alpha": 5.0, "max_daughter_half_life_h": 8760.0,
        "redistributing_daughter": {}, "ti_organs": ["kidney", "red marrow", "salivary gland"],
        "dose_limits_gy": {"kidney": 23.0, "red marrow": 2.0, "salivary gland": 32.0, "liver": 30.0, "lung": 17.5},
        "mta_dose": "rbe_weighted", "human_projection": True,
        "projection_methods": ["relative_mass", "relative_mass_allometric", "none"],
        "projection_method": "relative_mass", "allometric_time_scaling": False, "allometric_exponent": 0.25,
        "patient_sexes": ["male", "female"], "patient_sex": "male", "human_tumour_mass_g": 10.0, "limits_file": "",
        "therapy_nuclides": ["Lu-177", "Y-90", "Tb-161", "Cu-67", "I-131", "Sc-47", "Ac-225", "Pb-212", "Th-227",
                             "Bi-213", "At-211"],
        "compatibility_levels": ["compatible", "possible"],
        "size_radii_um": [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000],
        "reference_uptake_pct_id_per_g": 10.0,
    },
    "dossier": {
        "max_target_rank": 50, "always_best_tumour_type": True, "weights": {"target": 0.5, "candidate": 0.5},
        "compatibility_factor": {"compatible": 1.0, "possible": 0.5, "incompatible": 0.0, "no_chelator": 0.0},
        "therapy_preference": ["Lu-177", "Ac-225", "Tb-161", "Y-90", "Cu-67", "Pb-212", "I-131", "Sc-47"],
    },
    "report": {"top_n": 20},
}

# One mistyped key per section, at several depths: (section, the bad mapping, expected message).
MISTYPED = [
    ("targets", {"weights": {"levle": 0.2}}, "targets.weights.levle: unknown key; did you mean level?"),
    ("targets", {"surface": {"surfy_bse": 0.2}}, "targets.surface.surfy_bse: unknown key; did you mean surfy_base?"),
    ("candidates", {"nuclide": ["Lu-177"]}, "candidates.nuclide: unknown key; did you mean nuclides?"),
    ("candidates", {"peptides": {"protease": []}},
     "candidates.peptides.protease: unknown key; did you mean proteases?"),
    ("design", {"chunksize": 10}, "design.chunksize: unknown key; did you mean chunk_size?"),
    ("pk", {"n_boostrap": 10}, "pk.n_boostrap: unknown key; did you mean n_bootstrap?"),
    ("dosimetry", {"tumor_mass_g": 0.3}, "dosimetry.tumor_mass_g: unknown key; did you mean tumour_mass_g?"),
    ("dossier", {"compatibility_factor": {"posible": 0.4}},
     "dossier.compatibility_factor.posible: unknown key; did you mean possible?"),
    ("report", {"topn": 5}, "report.topn: unknown key; did you mean top_n?"),
]

# A bad value per section: (section, the bad mapping, the key path the message must start with).
BAD_VALUES = [
    ("targets", {"organ_panel": {"kidney": 2}}, "targets.organ_panel.kidney: "),
    ("targets", {"harmonisation": "zscore"}, "targets.harmonisation: "),
    ("candidates", {"nuclides": "Lu-177, Xx-999"}, "candidates.nuclides: "),
    ("candidates", {"profile": "nope"}, "candidates: "),
    ("candidates", {"peptides": {"proteases": ["pepsinx"]}}, "candidates.peptides.proteases.0: "),
    ("design", {"chunk_size": 10}, "design: building_blocks is missing"),
    ("pk", {"models": ["quad"]}, "pk.models.0: "),
    ("pk", {"therapy_nuclides": ["Qq-1"]}, "pk.therapy_nuclides: "),
    ("pk", {"ci_level": 1.5}, "pk.ci_level: "),
    ("dosimetry", {"tumour_mass_g": -1}, "dosimetry.tumour_mass_g"),
    ("dosimetry", {"marrow_rmblr": "high"}, "dosimetry.marrow_rmblr: "),
    ("dossier", {"weights": {"target": 2}}, "dossier.weights.target: "),
    ("report", {"top_n": 0}, "report.top_n: "),
]


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_defaults_equal_the_previous_defaults(section: str) -> None:
    assert SECTIONS[section].defaults() == OLD_DEFAULTS[section]


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_key_is_documented(section: str) -> None:
    def check(model: type) -> None:
        for name, field in model.model_fields.items():
            assert field.description, f"{section}: {name} has no description"
            inner = field.annotation
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                check(inner)

    check(SECTIONS[section])


def test_stage_defaults_come_from_the_models() -> None:
    from radiovector.candidates.design import DEFAULTS as design
    from radiovector.candidates.stage import DEFAULTS as candidates
    from radiovector.dosimetry.stage import DEFAULTS as dosimetry
    from radiovector.dossier.build import DEFAULTS as dossier
    from radiovector.peptides.stage import PEPTIDE_DEFAULTS
    from radiovector.pk.stage import DEFAULTS as pk
    from radiovector.targets.params import DEFAULT_PARAMS as targets

    stages = {"targets": targets, "candidates": candidates, "design": design, "pk": pk, "dosimetry": dosimetry,
              "dossier": dossier}
    for name, defaults in stages.items():
        assert defaults == OLD_DEFAULTS[name], name
    assert OLD_DEFAULTS["candidates"]["peptides"] == PEPTIDE_DEFAULTS


@pytest.mark.parametrize(("section", "value", "message"), MISTYPED)
def test_mistyped_key_fails_at_load_time_with_suggestion(tmp_path: Path, section: str, value: dict,
                                                         message: str) -> None:
    example = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    path = write_config(tmp_path, **{section: {**(example.get(section) or {}), **value}})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}: {message}" in str(info.value)


@pytest.mark.parametrize(("section", "value", "where"), BAD_VALUES)
def test_bad_value_names_the_key(section: str, value: dict, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"inputs": {"candidates": "x.csv"}, section: value}, source="my.yaml")
    assert str(info.value).startswith(f"my.yaml: {where}")


def test_several_errors_are_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"inputs": {"candidates": "x.csv"}, "pk": {"n_boostrap": 1, "ci_level": 2}})
    text = str(info.value)
    assert "2 config errors" in text and "pk.n_boostrap: unknown key" in text and "pk.ci_level: " in text


def test_unknown_top_level_and_input_kinds_are_named() -> None:
    with pytest.raises(ConfigError, match=r"inputs: give at least one input table"):
        validate_config({"inputs": {}})
    with pytest.raises(ConfigError, match=r"inputs\.surfaceome: give the path"):
        validate_config({"inputs": {"surfaceome": None}})
    with pytest.raises(ConfigError, match=r"inputs: required key is missing"):
        validate_config({"title": "x"})


def test_defaults_are_filled_in_at_every_depth() -> None:
    config = validate_config({"inputs": {"surfaceome": "x.tsv"}, "dosimetry": {"tumour_mass_g": 0.3}})
    assert config["dosimetry"]["tumour_mass_g"] == 0.3 and config["dosimetry"]["rbe_alpha"] == 5.0
    assert config["targets"]["weights"]["level"] == 0.3 and config["pk"]["models"][0] == "mono"
    assert config["design"]["building_blocks"] == ""  # no design space
    assert "tumour_expression" not in config["inputs"]  # an absent input is not filled in


def test_normalisation_is_kept() -> None:
    from radiovector.candidates.stage import resolve_params as candidates
    from radiovector.dosimetry.stage import resolve_params as dosimetry
    from radiovector.pk.stage import resolve_params as pk

    assert candidates({"nuclides": "177Lu; ac225"})["nuclides"] == ["Lu-177", "Ac-225"]
    p = dosimetry({"ti_organs": "Kidneys", "tumour_organs": ["Tumor"], "nuclides": "lu177", "rbe_alpha": None,
                   "organ_masses_g": {"Lungs": 0.2}, "size_radii_um": [100, 10],
                   "redistributing_daughter": {"ac225": "bi213", "Pb-212": None}})
    assert p["ti_organs"] == ["kidney"] and p["tumour_organs"] == ["tumour"] and p["nuclides"] == ["Lu-177"]
    assert p["rbe_alpha"] == 5.0 and p["organ_masses_g"] == {"lung": 0.2} and p["size_radii_um"] == [10.0, 100.0]
    assert p["redistributing_daughter"] == {"Ac-225": "Bi-213", "Pb-212": ""}
    q = pk({"models": ["bi", "mono"], "therapy_nuclides": "lu177", "n_bootstrap": None})
    assert q["models"] == ["mono", "bi"] and q["therapy_nuclides"] == ["Lu-177"] and q["n_bootstrap"] == 1000


@pytest.mark.parametrize("rel", sorted(str(p) for p in generated_files()))
def test_generated_files_are_in_sync(rel: str) -> None:
    expected = generated_files()[Path(rel)]
    assert (REPO / rel).read_text() == expected, (
        f"{rel} is out of date: run `python -m radiovector.settings.generate`")


def test_the_example_config_is_valid_against_the_generated_schema() -> None:
    import jsonschema

    schema = yaml.safe_load((REPO / "config/schemas/config.schema.yaml").read_text())
    config = validate_config(yaml.safe_load(EXAMPLE_CONFIG.read_text()))
    jsonschema.Draft202012Validator(schema).validate(config)  # the filled-in config too, as Snakemake sees it
    from radiovector.settings.run import RunConfig

    RunConfig.model_validate(config)  # and the filled-in config still passes the models


def test_a_named_calibration_lies_under_the_users_keys_in_a_run_config(tmp_path: Path) -> None:
    """load_config fills every default; a calibration must be laid under the user's keys before that, or the
    filled defaults would hide it (the stage sees the same values as resolve_params on the raw section)."""
    from radiovector.config import load_config
    from radiovector.targets.params import resolve_params as targets

    path = tmp_path / "c.yaml"
    bio = Path(__file__).resolve().parents[1] / "resources" / "example" / "biodistribution.csv"
    path.write_text(yaml.safe_dump({"inputs": {"biodistribution": str(bio)},
                                    "targets": {"calibration": "bundled", "weights": {"level": 0.4}}}))
    filled = load_config(path)["targets"]
    assert filled["weights"]["level"] == 0.4  # the user's key wins
    assert filled["contrast_saturation_log2"] == 8.0 and filled["organ_panel"]["kidney"] == 0.5  # calibrated
    assert targets(filled) == targets({"calibration": "bundled", "weights": {"level": 0.4}})
