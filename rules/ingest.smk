# Ingestion: every configured input table is checked against its row schema (config/schemas/tables/).
# Accepted rows go on to the stages; rejected rows, with row number, column and reason, to the rejects table.
# The candidates and peptides inputs are read by the same readers as `radiovector score-candidates` (tables, SDF,
# SMILES, FASTA), in the candidates environment; every other input is a CSV/TSV/Parquet table. The row schema is
# an input, so that an edited schema reruns the ingestion.

STRUCTURE_INPUTS = [name for name in ("candidates", "peptides") if name in INPUTS]
TABLE_INPUTS = [name for name in INPUTS if name not in STRUCTURE_INPUTS]


if TABLE_INPUTS:

    rule ingest:
        input:
            lambda wildcards: INPUT_PATHS[wildcards.input_name],
            schema=lambda wildcards: SCHEMA_DIR / "tables" / f"{wildcards.input_name}.schema.yaml",
        output:
            table="ingest/{input_name}.parquet",
            rejects="ingest/{input_name}.rejects.parquet",
            summary="ingest/{input_name}.json",
        params:
            schema_dir=str(SCHEMA_DIR),
            code=CODE_VERSION["ingest.py"],
        wildcard_constraints:
            input_name="|".join(TABLE_INPUTS),
        log:
            "logs/ingest/{input_name}.log",
        conda:
            "../envs/core.yaml"
        script:
            "../scripts/ingest.py"


if STRUCTURE_INPUTS:

    rule ingest_structures:
        input:
            lambda wildcards: INPUT_PATHS[wildcards.input_name],
            schema=lambda wildcards: SCHEMA_DIR / "tables" / f"{wildcards.input_name}.schema.yaml",
        output:
            table="ingest/{input_name}.parquet",
            rejects="ingest/{input_name}.rejects.parquet",
            summary="ingest/{input_name}.json",
        params:
            schema_dir=str(SCHEMA_DIR),
            code=CODE_VERSION["ingest_structures.py"],
        wildcard_constraints:
            input_name="|".join(STRUCTURE_INPUTS),
        log:
            "logs/ingest/{input_name}.log",
        conda:
            "../envs/candidates.yaml"
        script:
            "../scripts/ingest_structures.py"
