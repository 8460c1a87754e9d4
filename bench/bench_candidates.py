"""Throughput of full candidate scoring vs a bare RDKit loop computing the same descriptors, in the same run.

Full scoring = parse, standardise (metal disconnection, normalisation, parent fragment, uncharging, InChIKey),
descriptors (incl. QED, SA score, pH 7.4 charge), motif recognition, chelator compatibility, PAINS/Brenk alerts,
max Tanimoto to 1,000 references, affinity-model prediction with applicability domain, desirability, Pareto rank.
Bare loop = Chem.MolFromSmiles + MW, Crippen logP, TPSA, HBD, HBA, rotatable bonds, heavy atoms, aromatic rings,
Fsp3, formal charge, QED (rdkit.Chem.QED), SA score (RDKit Contrib sascorer).

Usage: python bench/bench_candidates.py [--n 2000] [--data DIR] [--jobs N]   (prints figures, asserts nothing)
The bare loop runs on one core; full scoring uses --jobs worker processes (default 1; ``--jobs 0``: the cores
available to the process, what ``radiovector score-candidates`` uses by default).

``--cli``: issue 16's target instead. Every distinct MoleculeACE structure (up to ``--n``) written to a CSV and
scored by ``radiovector score-candidates FILE -o DIR`` with default options, timed end to end as a user runs it
(process start, imports, reading, scoring on the default cores, writing tables and figures), against the one-core
bare loop parse + seven descriptors + QED + Morgan fingerprint over the same SMILES in this process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, RDConfig, rdMolDescriptors

from radiovector.candidates.affinity import AffinityModel, featurise, make_estimator
from radiovector.candidates.stage import score_candidates
from radiovector.candidates.standardise import standardise_smiles


def rdkit_sascorer():
    """RDKit Contrib's sascorer module, imported the way its README says (the plain baseline)."""
    path = os.path.join(RDConfig.RDContribDir, "SA_Score")
    if path not in sys.path:
        sys.path.append(path)
    import sascorer

    return sascorer


def bare_loop(smiles: list[str]) -> int:
    sa_score = rdkit_sascorer().calculateScore
    done = 0
    for smi in smiles:
        mol = Chem.MolFromSmiles(smi)
        if mol is None:
            continue
        (Descriptors.MolWt(mol), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol), Lipinski.NumHDonors(mol),
         Lipinski.NumHAcceptors(mol), rdMolDescriptors.CalcNumRotatableBonds(mol), mol.GetNumHeavyAtoms(),
         rdMolDescriptors.CalcNumAromaticRings(mol), rdMolDescriptors.CalcFractionCSP3(mol),
         Chem.GetFormalCharge(mol), QED.qed(mol), sa_score(mol))
        done += 1
    return done


def bare_loop_morgan(smiles: list[str]) -> int:
    """The second baseline (issue 16): parse, seven descriptors, QED and a Morgan fingerprint (radius 2, 2048)."""
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    done = 0
    for smi in smiles:
        mol = Chem.MolFromSmiles(smi)
        if mol is None:
            continue
        (Descriptors.MolWt(mol), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol), Lipinski.NumHDonors(mol),
         Lipinski.NumHAcceptors(mol), rdMolDescriptors.CalcNumRotatableBonds(mol),
         rdMolDescriptors.CalcNumAromaticRings(mol), QED.qed(mol), gen.GetFingerprint(mol))
        done += 1
    return done


