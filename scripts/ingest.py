"""Snakemake script: validate one input table against its schema; write accepted rows, rejects, summary."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

from radiovector.contracts import write_table  # noqa: E402
from radiovector.io.tables import TableSchema, read_raw_table, sha256_file, validate_table  # noqa: E402
from radiovector.scripting import run_script, write_json, write_parquet  # noqa: E402


def main(smk):
    name = smk.wildcards.input_name
    source = Path(smk.input[0])
    schema = TableSchema.load(name, Path(smk.params.schema_dir))
    result = validate_table(read_raw_table(source), schema, name, str(source), with_row_number=True)
    write_parquet(result.accepted, smk.output.table)
    write_table("rejects", result.rejects, smk.output.rejects)
    write_json(
        {
            "input": name,
            "path": str(source),
            "sha256": sha256_file(source),
            "size_bytes": source.stat().st_size,
            "schema": name,
            "rows_in": result.rows_in,
            "rows_accepted": result.rows_accepted,
            "rows_rejected": result.rows_rejected,
        },
        smk.output.summary,
    )


run_script(snakemake, main)  # noqa: F821
