"""Read input tables and validate them row by row against a JSON schema.

The schemas in ``config/schemas/tables/*.schema.yaml`` are JSON Schema (draft 2020-12) documents describing one
row of a table. Validation is vectorised over columns (a per-row ``jsonschema`` call would take minutes on a
million-row table), so only the keywords listed in :data:`SUPPORTED_KEYWORDS` are allowed; an unsupported keyword
in a schema is an error, never silently ignored. ``x-unit`` annotates the physical unit of a column.

Every row ends up either in the accepted table or in the rejects table (one reject record per row, naming
every failing column), so ``rows_in == rows_accepted + rows_rejected`` always holds.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa

from radiovector.contracts import contract
from radiovector.errors import InputError, InvariantError, RadioVectorError
from radiovector.io.yamlfile import load_yaml
from radiovector.paths import schema_dir

#: Per-column JSON Schema keywords this validator understands.
SUPPORTED_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "pattern",
        "minLength",
        "description",
        "x-unit",
        "examples",
        "default",
        "title",
    }
)
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}

#: Arrow schema of the rejects table (declared in radiovector.contracts).
REJECTS_SCHEMA = contract("rejects").store_schema([])


def reject(
    input_name: str, source: str, row_number: int, column: str, value: Any, reason: str, quote: bool = True
) -> dict:
    """One row of the rejects table (:data:`REJECTS_SCHEMA`): which input, file, row (1-based) and column, the
    offending value (``repr`` unless ``quote`` is false, so blanks and types stay visible) and why."""
    return {
        "input": input_name,
        "source": source,
        "row_number": int(row_number),
        "column": column,
        "value": repr(value) if quote else str(value),
        "reason": reason,
    }


def reject_rows(
    input_name: str, source: str, row_numbers: Any, column: str, values: Any, reason: Any, quote: bool = True
) -> pd.DataFrame:
    """One reject per row for many rows at once (vectorised :func:`reject`); ``values`` and ``reason`` are one per
    row or a single value for all."""
    rows = np.asarray(row_numbers, dtype=np.int64)
    # values, not labels: a Series cut from a bigger frame keeps its index, which must not align with 0..n-1
    shown = list(values) if np.ndim(values) else [values] * len(rows)
    why = list(reason) if np.ndim(reason) else [reason] * len(rows)
    return rejects_frame(
        pd.DataFrame(
            {
                "input": input_name,
                "source": source,
                "row_number": rows,
                "column": column,
                "value": [repr(v) if quote else str(v) for v in shown],
                "reason": why,
            },
            index=range(len(rows)),
        )
    )


def rejects_frame(records: Any = None) -> pd.DataFrame:
    """Reject rows (dicts from :func:`reject`, or a frame) as a table with exactly the :data:`REJECTS_SCHEMA`
    columns and an int64 ``row_number``; empty (typed) when there are none."""
    if records is None or len(records) == 0:
        return pd.DataFrame(
            {name: pd.Series(dtype="int64" if name == "row_number" else str) for name in REJECTS_SCHEMA.names}
        )
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(records)
    frame = frame[REJECTS_SCHEMA.names].reset_index(drop=True)
    return frame.astype({"row_number": "int64"})


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    types: tuple[str, ...]
    nullable: bool
    rules: dict[str, Any]

    @property
    def unit(self) -> str | None:
        return self.rules.get("x-unit")


@dataclass(frozen=True)
class TableSchema:
    """A validated row schema: columns with types, units and constraints."""

    name: str
    description: str
    columns: dict[str, ColumnSpec]
    required: tuple[str, ...]
    additional_columns: bool = True
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], name: str) -> TableSchema:
        try:
            jsonschema.Draft202012Validator.check_schema(doc)
        except jsonschema.SchemaError as exc:
            raise RadioVectorError(f"table schema {name!r} is not valid JSON Schema: {exc.message}") from exc
        columns: dict[str, ColumnSpec] = {}
        for col, spec in doc.get("properties", {}).items():
            unknown = set(spec) - SUPPORTED_KEYWORDS
            if unknown:
                raise RadioVectorError(
                    f"table schema {name!r}, column {col!r}: unsupported keywords {sorted(unknown)}",
                    hint=f"use only {sorted(SUPPORTED_KEYWORDS)}",
                )
            types = spec.get("type", "string")
            types = (types,) if isinstance(types, str) else tuple(types)
            nullable = "null" in types
            columns[col] = ColumnSpec(col, tuple(t for t in types if t != "null") or ("string",), nullable, spec)
        return cls(
            name=name,
            description=doc.get("description", ""),
            columns=columns,
            required=tuple(doc.get("required", [])),
            additional_columns=doc.get("additionalProperties", True) is not False,
            raw=doc,
        )

    @classmethod
    def load(cls, name: str, directory: Path | None = None) -> TableSchema:
        """Load ``<directory>/tables/<name>.schema.yaml`` (default: the project's config/schemas)."""
        path = (directory or schema_dir()) / "tables" / f"{name}.schema.yaml"
        if not path.is_file():
            known = sorted(p.name.removesuffix(".schema.yaml") for p in path.parent.glob("*.schema.yaml"))
            raise RadioVectorError(f"no table schema named {name!r} ({path})", hint=f"known schemas: {known}")
        return cls.from_dict(load_yaml(path.read_text()), name)

    def arrow_schema(self) -> pa.Schema:
        """Arrow types of the validated columns, in schema order."""
        mapping = {
            "number": pa.float64(),
            "integer": pa.int64(),
            "boolean": pa.bool_(),
            "string": pa.string(),
        }
        return pa.schema([(c.name, mapping[c.types[0]]) for c in self.columns.values()])


def sha256_stream(handle: BinaryIO, chunk: int = 1 << 20) -> tuple[str, int]:
    """(hex sha256, size in bytes) of what ``handle`` yields, read ``chunk`` bytes at a time (the size counted,
    not taken from a header)."""
    digest, size = hashlib.sha256(), 0
    while block := handle.read(chunk):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as handle:
        return sha256_stream(handle, chunk)[0]


#: Name of the index that :func:`read_raw_table` gives a frame: the file line on which each row starts.
LINE = "line"
#: Parquet schema metadata key of a table written by the ingest step (:func:`write_ingested`).
INGESTED_KEY = b"radiovector.ingested"
TABLE_FORMATS = "inputs must be CSV, TSV (.tsv/.tab/.txt, optionally .gz/.bz2/.xz) or Parquet, UTF-8, one header row"


def line_numbers(frame: pd.DataFrame) -> np.ndarray:
    """The file line (header = line 1) of each row of ``frame``: its index when :func:`read_raw_table` (or a
    format reader) set it, else its ``row_number`` column (accepted rows of an input, see :func:`validate_table`),
    else the row's position + 2, the line it would have in a CSV file with one header."""
    if frame.index.name == LINE:
        return frame.index.to_numpy(dtype=np.int64)
    if "row_number" in frame.columns:
        return frame["row_number"].to_numpy(dtype=np.int64)
    return np.arange(2, len(frame) + 2, dtype=np.int64)


def with_lines(frame: pd.DataFrame, lines: Any) -> pd.DataFrame:
    """``frame`` indexed by the file lines ``lines`` (one per row; see :func:`line_numbers`)."""
    frame = frame.copy()
    frame.index = pd.Index(np.asarray(lines, dtype=np.int64), name=LINE)
    return frame


def write_ingested(accepted: pd.DataFrame, path: str | Path, input_name: str, source: str | Path) -> None:
    """Write the accepted rows of an input (with their ``row_number``, the line in ``source``) as Parquet, marked
    so that :func:`read_raw_table` gives the rows their original lines and :func:`source_of` the original file."""
    import json

    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(accepted, preserve_index=False)
    meta = json.dumps({"input": input_name, "source": str(source), "line_column": "row_number"}).encode()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), INGESTED_KEY: meta})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def source_of(frame: pd.DataFrame, path: str | Path) -> str:
    """The file that rejects of ``frame`` (as read by :func:`read_raw_table` from ``path``) should name: the
    original input for a table written by the ingest step, else ``path``."""
    return str(frame.attrs.get("source") or path)


