"""The versioned results store: Delta Lake tables keyed by run_id (see docs/store.md).

The names below are imported on first use (PEP 562), so that ``radiovector.store.limits`` can be read without
importing Delta Lake and DuckDB (~0.2 s; the command line's start-up).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from radiovector.store.delta import ResultsStore, RunNotFound
    from radiovector.store.records import RUNS_SCHEMA, RunRecord, new_run_id

__all__ = ["RUNS_SCHEMA", "ResultsStore", "RunNotFound", "RunRecord", "new_run_id"]
_HOME = {"ResultsStore": "delta", "RunNotFound": "delta", "RUNS_SCHEMA": "records", "RunRecord": "records",
         "new_run_id": "records"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"radiovector.store.{_HOME[name]}"), name)
