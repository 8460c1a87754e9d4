"""Read candidate structures: SMILES files (.smi), CSV/TSV/Parquet tables (validated against the
``candidates`` table schema) and SDF (.sdf, .sdf.gz). Every input row ends up either in the accepted frame
(with its ``row_number``, the line of the file on which the row or record starts, header = line 1, and
``source``) or in the rejects frame with a reason.

:func:`read_structure_input` is the workflow's reader of the ``candidates`` and ``peptides`` inputs: the same
readers as ``radiovector score-candidates`` (:func:`read_candidates`, :func:`radiovector.peptides.io.read_peptides`),
so every format the command line reads, the workflow reads too."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from rdkit import Chem

from radiovector.candidates.limits import CEILING
from radiovector.candidates.rdlog import RDKitLog
from radiovector.errors import InputError, InvariantError
from radiovector.io.tables import (
    LINE,
    TableSchema,
    ValidatedTable,
    read_raw_table,
    reject,
    reject_duplicates,
    rejects_frame,
    source_of,
    validate_table,
    with_lines,
)
from radiovector.io.text import read_input_bytes, read_input_text

SDF_SUFFIXES = (".sdf", ".sd", ".mol")


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".xz")]


#: What a candidate file may be (the hint of every read error).
CANDIDATE_FORMATS = (
    "candidate files are SMILES (.smi: SMILES and id per line), SDF (.sdf, .sdf.gz) or a "
    "CSV/TSV/Parquet table with id and smiles columns, as UTF-8 text"
)


def read_smi(path: Path) -> pd.DataFrame:
    """``SMILES [id]`` per line (whitespace separated); blank and ``#`` lines skipped; header ``smiles`` allowed.
    ``row_number`` is the line of the file."""
    rows = []
    content = read_input_text(path, "SMILES file", CANDIDATE_FORMATS)
    for lineno, line in enumerate(content.split("\n"), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split(None, 1)
        if lineno == 1 and parts[0].lower() == "smiles":
            continue
        ident = parts[1].strip() if len(parts) > 1 else f"{path.stem}:{lineno}"
        rows.append({"id": ident, "smiles": parts[0], "row_number": lineno})
    return pd.DataFrame(rows, columns=["id", "smiles", "row_number"])


def sdf_record_lines(data: bytes) -> list[int]:
    """The line (1-based) on which each record of an SD file starts: line 1, then the line after each ``$$$$``."""
    starts = [1]
    for lineno, line in enumerate(data.splitlines(), start=1):
        if line.strip() == b"$$$$":
            starts.append(lineno + 1)
    return starts


def read_sdf(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each record -> (id from the title line or an ``id``/``ID`` property, isomeric SMILES); bad records rejected.
    ``row_number`` is the line on which the record starts (its title line)."""
    data = read_input_bytes(path, "SD file", CANDIDATE_FORMATS)
    starts = sdf_record_lines(data)
    rows, rejects = [], []
    supplier = Chem.ForwardSDMolSupplier(io.BytesIO(data), sanitize=True, removeHs=True)
    record = 0
    while True:
        with RDKitLog() as log:
            try:
                mol = next(supplier)
            except StopIteration:
                break
        record += 1
        line = starts[min(record, len(starts)) - 1]
        if mol is None:
            rejects.append(
                reject(
                    "candidates",
                    str(path),
                    line,
                    "molblock",
                    f"record {record}",
                    log.text("RDKit could not read the record"),
                    quote=False,
                )
            )
            continue
        if too_large := CEILING.check_mol(mol):  # writing its SMILES could crash RDKit (candidates.limits)
            rejects.append(
                reject("candidates", str(path), line, "molblock", f"record {record}", too_large, quote=False)
            )
            continue
        props = mol.GetPropsAsDict()
        ident = next((str(props[k]) for k in ("id", "ID", "Id", "candidate_id") if k in props), "")
        ident = ident or mol.GetProp("_Name").strip() or f"{path.stem}:{record}"
        row = {"id": ident, "smiles": Chem.MolToSmiles(mol), "row_number": line}
        for key in ("target", "nuclide", "reference"):
            if key in props:
                row[key] = str(props[key])
        rows.append(row)
    return pd.DataFrame(rows), rejects_frame(rejects)