def _read_parquet_raw(path: Path) -> pd.DataFrame:
    import json

    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InputError(
            f"cannot read Parquet file {path}: {type(exc).__name__}: {exc}",
            hint="the file must be a complete Parquet file; a text table needs a .csv/.tsv suffix",
        ) from exc
    meta = json.loads((table.schema.metadata or {}).get(INGESTED_KEY, b"{}"))
    frame = table.to_pandas()
    frame = frame.astype("string").astype(object).where(frame.notna(), None)
    line_column = meta.get("line_column")
    if line_column in frame.columns:
        frame = with_lines(frame.drop(columns=line_column), frame[line_column].astype("int64"))
    else:
        frame = with_lines(frame, line_numbers(frame.reset_index(drop=True)))
    if meta.get("source"):
        frame.attrs["source"] = meta["source"]
    return frame


def read_raw_table(path: str | Path, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV (optionally gzipped) or Parquet file with every column as text, indexed by the line of the
    file on which each row starts (index name :data:`LINE`; header = line 1, blank lines and line breaks inside
    quoted fields counted; for Parquet the row's position + 2, or the original line for a table written by the
    ingest step, see :func:`write_ingested`).

    Reading as text keeps the original cell values for the rejects table; types are checked afterwards. An
    unreadable file (missing, empty, binary, not UTF-8, damaged, ragged rows) raises one :class:`InputError`
    naming the file and what to fix.
    """
    from radiovector.io.text import COMPRESSED, read_input_bytes, record_lines

    path = Path(path)
    if not path.exists():
        raise InputError(f"input file not found: {path}", hint="check the path in the config (inputs section)")
    if path.is_dir() or not path.is_file():
        raise InputError(f"input path is not a file: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".parquet":
        return _read_parquet_raw(path)
    if sep is None:
        plain = [s for s in suffixes if s not in (*COMPRESSED, ".zst")]
        sep = "\t" if plain and plain[-1] in (".tsv", ".tab", ".txt") else ","
    data = read_input_bytes(path, "input table", TABLE_FORMATS)
    ragged = TABLE_FORMATS + "; every row needs as many fields as the header (quote fields that hold the separator)"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                comment=None,
                skip_blank_lines=True,
                index_col=False,  # never take a column as the index (pandas would when row 1 has one more field)
                encoding="utf-8",
            )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"cannot read input table {path}: {type(exc).__name__}: {exc}", hint=ragged) from exc
    lines = record_lines(data, sep, len(frame), str(path))
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):  # the extra fields would be dropped
        raise InputError(
            f"cannot read input table {path}: line {lines[0] if len(lines) else 2} has more fields than the header "
            f"({len(frame.columns)})",
            hint=ragged,
        )
    frame = with_lines(frame, lines)
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    return frame.replace({"": None, "NA": None, "NaN": None, "nan": None, "null": None})


def _coerce_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _check_column(spec: ColumnSpec, raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (typed values, bad mask, reason per row) for one column."""
    is_null = raw.isna()
    reasons = pd.Series(None, index=raw.index, dtype=object)
    kind = spec.types[0]
    if kind in ("number", "integer"):
        typed = _coerce_number(raw)
        bad_type = ~is_null & (typed.isna() | ~np.isfinite(typed.fillna(0.0)))
        reasons[bad_type] = f"not a {kind}"
        if kind == "integer":
            frac = ~bad_type & ~is_null & (typed != np.round(typed))
            reasons[frac & reasons.isna()] = "not an integer"
        valid = ~is_null & reasons.isna()
        for key, op, text in (
            ("minimum", np.less, "below minimum"),
            ("maximum", np.greater, "above maximum"),
            ("exclusiveMinimum", np.less_equal, "must be greater than"),
            ("exclusiveMaximum", np.greater_equal, "must be less than"),
        ):
            if key in spec.rules:
                limit = spec.rules[key]
                hit = valid & op(typed, limit)
                reasons[hit & reasons.isna()] = f"{text} {limit}"
        if kind == "integer":
            typed = typed.astype("Int64", errors="ignore") if reasons.isna().all() else typed
    elif kind == "boolean":
        lowered = raw.str.lower()
        typed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        typed[lowered.isin(_TRUE)] = True
        typed[lowered.isin(_FALSE)] = False
        reasons[~is_null & typed.isna()] = "not a boolean (use true/false)"
    else:
        typed = raw.astype(object)
        if "minLength" in spec.rules:
            short = ~is_null & (raw.str.len() < spec.rules["minLength"])
            reasons[short] = f"shorter than {spec.rules['minLength']} characters"
        if "pattern" in spec.rules:
            pattern = re.compile(spec.rules["pattern"])
            mismatch = ~is_null & ~raw.fillna("").map(lambda v: bool(pattern.search(v)))
            reasons[mismatch & reasons.isna()] = f"does not match pattern {spec.rules['pattern']}"
    if "enum" in spec.rules:
        allowed = spec.rules["enum"]
        outside = ~is_null & ~typed.isin(allowed)
        reasons[outside & reasons.isna()] = f"not one of {allowed}"
    if not spec.nullable:
        reasons[is_null] = "missing value (column is required)"
    return typed, reasons.notna(), reasons


def _missing_column_error(schema: TableSchema, source: str, missing: list[str], found: list[str]) -> InputError:
    hints = []
    for col in missing:
        close = difflib.get_close_matches(col, found, n=1)
        hints.append(f"{col!r} (did you mean {close[0]!r}?)" if close else repr(col))
    units = ", ".join(
        f"{c.name} [{c.unit}]" if c.unit else c.name for c in schema.columns.values() if c.name in schema.required
    )
    return InputError(
        f"{source}: missing required column(s) {', '.join(hints)}; found columns {found}",
        hint=f"the {schema.name} table needs the columns: {units} (see docs/data-formats.md)",
    )


@dataclass
class ValidatedTable:
    """The outcome of validating one input table."""

    accepted: pd.DataFrame
    rejects: pd.DataFrame
    rows_in: int

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


def validate_table(
    frame: pd.DataFrame, schema: TableSchema, input_name: str, source: str, with_row_number: bool = False
) -> ValidatedTable:
    """Split ``frame`` (all text, as from :func:`read_raw_table`) into typed accepted rows and rejects.

    Row numbers in the rejects table are the lines of the file on which the rows start (header = line 1), from
    ``frame``'s :data:`LINE` index (see :func:`line_numbers`). ``with_row_number`` adds that number to the accepted
    rows as ``row_number``, so that later stages can reject a row by the same number.
    """
    found = list(frame.columns)
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        raise _missing_column_error(schema, source, missing, found)
    if not schema.additional_columns:
        extra = [c for c in found if c not in schema.columns]
        if extra:
            raise InputError(
                f"{source}: unexpected column(s) {extra}",
                hint=f"allowed columns: {list(schema.columns)}",
            )
    lines = line_numbers(frame)
    frame = frame.reset_index(drop=True)  # positions from here on: lines may repeat (an exploded row)
    out = frame.copy()
    bad_cols: list[pd.Series] = []
    reason_cols: list[tuple[str, pd.Series]] = []
    for name, spec in schema.columns.items():
        if name not in frame.columns:
            out[name] = pd.Series(None, index=frame.index, dtype=object)
            continue
        typed, bad, reasons = _check_column(spec, frame[name])
        out[name] = typed
        bad_cols.append(bad)
        reason_cols.append((name, reasons))
    any_bad = (pd.concat(bad_cols, axis=1).any(axis=1) if bad_cols else pd.Series(False, index=frame.index)).to_numpy()
    records = []
    reasons_by_column = dict(reason_cols)
    for pos in np.flatnonzero(any_bad):
        cols = [name for name, reasons in reason_cols if not pd.isna(reasons.iat[pos])]
        records.append(
            reject(
                input_name,
                source,
                int(lines[pos]),
                ";".join(cols),
                "; ".join(repr(frame[c].iat[pos]) for c in cols),
                "; ".join(f"{c}: {reasons_by_column[c].iat[pos]}" for c in cols),
                quote=False,
            )
        )
    rejects = rejects_frame(records)
    if with_row_number:
        out["row_number"] = lines
    accepted = out.loc[~any_bad].reset_index(drop=True)
    for name, spec in schema.columns.items():
        kind = spec.types[0]
        if kind == "integer":
            accepted[name] = accepted[name].astype("Int64")
        elif kind == "number":
            accepted[name] = accepted[name].astype("float64")
        elif kind == "boolean":
            accepted[name] = accepted[name].astype("boolean")
    result = ValidatedTable(accepted=accepted, rejects=rejects, rows_in=len(frame))
    if result.rows_in != result.rows_accepted + result.rows_rejected:
        raise InvariantError(
            f"{source}: {result.rows_in} rows in but {result.rows_accepted} accepted + "
            f"{result.rows_rejected} rejected (input {input_name!r})"
        )
    return result


def reject_duplicates(
    table: pd.DataFrame,
    key: list[str],
    input_name: str,
    source: str | None = None,
    what: str = "id",
    hint: str = "give every row its own id",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first row of every ``key`` value of ``table`` (accepted rows with ``row_number``, the file line,
    and optionally ``source``); every later row with the same key becomes a reject naming the line it repeats.

    Returns ``(kept rows, rejects)``. Rows whose key is missing are kept (other checks reject them).
    """
    present = table[key].notna().all(axis=1)
    dup = (table[key].astype(object).duplicated(keep="first") & present).to_numpy()
    if not dup.any():
        return table, rejects_frame()
    lines = table["row_number"].to_numpy(dtype=np.int64) if "row_number" in table else line_numbers(table)
    keys = list(map(tuple, table[key].astype(object).to_numpy()))
    first: dict[tuple, int] = {}
    for k, line in zip(keys, lines, strict=True):
        first.setdefault(k, int(line))
    sources = (
        table["source"].astype(object).where(table["source"].notna(), source).tolist()
        if "source" in table
        else [source] * len(table)
    )
    records = [
        reject(
            input_name,
            str(sources[i] or source),
            int(lines[i]),
            ";".join(key),
            " / ".join(str(v) for v in keys[i]),
            f"duplicate {what} {' / '.join(str(v) for v in keys[i])!r}: line {first[keys[i]]} has it already "
            f"(first row kept; {hint})",
            quote=False,
        )
        for i in np.flatnonzero(dup)
    ]
    return table.loc[~dup].reset_index(drop=True), rejects_frame(records)


def input_summary(input_name: str, source: str | Path, result: ValidatedTable) -> dict[str, Any]:
    """What the ingest step records for one input file (the run's ``inputs`` table): path, sha256, size, schema
    and the row counts, ``rows_in = rows_accepted + rows_rejected``."""
    source = Path(source)
    return {
        "input": input_name,
        "path": str(source),
        "sha256": sha256_file(source),
        "size_bytes": source.stat().st_size,
        "schema": input_name,
        "rows_in": result.rows_in,
        "rows_accepted": result.rows_accepted,
        "rows_rejected": result.rows_rejected,
    }


def account_inputs(summaries: dict[str, dict[str, Any]], rejects: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The run's ``inputs`` rows with the rejects of every stage counted: ``rows_rejected`` becomes the number of
    distinct lines of the file (``row_number``) that ingestion or any later stage rejected (rejects naming the
    input and its file, ``source`` = the summary's ``path``), and ``rows_accepted = rows_in - rows_rejected``,
    the rows that reached the results. ``summaries``: input name -> :func:`input_summary` dict (not changed)."""
    out = {}
    for name, summary in summaries.items():
        mine = rejects[(rejects["input"] == name) & (rejects["source"] == summary["path"])]
        rejected = int(mine["row_number"].nunique())
        if rejected < summary["rows_rejected"] or rejected > summary["rows_in"]:
            raise InvariantError(
                f"input {name!r} ({summary['path']}): {rejected} distinct rejected lines in the rejects tables, "
                f"but ingestion rejected {summary['rows_rejected']} of {summary['rows_in']} rows"
            )
        out[name] = {**summary, "rows_rejected": rejected, "rows_accepted": summary["rows_in"] - rejected}
    return out


def load_input(path: str | Path, schema: TableSchema | str, input_name: str | None = None) -> ValidatedTable:
    """Read and validate one input file; the convenience entry point for library users. The accepted rows carry
    ``row_number``, the line of the file each came from (header = line 1), as the rejects do."""
    if isinstance(schema, str):
        schema = TableSchema.load(schema)
    frame = read_raw_table(path)
    return validate_table(frame, schema, input_name or schema.name, source_of(frame, path), with_row_number=True)
