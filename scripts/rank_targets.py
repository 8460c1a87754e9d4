"""Snakemake script: rank targets per tumour type (radiovector.targets) and draw the report figures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

from radiovector.scripting import run_script, write_outputs  # noqa: E402
from radiovector.targets.pipeline import rank_targets_from_files  # noqa: E402
from radiovector.targets.plots import plot_all  # noqa: E402


def main(smk):
    params = dict(smk.params.targets)
    result = rank_targets_from_files(smk.input.tumour, smk.input.normal, list(smk.input.surfaces), params)
    write_outputs(smk, result)
    plot_all(result, smk.output.figures, top_n=int(params.get("top_n", 25)))


run_script(snakemake, main)  # noqa: F821
