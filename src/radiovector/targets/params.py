"""Parameters of the target-ranking stage: defaults and validation.

Every weight, threshold and organ of the panel is declared, with its default and allowed values, by
:class:`radiovector.settings.targets.TargetsSettings`; the workflow config (``targets:`` section) and the CLI
override them. :func:`resolve_params` validates a user dict (unknown keys are errors with a "did you mean"), so a
typo never silently falls back to a default. See docs/methods/targets.md for the meaning of each key.
"""

from __future__ import annotations

from typing import Any

from radiovector.settings import resolve
from radiovector.settings.targets import DEFAULT_ORGAN_PANEL, TargetsSettings, with_calibration

__all__ = ["DEFAULT_ORGAN_PANEL", "DEFAULT_PARAMS", "resolve_params"]

#: The ``targets:`` defaults (from :class:`TargetsSettings`).
DEFAULT_PARAMS: dict[str, Any] = TargetsSettings.defaults()


def resolve_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """``params`` (the ``targets:`` section) validated, over the calibrated parameters when ``calibration`` names
    a calibration file, then the defaults; nested mappings (``weights``, ``surface``) are merged key by key,
    ``organ_panel``, ``surface.cspa_categories`` and ``surface.hpa_reliability`` are replaced whole.

    Raises :class:`~radiovector.errors.ConfigError` naming the offending key path.
    """
    return resolve(TargetsSettings, with_calibration(params), "targets")
