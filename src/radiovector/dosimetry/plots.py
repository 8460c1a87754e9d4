"""Figures of the dosimetry stage (PNG): organ doses with therapeutic indices, and nuclide choice by tumour size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Axis labels of the ranking metrics of the nuclide-by-size table.
METRIC_LABELS = {
    "tumour_dose_at_patient_mta_gy": "projected patient tumour dose at the patient MTA (Gy, alpha x RBE)",
    "tumour_dose_at_mta_gy": "tumour dose at the maximum tolerated activity (Gy, alpha x RBE)",
    "dose_rbe_weighted_gy_per_mbq": "tumour dose per injected activity (Gy/MBq, alpha x RBE)",
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))


def _save(plt, fig, path: Path) -> Path:
    """Lay out, write (PNG, 110 dpi) and close ``fig``; the path written."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_doses(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """One PNG per compound: organ doses (Gy/MBq, log scale, per nuclide, with TIAC CI) and TI bars."""
    plt = _plt()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doses, ti = tables["doses"], tables["therapeutic_index"]
    paths = []
    for compound, grp in doses.groupby("compound", sort=True):
        organs = sorted(grp["organ"].unique())
        nucs = sorted(grp["nuclide"].unique())
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]})
        width = 0.8 / max(len(nucs), 1)
        x = np.arange(len(organs))
        for i, nuc in enumerate(nucs):
            g = grp[grp["nuclide"] == nuc].set_index("organ").reindex(organs)
            y = g["dose_rbe_weighted_gy_per_mbq"].to_numpy(float)
            lo = np.clip(y - (g["dose_low_gy_per_mbq"] * y / g["dose_gy_per_mbq"]).to_numpy(float), 0, None)
            hi = np.clip((g["dose_high_gy_per_mbq"] * y / g["dose_gy_per_mbq"]).to_numpy(float) - y, 0, None)
            err = np.nan_to_num(np.vstack([lo, hi]))
            ax1.bar(x + i * width, y, width, label=nuc, yerr=err, capsize=2)
        ax1.set_xticks(x + width * (len(nucs) - 1) / 2, organs, rotation=30, ha="right")
        ax1.set_yscale("log")
        ax1.set_ylabel("dose per injected activity (Gy/MBq; alpha x RBE)")
        ax1.set_title(f"{compound}: organ doses (mouse kinetics)")
        ax1.legend(fontsize=8)
        t = ti[ti["compound"] == compound]
        ti_cols = [c for c in t.columns if c.startswith("ti_") and t[c].notna().any()]
        for i, nuc in enumerate(nucs):
            r = t[t["nuclide"] == nuc]
            if r.empty:
                continue
            ax2.bar(np.arange(len(ti_cols)) + i * width, r[ti_cols].to_numpy(float)[0], width, label=nuc)
        ax2.set_xticks(np.arange(len(ti_cols)) + width * (len(nucs) - 1) / 2,
                       [c[3:].replace("_", " ") for c in ti_cols], rotation=30, ha="right")
        ax2.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax2.set_yscale("log")
        ax2.set_ylabel("therapeutic index (tumour / organ dose)")
        ax2.set_title("therapeutic indices")
        paths.append(_save(plt, fig, out_dir / f"doses_{_safe(compound)}.png"))
    return paths


def plot_nuclide_by_size(table: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """One PNG per candidate: absorbed fraction and ranking value versus tumour radius, one line per nuclide."""
    plt = _plt()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for cand, grp in table.groupby("candidate_id", sort=True):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
        for nuc, g in grp.groupby("nuclide", sort=True):
            partner = g["imaging_partner"].iloc[0]
            label = f"{nuc} (imaging: {partner})" if partner else nuc
            ax1.plot(g["radius_um"], g["absorbed_fraction"], marker="o", ms=3, label=label)
            ax2.plot(g["radius_um"], g["rank_value"], marker="o", ms=3, label=nuc)
        for ax in (ax1, ax2):
            ax.set_xscale("log")
            ax.set_xlabel("tumour radius (um; 10 um = single cell)")
        ax1.set_ylabel("fraction of emitted energy absorbed (chain, in situ)")
        ax1.set_ylim(0, 1.02)
        ax1.legend(fontsize=7)
        metric = grp["rank_metric"].iloc[0]
        ax2.set_yscale("log")
        ax2.set_ylabel(METRIC_LABELS.get(metric, metric.replace("_", " ")))
        kin = ", ".join(sorted(grp["kinetics"].unique()))
        ax2.set_title(f"{cand}: ranking by tumour size ({kin} kinetics)")
        ax2.legend(fontsize=7)
        paths.append(_save(plt, fig, out_dir / f"nuclide_by_size_{_safe(cand)}.png"))
    return paths


def plot_human_doses(human_doses: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """One PNG per compound x nuclide: projected adult organ doses (Gy/GBq, RBE-weighted, log scale) with the
    bootstrap interval, one bar per reference adult x projection method."""
    plt = _plt()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if human_doses is None or human_doses.empty:
        return paths
    for (compound, nuclide), grp in human_doses.groupby(["compound", "nuclide"], sort=True):
        organs = sorted(grp["organ"].unique())
        series = sorted(set(zip(grp["sex"], grp["method"], strict=True)))
        width = 0.8 / max(len(series), 1)
        x = np.arange(len(organs))
        fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(organs) + 3), 4.5))
        for i, (sex, method) in enumerate(series):
            g = grp[(grp["sex"] == sex) & (grp["method"] == method)].set_index("organ").reindex(organs)
            y = g["dose_rbe_weighted_gy_per_gbq"].to_numpy(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio_lo = (g["dose_low_gy_per_gbq"] / g["dose_gy_per_gbq"]).to_numpy(float)
                ratio_hi = (g["dose_high_gy_per_gbq"] / g["dose_gy_per_gbq"]).to_numpy(float)
            err = np.nan_to_num(np.vstack([np.clip(y - y * ratio_lo, 0, None), np.clip(y * ratio_hi - y, 0, None)]))
            ax.bar(x + i * width, y, width, yerr=err, capsize=2, label=f"{sex}, {method.replace('_', ' ')}")
        ax.set_xticks(x + width * (len(series) - 1) / 2, organs, rotation=30, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("projected dose per injected activity (Gy/GBq; alpha x RBE)")
        ax.set_title(f"{compound} ({nuclide}): ICRP 89 reference adult, projected from mouse kinetics")
        ax.legend(fontsize=7)
        paths.append(_save(plt, fig, out_dir / f"human_doses_{_safe(compound)}_{_safe(nuclide)}.png"))
    return paths
