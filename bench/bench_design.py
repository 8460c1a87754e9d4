"""A 1,000,000-conjugate design space scored end-to-end through the workflow (rules/design.smk), with the time and
the peak memory of every job.

Building blocks (written to OUT/building_blocks.csv): 1,000 targeting vectors (MoleculeACE Ki compounds from
../shared/data/bioactivity, attached at their first aromatic CH), 100 linkers (alkyl spacer x amino acid) and
10 chelators (DOTA, DOTAGA, NOTA, NODAGA, DTPA, macropa, TETA, CB-TE2A-like, HBED-like, DFO): 1000 x 100 x 10.
The workflow runs with --cores 2 (two chunk jobs at a time); each chunk job records its own peak RSS
(getrusage) and the whole run is timed by /usr/bin/time -v when present.

Usage: python bench/bench_design.py [--vectors 1000] [--linkers 100] [--chunk-size 50000] [--fast] [--out DIR]
    [--selection bounded|exhaustive|both] [--bounds blocks|conjugates|both] [--phase1-only N]
(prints figures; --fast skips alerts, QED and SA score as design.alerts/qed_sa: false). ``--selection both`` runs
the same space with bounded selection (the default) and exhaustive scoring, one after the other, prints both times
and their ratio, and checks that the two design_space tables are identical (rows, scores, order, front).
``--bounds both`` runs bounded selection twice, with phase-1 bounds from the building blocks (``design.bounds:
blocks``, the default) and from every conjugate built and standardised (``conjugates``, the previous cheap pass),
and compares them the same way. ``--phase1-only N`` times phase 1 alone both ways on the first N conjugates in
one process (no workflow) and checks that the block bounds are sound against the per-conjugate values.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from rdkit import Chem

ROOT = Path(__file__).resolve().parents[1]
CHELATORS = {
    "DOTA": "[*:2]C(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "DOTAGA": "[*:2]C(=O)CCC(C(=O)O)N1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "NOTA": "[*:2]C(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "NODAGA": "[*:2]C(=O)CCC(C(=O)O)N1CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "DTPA": "[*:2]C(=O)CN(CCN(CC(=O)O)CCN(CC(=O)O)CC(=O)O)CC(=O)O",
    "macropa": "[*:2]C(=O)c1cc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)nc(C(=O)O)c1",
    "TETA": "[*:2]C(=O)CN1CCCN(CC(=O)O)CCN(CC(=O)O)CCCN(CC(=O)O)CC1",
    "CB-TE2A": "[*:2]C(=O)CN1CCCN2CCN(CC(=O)O)CCCN(CC1)CC2",
    "HBED": "[*:2]C(=O)CCc1ccc(O)c(CN(CCN(Cc2cc(CCC(=O)O)ccc2O)CC(=O)O)CC(=O)O)c1",
    "DFO": "[*:2]C(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCN",
}
SIDE_CHAINS = ["[H]", "C", "Cc1ccccc1", "Cc1ccc2ccccc2c1", "CC(=O)O", "CCC(=O)O", "CO", "CCCCN", "Cc1ccc(O)cc1",
               "CC(C)C"]


def vectors(n: int) -> list[tuple[str, str]]:
    data = ROOT.parent / "shared" / "data" / "bioactivity"
    pool = pd.concat([pd.read_csv(p)["smiles"] for p in sorted(data.glob("moleculeace_*_Ki.csv.gz"))],
                     ignore_index=True).drop_duplicates()
    out, seen = [], set()
    for smi in pool:
        mol = Chem.MolFromSmiles(smi)
        if mol is None or "." in smi:
            continue
        atom = next((a for a in mol.GetAtoms() if a.GetIsAromatic() and a.GetSymbol() == "C" and a.GetTotalNumHs()),
                    None)
        if atom is None:
            continue
        rw = Chem.RWMol(mol)
        dummy = rw.AddAtom(Chem.Atom(0))
        rw.GetAtomWithIdx(dummy).SetAtomMapNum(1)
        rw.AddBond(atom.GetIdx(), dummy, Chem.BondType.SINGLE)
        rw.GetAtomWithIdx(atom.GetIdx()).SetNumExplicitHs(0)
        try:
            Chem.SanitizeMol(rw)
        except Exception:
            continue
        vec = Chem.MolToSmiles(rw)
        if vec not in seen:
            seen.add(vec)
            out.append((f"v{len(out):04d}", vec))
        if len(out) == n:
            break
    return out


def linkers(n: int) -> list[tuple[str, str]]:
    out = []
    for length in range(1, 1 + -(-n // len(SIDE_CHAINS))):
        for k, side in enumerate(SIDE_CHAINS):
            side_part = "" if side == "[H]" else f"({side})"
            out.append((f"L{length}{chr(97 + k)}", f"[*:1]C(=O){'C' * length}NC(=O)C{side_part}N[*:2]"))
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", type=int, default=1000)
    parser.add_argument("--linkers", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=50000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--fast", action="store_true", help="design.alerts and design.qed_sa false")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench_design")
    parser.add_argument("--selection", choices=["bounded", "exhaustive", "both"], default="bounded")
    parser.add_argument("--bounds", choices=["blocks", "conjugates", "both"], default="blocks")
    parser.add_argument("--phase1-only", type=int, default=0, metavar="N",
                        help="time phase 1 alone on the first N conjugates, both ways, in this process")
    args = parser.parse_args()

    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    rows = [(i, "vector", s) for i, s in vectors(args.vectors)]
    rows += [(i, "linker", s) for i, s in linkers(args.linkers)]
    rows += [(i, "chelator", s) for i, s in CHELATORS.items()]
    blocks = pd.DataFrame(rows, columns=["id", "role", "smiles"])
    blocks.to_csv(args.out / "building_blocks.csv", index=False)
    n_space = (blocks.role == "vector").sum() * (blocks.role == "linker").sum() * (blocks.role == "chelator").sum()
    if args.phase1_only:
        phase1(args, blocks)
        return
    selections = ["bounded", "exhaustive"] if args.selection == "both" else [args.selection]
    bounds = ["blocks", "conjugates"] if args.bounds == "both" else [args.bounds]
    runs = [f"bounded-{b}" for b in bounds if "bounded" in selections] + (["exhaustive"] if "exhaustive" in
                                                                             selections else [])
    print(f"design space: {n_space} conjugates in chunks of {args.chunk_size}; "
          f"{'fast (no alerts/QED/SA)' if args.fast else 'full scoring'}; --cores {args.cores}; "
          f"load average before: {_load()}", flush=True)
    walls, tables = {}, {}
    for selection in runs:
        walls[selection], tables[selection] = run(args, selection)
    for other in runs[1:]:
        print(f"{other} / {runs[0]} wall time: {walls[other] / walls[runs[0]]:.2f}x")
        a, b = tables[runs[0]], tables[other]
        same = list(a.columns) == list(b.columns) and len(a) == len(b)
        if same:
            try:
                pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
            except AssertionError as exc:
                same = False
                print(exc)
        print(f"design_space of {runs[0]} and {other} identical (rows, scores, order, front): {same}")


def phase1(args, blocks: pd.DataFrame) -> None:
    """Phase 1 alone, in one process: bounds from the building blocks against the per-conjugate cheap pass on the
    same conjugates (same load), with the check that every block bound is at least the exact one and the values
    agree."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "src"))
    from radiovector.candidates.bounds import cheap_pass
    from radiovector.candidates.design import resolve_params
    from radiovector.candidates.enumerate import load_blocks

    space = load_blocks(blocks)
    n = min(args.phase1_only, len(space))
    cfg = resolve_params({"building_blocks": "x.csv", "nuclides": ["Lu-177", "Ac-225"], "top_n": 1000,
                          "alerts": not args.fast, "qed_sa": not args.fast})
    times, frames = {}, {}
    for method in ("blocks", "conjugates"):
        t0 = time.perf_counter()
        frames[method] = cheap_pass(space, 0, n, cfg, method=method)[0]
        times[method] = time.perf_counter() - t0
        print(f"phase 1 ({method}): {n} conjugates in {times[method]:.1f} s ({n / times[method]:.0f}/s, one core); "
              f"load average after: {_load()}", flush=True)
    a, b = frames["blocks"], frames["conjugates"]
    sound = bool((a["bound"].to_numpy() >= b["bound"].to_numpy() * (1 - 1e-12)).all())
    same = all(np.allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True)
               for c in ("mw", "clogp", "net_charge_ph74", "n_targeting_motifs", "compatibility_desirability"))
    print(f"conjugates / blocks phase-1 time: {times['conjugates'] / times['blocks']:.1f}x; "
          f"{int((~a['per_conjugate']).sum())} of {n} bounded from blocks; every block bound >= the exact bound: "
          f"{sound}; values equal: {same}")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(args, name: str) -> tuple[float, pd.DataFrame]:
    selection, _, bounds = name.partition("-")
    out = args.out / name
    out.mkdir()
    shutil.copy(args.out / "building_blocks.csv", out / "building_blocks.csv")
    config = {
        "title": "design-space benchmark",
        "inputs": {"candidates": str(ROOT / "resources" / "example" / "candidates.csv")},
        "design": {"building_blocks": "building_blocks.csv", "chunk_size": args.chunk_size,
                   "nuclides": ["Lu-177", "Ac-225"], "top_n": 1000, "alerts": not args.fast,
                   "qed_sa": not args.fast, "selection": selection, **({"bounds": bounds} if bounds else {})},
    }
    (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    work = out / "work"
    work.mkdir()
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"), "--configfile",
           str(out / "config.yaml"), "--cores", str(args.cores), "design/design_space.parquet", "--quiet"]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    t0 = time.perf_counter()
    proc = subprocess.run(timer + cmd, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"workflow failed ({proc.returncode})")
    selection = name
    summary = json.loads((work / "design" / "summary.json").read_text())
    chunks = [json.loads(p.read_text()) for p in sorted((work / "design" / "chunks").glob("*.json"))]
    peak_total = next((line.split(":")[-1].strip() for line in proc.stderr.splitlines()
                       if "Maximum resident set size" in line), "n/a")
    print(f"[{selection}] workflow wall time: {wall:.0f} s ({summary['conjugates'] / wall:.0f} conjugates/s on "
          f"{args.cores} cores); load average after: {_load()}")
    print(f"[{selection}] chunks: {len(chunks)}; per-chunk time {min(c['seconds'] for c in chunks):.0f}-"
          f"{max(c['seconds'] for c in chunks):.0f} s; peak RSS per chunk job "
          f"{min(c['peak_rss_mb'] for c in chunks):.0f}-{max(c['peak_rss_mb'] for c in chunks):.0f} MB; gather "
          f"{summary.get('gather_seconds')} s, {summary.get('gather_peak_rss_mb')} MB")
    print(f"[{selection}] largest single process under /usr/bin/time (snakemake or a job): {peak_total} kB")
    print(f"[{selection}] conjugates {summary['conjugates']}, rejects {summary['rejects']}, design_space rows "
          f"{summary['rows_in_table']} (top {summary['top_n']} + Pareto front {summary['pareto_front']})")
    if selection.startswith("bounded"):
        per = sum(c.get("bounded_per_conjugate", 0) for c in chunks)
        print(f"[{selection}] phase 1: {summary['conjugates'] - per} conjugates bounded from building blocks, {per} "
              f"built one by one; phase-1 chunk jobs {sum(c['seconds'] for c in chunks):.0f} s in all")
        print(f"[{selection}] fully scored {summary['fully_scored_conjugates']} conjugates "
              f"({summary['fully_scored_rows']} rows, {summary['inchikeys_computed']} InChIKeys), "
              f"not fully scored {summary['not_fully_scored']}; N-th best score {summary['nth_best_score']}, "
              f"largest unscored bound {summary['largest_unscored_bound']}")
    return wall, pd.read_parquet(work / "design" / "design_space.parquet")


if __name__ == "__main__":
    main()
