"""Load, validate and resolve a run configuration (config/schemas/config.schema.yaml)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from radiovector.errors import ConfigError
from radiovector.io.yamlfile import load_yaml
from radiovector.paths import schema_dir
from radiovector.settings.base import parse
from radiovector.settings.run import RunConfig
from radiovector.settings.targets import with_calibration


def config_schema() -> dict[str, Any]:
    """The checked-in config schema (generated from :mod:`radiovector.settings`)."""
    return load_yaml((schema_dir() / "config.schema.yaml").read_text())


def _with_defaults(validator_class: type[jsonschema.protocols.Validator]) -> type:
    """A validator that also fills in ``default`` values (the jsonschema FAQ recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # type: ignore[no-untyped-def]
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(jsonschema.Draft202012Validator)


def validate_config(config: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Validate a config mapping and return a copy with every default filled in; raise :class:`ConfigError`.

    Every key at every depth is checked by the config models (:mod:`radiovector.settings`: types, ranges, allowed
    values, nuclide and organ names, desirability profiles; "did you mean" for unknown keys), then against
    config/schemas/config.schema.yaml, which is generated from the same models and is what the Snakefile checks;
    the schema also fills in the defaults, as Snakemake does.
    """
    parse(RunConfig, config, source=source)
    schema = config_schema()
    resolved = copy.deepcopy(config)
    if isinstance(resolved.get("targets"), dict):  # a named calibration is laid under the user's keys first
        resolved["targets"] = with_calibration(resolved["targets"])
    errors = sorted(_DefaultingValidator(schema).iter_errors(resolved), key=lambda e: list(e.absolute_path))
    if errors:  # the models and the schema disagree: a bug, but say where
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise ConfigError(f"{source}: {where}: {errors[0].message}", hint="config/schemas/config.schema.yaml is "
                          "generated: rerun python -m radiovector.settings.generate")
    return resolved


def read_config_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"config file not found: {path}", hint="pass --config FILE, e.g. config/config.yaml"
        )
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"{path}: the config must be a mapping of keys to values, not {type(loaded).__name__}"
        )
    return loaded


def config_section(path: str | Path | None, section: str) -> dict[str, Any]:
    """The ``section`` mapping of a YAML file, for the single-stage commands: a whole run config (its section is
    taken) or a file holding only that section's keys. ``None`` gives ``{}``."""
    if path is None:
        return {}
    doc = read_config_file(path)
    params = doc.get(section, doc)
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: the {section!r} section must be a mapping of keys to values")
    return dict(params)


def resolve_inputs(config: dict[str, Any], base: Path, source: str = "config") -> dict[str, Any]:
    """Make input paths absolute (relative ones against ``base``) and check that each file exists."""
    resolved = copy.deepcopy(config)
    for name, value in resolved["inputs"].items():
        path = Path(value).expanduser()
        path = path if path.is_absolute() or "://" in value else (base / path)
        path = path.resolve()
        if not path.is_file():
            raise ConfigError(
                f"{source}: input file for inputs.{name} not found: {path}",
                hint=f"fix the path of inputs.{name} (relative paths are resolved against {base})",
            )
        resolved["inputs"][name] = str(path)
    design = resolved.get("design") or {}
    if design.get("building_blocks") and "://" not in design["building_blocks"]:  # design-space building blocks
        path = (base / Path(design["building_blocks"]).expanduser()).resolve()
        if not path.is_file():
            raise ConfigError(f"{source}: design.building_blocks not found: {path}",
                              hint=f"fix the path (relative paths are resolved against {base})")
        design["building_blocks"] = str(path)
    return resolved


def load_config(path: str | Path) -> dict[str, Any]:
    """Read, validate and resolve a config file: the single entry point used by the CLI."""
    path = Path(path).resolve()
    config = validate_config(read_config_file(path), source=str(path))
    return resolve_inputs(config, path.parent, source=str(path))
