"""Capture RDKit's own log messages so that rejects can quote RDKit's reason verbatim."""

from __future__ import annotations

import logging
import re
import threading

from rdkit import rdBase

_LOCK = threading.Lock()
_INSTALLED = False
_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D401 - logging API
        text = _TIMESTAMP.sub("", record.getMessage()).strip()
        if text:
            self.messages.append(text)


_COLLECTOR = _Collector()


def _install() -> None:
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        rdBase.LogToPythonLogger()
        rdBase.DisableLog("rdApp.info")  # MolStandardize narrates every step at INFO level
        logger = logging.getLogger("rdkit")
        # RDKit attaches its own stderr handler; replace it so per-molecule messages end up in the rejects
        # table (with row numbers) instead of flooding the terminal.
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and handler is not _COLLECTOR:
                logger.removeHandler(handler)
        logger.addHandler(_COLLECTOR)
        logger.propagate = False
        logger.setLevel(logging.WARNING)
        _INSTALLED = True


class RDKitLog:
    """Context manager collecting RDKit error/warning messages emitted inside the block.

    >>> with RDKitLog() as log:
    ...     Chem.MolFromSmiles("C(C)(C)(C)(C)C")
    >>> log.text()
    'Explicit valence for atom # 0 C, 5, is greater than permitted'
    """

    def __enter__(self) -> RDKitLog:
        _install()
        self._start = len(_COLLECTOR.messages)
        return self

    def __exit__(self, *exc: object) -> None:
        self.messages = _COLLECTOR.messages[self._start :]
        del _COLLECTOR.messages[:]

    def text(self, default: str = "") -> str:
        msgs = getattr(self, "messages", None)
        if msgs is None:
            msgs = _COLLECTOR.messages[self._start :]
        # drop RDKit's trailing caret/context lines of SMILES parse errors, keep the informative ones
        useful = [m for m in msgs if m and not set(m) <= {" ", "^", "*"}]
        return "; ".join(dict.fromkeys(useful)) or default
