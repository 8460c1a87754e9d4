"""Read peptide candidates: FASTA (``>id key=value ...`` then the sequence in the native notation or HELM,
possibly over several lines) and CSV/TSV/Parquet tables with ``id`` and ``sequence`` columns (validated
against the ``peptides`` table schema). Every record ends up accepted (with ``row_number`` and ``source``) or
rejected with a reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from radiovector.errors import InputError
from radiovector.io.tables import (
    TableSchema,
    read_raw_table,
    reject_duplicates,
    rejects_frame,
    source_of,
    validate_table,
    with_lines,
)

FASTA_SUFFIXES = (".fasta", ".fa", ".faa", ".fas", ".fsa")
HEADER_KEYS = ("target", "nuclide", "notation", "reference", "affinity_nm")


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".xz")]


def is_fasta(path: str | Path) -> bool:
    sfx = _suffixes(Path(path))
    return bool(sfx) and sfx[-1] in FASTA_SUFFIXES


#: What a peptide file may be (the hint of every read error).
PEPTIDE_FORMATS = (
    "peptide files are FASTA (.fasta, .fa: '>id key=value' then the sequence) or a CSV/TSV/Parquet "
    "table with id and sequence columns, as UTF-8 text"
)


def is_peptide_table(path: str | Path) -> bool:
    """A FASTA file, or a table with a ``sequence`` column and no ``smiles`` column (header only is read)."""
    path = Path(path)
    if is_fasta(path):
        return True
    sfx = _suffixes(path)
    if not sfx or sfx[-1] not in (".csv", ".tsv", ".txt", ".parquet"):
        return False
    if sfx[-1] == ".parquet":
        import pyarrow.parquet as pq

        try:
            cols = [c.lower() for c in pq.read_schema(path).names]
        except (OSError, ValueError, pa.ArrowException):
            return False  # not a Parquet file: the candidate reader reports it
    else:
        from radiovector.io.tables import TABLE_FORMATS
        from radiovector.io.text import read_input_bytes

        header = read_input_bytes(path, "input table", TABLE_FORMATS).lstrip().split(b"\n", 1)[0].decode("utf-8")
        sep = "\t" if sfx[-1] in (".tsv", ".txt") or ("\t" in header and "," not in header) else ","
        cols = [c.strip().strip('"').lower() for c in header.split(sep)]
    return "sequence" in cols and "smiles" not in cols


def read_fasta(path: Path) -> pd.DataFrame:
    """One row per record: id (first word of the header), sequence, header ``key=value`` fields, row_number
    (line of the header)."""
    from radiovector.io.text import read_input_text

    rows: list[dict] = []
    current: dict | None = None
    for lineno, line in enumerate(read_input_text(path, "FASTA file", PEPTIDE_FORMATS).split("\n"), start=1):
        text = line.strip()
        if not text or text.startswith(";") or text.startswith("#"):
            continue
        if text.startswith(">"):
            words = text[1:].split()
            current = {"id": words[0] if words else f"{path.stem}:{lineno}", "sequence": "", "row_number": lineno}
            for word in words[1:]:
                key, sep, value = word.partition("=")
                if sep and key.lower() in HEADER_KEYS:
                    current[key.lower()] = value
            rows.append(current)
        elif current is None:
            rows.append({"id": f"{path.stem}:{lineno}", "sequence": text, "row_number": lineno})
            current = rows[-1]
        else:
            current["sequence"] += text
    return (
        pd.DataFrame(rows, columns=["id", "sequence", "row_number", *HEADER_KEYS])
        if rows
        else pd.DataFrame(columns=["id", "sequence", "row_number"])
    )


def read_peptides(path: str | Path, schema: TableSchema | None = None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Read a FASTA or table of peptides; returns (accepted, rejects, rows_in). Accepted rows carry ``row_number``
    (the line of the table row, header = line 1, or of the FASTA header) and ``source``; a repeated ``id`` is a
    reject naming the line of its first use, which is kept."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"peptide file not found: {path}",
            hint="give a FASTA file or a .csv/.tsv/.parquet table with id and sequence columns",
        )
    schema = schema or TableSchema.load("peptides")
    if is_fasta(path):
        frame = read_fasta(path)
        lines = frame.pop("row_number").astype("int64")
        frame = frame.dropna(axis=1, how="all")
        texts = with_lines(frame.astype(object).where(frame.notna(), None), lines)
        texts["sequence"] = texts["sequence"].map(lambda s: s if s else None)
    else:
        raw = read_raw_table(path)
        lower = {c.lower(): c for c in raw.columns}
        if "sequence" not in raw.columns and "sequence" in lower:
            raw = raw.rename(columns={lower["sequence"]: "sequence"})
        if "id" not in raw.columns:
            alt = next((lower[k] for k in ("candidate_id", "name", "peptide") if k in lower), None)
            if alt is None:
                raise InputError(
                    f"{path}: no 'id' column; found {list(raw.columns)}",
                    hint="peptide tables need the columns id and sequence (one row per peptide)",
                )
            raw = raw.rename(columns={alt: "id"})
        texts = raw
    rows_in = len(texts)
    if rows_in == 0:
        return (pd.DataFrame(columns=["id", "sequence", "row_number", "source"]), rejects_frame(), 0)
    source = source_of(texts, path)
    result = validate_table(texts, schema, "peptides", source, with_row_number=True)
    accepted, duplicates = reject_duplicates(result.accepted, ["id"], "peptides", source)
    rejects = pd.concat([r for r in (result.rejects, duplicates) if len(r)] or [rejects_frame()], ignore_index=True)
    return accepted.assign(source=source).reset_index(drop=True), rejects_frame(rejects), rows_in
