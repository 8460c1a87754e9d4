"""Snakemake script: score small-molecule and peptide candidates into one ranking, and draw the figures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.candidates.combine import combine_candidate_results  # noqa: E402
from radiovector.candidates.plots import write_figures  # noqa: E402
from radiovector.scripting import run_script, write_outputs  # noqa: E402


def _accepted(smk, name):
    frame = pd.read_parquet(smk.input[name])
    frame["source"] = smk.params.sources[name]
    return frame


def main(smk):
    params = dict(smk.params.candidates)
    results = []
    if hasattr(smk.input, "candidates"):  # named inputs are attributes of the Namedlist
        from radiovector.candidates.stage import score_candidates

        results.append(score_candidates(_accepted(smk, "candidates"), params, jobs=smk.threads))
    if hasattr(smk.input, "peptides"):
        from radiovector.peptides.stage import score_peptides

        results.append(score_peptides(_accepted(smk, "peptides"), params, jobs=smk.threads))
    tables = combine_candidate_results(*results, pareto_max_rows=int(params["pareto_max_rows"]))
    write_outputs(smk, tables)
    write_figures(tables["candidates"], Path(smk.output.figures), jobs=smk.threads)


run_script(snakemake, main)  # noqa: F821
