"""Plots of biodistribution data with the selected fitted curve and its bootstrap confidence band."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def plot_fits(tables: dict[str, pd.DataFrame], out_dir: str | Path, dpi: int = 110) -> list[Path]:
    """One PNG per compound x radionuclide, one panel per organ: decay-corrected data (mean +- SD of the
    mean), the selected model and its confidence band. Returns the written paths (sorted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    points, curves = tables["pk_points"], tables["pk_curves"]
    written: list[Path] = []
    if points.empty:
        return written
    for (compound, nuclide), pts in points.groupby(["compound", "radionuclide"], sort=True):
        organs = sorted(pts["organ"].unique())
        ncol = min(4, len(organs))
        nrow = math.ceil(len(organs) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.8 * nrow), squeeze=False)
        for ax in axes.flat[len(organs):]:
            ax.set_visible(False)
        for ax, organ in zip(axes.flat, organs, strict=False):
            d = pts[pts["organ"] == organ]
            ax.errorbar(d["time_h"], d["value_decay_corrected"], yerr=d["sd_mean_decay_corrected"], fmt="o",
                        color="k", ms=4, capsize=2, label="data")
            cv = curves[(curves["compound"] == compound) & (curves["radionuclide"] == nuclide)
                        & (curves["organ"] == organ)] if not curves.empty else curves
            if len(cv):
                ax.plot(cv["time_h"], cv["fit_decay_corrected"], color="C0", label=cv["model"].iloc[0])
                if cv["fit_low"].notna().any():
                    ax.fill_between(cv["time_h"], cv["fit_low"], cv["fit_high"], color="C0", alpha=0.2,
                                    label="95% band")
            ax.set_title(organ, fontsize=9)
            ax.set_xlabel("time (h)")
            ax.set_ylabel(f"{d['unit'].iloc[0]} (decay-corrected)", fontsize=8)
            ax.legend(fontsize=7)
        fig.suptitle(f"{compound} [{nuclide}]", fontsize=10)
        fig.tight_layout()
        path = out_dir / f"pk_{_slug(str(compound))}_{_slug(str(nuclide))}.png"
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written.append(path)
    return sorted(written)
