"""Read candidate structures: SMILES files (.smi), CSV/TSV/Parquet tables (validated against the
``candidates`` table schema) and SDF (.sdf, .sdf.gz). Every input row ends up either in the accepted frame
(with its 1-based ``row_number`` and ``source``) or in the rejects frame with a reason.

:func:`read_structure_input` is the workflow's reader of the ``candidates`` and ``peptides`` inputs: the same
readers as ``radiovector score-candidates`` (:func:`read_candidates`, :func:`radiovector.peptides.io.read_peptides`),
so every format the command line reads, the workflow reads too."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
from rdkit import Chem

from radiovector.candidates.limits import CEILING
from radiovector.candidates.rdlog import RDKitLog
from radiovector.errors import InputError, InvariantError
from radiovector.io.tables import (
    TableSchema,
    ValidatedTable,
    read_raw_table,
    reject,
    rejects_frame,
    validate_table,
)

SDF_SUFFIXES = (".sdf", ".sd", ".mol")


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".xz")]


def read_smi(path: Path) -> pd.DataFrame:
    """``SMILES [id]`` per line (whitespace separated); blank and ``#`` lines skipped; header ``smiles`` allowed."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            parts = text.split(None, 1)
            if lineno == 1 and parts[0].lower() == "smiles":
                continue
            ident = parts[1].strip() if len(parts) > 1 else f"{path.stem}:{lineno}"
            rows.append({"id": ident, "smiles": parts[0], "row_number": lineno})
    return pd.DataFrame(rows, columns=["id", "smiles", "row_number"])


def read_sdf(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each record -> (id from the title line or an ``id``/``ID`` property, isomeric SMILES); bad records rejected."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    rows, rejects = [], []
    with opener(path, "rb") as handle:
        supplier = Chem.ForwardSDMolSupplier(handle, sanitize=True, removeHs=True)
        record = 0
        while True:
            with RDKitLog() as log:
                try:
                    mol = next(supplier)
                except StopIteration:
                    break
            record += 1
            if mol is None:
                rejects.append(reject("candidates", str(path), record, "molblock", f"record {record}",
                                      log.text("RDKit could not read the record"), quote=False))
                continue
            if too_large := CEILING.check_mol(mol):  # writing its SMILES could crash RDKit (candidates.limits)
                rejects.append(reject("candidates", str(path), record, "molblock", f"record {record}", too_large,
                                      quote=False))
                continue
            props = mol.GetPropsAsDict()
            ident = next((str(props[k]) for k in ("id", "ID", "Id", "candidate_id") if k in props), "")
            ident = ident or mol.GetProp("_Name").strip() or f"{path.stem}:{record}"
            row = {"id": ident, "smiles": Chem.MolToSmiles(mol), "row_number": record}
            for key in ("target", "nuclide", "reference"):
                if key in props:
                    row[key] = str(props[key])
            rows.append(row)
    return pd.DataFrame(rows), rejects_frame(rejects)


def read_candidates(path: str | Path, schema: TableSchema | None = None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Read any supported candidate file; returns (accepted, rejects, rows_in)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"candidate file not found: {path}", hint="give a .smi, .csv, .tsv, .parquet or .sdf file")
    schema = schema or TableSchema.load("candidates")
    sfx = _suffixes(path)
    last = sfx[-1] if sfx else ""
    if last in SDF_SUFFIXES:
        frame, sdf_rejects = read_sdf(path)
    elif last in (".smi", ".smiles", ".ism"):
        frame, sdf_rejects = read_smi(path), None
    else:
        raw = read_raw_table(path)
        lower = {c.lower(): c for c in raw.columns}
        if "id" not in raw.columns and "smiles" in lower and len(raw.columns) >= 1:
            alt = next((lower[k] for k in ("candidate_id", "name", "compound") if k in lower), None)
            if alt is None:
                raise InputError(f"{path}: no 'id' column; found {list(raw.columns)}",
                                 hint="candidate tables need the columns id and smiles (one row per structure)")
            raw = raw.rename(columns={alt: "id"})
        if "smiles" not in raw.columns and "smiles" in lower:
            raw = raw.rename(columns={lower["smiles"]: "smiles"})
        raw["row_number"] = range(1, len(raw) + 1)
        result = validate_table(raw, schema, "candidates", str(path))
        accepted = result.accepted.assign(source=str(path))
        return accepted, result.rejects, result.rows_in
    rows_in = len(frame) + (len(sdf_rejects) if sdf_rejects is not None else 0)
    if frame.empty:
        accepted = pd.DataFrame(columns=["id", "smiles", "row_number", "source"])
        rejects = sdf_rejects if sdf_rejects is not None else rejects_frame()
        return accepted, rejects, rows_in
    texts = frame.astype(object).where(frame.notna(), None)
    row_numbers = texts.pop("row_number")
    result = validate_table(texts, schema, "candidates", str(path))
    # validate_table numbers rows by position; map back to line/record numbers of the file
    rejects = result.rejects.copy()
    if len(rejects):
        rejects["row_number"] = [int(row_numbers.iloc[r - 1]) for r in rejects["row_number"]]
    keep = ~texts.index.isin([r - 1 for r in result.rejects["row_number"]])
    accepted = result.accepted.assign(row_number=row_numbers[keep].to_numpy(), source=str(path))
    if sdf_rejects is not None and len(sdf_rejects):
        rejects = pd.concat([sdf_rejects, rejects], ignore_index=True)
    rejects["row_number"] = rejects["row_number"].astype("int64")
    return accepted, rejects, rows_in


#: Workflow inputs read by :func:`read_structure_input`, and the formats each accepts besides CSV/TSV/Parquet.
STRUCTURE_INPUTS = {"candidates": ("SDF (.sdf, .sdf.gz)", "SMILES (.smi)"), "peptides": ("FASTA (.fasta, .fa)",)}


def read_structure_input(name: str, path: str | Path, schema: TableSchema | None = None) -> ValidatedTable:
    """Read the workflow input ``name`` (``candidates`` or ``peptides``) in any format ``score-candidates``
    reads, as the ingest step stores it: accepted rows typed by ``schema`` with ``row_number`` (1-based data row
    of a table, line of a SMILES file, record of an SDF, header line of a FASTA record) as the last column, and
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
        raise InvariantError(f"{path}: {rows_in} rows in but {result.rows_accepted} accepted + "
                             f"{result.rows_rejected} rejected (input {name!r})")
    return result
