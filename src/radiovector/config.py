"""Load, validate and resolve a run configuration (config/schemas/config.schema.yaml)."""

from __future__ import annotations

import copy
import difflib
import importlib
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from radiovector.errors import ConfigError, RadioVectorError
from radiovector.paths import schema_dir


def config_schema() -> dict[str, Any]:
    return yaml.safe_load((schema_dir() / "config.schema.yaml").read_text())


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


def _subschema(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    node = schema
    for part in path:
        node = node.get("properties", {}).get(part, {}) if isinstance(part, str) else node.get("items", {})
    return node


def _describe(error: jsonschema.ValidationError, schema: dict[str, Any], source: str) -> ConfigError:
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(_subschema(schema, list(error.absolute_path)).get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        parts = []
        for key in unexpected:
            close = difflib.get_close_matches(key, allowed, n=1)
            parts.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        prefix = f"{where}." if error.absolute_path else ""
        return ConfigError(
            f"{source}: unknown config key {', '.join(prefix + p for p in parts)}",
            hint=f"allowed keys here: {allowed} (see config/schemas/config.schema.yaml)",
        )
    if error.validator == "required":
        return ConfigError(
            f"{source}: {error.message} at {where}", hint="see config/config.yaml for an example"
        )
    description = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
    expected = f"expected {error.validator} {error.validator_value!r}"
    return ConfigError(
        f"{source}: config key {where!r} is invalid: {error.message}",
        hint=f"{expected}" + (f"; {where}: {description}" if description else ""),
    )


#: Each stage section's checker (the stage owns its keys and defaults, and rejects unknown ones).
STAGE_VALIDATORS = {
    "targets": "radiovector.targets.params",
    "candidates": "radiovector.candidates.stage",
    "pk": "radiovector.pk.stage",
    "dosimetry": "radiovector.dosimetry.stage",
    "dossier": "radiovector.dossier.build",
    "design": "radiovector.candidates.design",
}


def validate_config(config: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Validate a config mapping and return a copy with defaults filled in; raise :class:`ConfigError`.

    The top level is checked against config/schemas/config.schema.yaml, each stage section by its stage.
    """
    schema = config_schema()
    resolved = copy.deepcopy(config)
    errors = sorted(_DefaultingValidator(schema).iter_errors(resolved), key=lambda e: list(e.absolute_path))
    if errors:
        raise _describe(errors[0], schema, source)
    for section, module in STAGE_VALIDATORS.items():
        if not resolved.get(section):  # defaults are valid; skip importing the stage
            continue
        try:
            importlib.import_module(module).resolve_params(copy.deepcopy(resolved[section]))
        except RadioVectorError as exc:
            raise ConfigError(f"{source}: section {section!r}: {exc.message}", hint=exc.hint) from exc
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
