"""Glue for the Snakemake ``script:`` entry points in scripts/: logging and user-facing errors.

A script calls :func:`run_script` with its main function. User errors (:class:`RadioVectorError`) are written to
the rule's log as one line starting with :data:`ERROR_MARK`, which `radiovector run` finds and shows instead of a
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from radiovector.errors import RadioVectorError

ERROR_MARK = "radiovector error:"


def run_script(snakemake: Any, main: Callable[[Any], None]) -> None:
    """Run ``main(snakemake)`` with logging to the rule's log file; exit 1 on error."""
    log_path = Path(snakemake.log[0]) if snakemake.log else None
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=logging.INFO, handlers=handlers, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    try:
        main(snakemake)
    except RadioVectorError as exc:
        logging.getLogger("radiovector").error(
            "%s %s", ERROR_MARK, json.dumps({"message": exc.message, "hint": exc.hint})
        )
        sys.exit(1)
    except Exception:
        logging.getLogger("radiovector").error("unexpected error:\n%s", traceback.format_exc())
        raise


def write_outputs(snakemake: Any, tables: Mapping[str, pd.DataFrame | pa.Table]) -> None:
    """Write every named output of the rule that is a declared table (radiovector.contracts) from ``tables``,
    conformed to its contract. A declared output that ``tables`` lacks is an error naming it."""
    from radiovector.contracts import ContractError, contracts, write_table

    for name, path in snakemake.output.items():
        if name not in contracts():
            continue
        if name not in tables:
            raise ContractError(f"the stage produced no {name!r} table, which its rule declares as an output",
                                hint=f"tables produced: {sorted(tables)}")
        write_table(name, tables[name], path)


def write_parquet(data: pd.DataFrame | pa.Table, path: str | Path) -> None:
    """Write a table deterministically (no pandas index, fixed compression)."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def write_json(data: Any, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
