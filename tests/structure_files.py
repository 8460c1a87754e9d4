"""Structure files for tests: SDF (optionally gzipped, with an unreadable record) and FASTA from tables."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
from rdkit import Chem


def write_sdf(path: Path, rows: pd.DataFrame, bad_at: int | None = None) -> None:
    """``rows`` (id, smiles, target, nuclide) as SDF records titled by id; an unreadable record (a hexavalent
    carbon) inserted as record ``bad_at`` (1-based)."""
    blocks = []
    for row in rows.itertuples():
        mol = Chem.MolFromSmiles(row.smiles)
        mol.SetProp("_Name", row.id)
        for key in ("target", "nuclide"):
            value = getattr(row, key)
            if isinstance(value, str) and value:
                mol.SetProp(key, value)
        blocks.append(_record(mol))
    if bad_at is not None:
        bad = Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False)
        bad.UpdatePropertyCache(strict=False)
        bad.SetProp("_Name", "hexavalent")
        blocks.insert(bad_at - 1, Chem.MolToMolBlock(bad, kekulize=False) + "$$$$\n")
    text = "".join(blocks)
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)


def _record(mol: Chem.Mol) -> str:
    props = "".join(f">  <{k}>\n{mol.GetProp(k)}\n\n" for k in mol.GetPropNames())
    return Chem.MolToMolBlock(mol) + props + "$$$$\n"


def write_fasta(path: Path, rows: pd.DataFrame, empty_record: str | None = None) -> None:
    """``rows`` (id, sequence, target, nuclide) as FASTA records with ``key=value`` headers; optionally a last
    record ``empty_record`` without a sequence."""
    lines = []
    for row in rows.itertuples():
        fields = " ".join(f"{k}={getattr(row, k)}" for k in ("target", "nuclide") if getattr(row, k))
        lines += [f">{row.id} {fields}".rstrip(), row.sequence]
    if empty_record:
        lines.append(f">{empty_record}")
    path.write_text("\n".join(lines) + "\n")
