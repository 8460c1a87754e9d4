"""Read the target-ranking inputs: tumour expression, normal organ expression, surface evidence.

Every reader returns ``(table, rejects)``: the typed, validated table in the shape the scorer expects, and the
rows that failed validation (columns of :data:`radiovector.io.tables.REJECTS_SCHEMA`). Known public
layouts are
recognised by their column names and renamed (OncoDB, wide HPA matrix, raw SURFY and CSPA exports), so
the files
in ../shared/data can be used as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from radiovector.errors import InputError
from radiovector.io.tables import (
    LINE,
    TableSchema,
    line_numbers,
    read_raw_table,
    reject,
    reject_duplicates,
    reject_rows,
    rejects_frame,
    source_of,
    validate_table,
)

ONCODB_COLUMNS = {
    "Cancer type": "cancer_type",
    "NCBI gene id": "entrez_id",
    "Gene symbol": "gene_symbol",
    "Cancer Sample Med": "tumour_median",
    "Normal Sample Med": "normal_median",
    "log2 fold change": "log2_fold_change",
    "FDR adjusted p-value": "fdr",
}
SURFY_COLUMNS = {
    "UniProt accession": "uniprot",
    "UniProt gene": "gene_symbol",
    "Ensembl gene": "ensembl_gene",
    "GeneID": "entrez_id",
    "Surfaceome Label": "surfaceome_label",
    "MachineLearning score": "ml_score",
    "CSPA category": "cspa_category",
}
CSPA_COLUMNS = {
    "ID_link": "uniprot",
    "ENTREZ gene symbol": "gene_symbol",
    "ENTREZ_gene_ID": "entrez_id",
    "CSPA category": "cspa_category",
}
HPA_SUBCELLULAR_COLUMNS = {
    "Gene": "ensembl_gene",
    "Gene name": "gene_symbol",
    "Reliability": "reliability",
    "Enhanced": "enhanced",
    "Validated": "validated",
    "Supported": "supported",
    "Approved": "approved",
    "Uncertain": "uncertain",
}
#: HPA reliability grades, best first (Enhanced in current releases, Validated in older ones).
HPA_GRADES = ("enhanced", "validated", "supported", "approved", "uncertain")
GENE_ID_NAMES = ("ensembl_gene", "gene_id", "geneid", "gene", "entrez_id", "gene_symbol", "symbol", "name")
EVIDENCE_COLUMNS = [
    "source",
    "uniprot",
    "gene_symbol",
    "ensembl_gene",
    "entrez_id",
    "label",
    "ml_score",
    "category",
    "evidence_score",
    "reason",
]


def _validate(frame: pd.DataFrame, schema: str, input_name: str, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate ``frame`` (from :func:`read_raw_table`, lines as its index) against ``schema``; accepted rows carry
    ``row_number``, the line of the file they came from."""
    if len(frame) == 0:
        raise InputError(
            f"{source}: the {input_name} table has no data rows",
            hint="check that the file is the right one and is not truncated",
        )
    result = validate_table(frame, TableSchema.load(schema), input_name, source, with_row_number=True)
    return result.accepted, result.rejects


