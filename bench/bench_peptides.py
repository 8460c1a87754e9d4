"""Throughput of peptide scoring (built from sequence and fully scored) vs a plain baseline, in the same run.

Peptides: random unique DOTA-conjugated 6-14-mers (L/D natural residues, some Nal/Nle/NMe residues, a disulfide
in half of them, C-terminal amide in half), so no two rows share a structure (no deduplication shortcut).
Full = parse notation, build the molecule (molzip), sequence and molecule properties, protease scan, alignment to
the known ligands, then the whole candidate stage (standardisation, descriptors incl. QED/SA, recognition,
compatibility, PAINS/Brenk alerts, Tanimoto to the known ligands, desirability, Pareto rank).
Baseline = the same molecules from SMILES (Chem.MolFromSmiles) + the bare RDKit descriptor loop of
bench_candidates.py (MW, logP, TPSA, HBD/HBA, rotatable bonds, rings, Fsp3, QED, SA).
Issue 5 target: at least 200 peptides/s per core, built and fully scored.

Usage: python bench/bench_peptides.py [--n 1000]   (single core; prints figures, asserts nothing)
"""

from __future__ import annotations

import argparse
import random
import time

import pandas as pd
from rdkit import Chem

from radiovector.peptides.stage import build_peptide, score_peptides

LETTERS = "ADEFGHIKLNQRSTVWY"


def random_peptides(n: int, seed: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    seen, rows = set(), []
    while len(rows) < n:
        length = rng.randint(6, 14)
        units = []
        for _ in range(length):
            r = rng.random()
            if r < 0.08:
                units.append(rng.choice(["[Nal]", "[Nle]", "[NMe-Phe]", "[Cha]"]))
            else:
                aa = rng.choice(LETTERS)
                units.append(aa.lower() if aa != "G" and rng.random() < 0.15 else aa)
        if rng.random() < 0.5 and length >= 5:
            i, j = sorted(rng.sample(range(length), 2))
            if j - i >= 2:
                units[i], units[j] = "C&1", "C&1"
        seq = "[DOTA]-" + "-".join(units) + ("-[NH2]" if rng.random() < 0.5 else "")
        if seq not in seen:
            seen.add(seq)
            rows.append({"id": f"p{len(rows)}", "sequence": seq, "nuclide": "Lu-177"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    frame = random_peptides(args.n)
    score_peptides(frame.head(5), {"nuclides": ["Lu-177"]})  # warm caches (library, known ligands, SA tables)
    smiles = [Chem.MolToSmiles(build_peptide(s)[1]) for s in frame["sequence"]]

    from bench_candidates import bare_loop  # same directory

    t0 = time.perf_counter()
    bare_loop(smiles)
    t_bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    built = [build_peptide(s)[1] for s in frame["sequence"]]
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = score_peptides(frame, {"nuclides": ["Lu-177"]})
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    score_peptides(frame, {"nuclides": ["Lu-177"], "alerts": False, "qed_sa": False})
    t_fast = time.perf_counter() - t0
    n = len(frame)
    print(f"peptides: {n} unique, mean {sum(m.GetNumHeavyAtoms() for m in built) / n:.0f} heavy atoms; "
          f"scored {len(out['candidates'])}, rejects {len(out['rejects'])}")
    print(f"build only (parse + molzip):            {n / t_build:8.0f} peptides/s")
    print(f"built and fully scored:                 {n / t_full:8.0f} peptides/s  (target >= 200)")
    print(f"built and scored, no alerts/QED/SA:     {n / t_fast:8.0f} peptides/s")
    print(f"baseline bare RDKit loop from SMILES:   {n / t_bare:8.0f} peptides/s")
    print(f"ratio full / baseline time:             {t_full / t_bare:8.2f}")


if __name__ == "__main__":
    main()