def read_candidates(path: str | Path, schema: TableSchema | None = None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Read any supported candidate file; returns (accepted, rejects, rows_in). Accepted rows carry ``row_number``
    (the line of the file on which the row or record starts, header = line 1) and ``source``; a repeated ``id``
    is a reject naming the line of its first use, which is kept."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"candidate file not found: {path}", hint="give a .smi, .csv, .tsv, .parquet or .sdf file")
    schema = schema or TableSchema.load("candidates")
    sfx = _suffixes(path)
    last = sfx[-1] if sfx else ""
    if last in SDF_SUFFIXES:
        frame, format_rejects = read_sdf(path)
    elif last in (".smi", ".smiles", ".ism"):
        frame, format_rejects = read_smi(path), rejects_frame()
    else:
        raw = read_raw_table(path)
        lower = {c.lower(): c for c in raw.columns}
        if "id" not in raw.columns and "smiles" in lower and len(raw.columns) >= 1:
            alt = next((lower[k] for k in ("candidate_id", "name", "compound") if k in lower), None)
            if alt is None:
                raise InputError(
                    f"{path}: no 'id' column; found {list(raw.columns)}",
                    hint="candidate tables need the columns id and smiles (one row per structure)",
                )
            raw = raw.rename(columns={alt: "id"})
        if "smiles" not in raw.columns and "smiles" in lower:
            raw = raw.rename(columns={lower["smiles"]: "smiles"})
        frame, format_rejects = raw, rejects_frame()
    rows_in = len(frame) + len(format_rejects)
    if frame.empty:
        accepted = pd.DataFrame(columns=["id", "smiles", "row_number", "source"])
        return accepted, format_rejects, rows_in
    if frame.index.name != LINE:  # a SMILES or SD file: rows numbered by their line
        frame = with_lines(frame.drop(columns="row_number"), frame["row_number"])
        frame = frame.astype(object).where(frame.notna(), None)
    source = source_of(frame, path)
    result = validate_table(frame, schema, "candidates", source, with_row_number=True)
    accepted, duplicates = reject_duplicates(result.accepted, ["id"], "candidates", source)
    accepted = accepted.assign(source=source)
    rejects = pd.concat(
        [r for r in (format_rejects, result.rejects, duplicates) if len(r)] or [rejects_frame()], ignore_index=True
    )
    return accepted, rejects_frame(rejects), rows_in


#: Workflow inputs read by :func:`read_structure_input`, and the formats each accepts besides CSV/TSV/Parquet.
STRUCTURE_INPUTS = {"candidates": ("SDF (.sdf, .sdf.gz)", "SMILES (.smi)"), "peptides": ("FASTA (.fasta, .fa)",)}


def read_structure_input(name: str, path: str | Path, schema: TableSchema | None = None) -> ValidatedTable:
    """Read the workflow input ``name`` (``candidates`` or ``peptides``) in any format ``score-candidates``
    reads, as the ingest step stores it: accepted rows typed by ``schema`` with ``row_number`` (the line of the file:
    of a table row, header = line 1; of a SMILES line; of an SD record's title line; of a FASTA record's header) as
    the last column, and
    the rejects numbered the same way."""
    if name not in STRUCTURE_INPUTS:
        raise ValueError(f"read_structure_input reads {sorted(STRUCTURE_INPUTS)}, not {name!r}")
    schema = schema or TableSchema.load(name)
    if name == "peptides":
        from radiovector.peptides.io import read_peptides

        accepted, rejects, rows_in = read_peptides(path, schema)
    else:
        accepted, rejects, rows_in = read_candidates(path, schema)
    for column in schema.columns:  # an empty file gives no rows to type: keep the columns of a table input
        if column not in accepted.columns:
            accepted[column] = pd.Series(dtype=object)
    columns = [c for c in accepted.columns if c not in ("row_number", "source")]
    accepted = accepted[[*columns, "row_number"]].astype({"row_number": "int64"}).reset_index(drop=True)
    result = ValidatedTable(accepted=accepted, rejects=rejects, rows_in=rows_in)
    if result.rows_in != result.rows_accepted + result.rows_rejected:
        raise InvariantError(
            f"{path}: {rows_in} rows in but {result.rows_accepted} accepted + "
            f"{result.rows_rejected} rejected (input {name!r})"
        )
    return result
