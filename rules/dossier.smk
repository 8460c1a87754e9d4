# The vector dossier: tumour type x target x candidate x nuclide, joined from the stage results.

if TARGET_INPUTS <= set(INPUTS) and CANDIDATE_INPUTS:

    rule dossier:
        input:
            targets=rules.rank_targets.output.targets,
            candidates=rules.score_candidates.output.candidates,
            candidate_nuclides=rules.score_candidates.output.candidate_nuclides,
            pk_tia=contract("pk_tia").path if "biodistribution" in INPUTS else [],
            therapeutic_index=contract("therapeutic_index").path if "biodistribution" in INPUTS else [],
            nuclide_by_size=contract("nuclide_by_size").path if "biodistribution" in INPUTS else [],
        output:
            contract("dossier").path,
        params:
            dossier=config["dossier"],
            code=CODE_VERSION["dossier.py"],
        log:
            "logs/dossier.log",
        conda:
            "../envs/core.yaml"
        script:
            "../scripts/dossier.py"

    RESULT_TABLES.append("dossier")
