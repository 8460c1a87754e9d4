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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from radiovector.contracts import contract
from radiovector.errors import InputError, InvariantError, RadioVectorError
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


def reject(input_name: str, source: str, row_number: int, column: str, value: Any, reason: str,
           quote: bool = True) -> dict:
    """One row of the rejects table (:data:`REJECTS_SCHEMA`): which input, file, row (1-based) and column, the
    offending value (``repr`` unless ``quote`` is false, so blanks and types stay visible) and why."""
    return {"input": input_name, "source": source, "row_number": int(row_number), "column": column,
            "value": repr(value) if quote else str(value), "reason": reason}


def reject_rows(input_name: str, source: str, row_numbers: Any, column: str, values: Any, reason: Any,
                quote: bool = True) -> pd.DataFrame:
    """One reject per row for many rows at once (vectorised :func:`reject`); ``values`` and ``reason`` are one per
    row or a single value for all."""
    rows = np.asarray(row_numbers, dtype=np.int64)
    # values, not labels: a Series cut from a bigger frame keeps its index, which must not align with 0..n-1
    shown = list(values) if np.ndim(values) else [values] * len(rows)
    why = list(reason) if np.ndim(reason) else [reason] * len(rows)
    return rejects_frame(pd.DataFrame({
        "input": input_name, "source": source, "row_number": rows, "column": column,
        "value": [repr(v) if quote else str(v) for v in shown], "reason": why,
    }, index=range(len(rows))))


def rejects_frame(records: Any = None) -> pd.DataFrame:
    """Reject rows (dicts from :func:`reject`, or a frame) as a table with exactly the :data:`REJECTS_SCHEMA`
    columns and an int64 ``row_number``; empty (typed) when there are none."""
    if records is None or len(records) == 0:
        return pd.DataFrame({name: pd.Series(dtype="int64" if name == "row_number" else str)
                             for name in REJECTS_SCHEMA.names})
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
            columns[col] = ColumnSpec(
                col, tuple(t for t in types if t != "null") or ("string",), nullable, spec
            )
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
        return cls.from_dict(yaml.safe_load(path.read_text()), name)

    def arrow_schema(self) -> pa.Schema:
        """Arrow types of the validated columns, in schema order."""
        mapping = {
            "number": pa.float64(),
            "integer": pa.int64(),
            "boolean": pa.bool_(),
            "string": pa.string(),
        }
        return pa.schema([(c.name, mapping[c.types[0]]) for c in self.columns.values()])


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_raw_table(path: str | Path, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV (optionally gzipped) or Parquet file with every column as text.

    Reading as text keeps the original cell values for the rejects table; types are checked afterwards.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"input file not found: {path}", hint="check the path in the config (inputs section)"
        )
    if path.is_dir() or not path.is_file():
        raise InputError(f"input path is not a file: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype("string").astype(object).where(frame.notna(), None)
        if sep is None:
            plain = [s for s in suffixes if s not in (".gz", ".bz2", ".xz", ".zst")]
            sep = "\t" if plain and plain[-1] in (".tsv", ".tab", ".txt") else ","
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, na_values=[], comment=None, skip_blank_lines=True
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError, ValueError) as exc:
        raise InputError(
            f"cannot read input table {path}: {type(exc).__name__}: {exc}",
            hint="inputs must be CSV, TSV (.tsv/.txt) or Parquet, UTF-8, with one header row",
        ) from exc
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


def _missing_column_error(
    schema: TableSchema, source: str, missing: list[str], found: list[str]
) -> InputError:
    hints = []
    for col in missing:
        close = difflib.get_close_matches(col, found, n=1)
        hints.append(f"{col!r} (did you mean {close[0]!r}?)" if close else repr(col))
    units = ", ".join(
        f"{c.name} [{c.unit}]" if c.unit else c.name
        for c in schema.columns.values()
        if c.name in schema.required
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

    Row numbers in the rejects table are 1-based data rows (the header is row 0), so row ``n`` is line
    ``n + 1`` of a CSV file. ``with_row_number`` adds that number to the accepted rows as ``row_number``, so that
    later stages can reject a row by the same number.
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
    any_bad = pd.concat(bad_cols, axis=1).any(axis=1) if bad_cols else pd.Series(False, index=frame.index)
    records = []
    if any_bad.any():
        bad_index = frame.index[any_bad.to_numpy()]
        for idx in bad_index:
            cols = [name for name, reasons in reason_cols if not pd.isna(reasons.at[idx])]
            records.append(reject(input_name, source, int(idx) + 1, ";".join(cols),
                                  "; ".join(repr(frame.at[idx, c]) for c in cols),
                                  "; ".join(f"{c}: {dict(reason_cols)[c].at[idx]}" for c in cols), quote=False))
    rejects = rejects_frame(records)
    if with_row_number:
        out["row_number"] = np.arange(1, len(out) + 1, dtype=np.int64)
    accepted = out.loc[~any_bad.to_numpy()].reset_index(drop=True)
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
        raise InvariantError(f"{source}: {result.rows_in} rows in but {result.rows_accepted} accepted + "
                             f"{result.rows_rejected} rejected (input {input_name!r})")
    return result


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


def load_input(path: str | Path, schema: TableSchema | str, input_name: str | None = None) -> ValidatedTable:
    """Read and validate one input file; the convenience entry point for library users."""
    if isinstance(schema, str):
        schema = TableSchema.load(schema)
    frame = read_raw_table(path)
    return validate_table(frame, schema, input_name or schema.name, str(path))
