"""User-facing errors.

Every error a user can cause (bad config, bad input file, unreachable store) is raised as a
:class:`RadioVectorError` carrying a message that names the file/key and a hint on how to fix it.
The CLI prints these without a traceback (``--debug`` shows it).
"""

from __future__ import annotations


class RadioVectorError(Exception):
    """An error caused by input, configuration or environment, not by a bug."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(RadioVectorError):
    """The configuration is invalid (unknown key, wrong type, missing file)."""


class InputError(RadioVectorError):
    """An input file is missing, unreadable, or has the wrong columns."""


class StoreError(RadioVectorError):
    """The results store cannot be opened, written or queried."""


class InvariantError(RadioVectorError):
    """A computed result breaks a physical or bookkeeping invariant (energy absorbed above energy emitted, a
    negative dose, a fraction outside [0, 1], rows lost): a bug, or an input outside the model's domain. Raised
    explicitly (never an ``assert``, which ``python -O`` removes); the message names the quantity and the values."""
