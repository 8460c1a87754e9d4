# Ingestion: every configured input table is checked against its row schema (config/schemas/tables/).
# Accepted rows go on to the stages; rejected rows, with row number, column and reason, to the rejects table.


rule ingest:
    input:
        lambda wildcards: INPUT_PATHS[wildcards.input_name],
    output:
        table="ingest/{input_name}.parquet",
        rejects="ingest/{input_name}.rejects.parquet",
        summary="ingest/{input_name}.json",
    params:
        schema_dir=str(SCHEMA_DIR),
        code=CODE_VERSION["ingest.py"],
    wildcard_constraints:
        input_name="|".join(INPUTS),
    log:
        "logs/ingest/{input_name}.log",
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/ingest.py"
