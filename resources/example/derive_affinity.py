"""Derive the example affinity sets from the MoleculeACE benchmark copies in ../shared/data/bioactivity.

MoleculeACE stores y = -log10(Ki in nM), so pKi = -log10(Ki in M) = 9 + y
(e.g. Ki = 11 nM: y = -1.04, pKi = 7.96). Usage: python derive_affinity.py [DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SETS = ("CHEMBL4203", "CHEMBL2147")  # the two smallest MoleculeACE Ki sets: small enough to ship


def derive(data_dir: Path, out_dir: Path) -> None:
    for chembl in SETS:
        src = pd.read_csv(data_dir / f"moleculeace_{chembl}_Ki.csv.gz")
        pki = 9.0 + src["y"]
        # cross-check the unit convention against the nM column MoleculeACE also ships
        assert np.allclose(pki, 9.0 - np.log10(src["exp_mean [nM]"]), atol=1e-6)
        out = pd.DataFrame({"smiles": src["smiles"], "pki": pki.round(4), "split": src["split"],
                            "cliff_mol": src["cliff_mol"]})
        out.to_csv(out_dir / f"affinity_{chembl}.csv", index=False)
        print(f"affinity_{chembl}.csv: {len(out)} rows, pKi {out.pki.min():.2f}-{out.pki.max():.2f}")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[2] / "shared" / "data" / "bioactivity"
    derive(data, here)
