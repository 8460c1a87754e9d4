# Pharmacokinetics: fit time-activity curves per compound x organ, integrate to time-integrated activity.

PK_TABLES = list(stage_tables("pk"))

if "biodistribution" in config["inputs"]:

    rule fit_pk:
        input:
            "ingest/biodistribution.parquet",
        output:
            **table_outputs(PK_TABLES),
            rejects="pk/rejects.parquet",
            figures=report(
                directory("pk/figures"),
                patterns=["{name}.png"],
                caption="../docs/report/pk.rst",
                category="Pharmacokinetics",
            ),
        params:
            pk=config["pk"],
            source=INPUT_PATHS.get("biodistribution", ""),
            code=CODE_VERSION["fit_pk.py"],
        threads: 2
        log:
            "logs/pk.log",
        conda:
            "../envs/pk.yaml"
        script:
            "../scripts/fit_pk.py"

    RESULT_TABLES.extend(PK_TABLES)
    STAGE_REJECTS.append("pk/rejects.parquet")
    REPORT_FIGURES["Pharmacokinetics"] = "pk/figures"
