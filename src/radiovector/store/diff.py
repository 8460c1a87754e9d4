"""Keyed comparison of one result table between two runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from radiovector.contracts import contract
from radiovector.errors import StoreError
from radiovector.store.delta import ResultsStore


@dataclass
class TableDiff:
    """Rows added (in B only), removed (in A only) and changed (same key, other values) from run A to run B."""

    table: str
    run_a: str
    run_b: str
    key: list[str]
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame  # key columns + "columns" (list of changed column names)
    unchanged: int
    changed_columns: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "run_a": self.run_a,
            "run_b": self.run_b,
            "key": self.key,
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "changed_columns": self.changed_columns,
        }

    def to_json(self, limit: int = 100) -> dict[str, Any]:
        def keys(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return _records(frame[self.key].head(limit))

        out = self.summary()
        out["rows"] = {
            "added": keys(self.added),
            "removed": keys(self.removed),
            "changed": [
                {"key": {k: _plain(row[k]) for k in self.key}, "columns": list(row["columns"])}
                for _, row in self.changed.head(limit).iterrows()
            ],
        }
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _same(a: pd.Series, b: pd.Series, rtol: float) -> pd.Series:
    """Element-wise equality treating NaN == NaN, with relative tolerance for floats."""
    both_null = a.isna() & b.isna()
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        close = np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=rtol, atol=0.0, equal_nan=True)
        return pd.Series(close, index=a.index) | both_null
    equal = (a.astype(object) == b.astype(object)).fillna(False).astype(bool)
    return equal | both_null


def diff_tables(
    a: pd.DataFrame,
    b: pd.DataFrame,
    key: list[str],
    *,
    table: str = "",
    run_a: str = "",
    run_b: str = "",
    rtol: float = 0.0,
) -> TableDiff:
    """Compare two versions of a table row by row on ``key``."""
    a = a.drop(columns=["run_id"], errors="ignore")
    b = b.drop(columns=["run_id"], errors="ignore")
    missing = [k for k in key if k not in a.columns or k not in b.columns]
    if missing:
        raise StoreError(
            f"key column(s) {missing} not in table {table!r}",
            hint=f"choose --key from its columns: {sorted(set(a.columns) | set(b.columns))}",
        )
    for name, frame in (("A", a), ("B", b)):
        dupes = frame.duplicated(subset=key)
        if dupes.any():
            raise StoreError(
                f"key {key} is not unique in run {name} of table {table!r} ({int(dupes.sum())} duplicates)",
                hint="pass --key with more columns so that each row is identified once",
            )
    merged = a.merge(b, on=key, how="outer", suffixes=("__a", "__b"), indicator=True)
    added = merged.loc[merged["_merge"] == "right_only", key].reset_index(drop=True)
    removed = merged.loc[merged["_merge"] == "left_only", key].reset_index(drop=True)
    both = merged.loc[merged["_merge"] == "both"].reset_index(drop=True)
    value_cols = sorted((set(a.columns) | set(b.columns)) - set(key))
    differs = pd.DataFrame(index=both.index)
    for col in value_cols:
        if col in a.columns and col in b.columns:
            differs[col] = ~_same(both[f"{col}__a"], both[f"{col}__b"], rtol)
        else:  # column exists in one run only: every row differs in it
            differs[col] = True
    changed_mask = differs.any(axis=1) if value_cols else pd.Series(False, index=both.index)
    changed = both.loc[changed_mask, key].reset_index(drop=True)
    changed["columns"] = [
        [c for c in value_cols if differs.at[i, c]] for i in both.index[changed_mask.to_numpy()]
    ]
    counts = {c: int(differs[c].sum()) for c in value_cols if differs[c].any()}
    return TableDiff(
        table=table,
        run_a=run_a,
        run_b=run_b,
        key=key,
        added=added,
        removed=removed,
        changed=changed,
        unchanged=int((~changed_mask).sum()),
        changed_columns=counts,
    )


def diff_runs(
    store: ResultsStore, ref_a: str, ref_b: str, table: str, key: list[str] | None = None, rtol: float = 0.0
) -> TableDiff:
    """Diff ``table`` between two committed runs; the key defaults to the table's contract
    (radiovector.contracts)."""
    run_a, run_b = store.resolve_run_id(ref_a), store.resolve_run_id(ref_b)
    if table not in store.table_names():
        raise StoreError(f"the store has no table {table!r}", hint=f"tables in this store: {store.table_names()}")
    key = key or list(contract(table).key)
    frame_a = store.read(table, run_a).to_pandas()
    frame_b = store.read(table, run_b).to_pandas()
    return diff_tables(frame_a, frame_b, key, table=table, run_a=run_a, run_b=run_b, rtol=rtol)
