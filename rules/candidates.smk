# Candidate scoring: standardise structures, descriptors, chelator/motif recognition, nuclide compatibility.

CANDIDATE_TABLES = {
    "candidates": ["candidate_id"],
    "candidate_nuclides": ["candidate_id", "nuclide"],
}

if "candidates" in INPUTS:

    rule score_candidates:
        input:
            "ingest/candidates.parquet",
        output:
            **{name: f"candidates/{name}.parquet" for name in CANDIDATE_TABLES},
            rejects="candidates/rejects.parquet",
            figures=report(
                directory("candidates/figures"),
                patterns=["{name}.png"],
                caption="../docs/report/candidates.rst",
                category="Candidates",
            ),
        params:
            candidates=config["candidates"],
            source=INPUT_PATHS.get("candidates", ""),
        log:
            "logs/candidates.log",
        conda:
            "../envs/candidates.yaml"
        script:
            "../scripts/score_candidates.py"

    RESULT_TABLES.update({name: (f"candidates/{name}.parquet", key) for name, key in CANDIDATE_TABLES.items()})
    STAGE_REJECTS.append("candidates/rejects.parquet")
    REPORT_FIGURES["Candidates"] = "candidates/figures"
