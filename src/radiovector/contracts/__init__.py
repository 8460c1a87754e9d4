"""One contract per table: name, key, columns (type, unit, meaning) of every table a run writes or the store keeps.

The contracts are data (``tables.yaml`` beside this module), read once. Every writer conforms its table to the
contract before writing (:func:`write_table`), the workflow rules take file paths from it, the manifest and the
store take keys from it, the crate export and docs/store.md take descriptions from it. A table that lacks a
declared column, or carries an undeclared one, is an error naming the table and the column: a renamed column can
no longer turn into empty values further down.

Two kinds of declared flexibility, both explicit in ``tables.yaml``:

- ``optional`` columns say when they are present (e.g. peptide columns of ``candidates`` exist only when peptides
  are scored). A table written without them is valid; the store fills them with typed nulls.
- ``patterns`` declare families of columns named after a configured value (``compatibility_{nuclide}``,
  ``ti_{organ}``): any column matching the pattern is allowed, with the pattern's type and unit.
"""

from __future__ import annotations

import difflib
import errno
import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from radiovector.errors import RadioVectorError, is_no_space
from radiovector.io.yamlfile import load_yaml

#: Column types a contract may declare, and their Arrow types (strings are plain UTF-8; timestamps UTC, µs).
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
_CONTRACTS_FILE = Path(__file__).with_name("tables.yaml")


class ContractError(RadioVectorError):
    """A table does not match its contract (missing, undeclared or mistyped column; bad key)."""


class _Typed:
    """A declaration with a ``type`` from :data:`ARROW_TYPES`."""

    type: str

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class Column(_Typed):
    """One declared column. ``optional`` is None for a column every table has, else when it is present."""

    name: str
    type: str
    unit: str | None = None
    description: str = ""
    optional: str | None = None


@dataclass(frozen=True)
class ColumnPattern(_Typed):
    """A family of columns, e.g. ``ti_{organ}``: ``{placeholder}`` matches one or more characters."""

    pattern: str
    type: str
    unit: str | None = None
    description: str = ""

    @cached_property
    def regex(self) -> re.Pattern[str]:
        parts = re.split(r"\{[a-z_]+\}", self.pattern)
        return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")

    def matches(self, name: str) -> bool:
        return self.regex.match(name) is not None


