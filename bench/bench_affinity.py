"""MoleculeACE test-split RMSE per set: the affinity model vs a kNN baseline trained in the same run.

MoleculeACE ships y = -log10(Ki/nM); pKi = 9 + y. Prints a Markdown table (copied into docs/methods/candidates.md).
Usage: python bench/bench_affinity.py [DATA_DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from radiovector.candidates.affinity import evaluate_predefined_split


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "bioactivity"
    parser.add_argument("data_dir", nargs="?", type=Path, default=default)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print("| set | n train | n test | model RMSE | kNN RMSE | model R2 | kNN R2 | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in sorted(args.data_dir.glob("moleculeace_*_Ki.csv.gz")):
        frame = pd.read_csv(path)
        frame["pki"] = 9.0 + frame["y"]
        start = time.perf_counter()
        res = evaluate_predefined_split(frame, value_column="pki", n_jobs=args.jobs)
        secs = time.perf_counter() - start
        n_train = int((frame["split"] == "train").sum())
        m, b = res["model"], res["knn_baseline"]
        name = path.name.removeprefix("moleculeace_").removesuffix(".csv.gz")
        print(f"| {name} | {n_train} | {m['n']} | {m['rmse']:.3f} | {b['rmse']:.3f} | {m['r2']:.3f} | "
              f"{b['r2']:.3f} | {secs:.0f} |", flush=True)


if __name__ == "__main__":
    main()
