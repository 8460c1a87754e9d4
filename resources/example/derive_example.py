"""Derive the bundled example inputs from the public reference data in ../shared/data.

Run from the repository root:  python resources/example/derive_example.py ../shared/data
The outputs are small, real subsets (see NOTICE.md for sources and licences):
- surfaceome.tsv: SURFY surfaceome, identifier and evidence columns only;
- cspa.tsv: Cell Surface Protein Atlas human list (mass-spectrometry evidence), identifier and category columns;
- tumour_expression.tsv.gz: OncoDB TCGA tumour-vs-normal summaries for four cancer types, surface genes only;
- normal_expression.tsv.gz: HPA RNA tissue consensus (nTPM), surface genes only, long format;
- biodistribution.csv: [111In]In-DOTA-EB-cRGDfK in U-87 MG mice, copied unchanged.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd

CANCER_TYPES = ["PRAD", "PCPG", "PAAD", "BRCA"]


def main(shared: Path, out: Path) -> None:
    surfy = pd.read_csv(shared / "surfaceome/surfy_human_surfaceome.tsv.gz", sep="\t", dtype=str)
    surface = pd.DataFrame(
        {
            "uniprot": surfy["UniProt accession"],
            "gene_symbol": surfy["UniProt gene"],
            "ensembl_gene": surfy["Ensembl gene"].str.split(";").str[0],
            "entrez_id": surfy["GeneID"].str.split(";").str[0],
            "surfaceome_label": surfy["Surfaceome Label"],
            "ml_score": surfy["MachineLearning score"],
            "cspa_category": surfy["CSPA category"],
        }
    )
    surface.to_csv(out / "surfaceome.tsv", sep="\t", index=False)

    cspa = pd.read_csv(shared / "surfaceome/cspa_human_surfaceome.tsv.gz", sep="\t", dtype=str)
    cspa = pd.DataFrame(
        {
            "uniprot": cspa["ID_link"],
            "gene_symbol": cspa["ENTREZ gene symbol"],
            "entrez_id": cspa["ENTREZ_gene_ID"],
            "cspa_category": cspa["CSPA category"],
        }
    )
    cspa.to_csv(out / "cspa.tsv", sep="\t", index=False)

    entrez = set(surface["entrez_id"].dropna())
    symbols = set(surface["gene_symbol"].dropna())
    frames = []
    for code in CANCER_TYPES:
        onco = pd.read_csv(shared / f"expression/tcga_oncodb/{code}.tsv.gz", sep="\t", dtype=str)
        keep = onco["NCBI gene id"].isin(entrez) | onco["Gene symbol"].isin(symbols)
        onco = onco[keep]
        frames.append(
            pd.DataFrame(
                {
                    "cancer_type": onco["Cancer type"],
                    "entrez_id": onco["NCBI gene id"],
                    "gene_symbol": onco["Gene symbol"],
                    "tumour_median": onco["Cancer Sample Med"],
                    "normal_median": onco["Normal Sample Med"],
                    "log2_fold_change": onco["log2 fold change"],
                    "fdr": onco["FDR adjusted p-value"],
                }
            )
        )
    pd.concat(frames).to_csv(out / "tumour_expression.tsv.gz", sep="\t", index=False)

    hpa = pd.read_csv(shared / "expression/hpa_rna_tissue_consensus.tsv.gz", sep="\t", dtype=str)
    hpa = hpa[hpa["GeneID"].isin(set(surface["ensembl_gene"].dropna()))]
    long = hpa.melt(id_vars="GeneID", var_name="tissue", value_name="ntpm").rename(
        columns={"GeneID": "ensembl_gene"}
    )
    # HPA writes NA where a tissue was not measured; a long table leaves such gene x tissue pairs out (the
    # target ranking treats an organ without data as unknown, not as zero expression).
    long = long[long["ntpm"].notna() & (long["ntpm"] != "NA")]
    long.sort_values(["ensembl_gene", "tissue"]).to_csv(
        out / "normal_expression.tsv.gz", sep="\t", index=False
    )
    shutil.copy(shared / "biodistribution/in111_dota_eb_crgdfk_u87mg_mouse.csv", out / "biodistribution.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"), Path(__file__).parent)
