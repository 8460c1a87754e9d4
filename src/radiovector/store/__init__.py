"""The versioned results store: Delta Lake tables keyed by run_id (see docs/store.md)."""

from radiovector.store.delta import ResultsStore, RunNotFound
from radiovector.store.records import RUNS_SCHEMA, RunRecord, new_run_id

__all__ = ["RUNS_SCHEMA", "ResultsStore", "RunNotFound", "RunRecord", "new_run_id"]
