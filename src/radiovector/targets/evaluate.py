"""How well a target ranking finds the targets the field pursues: ranks of known tumour type x gene pairs,
recall@k (micro and macro) and median rank, for the method and for plain baselines computed in the same run on
the same gene universe (issue 13).

Baselines (each ranks exactly the genes the method ranks, per tumour type):

- ``log2fc``      the tumour-vs-matched-normal log2 fold change alone;
- ``tumour_level`` the tumour median alone;
- ``ten_line``    log2(1 + tumour TPM) - weighted mean over organs of log2(1 + nTPM) + 0.5 log2 fold change, organ
                  weights kidney, salivary gland, bone marrow 1; liver 0.7; small intestine, duodenum, lung, heart
                  0.5; spleen, colon, stomach, pancreas 0.3 (organs without data are left out of the mean; a gene
                  without any organ data gets the median penalty of its tumour type).

Recall@k over the known pairs whose gene is in the ranked universe: micro = hits / pairs; macro = the mean over
tumour types of the per-type recall. A pair whose gene is not ranked (outside the surface universe, or absent from
the tumour table) is reported with its reason and left out of both denominators.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from radiovector.errors import InputError
from radiovector.io.tables import line_numbers, read_raw_table

KNOWN_TARGETS_FILE = Path(__file__).with_name("data") / "known_targets.csv"
BASELINES = ("log2fc", "tumour_level", "ten_line")
TEN_LINE_ORGANS: dict[str, float] = {
    "kidney": 1.0,
    "salivary_gland": 1.0,
    "bone_marrow": 1.0,
    "liver": 0.7,
    "small_intestine": 0.5,
    "duodenum": 0.5,
    "lung": 0.5,
    "heart_muscle": 0.5,
    "spleen": 0.3,
    "colon": 0.3,
    "stomach": 0.3,
    "pancreas": 0.3,
}
DEFAULT_KS = (10, 20, 50)


def load_known(path: str | Path | None = None) -> pd.DataFrame:
    """The known-target list: the bundled one (``None``) or a user's CSV/TSV with at least ``tumour_type`` and
    ``gene`` (symbol); ``agent``, ``stage``, ``reference`` are kept when present. Duplicate pairs are an error."""
    source = Path(path) if path is not None else KNOWN_TARGETS_FILE
    if not source.is_file():
        raise InputError(f"known-target list not found: {source}", hint="give a CSV with tumour_type,gene")
    raw = read_raw_table(source)
    lines = line_numbers(raw)
    known = raw.fillna("").reset_index(drop=True)
    missing = [c for c in ("tumour_type", "gene") if c not in known.columns]
    if missing:
        raise InputError(
            f"{source}: known-target list lacks column(s) {missing}; found {list(known.columns)}",
            hint="one row per pair: tumour_type,gene[,agent,stage,reference]",
        )
    for col in ("agent", "stage", "reference"):
        if col not in known.columns:
            known[col] = ""
    known["tumour_type"] = known["tumour_type"].str.strip()
    known["gene"] = known["gene"].str.strip().str.upper()
    empty = (known["tumour_type"] == "") | (known["gene"] == "")
    if empty.any():
        raise InputError(f"{source}: line {lines[np.flatnonzero(empty)[0]]} has an empty tumour_type or gene")
    dup = known.duplicated(["tumour_type", "gene"])
    if dup.any():
        row = known[dup].iloc[0]
        raise InputError(
            f"{source}, line {lines[np.flatnonzero(dup)[0]]}: duplicate known pair {row['tumour_type']} {row['gene']}",
            hint="list every tumour type x gene pair once",
        )
    return known[["tumour_type", "gene", "agent", "stage", "reference"]].reset_index(drop=True)


def baseline_scores(targets: pd.DataFrame, normal: pd.DataFrame) -> pd.DataFrame:
    """Scores of the baselines for every ranked row of ``targets`` (same order, same universe)."""
    lfc = targets["log2_fold_change"].to_numpy(dtype="float64")
    tpm = targets["tumour_median_tpm"].to_numpy(dtype="float64")
    organs = [o for o in TEN_LINE_ORGANS if o in set(normal["tissue"].unique())]
    sub = normal[normal["tissue"].isin(organs)]
    wide = sub.pivot_table(index="ensembl_gene", columns="tissue", values="ntpm", aggfunc="first")
    wide = wide.reindex(columns=organs)
    organ_log = np.log2(1.0 + wide.reindex(targets["ensembl_gene"].fillna("")).to_numpy(dtype="float64"))
    w = np.array([TEN_LINE_ORGANS[o] for o in organs])
    have = ~np.isnan(organ_log)
    wsum = (have * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pen = np.where(have, organ_log, 0.0) @ w / wsum
    pen = pd.Series(pen, index=targets.index)
    fill = pen.groupby(targets["tumour_type"]).transform("median").fillna(0.0)
    pen = pen.where(wsum > 0, fill).to_numpy()
    return pd.DataFrame(
        {
            "log2fc": np.where(np.isnan(lfc), -np.inf, lfc),
            "tumour_level": tpm,
            "ten_line": np.log2(1.0 + tpm) - pen + 0.5 * np.nan_to_num(lfc, nan=0.0),
        },
        index=targets.index,
    )


def rank_by(targets: pd.DataFrame, score: np.ndarray | pd.Series) -> np.ndarray:
    """Rank (1 = best) within each tumour type by ``score`` descending; ties keep the method's order (rank)."""
    frame = pd.DataFrame(
        {"t": targets["tumour_type"].to_numpy(), "s": np.asarray(score, dtype="float64"), "r": targets["rank"]}
    )
    order = frame.sort_values(["t", "s", "r"], ascending=[True, False, True], kind="mergesort")
    ranks = order.groupby("t").cumcount().to_numpy() + 1
    out = np.empty(len(frame), dtype="int64")
    out[order.index.to_numpy()] = ranks
    return out


