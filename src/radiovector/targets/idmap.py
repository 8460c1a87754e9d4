"""The gene-identifier bridge: Ensembl gene <-> NCBI GeneID <-> HGNC symbol.

HPA (normal organs) uses Ensembl gene ids; OncoDB/TCGA summaries use NCBI GeneID and symbol; SURFY carries all
three. The bridge is built from whatever annotation tables are given (by default the surface-evidence
tables) and
is deterministic: when an identifier maps to several Ensembl genes, the smallest id wins.
"""

from __future__ import annotations

import pandas as pd

ID_COLUMNS = ("ensembl_gene", "entrez_id", "gene_symbol")


def build_bridge(*frames: pd.DataFrame) -> pd.DataFrame:
    """Unique (ensembl_gene, entrez_id, gene_symbol) rows from every frame that has an Ensembl column."""
    parts = []
    for frame in frames:
        if frame is None or "ensembl_gene" not in frame.columns:
            continue
        cols = {
            c: frame[c] if c in frame.columns else pd.Series(pd.NA, index=frame.index) for c in ID_COLUMNS
        }
        part = pd.DataFrame(cols)
        parts.append(part[part["ensembl_gene"].notna()])
    if not parts:
        return pd.DataFrame(
            {
                "ensembl_gene": pd.Series(dtype=object),
                "entrez_id": pd.Series(dtype="Int64"),
                "gene_symbol": pd.Series(dtype=object),
            }
        )
    bridge = pd.concat(parts, ignore_index=True)
    bridge["entrez_id"] = pd.to_numeric(bridge["entrez_id"], errors="coerce").astype("Int64")
    bridge["ensembl_gene"] = bridge["ensembl_gene"].astype(str)
    bridge["gene_symbol"] = bridge["gene_symbol"].astype(object).where(bridge["gene_symbol"].notna(), None)
    return bridge.drop_duplicates().sort_values(list(ID_COLUMNS), na_position="last").reset_index(drop=True)


def _lookup(bridge: pd.DataFrame, key: str) -> dict:
    sub = bridge[bridge[key].notna()].sort_values([key, "ensembl_gene"])
    return dict(
        zip(
            sub[key].drop_duplicates().tolist(),
            sub.drop_duplicates(key)["ensembl_gene"].tolist(),
            strict=True,
        )
    )


def map_to_ensembl(frame: pd.DataFrame, bridge: pd.DataFrame) -> pd.DataFrame:
    """Ensembl id per row of ``frame`` and how it was found ("ensembl", "entrez", "symbol" or missing).

    Uses the row's own ``ensembl_gene`` first, then NCBI GeneID, then the symbol (case-insensitive).
    """
    n = len(frame)
    ens = pd.Series([None] * n, index=frame.index, dtype=object)
    how = pd.Series([None] * n, index=frame.index, dtype=object)
    if "ensembl_gene" in frame.columns:
        own = frame["ensembl_gene"].where(frame["ensembl_gene"].notna(), None)
        hit = own.notna()
        ens[hit], how[hit] = own[hit], "ensembl"
    if "entrez_id" in frame.columns:
        lookup = _lookup(bridge, "entrez_id")
        ids = pd.to_numeric(frame["entrez_id"], errors="coerce").astype("Int64")
        found = ids.astype("float64").map({float(k): v for k, v in lookup.items()}).astype(object)
        found = found.where(found.notna(), None)
        hit = ens.isna() & found.notna()
        ens[hit], how[hit] = found[hit], "entrez"
    if "gene_symbol" in frame.columns:
        upper = bridge.assign(gene_symbol=bridge["gene_symbol"].str.upper())
        lookup = _lookup(upper, "gene_symbol")
        found = frame["gene_symbol"].astype(object).str.upper().map(lookup).astype(object)
        found = found.where(found.notna(), None)
        hit = ens.isna() & found.notna()
        ens[hit], how[hit] = found[hit], "symbol"
    return pd.DataFrame({"ensembl_gene": ens, "mapped_by": how}, index=frame.index)


def gene_key(frame: pd.DataFrame, ensembl: pd.Series) -> pd.Series:
    """A stable gene key: the Ensembl id when known, else ``entrez:<id>``, else ``symbol:<SYMBOL>``."""
    key = ensembl.astype(object).copy()
    if "entrez_id" in frame.columns:
        ids = pd.to_numeric(frame["entrez_id"], errors="coerce").astype("Int64")
        alt = ids.map(lambda v: f"entrez:{int(v)}" if pd.notna(v) else None)
        key = key.where(key.notna(), alt)
    if "gene_symbol" in frame.columns:
        alt = frame["gene_symbol"].map(lambda s: f"symbol:{str(s).upper()}" if isinstance(s, str) else None)
        key = key.where(key.notna(), alt)
    return key
