"""Report figures for candidate scoring: property distributions, Pareto front, grid of top structures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from rdkit import Chem  # noqa: E402
from rdkit.Chem import Draw  # noqa: E402

PROPERTIES = (("mw", "MW (g/mol)"), ("clogp", "Crippen logP"), ("tpsa", "TPSA (Å²)"),
              ("net_charge_ph74", "net charge at pH 7.4"), ("sa_score", "SA score"), ("score", "desirability score"))


def property_distributions(cand: pd.DataFrame, path: Path) -> Path:
    fig, axes = plt.subplots(2, 3, figsize=(10, 6))
    for ax, (col, label) in zip(axes.flat, PROPERTIES, strict=True):
        values = pd.to_numeric(cand[col], errors="coerce").dropna()
        ax.hist(values, bins=min(30, max(5, len(values) // 2)), color="#4477aa")
        ax.set_xlabel(label)
        ax.set_ylabel("candidates")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def pareto_plot(cand: pd.DataFrame, path: Path, x: str = "d_pk", y: str = "d_binding") -> Path:
    """Score components: binding (affinity or similarity) vs pharmacokinetic desirability; front highlighted."""
    binding = cand["d_affinity"] if cand.get("d_affinity") is not None and cand["d_affinity"].notna().any() else (
        cand.get("d_similarity", pd.Series(np.nan, index=cand.index)))
    pk_cols = [c for c in ("d_hydrophilicity", "d_net_charge", "d_size") if c in cand.columns]
    pk = np.exp(np.log(cand[pk_cols].clip(lower=1e-3)).mean(axis=1)) if pk_cols else cand["score"]
    ybin = binding if binding.notna().any() else cand.get("d_compatibility", cand["score"])
    ylabel = "binding desirability" if binding.notna().any() else "chelator compatibility desirability"
    fig, ax = plt.subplots(figsize=(6, 5))
    front = cand["pareto_rank"] == 1
    sc = ax.scatter(pk[~front], ybin[~front], c=cand.loc[~front, "score"], cmap="viridis", vmin=0, vmax=1, s=18)
    ax.scatter(pk[front], ybin[front], c=cand.loc[front, "score"], cmap="viridis", vmin=0, vmax=1, s=40,
               edgecolors="red", label="Pareto front (rank 1)")
    for _, row in cand[front].head(15).iterrows():
        ax.annotate(str(row["candidate_id"]), (pk[row.name], ybin[row.name]), fontsize=7)
    ax.set_xlabel("pharmacokinetic desirability (logP, charge, size)")
    ax.set_ylabel(ylabel)
    fig.colorbar(sc, ax=ax, label="score")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def structure_grid(cand: pd.DataFrame, path: Path, top_n: int = 12) -> Path:
    top = cand.head(top_n)
    mols = [Chem.MolFromSmiles(s) for s in top["smiles"]]
    triples = zip(top["rank"], top["candidate_id"], top["score"], strict=True)
    legends = [f"#{r} {cid} ({s:.2f})" for r, cid, s in triples]
    img = Draw.MolsToGridImage(mols, molsPerRow=min(4, max(1, len(mols))), subImgSize=(350, 300), legends=legends)
    img.save(str(path))
    return path


def write_figures(cand: pd.DataFrame, directory: Path, top_n: int = 12) -> dict[str, Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "property_distributions": property_distributions(cand, directory / "candidate_properties.png"),
        "pareto": pareto_plot(cand, directory / "candidate_pareto.png"),
        "structures": structure_grid(cand, directory / "candidate_top_structures.png", top_n),
    }
