"""Shared pieces of the config models: the section base class, list types, and ValidationError -> ConfigError.

Every config section is a :class:`Section`: strict types (a YAML string is never silently read as a number),
unknown keys forbidden, one ``Field(description=...)`` per key (units in the key name or the description).
:func:`parse` validates a mapping and turns pydantic's errors into one :class:`ConfigError` that names each key
path and suggests the closest known key for a mistyped one.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from radiovector.errors import ConfigError, RadioVectorError


class Section(BaseModel):
    """Base of every config section: strict types, unknown keys are errors, defaults normalised like given values."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The section's defaults as written (before normalisation), nested sections as mappings."""
        return copy.deepcopy(cls.model_construct().model_dump())


def _as_list(value: Any) -> Any:
    """A single string stands for a one-item list; tuples are read as lists."""
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, tuple) else value


def _split_list(value: Any) -> Any:
    """A string is a comma- or semicolon-separated list (``"Lu-177, Ac-225"``); tuples are read as lists."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return list(value) if isinstance(value, tuple) else value


_STR_OR_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

#: A list of strings; a single string is read as a one-item list.
StrList = Annotated[list[str], BeforeValidator(_as_list), WithJsonSchema(_STR_OR_LIST)]
#: A list of strings; a string is split at commas and semicolons.
SplitStrList = Annotated[list[str], BeforeValidator(_split_list), WithJsonSchema(_STR_OR_LIST)]


def str_keys(value: Any) -> Any:
    """Mapping keys as text (YAML reads ``1: 0.3`` with an integer key)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


#: Marks a mapping whose keys are names (organs, compounds): non-text keys are read as text.
StrKeys = BeforeValidator(str_keys)


def reraise(check: Callable[[Any], Any], value: Any) -> Any:
    """Run a library check (nuclide or organ names, profiles) and turn its RadioVectorError into a ValueError,
    so that pydantic attaches the key path."""
    try:
        return check(value)
    except RadioVectorError as exc:
        raise ValueError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None


def canonical_nuclides(names: list[str]) -> list[str]:
    """Nuclide names as ``Lu-177`` (radioactivedecay's form); an unknown name is an error."""
    from radiovector.nuclides import canonical_name

    return [reraise(canonical_name, name) for name in names]


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, where: str = "", source: str = "") -> M:
    """Validate ``data`` against ``model``; raise one :class:`ConfigError` naming every bad key path.

    ``where``: the key path of ``data`` in the whole config (``"dosimetry"``); ``source``: the file, for the message.
    """
    try:
        return model.model_validate({} if data is None else data)
    except ValidationError as exc:
        lines = [_describe(model, where, err) for err in exc.errors()]
    head = f"{source}: " if source else ""
    body = lines[0] if len(lines) == 1 else f"{len(lines)} config errors:\n    " + "\n    ".join(lines)
    message = head + body
    raise ConfigError(message, hint="every key, its default and its allowed values: docs/configuration.md")


def _describe(model: type[BaseModel], where: str, err: Any) -> str:
    loc = [str(part) for part in err["loc"] if part != "[key]"]
    path = ".".join([where, *loc] if where else loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = sorted(_node(model, loc[:-1]).get("properties", {}))
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        tip = f"did you mean {close[0]}?" if close else f"allowed keys here: {', '.join(allowed)}"
        return f"{path}: unknown key; {tip}"
    if err["type"] == "missing":
        return f"{path}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    got = err.get("input")
    return f"{path}: {msg}" + ("" if isinstance(got, dict) else f" (got {got!r})")


def _node(model: type[BaseModel], loc: list[str]) -> dict[str, Any]:
    """The (inlined) JSON schema node of ``model`` at key path ``loc``."""
    node = inline_schema(model)
    for part in loc:
        branches = [node, *node.get("anyOf", [])]
        nxt = next((b["properties"][part] for b in branches if part in b.get("properties", {})), None)
        if nxt is None:
            nxt = next((b["additionalProperties"] for b in branches
                        if isinstance(b.get("additionalProperties"), dict)), None)
        if nxt is None:
            return {}
        node = nxt
    return node


class _WithFactoryDefaults(GenerateJsonSchema):
    """Shows the defaults made by ``default_factory`` too; a nested section's default is ``{}`` (its keys carry
    their own defaults), so that a validator that fills in defaults fills in every key."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            value = factory()  # type: ignore[call-arg]
            return {} if isinstance(value, BaseModel) else value
        return super().get_default_value(schema)


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(schema_generator=_WithFactoryDefaults)


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with every ``$ref`` replaced by its definition and pydantic's generated titles
    removed: one self-contained, readable tree (the config has no recursive sections)."""
    schema = copy.deepcopy(_schema(model))
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        out = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue
            if key in ("properties", "$defs"):
                out[key] = {name: walk(sub) for name, sub in value.items()}
            elif key in ("default", "enum", "const", "examples"):
                out[key] = value
            else:
                out[key] = walk(value)
        return out

    return walk(schema)