@dataclass(frozen=True)
class TableContract:
    """The contract of one table: where the workflow writes it, what identifies a row, and its columns."""

    name: str
    stage: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    patterns: tuple[ColumnPattern, ...] = ()
    path: str | None = None
    row: str = ""
    optional: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def summary(self, rows: int | None = None) -> str:
        """One paragraph for people: the meaning, rows (if given), what a row is, and the key."""
        count = f" {rows} rows, one per {self.row}." if rows is not None else f" One row per {self.row}."
        return f"{self.description}{count} Key: {', '.join(self.key) or '(none)'}."

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def spec(self, column: str) -> Column | ColumnPattern | None:
        """The declaration of ``column``: a fixed column, a matching pattern, or None if undeclared."""
        found = self._by_name.get(column)
        return found if found is not None else next((p for p in self.patterns if p.matches(column)), None)

    def check_columns(self, names: list[str], source: str = "") -> list[Column | ColumnPattern]:
        """The declaration of each of ``names``; :class:`ContractError` for a missing required or an undeclared
        column (naming both)."""
        where = f" ({source})" if source else ""
        missing = [c.name for c in self.columns if c.optional is None and c.name not in names]
        if missing:
            raise ContractError(
                f"table {self.name!r}{where} lacks required column(s) {missing}",
                hint=f"every writer of {self.name!r} must produce the columns declared in "
                "radiovector/contracts/tables.yaml; a renamed column must be renamed there too",
            )
        extra = [n for n in names if self.spec(n) is None]
        if extra:
            near = {n: difflib.get_close_matches(n, self.column_names, n=1) for n in extra}
            hints = ", ".join(f"{n} (did you mean {m[0]}?)" for n, m in near.items() if m)
            raise ContractError(
                f"table {self.name!r}{where} has undeclared column(s) {extra}",
                hint=hints or f"declare new columns of {self.name!r} in radiovector/contracts/tables.yaml",
            )
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ContractError(f"table {self.name!r}{where} has duplicated column(s) {duplicated}")
        return [spec for n in names if (spec := self.spec(n)) is not None]

    def conform(self, data: pa.Table | pd.DataFrame, source: str = "") -> pa.Table:
        """``data`` as an Arrow table with the declared types, after checking columns and key.

        Columns keep the writer's order. Values are cast safely (a float that is not a whole number does not
        become an int64); a failing cast is an error naming the column. No two rows may share a key (an empty
        key value counts as a value: a gene without an Ensembl id is still identified by its symbol).
        """
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        specs = self.check_columns(table.column_names, source)
        fields, arrays = [], []
        for name, column, spec in zip(table.column_names, table.columns, specs, strict=True):
            target = spec.arrow_type
            if column.type != target:
                try:
                    column = column.cast(target)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise ContractError(
                        f"table {self.name!r}{f' ({source})' if source else ''}: column {name!r} of type "
                        f"{column.type} cannot be read as {spec.type}: {exc}",
                        hint=f"the contract declares {name!r} as {spec.type}",
                    ) from exc
            fields.append(pa.field(name, target))
            arrays.append(column)
        out = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
        self._check_key(out, source)
        return out

    def _check_key(self, table: pa.Table, source: str) -> None:
        if not self.key or table.num_rows == 0:
            return
        where = f" ({source})" if source else ""
        keyed = table.select(list(self.key))
        if keyed.group_by(list(self.key)).aggregate([]).num_rows == table.num_rows:  # Arrow: fast when unique
            return
        keys = keyed.to_pandas()
        dup = keys.duplicated(keep=False)
        if dup.any():
            example = keys[dup].head(2).to_dict("records")
            raise ContractError(
                f"table {self.name!r}{where}: {int(dup.sum())} rows share a key {list(self.key)}, e.g. {example}",
                hint="each row of the table must be identified by its key",
            )

    def example(self, rows: int, **values: Any) -> pa.Table:
        """A valid table of ``rows`` rows (for tests and benchmarks): ``values`` gives columns (lists or scalars,
        including pattern columns); the other required columns are filled by type, keys made unique per row."""
        data: dict[str, pa.Array] = {}
        index = pa.array(np.arange(rows, dtype=np.int64))
        for col in self.columns:
            if col.name in values:
                data[col.name] = pa.array(_listed(values[col.name], rows), col.arrow_type)
            elif col.optional is not None:
                continue
            elif col.type == "string":
                data[col.name] = pc.binary_join_element_wise(col.name, index.cast(pa.string()), "-")
            elif col.type == "bool":
                data[col.name] = pc.equal(pc.bit_wise_and(index, 1), 0)
            elif col.type == "timestamp":
                data[col.name] = pa.array(np.full(rows, np.datetime64("2026-01-01", "us")), col.arrow_type)
            else:
                data[col.name] = index.cast(col.arrow_type)
        for name, value in values.items():
            spec = self.spec(name)
            if spec is None:
                raise ContractError(f"table {self.name!r} declares no column {name!r}")
            if name not in data:
                data[name] = pa.array(_listed(value, rows), spec.arrow_type)
        return self.conform(pa.table(data))

    def store_schema(self, present: list[str]) -> pa.Schema:
        """Arrow schema of the table in the store: every fixed column (optional ones too) and the pattern
        columns in ``present``."""
        fixed = [pa.field(c.name, c.arrow_type) for c in self.columns]
        extra = [pa.field(n, s.arrow_type) for n in dict.fromkeys(present)
                 if n not in self.column_names and (s := self.spec(n)) is not None]
        return pa.schema(fixed + extra)


def _listed(value: Any, rows: int) -> Any:
    if isinstance(value, np.ndarray):
        return value
    return list(value) if isinstance(value, list | tuple) else [value] * rows


def _column(name: str, doc: dict[str, Any]) -> Column:
    return Column(name=name, type=doc["type"], unit=doc.get("unit"), description=doc.get("description", ""),
                  optional=doc.get("optional"))


def _parse(name: str, doc: dict[str, Any]) -> TableContract:
    columns = dict(doc.get("columns") or {})
    patterns = list(doc.get("patterns") or [])
    if doc.get("extends"):  # the columns and patterns of another table, minus `drop`, then this table's own
        base = _raw()[doc["extends"]]
        columns = {**{k: v for k, v in base["columns"].items() if k not in doc.get("drop", [])}, **columns}
        patterns = list(base.get("patterns") or []) + patterns
    contract = TableContract(
        name=name,
        stage=doc["stage"],
        description=" ".join(str(doc["description"]).split()),
        key=tuple(doc.get("key") or ()),
        columns=tuple(_column(n, c) for n, c in columns.items()),
        patterns=tuple(ColumnPattern(pattern=p["pattern"], type=p["type"], unit=p.get("unit"),
                                     description=p.get("description", "")) for p in patterns),
        path=doc.get("path"),
        row=doc.get("row", ""),
        optional=doc.get("optional"),
    )
    bad = [c.name for c in contract.columns if c.type not in ARROW_TYPES]
    bad += [p.pattern for p in contract.patterns if p.type not in ARROW_TYPES]
    if bad or not set(contract.key) <= set(contract.column_names):
        raise ContractError(f"contract of {name!r} is malformed: bad types {bad} or key {contract.key}")
    return contract


