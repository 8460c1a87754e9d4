"""Report figures for the target ranking (matplotlib, PNG, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _label(frame: pd.DataFrame) -> pd.Series:
    return frame["gene_symbol"].fillna(frame["gene_key"] if "gene_key" in frame else frame["ensembl_gene"])


def plot_organ_heatmap(
    targets: pd.DataFrame, organ_expression: pd.DataFrame, tumour_type: str, path: str | Path, top_n: int = 25
) -> Path:
    """Heatmap of log2(1 + nTPM) of the top ``top_n`` targets of one tumour type across the panel organs.

    Grey cells are organs without data (scored as risky). Organs are ordered as in the panel, with
    weights shown.
    """
    top = targets[targets["tumour_type"] == tumour_type].nsmallest(top_n, "rank")
    organs = list(dict.fromkeys(organ_expression["organ"]))
    weights = organ_expression.drop_duplicates("organ").set_index("organ")["organ_weight"]
    wide = organ_expression.pivot_table(
        index="ensembl_gene", columns="organ", values="ntpm", aggfunc="first", dropna=False
    )
    wide = wide.reindex(index=top["ensembl_gene"].fillna(""), columns=organs)
    data = np.log2(1.0 + wide.to_numpy(dtype="float64"))
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(organs), 1.5 + 0.28 * max(len(top), 1)))
    cmap = plt.get_cmap("magma_r").copy()
    cmap = cmap.with_extremes(bad="lightgrey")
    im = ax.imshow(
        np.ma.masked_invalid(data),
        aspect="auto",
        cmap=cmap,
        vmin=0,
        vmax=max(7.0, np.nanmax(data, initial=0)),
    )
    ax.set_xticks(
        range(len(organs)), [f"{o}\n(w={weights[o]:g})" for o in organs], rotation=60, ha="right", fontsize=8
    )
    ax.set_yticks(
        range(len(top)), [f"{r}. {s}" for r, s in zip(top["rank"], _label(top), strict=True)], fontsize=8
    )
    limiting = top["limiting_organ"].to_numpy()
    for i, organ in enumerate(limiting):
        if organ in organs:
            ax.add_patch(
                plt.Rectangle((organs.index(organ) - 0.5, i - 0.5), 1, 1, fill=False, ec="cyan", lw=1.5)
            )
    fig.colorbar(im, ax=ax, label="log2(1 + nTPM)")
    ax.set_title(
        f"{tumour_type}: top {len(top)} targets across dose-limiting organs\n(cyan box: limiting organ)",
        fontsize=9,
    )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_level_vs_organ(targets: pd.DataFrame, tumour_type: str, path: str | Path, top_n: int = 25) -> Path:
    """Scatter of tumour level (nTPM-equivalent) against the limiting organ's nTPM for every ranked gene
    of one
    tumour type; the top ``top_n`` are highlighted and labelled; the diagonal marks tumour = organ."""
    sub = targets[targets["tumour_type"] == tumour_type]
    x = np.log2(1.0 + sub["limiting_organ_ntpm"].fillna(0.0).to_numpy(dtype="float64"))
    y = np.log2(1.0 + sub["tumour_level_ntpm_eq"].to_numpy(dtype="float64"))
    top = (sub["rank"] <= top_n).to_numpy()
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.scatter(x[~top], y[~top], s=6, c="lightgrey", label="other genes")
    sc = ax.scatter(
        x[top], y[top], s=22, c=sub["score"].to_numpy()[top], cmap="viridis", label=f"top {top_n}"
    )
    for xi, yi, name in zip(x[top], y[top], _label(sub[top]), strict=True):
        ax.annotate(str(name), (xi, yi), fontsize=6, xytext=(2, 2), textcoords="offset points")
    hi = max(float(np.nanmax(np.r_[x, y, 1.0])), 1.0)
    ax.plot([0, hi], [0, hi], ls="--", c="k", lw=0.8, label="tumour = organ")
    ax.set_xlabel("limiting organ (largest weighted penalty), log2(1 + nTPM)")
    ax.set_ylabel("tumour level, log2(1 + nTPM-equivalent)")
    ax.set_title(f"{tumour_type}: tumour level vs limiting organ", fontsize=10)
    fig.colorbar(sc, ax=ax, label="score")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_all(result: dict[str, pd.DataFrame], out_dir: str | Path, top_n: int = 25) -> list[Path]:
    """Both figures for every tumour type in ``result['targets']``; returns the written paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    targets = result["targets"]
    for code in sorted(targets["tumour_type"].unique()) if len(targets) else []:
        paths.append(
            plot_organ_heatmap(
                targets, result["organ_expression"], code, out_dir / f"{code}_organ_heatmap.png", top_n
            )
        )
        paths.append(plot_level_vs_organ(targets, code, out_dir / f"{code}_level_vs_organ.png", top_n))
    return paths
