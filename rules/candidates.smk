# Candidate scoring: small molecules (SMILES/SDF) and peptides (sequences) in one ranking: standardisation,
# descriptors, chelator/motif recognition, nuclide compatibility, alerts, peptide stability.

CANDIDATE_INPUTS = [name for name in ("candidates", "peptides") if name in INPUTS]
CANDIDATE_TABLES = {
    "candidates": ["candidate_id"],
    "candidate_nuclides": ["candidate_id", "nuclide"],
}
if "peptides" in INPUTS:
    CANDIDATE_TABLES["cleavage_sites"] = ["candidate_id", "protease", "bond"]

if CANDIDATE_INPUTS:

    rule score_candidates:
        input:
            **{name: f"ingest/{name}.parquet" for name in CANDIDATE_INPUTS},
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
            sources={name: INPUT_PATHS[name] for name in CANDIDATE_INPUTS},
            code=CODE_VERSION["score_candidates.py"],
        threads: 2  # worker processes for large inputs (from 2,000 rows per worker; same result as one)
        log:
            "logs/candidates.log",
        conda:
            "../envs/candidates.yaml"
        script:
            "../scripts/score_candidates.py"

    RESULT_TABLES.update({name: (f"candidates/{name}.parquet", key) for name, key in CANDIDATE_TABLES.items()})
    STAGE_REJECTS.append("candidates/rejects.parquet")
    REPORT_FIGURES["Candidates"] = "candidates/figures"
