"""Snakemake script: validate one input table against its schema; write accepted rows, rejects, summary."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

from radiovector.contracts import write_table  # noqa: E402
from radiovector.io.tables import (  # noqa: E402
    TableSchema,
    input_summary,
    read_raw_table,
    validate_table,
    write_ingested,
)
from radiovector.scripting import run_script, write_json  # noqa: E402


def main(smk):
    name = smk.wildcards.input_name
    source = Path(smk.input[0])
    schema = TableSchema.load(name, Path(smk.params.schema_dir))
    result = validate_table(read_raw_table(source), schema, name, str(source), with_row_number=True)
    write_ingested(result.accepted, smk.output.table, name, source)
    write_table("rejects", result.rejects, smk.output.rejects)
    write_json(input_summary(name, source, result), smk.output.summary)


run_script(snakemake, main)  # noqa: F821
