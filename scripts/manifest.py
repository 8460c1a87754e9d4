"""Snakemake script: list everything a run commits (inputs, rejects, result tables) in manifest.json.

Keys, columns and descriptions of the tables are not repeated here: they are in radiovector.contracts.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

from radiovector.scripting import run_script, write_json  # noqa: E402


def main(smk):
    inputs = {}
    for path in smk.input.summaries:
        summary = json.loads(Path(path).read_text())
        inputs[summary["input"]] = summary
    write_json(
        {
            "inputs": inputs,
            "rejects": [str(Path(p).resolve()) for p in smk.input.rejects],
            "tables": {name: {"path": str(Path(path).resolve())} for name, path in sorted(smk.params.tables.items())},
        },
        smk.output[0],
    )


run_script(snakemake, main)  # noqa: F821
