"""Snakemake script: list everything a run commits (inputs, rejects, result tables) in manifest.json.

The inputs' row counts include the rejects of every stage (radiovector.io.tables.account_inputs), so that
rows_in = rows_accepted + rows_rejected holds for the rows that reached the results, not only for ingestion.
Keys, columns and descriptions of the tables are not repeated here: they are in radiovector.contracts.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.contracts import read_table  # noqa: E402
from radiovector.io.tables import account_inputs, rejects_frame  # noqa: E402
from radiovector.scripting import run_script, write_json  # noqa: E402


def main(smk):
    inputs = {}
    for path in smk.input.summaries:
        summary = json.loads(Path(path).read_text())
        inputs[summary["input"]] = summary
    rejects = [read_table("rejects", p) for p in smk.input.rejects]
    rejects = pd.concat([r for r in rejects if len(r)] or [rejects_frame()], ignore_index=True)
    write_json(
        {
            "inputs": account_inputs(inputs, rejects),
            "rejects": [str(Path(p).resolve()) for p in smk.input.rejects],
            "tables": {name: {"path": str(Path(path).resolve())} for name, path in sorted(smk.params.tables.items())},
        },
        smk.output[0],
    )


run_script(snakemake, main)  # noqa: F821
