"""Snakemake script: score candidate structures (radiovector.candidates) and draw the report figures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.candidates.plots import write_figures  # noqa: E402
from radiovector.candidates.stage import score_candidates  # noqa: E402
from radiovector.scripting import run_script, write_parquet  # noqa: E402


def main(smk):
    accepted = pd.read_parquet(smk.input[0])
    accepted["source"] = smk.params.source
    tables = score_candidates(accepted, dict(smk.params.candidates))
    for name, table in tables.items():
        write_parquet(table, smk.output[name])
    write_figures(tables["candidates"], Path(smk.output.figures))


run_script(snakemake, main)  # noqa: F821
