"""Snakemake script: read the candidates or peptides input in any format `score-candidates` reads (tables, SDF,
SMILES, FASTA; radiovector.candidates.io.read_structure_input) and validate it against its schema; write accepted
rows, rejects, summary as the ingest rule does."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

from radiovector.candidates.io import read_structure_input  # noqa: E402
from radiovector.io.tables import TableSchema, input_summary, write_ingested  # noqa: E402
from radiovector.scripting import run_script, write_json, write_parquet  # noqa: E402


def main(smk):
    name = smk.wildcards.input_name
    source = Path(smk.input[0])
    result = read_structure_input(name, source, TableSchema.load(name, Path(smk.params.schema_dir)))
    write_ingested(result.accepted, smk.output.table, name, source)
    write_parquet(result.rejects, smk.output.rejects)
    write_json(input_summary(name, source, result), smk.output.summary)


run_script(snakemake, main)  # noqa: F821
