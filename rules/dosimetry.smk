# Dosimetry: absorbed doses (MIRD, sphere S-values), therapeutic indices, nuclide choice by tumour size, and the
# projection to the reference adult (human_doses, human_mta: patient MTA in GBq).

DOSE_TABLES = list(stage_tables("dosimetry"))

if "biodistribution" in INPUTS:

    rule compute_doses:
        input:
            pk_tia=contract("pk_tia").path,
            pk_params=contract("pk_params").path,
            candidate_nuclides=(
                contract("candidate_nuclides").path if CANDIDATE_INPUTS else []
            ),
        output:
            **table_outputs(DOSE_TABLES),
            figures=report(
                directory("dosimetry/figures"),
                patterns=["{name}.png"],
                caption="../docs/report/dosimetry.rst",
                category="Dosimetry",
            ),
        params:
            dosimetry=config["dosimetry"],
            code=CODE_VERSION["compute_doses.py"],
        log:
            "logs/dosimetry.log",
        conda:
            "../envs/pk.yaml"
        script:
            "../scripts/compute_doses.py"

    RESULT_TABLES.extend(DOSE_TABLES)
    REPORT_FIGURES["Dosimetry"] = "dosimetry/figures"
