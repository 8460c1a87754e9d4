# The vector dossier: tumour type x target x candidate x nuclide, joined from the stage results.

if TARGET_INPUTS <= set(INPUTS) and CANDIDATE_INPUTS:

    rule dossier:
        input:
            targets=rules.rank_targets.output.targets,
            candidates=rules.score_candidates.output.candidates,
            candidate_nuclides=rules.score_candidates.output.candidate_nuclides,
            pk_tia="pk/pk_tia.parquet" if "biodistribution" in INPUTS else [],
            therapeutic_index="dosimetry/therapeutic_index.parquet" if "biodistribution" in INPUTS else [],
            nuclide_by_size="dosimetry/nuclide_by_size.parquet" if "biodistribution" in INPUTS else [],
        output:
            "dossier/dossier.parquet",
        params:
            dossier=config["dossier"],
            code=CODE_VERSION["dossier.py"],
        log:
            "logs/dossier.log",
        conda:
            "../envs/core.yaml"
        script:
            "../scripts/dossier.py"

    RESULT_TABLES["dossier"] = ("dossier/dossier.parquet", ["tumour_type", "target", "candidate_id", "nuclide"])
