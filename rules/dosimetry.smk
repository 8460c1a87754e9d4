# Dosimetry: absorbed doses (MIRD, sphere S-values), therapeutic indices, nuclide choice by tumour size.

DOSE_TABLES = {
    "doses": ["compound", "nuclide", "organ"],
    "chain_doses": ["compound", "nuclide", "organ", "scenario", "member"],
    "therapeutic_index": ["compound", "nuclide"],
    "nuclide_by_size": ["candidate_id", "nuclide", "radius_um"],
    "sphere_s_values": ["nuclide", "radius_um"],
}

if "biodistribution" in INPUTS:

    rule compute_doses:
        input:
            pk_tia="pk/pk_tia.parquet",
            candidate_nuclides=(
                "candidates/candidate_nuclides.parquet" if CANDIDATE_INPUTS else []
            ),
        output:
            **{name: f"dosimetry/{name}.parquet" for name in DOSE_TABLES},
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

    RESULT_TABLES.update({name: (f"dosimetry/{name}.parquet", key) for name, key in DOSE_TABLES.items()})
    REPORT_FIGURES["Dosimetry"] = "dosimetry/figures"
