"""Snakemake script: fit the biodistribution curves (radiovector.pk) and draw them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.pk.plots import plot_fits  # noqa: E402
from radiovector.pk.stage import fit_biodistribution  # noqa: E402
from radiovector.scripting import run_script, write_outputs  # noqa: E402


def main(smk):
    accepted = pd.read_parquet(smk.input[0])
    params = {**smk.params.pk, "source": smk.params.source, "n_jobs": smk.threads}
    tables = fit_biodistribution(accepted, params)
    write_outputs(smk, tables)
    plot_fits(tables, smk.output.figures)


run_script(snakemake, main)  # noqa: F821
