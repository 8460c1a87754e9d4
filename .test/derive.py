"""Derive the small test inputs in .test/data from the bundled example (resources/example).

Run from the repository root:  python .test/derive.py
The workflow tests (tests/test_workflow.py) run .test/config/config.yaml, the Snakemake catalog's test config:
the example's candidates, peptides and biodistribution unchanged, and the expression and surface tables cut to
the clinical TRT targets plus every 20th surfaceome gene (about 170 genes instead of about 2,900), so that an
end-to-end run takes seconds, not a minute. Sources and licences: resources/example/NOTICE.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

#: Targets of the example candidates and peptides and other clinical TRT targets (docs/methods/targets.md).
KEY_GENES = ["FOLH1", "SSTR2", "FAP", "GRPR", "CXCR4", "CCKBR", "NTSR1", "ITGAV", "ITGB3", "SSTR5", "EGFR",
             "ERBB2", "MME", "CD276", "DLL3", "GPC3", "MC1R", "PSCA"]
EVERY = 20


def main(example: Path, out: Path) -> None:
    """Write the subsets of ``example`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    read = dict(sep="\t", dtype=str, keep_default_na=False)
    surface = pd.read_csv(example / "surfaceome.tsv", **read)
    keep = surface["gene_symbol"].isin(KEY_GENES) | (surface.index % EVERY == 0)
    surface = surface[keep]
    surface.to_csv(out / "surfaceome.tsv", sep="\t", index=False)
    symbols, entrez = set(surface["gene_symbol"]) - {""}, set(surface["entrez_id"]) - {""}
    ensembl = set(surface["ensembl_gene"]) - {""}

    cspa = pd.read_csv(example / "cspa.tsv", **read)
    cspa[cspa["gene_symbol"].isin(symbols) | cspa["entrez_id"].isin(entrez)].to_csv(
        out / "cspa.tsv", sep="\t", index=False)
    tumour = pd.read_csv(example / "tumour_expression.tsv.gz", **read)
    tumour[tumour["gene_symbol"].isin(symbols) | tumour["entrez_id"].isin(entrez)].to_csv(
        out / "tumour_expression.tsv.gz", sep="\t", index=False, compression={"method": "gzip", "mtime": 0})
    normal = pd.read_csv(example / "normal_expression.tsv.gz", **read)
    normal[normal["ensembl_gene"].isin(ensembl)].to_csv(
        out / "normal_expression.tsv.gz", sep="\t", index=False, compression={"method": "gzip", "mtime": 0})
    for name in ("candidates.csv", "peptides.csv", "biodistribution.csv"):
        shutil.copyfile(example / name, out / name)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    main(root / "resources" / "example", root / ".test" / "data")
