"""MoleculeACE test-split benchmark of the affinity learners, selected by nested CV on the training split.

For each shared MoleculeACE Ki set (van Tilborg et al., J Chem Inf Model 2022;62:5938; pKi = 9 + y with
y = -log10(Ki/nM)): ``train_affinity`` runs the nested cross-validation (scaffold split selects) on the
benchmark's train split; every learner is then fitted on the whole train split (hyper-parameters by inner CV) and
tested on the benchmark's test split: RMSE, activity-cliff RMSE (the benchmark's ``cliff_mol``), coverage and
mean width of its 90 % conformal interval (calibrated on its own out-of-fold residuals). kNN and SVR-Tanimoto are
the baselines trained in the same run. Timings: training with the full nested CV, a plain scikit-learn
``RandomForestRegressor`` fit on the same features, and prediction rates (featurise + predict + interval) against
the plain ``featurise + RandomForestRegressor.predict``.

Usage: python bench/bench_affinity.py [DATA_DIR] [--jobs N] [--other-split] [--sets CHEMBL234_Ki,...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from rdkit import Chem
from sklearn.ensemble import RandomForestRegressor

from radiovector.candidates.affinity import evaluate_predefined_split, featurise


def _rate(fn, n: int, repeat: int = 2) -> float:
    best = min(_timed(fn) for _ in range(repeat))
    return n / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timings(frame: pd.DataFrame, res: dict, jobs: int) -> tuple[float, float, float]:
    """Plain scikit-learn RF fit time on the train features; prediction rates (2,000 test molecules, repeated as
    needed): our model (featurise + kernel + predict + interval) and featurise + plain RF predict."""
    train = frame[frame["split"] == "train"]
    x_train, _ = featurise([Chem.MolFromSmiles(s) for s in train["smiles"]])
    rf = RandomForestRegressor(n_estimators=100, max_features=0.3, n_jobs=jobs, random_state=0)
    rf_fit_s = _timed(lambda: rf.fit(x_train, train["pki"].to_numpy()))
    mols = list(res["test_mols"])
    mols = (mols * (2000 // len(mols) + 1))[:2000]
    model = res["model"]
    ours = _rate(lambda: model.predict_mols(mols), len(mols))
    plain = _rate(lambda: rf.predict(featurise(mols)[0]), len(mols))
    return rf_fit_s, ours, plain


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "bioactivity"
    parser.add_argument("data_dir", nargs="?", type=Path, default=default)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--other-split", action="store_true", help="also run the random-split nested CV")
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    args = parser.parse_args()
    wanted = {s for s in args.sets.split(",") if s}
    summary, timing = [], []
    for path in sorted(args.data_dir.glob("moleculeace_*_Ki.csv.gz")):
        name = path.name.removeprefix("moleculeace_").removesuffix(".csv.gz")
        if wanted and name not in wanted:
            continue
        frame = pd.read_csv(path)
        frame["pki"] = 9.0 + frame["y"]
        res = evaluate_predefined_split(frame, value_column="pki", n_jobs=args.jobs, other_split=args.other_split)
        sel = res["selected"]
        print(f"\n### {name}: {res['n_train']} train, {res['n_test']} test "
              f"({res['learners'][sel]['n_cliff']} cliff); selected by scaffold nested CV: {sel}\n")
        print("| learner | CV RMSE (scaffold) | test RMSE | cliff RMSE | 90 % coverage | 90 % width | nested CV s | "
              "final fit+predict s* |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for who, m in res["learners"].items():
            mark = " **(selected)**" if who == sel else ""
            cv_s = res["cv"]["scaffold"]["learners"][who]["seconds"]
            print(f"| {who}{mark} | {m['cv_rmse']:.3f} | {m['rmse']:.3f} | {m['rmse_cliff']:.3f} | "
                  f"{m['coverage_0.9']:.3f} | {m['width_0.9']:.2f} | {cv_s:.0f} | {m['fit_predict_s']:.1f} |",
                  flush=True)
        print("\n\\* a learner already fitted as a member of the selected model is only predicted here")
        s, svr, knn = res["learners"][sel], res["learners"]["svr_tanimoto"], res["learners"]["knn"]
        summary.append((name, sel, s["rmse"], svr["rmse"], knn["rmse"], s["rmse_cliff"], svr["rmse_cliff"],
                        s["coverage_0.9"]))
        rf_fit_s, ours, plain = _timings(frame, res, args.jobs)
        timing.append((name, res["n_train"], res["train_s"], res["train_cpu_s"], rf_fit_s, ours, plain))
    print("\n### Targets: selected model vs SVR-Tanimoto and kNN (test split), 90 % coverage\n")
    print("| set | selected | test RMSE | SVR-Tanimoto | kNN | cliff RMSE | SVR cliff | coverage | <= SVR | < kNN | "
          "coverage in [0.85, 0.95] |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, sel, r, rs, rk, c, cs, cov in summary:
        print(f"| {name} | {sel} | {r:.3f} | {rs:.3f} | {rk:.3f} | {c:.3f} | {cs:.3f} | {cov:.3f} | "
              f"{'yes' if r <= rs else 'no'} | {'yes' if r < rk else 'no'} | "
              f"{'yes' if 0.85 <= cov <= 0.95 else 'no'} |")
    print("\n### Timings (this machine, --jobs", args.jobs, ")\n")
    print("| set | n train | train_affinity, nested CV, wall s (CPU s) | plain RF fit, 100 trees (s) | "
          "predict mol/s (ours, with interval) | predict mol/s (featurise + RF.predict) | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, n, ts, tc, rs, ours, plain in timing:
        print(f"| {name} | {n} | {ts:.0f} ({tc:.0f}) | {rs:.1f} | {ours:.0f} | {plain:.0f} | {ours / plain:.2f} |")


if __name__ == "__main__":
    main()