@cache
def _raw() -> dict[str, Any]:
    return load_yaml(_CONTRACTS_FILE.read_text(encoding="utf-8"))


@cache
def contracts() -> dict[str, TableContract]:
    """Every table contract, by table name, in the order of ``tables.yaml`` (stage order)."""
    return {name: _parse(name, doc) for name, doc in _raw().items()}


def contract(name: str) -> TableContract:
    """The contract of table ``name``; an unknown name is a :class:`ContractError` with a suggestion."""
    found = contracts().get(name)
    if found is None:
        near = difflib.get_close_matches(name, list(contracts()), n=1)
        raise ContractError(
            f"no table {name!r} is declared",
            hint=(f"did you mean {near[0]!r}? " if near else "") + f"declared tables: {sorted(contracts())}",
        )
    return found


def stage_tables(stage: str) -> dict[str, TableContract]:
    """Contracts of the tables ``stage`` writes into the work directory (those with a ``path``)."""
    return {n: c for n, c in contracts().items() if c.stage == stage and c.path}


def table_outputs(names: list[str]) -> dict[str, str]:
    """Work-directory files of the declared tables ``names`` (name -> path): the rules' named outputs."""
    return {name: str(contract(name).path) for name in names}


def conform(name: str, data: pa.Table | pd.DataFrame, source: str = "") -> pa.Table:
    """``data`` checked against and cast to the contract of ``name`` (see :meth:`TableContract.conform`)."""
    return contract(name).conform(data, source)


def write_table(name: str, data: pa.Table | pd.DataFrame, path: str | Path) -> pa.Table:
    """Conform ``data`` to the contract of ``name`` and write it to ``path`` as Parquet (zstd, no index)."""
    table = conform(name, data, source=str(path))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        pq.write_table(table, path, compression="zstd")
    except OSError as exc:  # Arrow's message names no file: a full disk is reported with the path and the size
        if not is_no_space(exc):
            raise
        raise OSError(errno.ENOSPC, f"No space left on device (table {name!r}, about {table.nbytes} bytes in "
                      "memory)", str(path)) from exc
    return table


def read_table(name: str, path: str | Path) -> pd.DataFrame:
    """A Parquet file written under the contract of ``name``, checked again on reading (as a DataFrame)."""
    return conform(name, pq.read_table(path), source=str(path)).to_pandas()


# ------------------------------------------------------------------------------------------------ documentation
_BEGIN, _END = "<!-- tables:begin (generated by python -m radiovector.contracts) -->", "<!-- tables:end -->"


def tables_overview_markdown() -> str:
    """The table list of docs/store.md: every table with its stage, what a row is, its key and its meaning."""
    lines = ["| table | stage | one row per | key | meaning |", "| --- | --- | --- | --- | --- |"]
    for c in contracts().values():
        when = f" Written when {c.optional}." if c.optional else ""
        lines.append(f"| `{c.name}` | {c.stage} | {c.row} | `{', '.join(c.key)}` | {c.description}{when} |")
    return "\n".join(lines)


def tables_reference_markdown() -> str:
    """docs/tables.md: every table with every column, its type, unit and meaning."""
    out = ["# Table reference", "",
           "Generated from `src/radiovector/contracts/tables.yaml` by `python -m radiovector.contracts`; do not "
           "edit by hand. Every stage writes its tables under these contracts (a missing, undeclared or mistyped "
           "column is an error), and the store keeps them with the same columns plus `run_id`.", ""]
    for c in contracts().values():
        out += [f"## `{c.name}`", "", c.summary() + (f" Written when {c.optional}." if c.optional else ""), ""]
        if c.path:
            out += [f"Written by the {c.stage} stage to `{c.path}` in the work directory.", ""]
        out += ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        for col in c.columns:
            note = f" (only when {col.optional})" if col.optional else ""
            out.append(f"| `{col.name}` | {col.type} | {col.unit or ''} | {col.description}{note} |")
        for pat in c.patterns:
            out.append(f"| `{pat.pattern}` | {pat.type} | {pat.unit or ''} | {pat.description} |")
        out.append("")
    return "\n".join(out)


def render_docs(docs_dir: Path) -> dict[Path, str]:
    """The generated docs: docs/tables.md whole, and docs/store.md with its table list replaced."""
    store_md = (docs_dir / "store.md").read_text(encoding="utf-8")
    if _BEGIN not in store_md or _END not in store_md:
        raise ContractError(f"{docs_dir / 'store.md'} lacks the markers {_BEGIN} ... {_END}")
    head, rest = store_md.split(_BEGIN, 1)
    tail = rest.split(_END, 1)[1]
    return {
        docs_dir / "tables.md": tables_reference_markdown(),
        docs_dir / "store.md": f"{head}{_BEGIN}\n{tables_overview_markdown()}\n{_END}{tail}",
    }
