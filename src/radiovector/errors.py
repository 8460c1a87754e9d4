"""User-facing errors.

Every error a user can cause (bad config, bad input file, unreachable store) is raised as a
:class:`RadioVectorError` carrying a message that names the file/key and a hint on how to fix it.
The CLI prints these without a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import errno


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


#: How a full disk (or quota) reads in a message, e.g. delta-rs quoting the OS error (docs/store.md, "Full disk").
_NO_SPACE = ("no space left on device", "os error 28", "disk quota exceeded", "os error 122")


def is_no_space(exc: BaseException) -> bool:
    """True for a full disk (or quota): an OSError with ENOSPC/EDQUOT, or a delta-rs error quoting one."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return any(s in text for s in _NO_SPACE)
