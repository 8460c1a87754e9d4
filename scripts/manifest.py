"""Snakemake script: list everything a run commits (inputs, rejects, result tables) in manifest.json."""

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
    tables = {
        name: {"path": str(Path(spec["path"]).resolve()), "key": list(spec["key"])}
        for name, spec in sorted(smk.params.tables.items())
    }
    write_json(
        {
            "inputs": inputs,
            "rejects": [str(Path(p).resolve()) for p in smk.input.rejects],
            "tables": tables,
        },
        smk.output[0],
    )


run_script(snakemake, main)  # noqa: F821
