"""Snakemake script: join targets, candidates and kinetics into the dossier (radiovector.dossier)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.contracts import write_table  # noqa: E402
from radiovector.dossier import build_dossier  # noqa: E402
from radiovector.scripting import run_script  # noqa: E402


def main(smk):
    def optional(name):
        path = getattr(smk.input, name)
        return pd.read_parquet(path) if path else None

    dossier = build_dossier(
        pd.read_parquet(smk.input.targets),
        pd.read_parquet(smk.input.candidates),
        pd.read_parquet(smk.input.candidate_nuclides),
        optional("pk_tia"),
        dict(smk.params.dossier),
        therapeutic_index=optional("therapeutic_index"),
        nuclide_by_size=optional("nuclide_by_size"),
    )
    write_table("dossier", dossier, smk.output[0])


run_script(snakemake, main)  # noqa: F821
