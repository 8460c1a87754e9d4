# Candidate scoring: small molecules (SMILES/SDF) and peptides (sequences) in one ranking: standardisation,
# descriptors, chelator/motif recognition, nuclide compatibility, alerts, peptide stability.

CANDIDATE_INPUTS = [name for name in ("candidates", "peptides") if name in INPUTS]
# cleavage_sites exists only when peptides are scored
CANDIDATE_TABLES = [name for name in stage_tables("candidates") if name != "cleavage_sites" or "peptides" in INPUTS]

if CANDIDATE_INPUTS:

    rule score_candidates:
        input:
            **{name: f"ingest/{name}.parquet" for name in CANDIDATE_INPUTS},
        output:
            **table_outputs(CANDIDATE_TABLES),
            rejects="candidates/rejects.parquet",
            figures=report(
                directory("candidates/figures"),
                patterns=["{name}.png"],
                caption="../docs/report/candidates.rst",
                category="Candidates",
            ),
        params:
            candidates=config["candidates"],
            sources={name: INPUT_PATHS[name] for name in CANDIDATE_INPUTS},
            code=CODE_VERSION["score_candidates.py"],
        threads: 2  # worker processes for large inputs (from 500 rows per worker; same result as one)
        log:
            "logs/candidates.log",
        conda:
            "../envs/candidates.yaml"
        script:
            "../scripts/score_candidates.py"

    RESULT_TABLES.extend(CANDIDATE_TABLES)
    STAGE_REJECTS.append("candidates/rejects.parquet")
    REPORT_FIGURES["Candidates"] = "candidates/figures"
