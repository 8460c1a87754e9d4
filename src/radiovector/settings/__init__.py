"""Typed configuration: one pydantic model per config section, the single source of every key, default, unit,
allowed value and description. config/schemas/config.schema.yaml and docs/configuration.md are generated from
these models (``python -m radiovector.settings.generate``); see docs/decision-typed-configuration.md.

Each stage's ``resolve_params(params) -> dict`` validates its section with :func:`resolve` (errors are
:class:`~radiovector.errors.ConfigError` naming the key path, with "did you mean" for mistyped keys).
"""

from __future__ import annotations

from typing import Any

from radiovector.settings.base import Section, parse


def resolve(model: type[Section], params: dict[str, Any] | None, where: str, drop_none: bool = False
            ) -> dict[str, Any]:
    """``params`` validated against ``model`` and normalised, defaults filled in, as a plain dict.

    ``drop_none``: keys given as None take their default (the library convention of the pk and dosimetry stages,
    whose CLI passes unset options as None).
    """
    data = dict(params or {})
    if drop_none:
        data = {k: v for k, v in data.items() if v is not None}
    return parse(model, data, where).model_dump()


__all__ = ["Section", "parse", "resolve"]
