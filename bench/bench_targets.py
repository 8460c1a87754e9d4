"""Benchmark and validation figures for the target ranking (prints figures; asserts nothing about time).

    python bench/bench_targets.py summary  [--shared ../shared/data]      # 20 OncoDB types vs full HPA
    python bench/bench_targets.py samples  [--genes 20000 --samples 10000] # synthetic sample-level matrix
    python bench/bench_targets.py recall   [--shared ../shared/data] [--fit] # evaluate-targets, 20 types, timed

Each timing is printed next to a plain pandas baseline measured in the same run, with the ratio.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from radiovector.targets import (
    rank_targets,
    read_normal,
    read_surfaces,
    read_tumour_summary,
    summarise_samples,
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_shared(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    t0 = time.perf_counter()
    parts = [read_tumour_summary(p)[0] for p in sorted((shared / "expression/tcga_oncodb").glob("*.tsv.gz"))]
    tumour = pd.concat(parts, ignore_index=True)
    normal, _ = read_normal(shared / "expression/hpa_rna_tissue_consensus.tsv.gz")
    surface, _ = read_surfaces(
        [
            shared / "surfaceome/surfy_human_surfaceome.tsv.gz",
            shared / "surfaceome/cspa_human_surfaceome.tsv.gz",
        ]
    )
    return tumour, normal, surface, time.perf_counter() - t0


def baseline_lfc(tumour: pd.DataFrame, surface: pd.DataFrame) -> pd.DataFrame:
    """Plain pandas baseline: surface genes ranked by log2 fold change per tumour type."""
    symbols = set(surface["gene_symbol"].dropna().str.upper())
    sub = tumour[tumour["gene_symbol"].str.upper().isin(symbols)].copy()
    sub = sub.sort_values(["cancer_type", "log2_fold_change", "gene_symbol"], ascending=[True, False, True])
    sub["rank"] = sub.groupby("cancer_type").cumcount() + 1
    return sub


def bench_summary(shared: Path) -> dict[str, pd.DataFrame]:
    tumour, normal, surface, t_load = load_shared(shared)
    t0 = time.perf_counter()
    result = rank_targets(tumour, normal, surface)
    t_rank = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = baseline_lfc(tumour, surface)
    t_base = time.perf_counter() - t0
    s = result["summary"]
    print(
        f"summary-level: {tumour['cancer_type'].nunique()} tumour types, {len(tumour)} tumour rows, "
        f"{normal['ensembl_gene'].nunique()} HPA genes x {normal['tissue'].nunique()} tissues"
    )
    print(f"  read inputs            {t_load:7.2f} s")
    print(f"  rank_targets           {t_rank:7.2f} s   ({len(result['targets'])} ranked rows)")
    print(f"  pandas lfc baseline    {t_base:7.2f} s   ratio rank_targets / baseline = {t_rank / t_base:.1f}")
    print(f"  total (read + rank)    {t_load + t_rank:7.2f} s   peak RSS {peak_rss_mb():.0f} MB")
    unm = s["genes_in"] - s["genes_mapped_ensembl"]
    print(
        f"  tumour rows without Ensembl id: {int(unm.sum())}/{int(s['genes_in'].sum())} "
        f"({100 * unm.sum() / s['genes_in'].sum():.1f}%; the bridge is the surface tables)"
    )
    print(
        f"  surface-universe genes without normal data: {int(s['universe_genes_without_normal_data'].sum())}"
        f"/{int(s['genes_in_universe'].sum())}"
    )
    return {"result": result["targets"], "baseline": base}


def bench_samples(n_genes: int, n_samples: int, n_types: int = 10) -> None:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    values = np.empty((n_genes, n_samples), dtype=np.float32)
    level = rng.lognormal(1.5, 2.0, n_genes).astype(np.float32)
    for j0 in range(0, n_samples, 500):
        j1 = min(j0 + 500, n_samples)
        values[:, j0:j1] = level[:, None] * rng.lognormal(0, 0.8, (n_genes, j1 - j0)).astype(np.float32)
    types = [f"T{(i // 10) % n_types:02d}" for i in range(n_samples)]
    kinds = ["normal" if i % 10 == 9 else "tumour" for i in range(n_samples)]
    sheet = pd.DataFrame(
        {
            "sample_id": [f"S{i}" for i in range(n_samples)],
            "sample_type": kinds,
            "tumour_type": types,
            "tissue": None,
        }
    )
    ens = [f"ENSG{i:011d}" for i in range(1, n_genes + 1)]
    genes = pd.DataFrame({"ensembl_gene": ens})
    organs = [
        "kidney",
        "bone_marrow",
        "salivary_gland",
        "liver",
        "lung",
        "heart_muscle",
        "small_intestine",
        "duodenum",
        "spleen",
        "prostate",
        "brain",
        "skin",
    ]
    normal = pd.DataFrame(
        {
            "ensembl_gene": np.repeat(ens, len(organs)),
            "tissue": np.tile(organs, n_genes),
            "ntpm": rng.lognormal(1.0, 2.0, n_genes * len(organs)),
        }
    )
    surface = pd.DataFrame(
        {
            "source": "SURFY",
            "uniprot": ens,
            "gene_symbol": [f"G{i}" for i in range(n_genes)],
            "ensembl_gene": ens,
            "entrez_id": pd.array(range(1, n_genes + 1), dtype="Int64"),
            "label": "surface",
            "ml_score": 0.9,
        }
    )
    t_gen = time.perf_counter() - t0
    print(
        f"sample-level: {n_genes} genes x {n_samples} samples (float32, {values.nbytes / 2**20:.0f} MB), "
        f"{n_types} tumour types; generated in {t_gen:.1f} s"
    )
    t0 = time.perf_counter()
    summary = summarise_samples(values, genes, list(sheet["sample_id"]), sheet, threshold=10.0)
    t_sum = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = rank_targets(summary, normal, surface, {"universe": "all"})
    t_rank = time.perf_counter() - t0
    print(f"  summarise_samples      {t_sum:7.2f} s")
    print(f"  rank_targets           {t_rank:7.2f} s   ({len(result['targets'])} ranked rows)")
    print(
        f"  total                  {t_sum + t_rank:7.2f} s   peak RSS {peak_rss_mb():.0f} MB (matrix included)"
    )
    # plain pandas baseline: the same medians and prevalence with DataFrame operations, 2 tumour types only
    frame = pd.DataFrame(values, columns=sheet["sample_id"])
    t0 = time.perf_counter()
    for code in sorted(set(types))[:2]:
        cols = sheet.loc[(sheet["tumour_type"] == code) & (sheet["sample_type"] == "tumour"), "sample_id"]
        block = frame[cols]
        block.median(axis=1), block.quantile([0.1, 0.25, 0.75, 0.9], axis=1), (block > 10.0).mean(axis=1)
    t_base = (time.perf_counter() - t0) * n_types / 2
    print(
        f"  pandas baseline (median, quantiles, prevalence; 2 types timed, scaled to {n_types}) "
        f"{t_base:7.2f} s   ratio summarise_samples / baseline = {t_sum / t_base:.2f}"
    )


def recall(shared: Path, fit: bool = False) -> None:
    """evaluate-targets on the 20 OncoDB types (SURFY + CSPA + HPA subcellular), bundled known-target list; the
    baselines are computed in the same run and timed separately."""
    from radiovector.targets import calibration as cal
    from radiovector.targets import read_surface, resolve_params
    from radiovector.targets.evaluate import baseline_scores, evaluate_ranking, load_known, rank_by

    t_start = time.perf_counter()
    tumour, normal, surface, t_load = load_shared(shared)
    t0 = time.perf_counter()
    hpa, _ = read_surface(shared / "surfaceome/hpa_subcellular_location.tsv.gz")
    surface = pd.concat([surface, hpa], ignore_index=True)
    t_load += time.perf_counter() - t0
    known = load_known()
    t0 = time.perf_counter()
    targets = rank_targets(tumour, normal, surface)["targets"]
    t_rank = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = baseline_scores(targets, normal)
    for name in base.columns:
        rank_by(targets, base[name].to_numpy())
    t_base = time.perf_counter() - t0
    extra = {}
    if fit:
        t0 = time.perf_counter()
        feats, result = cal.fit(targets, normal, known, resolve_params(), n_candidates=300)
        extra = cal.heldout_rankings(feats, result, targets)
        print(f"  leave-one-type-out fit (300 candidates + logistic) {time.perf_counter() - t0:7.2f} s")
    t0 = time.perf_counter()
    out = evaluate_ranking(targets, normal, known, tumour=tumour, extra=extra)
    t_eval = time.perf_counter() - t0
    total = time.perf_counter() - t_start
    print(f"evaluation of {targets['tumour_type'].nunique()} tumour types ({len(targets)} ranked rows)")
    print(f"  read inputs                     {t_load:7.2f} s")
    print(f"  rank_targets (composite)        {t_rank:7.2f} s")
    print(f"  baselines (3 scores + ranks)    {t_base:7.2f} s   ratio composite / baselines = {t_rank / t_base:.0f}")
    print(f"  evaluation incl. baselines      {t_eval:7.2f} s")
    print(f"  total                           {total:7.2f} s   peak RSS {peak_rss_mb():.0f} MB")
    wide = out["target_evaluation"].pivot_table(
        index=["tumour_type", "gene"], columns="method", values="rank", aggfunc="first", sort=False
    )
    print(wide.to_string())
    print(out["target_evaluation_summary"].to_string(index=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["summary", "samples", "recall"])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/data")
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--fit", action="store_true", help="recall: also the leave-one-type-out calibration")
    args = parser.parse_args(argv)
    if args.what in ("summary", "recall") and not (args.shared / "expression").is_dir():
        sys.exit(f"shared data not found at {args.shared} (use --shared)")
    if args.what == "summary":
        bench_summary(args.shared)
    elif args.what == "samples":
        bench_samples(args.genes, args.samples)
    else:
        recall(args.shared, args.fit)


if __name__ == "__main__":
    main()