def distinct_structures(data: Path) -> pd.Series:
    """Every distinct MoleculeACE SMILES in ``data`` (8,453 in ../shared), in file order."""
    return pd.concat([pd.read_csv(p)["smiles"] for p in sorted(data.glob("moleculeace_*_Ki.csv.gz"))],
                     ignore_index=True).drop_duplicates().reset_index(drop=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cli_throughput(data: Path, n: int, repeat: int = 3) -> None:
    """``radiovector score-candidates`` with default options on up to ``n`` distinct drug-like structures, end to
    end, against the one-core bare loop with a Morgan fingerprint over the same SMILES (issue 16). The two are
    run alternately ``repeat`` times (this shared machine's speed drifts by ~20 % from minute to minute) and the
    median of the same-round ratios is the figure."""
    from radiovector.cpus import resolve_jobs

    smiles = list(distinct_structures(data).iloc[:n])
    bare_loop_morgan(smiles[:20])  # warm-up
    exe = Path(sys.executable).with_name("radiovector")
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "structures.csv"
        pd.DataFrame({"id": [f"m{i}" for i in range(len(smiles))], "smiles": smiles}).to_csv(path, index=False)
        for k in range(repeat):
            t0 = time.perf_counter()
            n_bare = bare_loop_morgan(smiles)
            bare = n_bare / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([str(exe), "score-candidates", str(path), "-o", str(Path(tmp) / f"scored{k}")],
                           check=True, capture_output=True)
            ours = len(smiles) / (time.perf_counter() - t0)
            rounds.append((bare, ours, ours / bare))
            print(f"round {k + 1}: bare loop {bare:6.1f} molecules/s, score-candidates {ours:6.1f} molecules/s "
                  f"({len(smiles) / ours:.1f} s), ratio {ours / bare:.2f}", flush=True)
        scored = pd.read_parquet(Path(tmp) / "scored0" / "candidates.parquet")
    load = load_average()
    bare, ours, ratio = (float(np.median([r[i] for r in rounds])) for i in range(3))
    print(f"structures: {len(smiles)} distinct MoleculeACE SMILES ({len(scored)} scored rows); default cores: "
          f"{resolve_jobs(None)}; load average after: {load}")
    print(f"bare loop parse + 7 descriptors + QED + Morgan (1 core), median: {bare:8.1f} molecules/s")
    print(f"radiovector score-candidates, default options, end to end, median: {ours:8.1f} molecules/s")
    print(f"ratio score-candidates / bare loop, median of {repeat} rounds: {ratio:.2f}")


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="candidates to score")
    parser.add_argument("--data", type=Path, default=root.parent / "shared" / "data" / "bioactivity")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for full scoring (0: all cores)")
    parser.add_argument("--cli", action="store_true", help="time `radiovector score-candidates` with default options")
    parser.add_argument("--repeat", type=int, default=3, help="--cli: alternating rounds (median reported)")
    args = parser.parse_args()
    if args.cli:
        cli_throughput(args.data, args.n, args.repeat)
        return
    from radiovector.cpus import resolve_jobs

    jobs = resolve_jobs(args.jobs or None)

    pool = distinct_structures(args.data)
    radioligands = pd.read_csv(root / "resources" / "example" / "candidates.csv")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pool))
    refs = pd.DataFrame({"id": [f"ref{i}" for i in range(1000)], "smiles": pool.iloc[order[:1000]].to_numpy()})
    cand_smiles = list(pool.iloc[order[1000 : 1000 + args.n - len(radioligands)]]) + list(radioligands["smiles"])
    cands = pd.DataFrame({"id": [f"c{i}" for i in range(len(cand_smiles))], "smiles": cand_smiles})

    train = pd.read_csv(root / "resources" / "example" / "affinity_CHEMBL2147.csv")
    mols = [standardise_smiles(s).mol for s in train["smiles"]]
    x, bits = featurise(mols)
    model = AffinityModel(make_estimator(0, 1).fit(x, train["pki"].to_numpy()), bits, "pki")

    # warm-up (catalogue construction, SA fragment table) outside the timed region for both paths
    score_candidates(cands.iloc[:20], {"nuclides": ["Lu-177", "Ga-68"]}, references=refs, model=model)
    bare_loop(cand_smiles[:20])

    t0 = time.perf_counter()
    n_bare = bare_loop(cand_smiles)
    t_bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_bare16 = bare_loop_morgan(cand_smiles)
    t_bare16 = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = score_candidates(cands, {"nuclides": ["Lu-177", "Ga-68"]}, references=refs, model=model, jobs=jobs)
    t_full = time.perf_counter() - t0
    n_full = len(cands)
    full_rate, bare_rate = n_full / t_full, n_bare / t_bare
    print(f"candidates: {n_full} ({len(res['candidates'])} unique, {len(res['rejects'])} rejects); "
          f"references: {len(refs)}; model: random forest on {len(train)} compounds")
    load = load_average()
    print(f"bare RDKit descriptor loop (1 core):  {bare_rate:8.1f} molecules/s ({t_bare:.2f} s)")
    print(f"full candidate scoring ({jobs} job(s)): {full_rate:8.1f} molecules/s ({t_full:.2f} s); load average {load}")
    print(f"ratio full/bare: {full_rate / bare_rate:.2f}")
    bare16 = n_bare16 / t_bare16
    print(f"bare loop parse + 7 descriptors + QED + Morgan (1 core): {bare16:8.1f} molecules/s; "
          f"ratio full/that: {full_rate / bare16:.2f}")


if __name__ == "__main__":
    main()
