"""Throughput of peptide scoring (built from sequence and fully scored) vs a plain baseline, in the same run.

Peptides: random unique DOTA-conjugated 6-14-mers (L/D natural residues, some Nal/Nle/NMe residues, a disulfide
in half of them, C-terminal amide in half), so no two rows share a structure (no deduplication shortcut).
Full = parse notation, build the molecule (molzip), sequence and molecule properties, protease scan, alignment to
the known ligands, then the whole candidate stage (standardisation, descriptors incl. QED/SA, recognition,
compatibility, PAINS/Brenk alerts, Tanimoto to the known ligands, desirability, Pareto rank).
Plain = the same with ``fast=False`` (monomer templates prepared afresh for every unit, chelator nitrogen
clusters from the candidate stage's all-pairs distance matrix, per-row reasons); same result as the fast path.
Peptide-side = parse + build + peptide columns (sequence/molecule properties, protease scan, alignment) alone;
the rest of "full" is the candidate stage.
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

from radiovector.peptides.stage import _known_cached, build_peptide, peptide_columns, score_peptides

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
    for s in frame["sequence"]:
        build_peptide(s, cache=False)
    t_build_plain = time.perf_counter() - t0
    known = _known_cached(None, ())[0]
    t0 = time.perf_counter()
    for s in frame["sequence"]:
        pep, mol = build_peptide(s)
        peptide_columns(pep, mol, known, ("trypsin", "chymotrypsin", "neprilysin", "dpp4", "aminopeptidase",
                                          "carboxypeptidase"))
    t_side = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = score_peptides(frame, {"nuclides": ["Lu-177"]})
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    score_peptides(frame, {"nuclides": ["Lu-177"]}, fast=False)
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    score_peptides(frame, {"nuclides": ["Lu-177"], "alerts": False, "qed_sa": False})
    t_fast = time.perf_counter() - t0
    n = len(frame)
    print(f"peptides: {n} unique, mean {sum(m.GetNumHeavyAtoms() for m in built) / n:.0f} heavy atoms; "
          f"scored {len(out['candidates'])}, rejects {len(out['rejects'])}; one process")
    print(f"build only (parse + molzip), fast:      {n / t_build:8.0f} peptides/s")
    print(f"build only, plain (no template cache):  {n / t_build_plain:8.0f} peptides/s")
    print(f"peptide side (build + peptide columns): {n / t_side:8.0f} peptides/s  ({1e3 * t_side / n:.2f} ms each)")
    print(f"built and fully scored, fast:           {n / t_full:8.0f} peptides/s  ({1e3 * t_full / n:.2f} ms each; "
          "target >= 200)")
    print(f"built and fully scored, plain:          {n / t_plain:8.0f} peptides/s  ({1e3 * t_plain / n:.2f} ms each)")
    print(f"built and scored, no alerts/QED/SA:     {n / t_fast:8.0f} peptides/s")
    print(f"baseline bare RDKit loop from SMILES:   {n / t_bare:8.0f} peptides/s  ({1e3 * t_bare / n:.2f} ms each)")
    print(f"ratio full (fast) / baseline time:      {t_full / t_bare:8.2f}")
    print(f"ratio full plain / full fast time:      {t_plain / t_full:8.2f}")
    print(f"candidate stage share of full (fast):   {1 - t_side / t_full:8.0%}")

if __name__ == "__main__":
    main()
