"""Config validation: unknown keys, wrong types, missing files, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE_CONFIG, write_config

from radiovector.config import load_config, validate_config
from radiovector.errors import ConfigError


def test_example_config_is_valid_and_defaults_are_filled() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert config["report"]["top_n"] == 20
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in config["inputs"].values())


def test_defaults_fill_missing_keys() -> None:
    config = validate_config({"inputs": {"surfaceome": "x.tsv"}})
    assert config["workdir"] == "results/work" and config["report"] == {"top_n": 20}


def test_mistyped_key_is_named_with_suggestion(tmp_path: Path) -> None:
    path = write_config(tmp_path, reprot={"top_n": 3})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "reprot: unknown key; did you mean report?" in str(info.value)
    assert str(path) in str(info.value)


def test_mistyped_nested_key(tmp_path: Path) -> None:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config["inputs"]["tumor_expression"] = config["inputs"].pop("tumour_expression")
    with pytest.raises(
        ConfigError, match=r"inputs\.tumor_expression: unknown key; did you mean tumour_expression\?"
    ):
        validate_config(config)


def test_wrong_type_names_key_and_expectation() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"inputs": {"surfaceome": "x"}, "report": {"top_n": "many"}})
    assert "report.top_n: " in str(info.value) and "integer" in str(info.value) and "'many'" in str(info.value)


def test_missing_input_file_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, inputs={"surfaceome": "no/such/file.tsv"})
    with pytest.raises(ConfigError, match=r"inputs\.surfaceome not found: .*no/such/file\.tsv"):
        load_config(path)


def test_relative_inputs_resolve_against_config_dir(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "s.tsv").write_text("uniprot\nP1\n")
    (tmp_path / "c.yaml").write_text("inputs:\n  surfaceome: data/s.tsv\n")
    assert load_config(tmp_path / "c.yaml")["inputs"]["surfaceome"] == str(
        (tmp_path / "data/s.tsv").resolve()
    )


def test_not_yaml_and_not_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("inputs: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(bad)
