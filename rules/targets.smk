# Omics target ranking: tumour expression x normal organ panel x surface evidence, per tumour type.

TARGET_TABLES = list(stage_tables("targets"))
TARGET_INPUTS = {"tumour_expression", "normal_expression", "surfaceome"}

if TARGET_INPUTS <= set(INPUTS):

    rule rank_targets:
        input:
            tumour="ingest/tumour_expression.parquet",
            normal="ingest/normal_expression.parquet",
            surfaces=[f"ingest/{name}.parquet" for name in ("surfaceome", "cspa") if name in INPUTS],
        output:
            **table_outputs(TARGET_TABLES),
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

    RESULT_TABLES.extend(TARGET_TABLES)
    STAGE_REJECTS.append("targets/rejects.parquet")
    REPORT_FIGURES["Targets"] = "targets/figures"
