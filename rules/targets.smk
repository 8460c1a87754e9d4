# Omics target ranking: tumour expression x normal organ panel x surface evidence, per tumour type.

TARGET_TABLES = {
    "targets": ["tumour_type", "gene_key"],
    "organ_expression": ["ensembl_gene", "gene_symbol", "organ"],
    "unmapped": ["source", "gene_key"],
    "target_summary": ["tumour_type"],
}
TARGET_INPUTS = {"tumour_expression", "normal_expression", "surfaceome"}

if TARGET_INPUTS <= set(INPUTS):

    rule rank_targets:
        input:
            tumour="ingest/tumour_expression.parquet",
            normal="ingest/normal_expression.parquet",
            surfaces=[f"ingest/{name}.parquet" for name in ("surfaceome", "cspa") if name in INPUTS],
        output:
            **{name: f"targets/{name}.parquet" for name in TARGET_TABLES},
            rejects="targets/rejects.parquet",
            figures=report(
                directory("targets/figures"),
                patterns=["{name}.png"],
                caption="../docs/report/targets.rst",
                category="Targets",
            ),
        params:
            targets=config["targets"],
            code=CODE_VERSION["rank_targets.py"],
        log:
            "logs/targets.log",
        conda:
            "../envs/targets.yaml"
        script:
            "../scripts/rank_targets.py"

    RESULT_TABLES.update({name: (f"targets/{name}.parquet", key) for name, key in TARGET_TABLES.items()})
    STAGE_REJECTS.append("targets/rejects.parquet")
    REPORT_FIGURES["Targets"] = "targets/figures"
