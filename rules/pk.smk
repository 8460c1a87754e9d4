# Pharmacokinetics: fit time-activity curves per compound x organ, integrate to time-integrated activity.

PK_TABLES = {
    "pk_fits": ["compound", "radionuclide", "organ", "model"],
    "pk_params": ["compound", "radionuclide", "organ", "model", "param"],
    "pk_tia": ["compound", "radionuclide", "organ", "nuclide"],
    "pk_curves": ["compound", "radionuclide", "organ", "model", "time_h"],
    "pk_points": ["compound", "radionuclide", "organ", "time_h"],
    "pk_sum_check": ["compound", "radionuclide", "time_h"],
}

if "biodistribution" in config["inputs"]:

    rule fit_pk:
        input:
            "ingest/biodistribution.parquet",
        output:
            **{name: f"pk/{name}.parquet" for name in PK_TABLES},
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

    RESULT_TABLES.update({name: (f"pk/{name}.parquet", key) for name, key in PK_TABLES.items()})
    STAGE_REJECTS.append("pk/rejects.parquet")
    REPORT_FIGURES["Pharmacokinetics"] = "pk/figures"