def pair_ranks(
    targets: pd.DataFrame,
    known: pd.DataFrame,
    rankings: dict[str, np.ndarray],
    tumour: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per known pair x method: its rank (null when the gene is not ranked), the number of genes ranked
    in its tumour type, and a note saying why a pair is not ranked or what limits it."""
    types = set(targets["tumour_type"].unique())
    n_ranked = targets.groupby("tumour_type").size()
    sym = targets["gene_symbol"].astype(object).fillna("").str.upper()
    index = {(t, g): i for i, (t, g) in enumerate(zip(targets["tumour_type"], sym, strict=True)) if g}
    present = set()
    if tumour is not None and len(tumour):
        present = set(
            zip(tumour["cancer_type"], tumour["gene_symbol"].astype(object).fillna("").str.upper(), strict=True)
        )
    rows = []
    for pair in known.itertuples(index=False):
        key = (pair.tumour_type, pair.gene)
        i = index.get(key)
        if pair.tumour_type not in types:
            note = "tumour type not in the ranked data"
        elif i is None:
            note = (
                "gene not in the surface universe (no surface evidence from any source)"
                if key in present or tumour is None
                else "gene absent from the tumour expression table"
            )
        else:
            row = targets.iloc[i]
            notes = []
            if row["tumour_median_tpm"] < 5:
                notes.append(f"low tumour RNA ({row['tumour_median_tpm']:.3g} TPM): data cannot support it")
            if row["surface_n_sources"] == 1 and bool(row.get("surface_hpa", False)):
                notes.append("surface evidence from HPA only")
            if row["limiting_organ"] != "none":
                notes.append(f"limiting organ {row['limiting_organ']} {row['limiting_organ_ntpm']:.3g} nTPM")
            notes.append(f"tumour {row['tumour_median_tpm']:.3g} TPM, log2FC {row['log2_fold_change']:+.2f}")
            note = "; ".join(notes)
        for method, ranks in rankings.items():
            rows.append(
                {
                    "tumour_type": pair.tumour_type,
                    "gene": pair.gene,
                    "method": method,
                    "rank": int(ranks[i]) if i is not None and ranks[i] > 0 else None,
                    "n_ranked": int(n_ranked.get(pair.tumour_type, 0)),
                    "in_universe": i is not None,
                    "agent": pair.agent,
                    "stage": pair.stage,
                    "note": note,
                }
            )
    out = pd.DataFrame(rows)
    out["rank"] = out["rank"].astype("Int64")
    return out


def summarise(pairs: pd.DataFrame, ks: tuple[int, ...] = DEFAULT_KS) -> pd.DataFrame:
    """Per method and k: recall micro and macro, pairs and types counted, median rank (pairs in the universe)."""
    rows = []
    for method, grp in pairs.groupby("method", sort=False):
        g = grp[grp["in_universe"] & grp["rank"].notna()]
        ranks = g["rank"].astype("float64")
        for k in ks:
            hit = ranks <= k
            per_type = hit.groupby(g["tumour_type"]).mean()
            rows.append(
                {
                    "method": method,
                    "k": int(k),
                    "recall_micro": float(hit.mean()) if len(g) else np.nan,
                    "recall_macro": float(per_type.mean()) if len(per_type) else np.nan,
                    "hits": int(hit.sum()),
                    "pairs": len(g),
                    "pairs_not_ranked": int((~grp["in_universe"]).sum()),
                    "tumour_types": int(g["tumour_type"].nunique()),
                    "median_rank": float(ranks.median()) if len(g) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def evaluate_ranking(
    targets: pd.DataFrame,
    normal: pd.DataFrame,
    known: pd.DataFrame,
    ks: tuple[int, ...] = DEFAULT_KS,
    tumour: pd.DataFrame | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> dict[str, pd.DataFrame]:
    """Evaluate the method's ranking (``targets`` from :func:`rank_targets`) and the baselines on ``known``.

    ``extra`` adds further rankings (method name -> rank per row of ``targets``, e.g. held-out ranks).
    Returns ``target_evaluation`` (pair x method) and ``target_evaluation_summary`` (method x k).
    """
    targets = targets.reset_index(drop=True)
    base = baseline_scores(targets, normal)
    rankings = {"composite": targets["rank"].to_numpy(dtype="int64")}
    rankings.update(extra or {})
    for name in BASELINES:
        rankings[name] = rank_by(targets, base[name].to_numpy())
    pairs = pair_ranks(targets, known, rankings, tumour)
    return {"target_evaluation": pairs, "target_evaluation_summary": summarise(pairs, ks)}


def plot_rank_distributions(pairs: pd.DataFrame, path: str | Path, ks: tuple[int, ...] = DEFAULT_KS) -> Path:
    """Ranks of the known pairs per method (log scale, one dot per pair, box per method, lines at each k)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = pairs[pairs["rank"].notna()]
    methods = list(dict.fromkeys(pairs["method"]))
    data = [ranked.loc[ranked["method"] == m, "rank"].astype(float).to_numpy() for m in methods]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(methods), 4.2))
    ax.boxplot([d if len(d) else [np.nan] for d in data], showfliers=False, widths=0.5)
    rng = np.random.default_rng(0)
    for i, d in enumerate(data, start=1):
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(d)), d, s=14, alpha=0.7, color="tab:blue", zorder=3)
    for k in ks:
        ax.axhline(k, color="grey", lw=0.8, ls="--")
        ax.text(len(methods) + 0.45, k, f"k={k}", va="center", fontsize=7, color="grey")
    ax.set_yscale("log")
    ax.invert_yaxis()
    ax.set_xticks(range(1, len(methods) + 1), methods, rotation=20, ha="right")
    ax.set_ylabel("rank of known target in its tumour type (log)")
    n = int(pairs.loc[pairs["method"] == methods[0], "in_universe"].sum()) if methods else 0
    ax.set_title(f"Known targets: rank per method ({n} pairs in the universe)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
