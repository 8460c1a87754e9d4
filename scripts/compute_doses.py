"""Snakemake script: absorbed doses and therapeutic indices (radiovector.dosimetry), with their figures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.dosimetry.plots import plot_doses, plot_human_doses, plot_nuclide_by_size  # noqa: E402
from radiovector.dosimetry.stage import compute_doses  # noqa: E402
from radiovector.scripting import run_script, write_outputs  # noqa: E402


def main(smk):
    candidate_nuclides = pd.read_parquet(smk.input.candidate_nuclides) if smk.input.candidate_nuclides else None
    pk_params = pd.read_parquet(smk.input.pk_params) if smk.input.pk_params else None
    tables = compute_doses(pd.read_parquet(smk.input.pk_tia), dict(smk.params.dosimetry), candidate_nuclides,
                           pk_params)
    write_outputs(smk, tables)
    plot_doses(tables, smk.output.figures)
    plot_nuclide_by_size(tables["nuclide_by_size"], smk.output.figures)
    plot_human_doses(tables["human_doses"], smk.output.figures)


run_script(snakemake, main)  # noqa: F821
