"""Shared CLI pieces: consoles (data on stdout, messages on stderr), the store option, JSON output."""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from radiovector.store import ResultsStore


# Wide output when piped (rich would otherwise fold tables to 80 columns).
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

DEFAULT_STORE = "results/store"

StoreOption = typer.Option(
    None,
    "--store",
    "-s",
    help="Results store: a local path or an object-store URI such as s3://bucket/prefix. "
    f"Default: $RADIOVECTOR_STORE or {DEFAULT_STORE}.",
    show_default=False,
)
JsonOption = typer.Option(False, "--json", help="Print only JSON on stdout (for scripts).")


@dataclass
class State:
    debug: bool = False
    #: S3-compatible endpoint for s3:// stores (the global --endpoint-url; else $AWS_ENDPOINT_URL is used).
    endpoint_url: str | None = None


STATE = State()


def open_store(location: str | None) -> ResultsStore:
    """The store at ``location`` (else $RADIOVECTOR_STORE, else results/store); s3:// uses the AWS settings."""
    from radiovector.store import ResultsStore  # Delta Lake and DuckDB: only for the commands that use a store

    return ResultsStore(
        location or os.environ.get("RADIOVECTOR_STORE") or DEFAULT_STORE, endpoint_url=STATE.endpoint_url
    )


def jsonable(value: Any) -> Any:
    """Plain JSON types for Arrow/NumPy/pandas values (timestamps as ISO 8601, NaN as null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def print_json(data: Any) -> None:
    typer.echo(json.dumps(jsonable(data), indent=2, sort_keys=False))


def arrow_rows(table: pa.Table) -> list[dict[str, Any]]:
    return [jsonable(row) for row in table.to_pylist()]


def print_table(
    rows: list[dict[str, Any]], title: str | None = None, columns: list[str] | None = None
) -> None:
    """A rich table of row dicts on stdout."""
    columns = columns or (list(rows[0]) if rows else [])
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else _short(row.get(c)) for c in columns))
    console.print(table)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