def _explode_ids(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Split ';'-separated identifiers into one row each (SURFY lists several Ensembl genes / GeneIDs); each
    keeps its file line (the index)."""
    out = frame
    for col in columns:
        if col in out.columns:
            out = out.assign(**{col: out[col].str.split(";")}).explode(col)
            out[col] = out[col].str.strip().replace({"": None})
    return out


# --------------------------------------------------------------------------------------------- tumour tables
def read_tumour_summary(path: str | Path, input_name: str = "tumour_expression") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a tumour-vs-normal summary table (schema ``tumour_expression``, or the raw OncoDB layout)."""
    raw = read_raw_table(path)
    source = source_of(raw, path)
    raw = raw.rename(columns={k: v for k, v in ONCODB_COLUMNS.items() if k in raw.columns})
    if not any(c in raw.columns for c in ("entrez_id", "gene_symbol", "ensembl_gene")):
        raise InputError(
            f"{path}: no gene identifier column; found {list(raw.columns)}",
            hint="give at least one of entrez_id, gene_symbol, ensembl_gene",
        )
    table, rejects = _validate(raw, "tumour_expression", input_name, source)
    return table.assign(source=source), rejects


def read_sample_sheet(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a sample sheet (schema ``sample_sheet``); a repeated sample id is a reject (the first row kept)."""
    raw = read_raw_table(path)
    source = source_of(raw, path)
    sheet, rejects = _validate(raw, "sample_sheet", "sample_sheet", source)
    sheet, dups = reject_duplicates(
        sheet, ["sample_id"], "sample_sheet", source, "sample_id", "every sample must appear once in the sample sheet"
    )
    rejects = pd.concat([r for r in (rejects, dups) if len(r)] or [rejects], ignore_index=True)
    bad = (sheet["sample_type"] == "tumour") & sheet["tumour_type"].isna()
    if bad.any():
        raise InputError(
            f"{path}: tumour sample {sheet.loc[bad, 'sample_id'].iloc[0]!r} has no tumour_type",
            hint="fill the tumour_type column for every tumour sample",
        )
    return sheet, rejects


def _gene_column(columns: list[str], path: str | Path) -> str:
    lowered = {c.lower(): c for c in columns}
    for name in GENE_ID_NAMES:
        if name in lowered:
            return lowered[name]
    return columns[0]


def classify_gene_ids(ids: pd.Series) -> str:
    """Which identifier a column holds: "ensembl_gene", "entrez_id" or "gene_symbol" (by its values)."""
    text = ids.dropna().astype(str)
    if len(text) and text.str.match(r"^ENSG[0-9]{11}(\.[0-9]+)?$").mean() > 0.9:
        return "ensembl_gene"
    if len(text) and text.str.fullmatch(r"[0-9]+").mean() > 0.9:
        return "entrez_id"
    return "gene_symbol"


MATRIX_FORMATS = "sample-level matrices must be Parquet or CSV/TSV (UTF-8) with one header row"


def _matrix_sep(path: Path) -> str:
    return "," if ".csv" in [s.lower() for s in path.suffixes] else "\t"


def _read_any(path: Path) -> pd.DataFrame:
    from radiovector.io.text import check_text_head

    if not path.is_file():
        raise InputError(f"input file not found: {path}", hint="check the path")
    parquet = path.suffix.lower() == ".parquet"
    if not parquet:  # empty, binary or non-UTF-8 files: one clear error before the fast reader sees them
        check_text_head(path, "expression matrix", MATRIX_FORMATS)
    try:
        if parquet:
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=_matrix_sep(path), engine="pyarrow")
    except Exception as exc:  # noqa: BLE001 - any reader failure is a user-facing input error
        raise InputError(
            f"cannot read expression matrix {path}: {type(exc).__name__}: {exc}",
            hint=MATRIX_FORMATS,
        ) from exc


def _matrix_lines(path: Path, n_records: int) -> np.ndarray:
    """The file line (header = line 1) of each of the ``n_records`` data records of a matrix file (Parquet: the
    position + 2). Read again only when a row is rejected."""
    if path.suffix.lower() == ".parquet":
        return np.arange(2, n_records + 2, dtype=np.int64)
    from radiovector.io.text import read_input_bytes, record_lines

    return record_lines(
        read_input_bytes(path, "expression matrix", MATRIX_FORMATS), _matrix_sep(path), n_records, str(path)
    )


def read_sample_matrix(
    path: str | Path, input_name: str = "expression_matrix"
) -> tuple[np.ndarray, pd.DataFrame, list[str], pd.DataFrame]:
    """Read a genes x samples matrix, wide (gene column + one column per sample) or long (gene,
    sample_id, value).

    Returns ``(values float32 [genes, samples], genes DataFrame with one id column, sample ids, rejects)``.
    A gene row with a non-numeric, negative or non-finite value is rejected whole (the reason names the sample
    column; the row number is the file line of the gene, or in the long layout of the offending value); a
    duplicated gene keeps its first row.
    """
    path = Path(path)
    frame = _read_any(path)
    if frame.shape[0] == 0 or frame.shape[1] < 2:
        raise InputError(
            f"{path}: expression matrix is empty (shape {frame.shape})",
            hint="expected a gene column and one column per sample, or long gene/sample_id/value",
        )
    n_records = len(frame)
    cols = [str(c) for c in frame.columns]
    frame.columns = cols
    lower = {c.lower(): c for c in cols}
    positions = None  # long layout: position in the file of each (gene, sample) value
    if "sample_id" in lower and "value" in lower and len(cols) == 3:
        gene_col = next(c for c in cols if c not in (lower["sample_id"], lower["value"]))
        frame["_position"] = np.arange(n_records)
        pivot = frame.pivot_table(
            index=gene_col,
            columns=lower["sample_id"],
            values=[lower["value"], "_position"],
            aggfunc="first",
            sort=False,
        )
        positions = pivot["_position"]
        frame = pivot[lower["value"]].reset_index()
        frame.columns = [str(c) for c in frame.columns]
        positions.columns = [str(c) for c in positions.columns]
        cols = list(frame.columns)
    gene_col = _gene_column(cols, path)
    samples = [c for c in cols if c != gene_col]
    genes = frame[gene_col].astype(str).str.strip()
    kind = classify_gene_ids(genes)
    if kind == "ensembl_gene":
        genes = genes.str.replace(r"\.[0-9]+$", "", regex=True)
    lines: list[np.ndarray] = []

    def line(row: int, col: str | None = None) -> int:
        """File line of gene row ``row`` (long layout: of its value in ``col``, or its first value)."""
        if not lines:
            lines.append(_matrix_lines(path, n_records))
        if positions is None:
            return int(lines[0][row])
        at = positions.iloc[row] if col is None else positions[col].iloc[[row]]
        return int(lines[0][int(np.nanmin(at.to_numpy(dtype="float64")))])

    records = []
    numeric = {}
    bad_row = np.zeros(len(frame), dtype=bool)
    for col in samples:
        series = frame[col]
        values = (
            series.astype("float64")
            if pd.api.types.is_numeric_dtype(series)
            else pd.to_numeric(series.astype(object), errors="coerce").astype("float64")
        )
        bad = values.isna() & series.notna() | (values < 0) | ~np.isfinite(values.fillna(0.0))
        if bad.any():
            for idx in np.flatnonzero(bad.to_numpy()):
                if not bad_row[idx]:
                    reason = "negative expression" if values.iat[idx] < 0 else "not a finite number"
                    records.append(
                        reject(input_name, str(path), line(idx, col), col, series.iat[idx], f"{col}: {reason}")
                    )
            bad_row |= bad.to_numpy()
        numeric[col] = values.to_numpy(dtype="float32", na_value=np.nan)
    dup = genes.duplicated().to_numpy() & ~bad_row
    for idx in np.flatnonzero(dup):
        records.append(
            reject(
                input_name,
                str(path),
                line(idx),
                gene_col,
                genes.iat[idx],
                f"{gene_col}: duplicate gene (first row kept)",
            )
        )
    keep = ~(bad_row | dup)
    values = np.column_stack([numeric[c] for c in samples])[keep] if samples else np.empty((keep.sum(), 0))
    gene_frame = pd.DataFrame({kind: genes[keep].to_numpy()})
    if kind == "entrez_id":
        gene_frame[kind] = gene_frame[kind].astype("int64").astype("Int64")
    rejects = rejects_frame(records)
    return values, gene_frame, samples, rejects


# --------------------------------------------------------------------------------------------- normal organs
def normal_from_wide(frame: pd.DataFrame) -> pd.DataFrame:
    """Melt a wide gene x tissue matrix (first column the gene id, HPA style) to long text columns; every value
    keeps the file line of its gene row (see :func:`radiovector.io.tables.line_numbers`) as its index."""
    gene_col = _gene_column(list(frame.columns), "")
    lines = line_numbers(frame)
    wide = frame.reset_index(drop=True).assign(**{LINE: lines})
    long = wide.melt(id_vars=[gene_col, LINE], var_name="tissue", value_name="ntpm")
    long = long.rename(columns={gene_col: "ensembl_gene"})
    return long.set_index(LINE)


def read_normal(path: str | Path, input_name: str = "normal_expression") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read normal organ expression, long (ensembl_gene, tissue, ntpm) or wide (HPA gene x tissue matrix).

    Missing cells (HPA leaves a few) go to the rejects table and count as "no data" for that organ (unknown,
    scored as risky, never as zero). Duplicate (gene, tissue) rows keep the first.
    """
    raw = read_raw_table(path)
    source = source_of(raw, path)
    if not {"ensembl_gene", "tissue", "ntpm"} <= set(raw.columns):
        if raw.shape[1] < 2:
            raise InputError(
                f"{path}: normal expression needs a gene column and tissue columns",
                hint="long: ensembl_gene, tissue, ntpm; or wide: GeneID + one column per tissue",
            )
        raw = normal_from_wide(raw)
    table, rejects = _validate(raw, "normal_expression", input_name, source)
    dup = table.duplicated(["ensembl_gene", "tissue"])
    if dup.any():
        extra = reject_rows(
            input_name,
            source,
            table.loc[dup, "row_number"],
            "ensembl_gene;tissue",
            (table.loc[dup, "ensembl_gene"] + " / " + table.loc[dup, "tissue"]).tolist(),
            "duplicate gene x tissue (first row kept)",
            quote=False,
        )
        rejects = pd.concat([rejects, extra], ignore_index=True)
        table = table.loc[~dup].reset_index(drop=True)
    return table[["ensembl_gene", "tissue", "ntpm"]], rejects


# --------------------------------------------------------------------------------------------- surface evid
def read_surface(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one surface-evidence file: SURFY (raw or schema ``surfaceome``), CSPA (raw or ``cspa``), or a
    custom
    list (schema ``surface_evidence``). Returns long evidence rows (:data:`EVIDENCE_COLUMNS`)."""
    raw = read_raw_table(path)
    source = source_of(raw, path)
    cols = set(raw.columns)
    if "UniProt accession" in cols or "surfaceome_label" in cols:
        raw = raw.rename(columns={k: v for k, v in SURFY_COLUMNS.items() if k in cols})
        raw = _explode_ids(raw, ["ensembl_gene", "entrez_id"])
        table, rejects = _validate(raw, "surfaceome", "surfaceome", source)
        surfy = pd.DataFrame(
            {
                "source": "SURFY",
                "uniprot": table["uniprot"],
                "gene_symbol": table["gene_symbol"],
                "ensembl_gene": table["ensembl_gene"],
                "entrez_id": table["entrez_id"],
                "label": table["surfaceome_label"],
                "ml_score": table["ml_score"],
            }
        )
        # SURFY carries the CSPA category of each protein: keep it as CSPA evidence.
        cat = table["cspa_category"].astype(object).where(table["cspa_category"].notna(), None)
        cat = cat.map(lambda v: None if v is None else sorted(v.split(";"))[0])
        cspa = surfy.assign(source="CSPA", label=None, ml_score=np.nan, category=cat)[cat.notna()]
        return _finish_evidence(pd.concat([surfy, cspa], ignore_index=True)), rejects
    if {"Gene", "Reliability"} <= cols or {"ensembl_gene", "reliability"} <= cols:
        return read_hpa_subcellular(raw, source)
    if "ID_link" in cols or ("cspa_category" in cols and "surfaceome_label" not in cols):
        raw = raw.rename(columns={k: v for k, v in CSPA_COLUMNS.items() if k in cols})
        table, rejects = _validate(raw, "cspa", "cspa", source)
        return _finish_evidence(table.assign(source="CSPA", category=table["cspa_category"])), rejects
    if not cols & {"ensembl_gene", "entrez_id", "gene_symbol"}:
        raise InputError(
            f"{path}: not a recognised surface-evidence table; found columns {sorted(cols)}",
            hint="give SURFY, CSPA, or a table with ensembl_gene/entrez_id/gene_symbol columns",
        )
    table, rejects = _validate(raw, "surface_evidence", "surface_evidence", source)
    table["source"] = table["source"].fillna(Path(path).name.split(".")[0])
    return _finish_evidence(table), rejects


def read_hpa_subcellular(raw: pd.DataFrame, path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """HPA subcellular location (raw download or schema ``hpa_subcellular``) as surface evidence.

    A gene is evidence when "Plasma membrane" is among its locations; its ``category`` is the best reliability
    grade that lists the plasma membrane (Enhanced/Validated, Supported, Approved, Uncertain), scored by the
    targets parameter ``surface.hpa_reliability``. Genes without the plasma membrane are not evidence.
    """
    raw = raw.rename(columns={k: v for k, v in HPA_SUBCELLULAR_COLUMNS.items() if k in raw.columns})
    table, rejects = _validate(raw, "hpa_subcellular", "hpa_subcellular", str(path))
    grade = pd.Series(None, index=table.index, dtype=object)
    for col in reversed(HPA_GRADES):  # the best grade listing the plasma membrane wins
        if col in table.columns:
            hit = table[col].astype(object).fillna("").astype(str).str.contains("Plasma membrane", regex=False)
            grade[hit] = col.capitalize()
    pm = table[grade.notna()]
    evidence = pd.DataFrame(
        {
            "source": "HPA",
            "gene_symbol": pm["gene_symbol"],
            "ensembl_gene": pm["ensembl_gene"],
            "category": grade[grade.notna()],
        }
    )
    return _finish_evidence(evidence), rejects


def read_curated(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A user-curated surface-gene list (schema ``curated_surface``: an identifier and a ``reason``).

    Returns evidence rows with source "curated"; every listed gene joins the ranked universe and is reported as
    curated with its reason (``targets.surface_curated``, ``targets.curated_reason``).
    """
    raw = read_raw_table(path)
    source = source_of(raw, path)
    if not set(raw.columns) & {"ensembl_gene", "entrez_id", "gene_symbol"}:
        raise InputError(
            f"{path}: the curated surface list needs a gene_symbol, ensembl_gene or entrez_id column; "
            f"found {sorted(raw.columns)}",
            hint="one row per gene: gene_symbol,reason (e.g. CA9,girentuximab PET/therapy in ccRCC)",
        )
    table, rejects = _validate(raw, "curated_surface", "curated_surface", source)
    no_id = table.reindex(columns=["ensembl_gene", "entrez_id", "gene_symbol"]).isna().all(axis=1)
    if no_id.any():
        extra = reject_rows(
            "curated_surface",
            source,
            table.loc[no_id, "row_number"],
            "gene_symbol",
            [""] * int(no_id.sum()),
            "no gene identifier (gene_symbol, ensembl_gene, entrez_id)",
        )
        rejects = pd.concat([r for r in (rejects, extra) if len(r)], ignore_index=True)
        table = table[~no_id]
    return _finish_evidence(table.assign(source="curated")), rejects


def _finish_evidence(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in EVIDENCE_COLUMNS:
        out[col] = frame[col] if col in frame.columns else None
    out["entrez_id"] = pd.to_numeric(out["entrez_id"], errors="coerce").astype("Int64")
    out["ml_score"] = pd.to_numeric(out["ml_score"], errors="coerce").astype("float64")
    out["evidence_score"] = pd.to_numeric(out["evidence_score"], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


def read_surfaces(paths: list[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and concatenate several surface-evidence files."""
    if not paths:
        raise InputError("no surface-evidence file given", hint="pass --surfaceome FILE (SURFY and/or CSPA)")
    parts = [read_surface(p) for p in paths]
    return (
        pd.concat([p[0] for p in parts], ignore_index=True),
        pd.concat([p[1] for p in parts if len(p[1])] or [rejects_frame()], ignore_index=True),
    )
