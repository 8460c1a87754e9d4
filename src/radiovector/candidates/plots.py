"""Report figures for candidate scoring: property distributions, Pareto front, grid of top structures."""

from __future__ import annotations

from collections.abc import Callable
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


def property_distributions(cand: pd.DataFrame, path: Path, unit: str = "candidates") -> Path:
    """Histograms of :data:`PROPERTIES`; ``unit`` labels the counts (a panel says "not computed" if all NaN)."""
    fig, axes = plt.subplots(2, 3, figsize=(10, 6))
    for ax, (col, label) in zip(axes.flat, PROPERTIES, strict=True):
        values = pd.to_numeric(cand[col], errors="coerce").dropna() if col in cand.columns else pd.Series(dtype=float)
        ax.hist(values, bins=min(30, max(5, len(values) // 2)), color="#4477aa")
        if values.empty:
            ax.text(0.5, 0.5, "not computed", ha="center", va="center", transform=ax.transAxes, color="#6b7280")
        ax.set_xlabel(label)
        ax.set_ylabel(unit)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _objective_axes(cand: pd.DataFrame) -> tuple[pd.Series, str, pd.Series, str]:
    """(x, x label, y, y label): the Pareto objectives of :func:`radiovector.candidates.scoring.objectives`,
    pharmacokinetics against binding (radiochemistry where no binding desirability is known)."""
    from radiovector.candidates.scoring import objectives

    obj = objectives(cand[[c for c in cand.columns if c.startswith("d_")]])
    nan = pd.Series(np.nan, index=cand.index)
    pk = obj.get("pharmacokinetics", nan)
    binding = obj.get("binding", nan)
    if binding.notna().any():
        return pk, "pharmacokinetics objective", binding, "binding objective"
    return pk, "pharmacokinetics objective", obj.get("radiochemistry", nan), "radiochemistry objective (chelator)"


def pareto_plot(cand: pd.DataFrame, path: Path, front: pd.Series | None = None) -> Path:
    """The Pareto objectives (:func:`_objective_axes`) of each row; the front circled, colour the score.

    ``front`` marks the Pareto front (default: ``pareto_rank == 1``). The front is computed over every objective,
    so with three objectives a circled point may look dominated in this two-objective view.
    """
    pk, xlabel, ybin, ylabel = _objective_axes(cand)
    label = "Pareto front (rank 1)" if front is None else "Pareto front"
    fig, ax = plt.subplots(figsize=(6, 5))
    front = (cand["pareto_rank"] == 1) if front is None else front.astype(bool)
    sc = ax.scatter(pk[~front], ybin[~front], c=cand.loc[~front, "score"], cmap="viridis", vmin=0, vmax=1, s=18)
    ax.scatter(pk[front], ybin[front], c=cand.loc[front, "score"], cmap="viridis", vmin=0, vmax=1, s=40,
               edgecolors="red", label=label)
    for _, row in cand[front].head(15).iterrows():
        ax.annotate(str(row["candidate_id"]), (pk[row.name], ybin[row.name]), fontsize=7)
    ax.margins(x=0.15, y=0.08)  # room for the labels of points at the edges
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(sc, ax=ax, label="score")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def structure_grid(cand: pd.DataFrame, path: Path, top_n: int = 12, rank: str = "rank") -> Path:
    """The first ``top_n`` rows (ranked best first) drawn in a grid; legends ``#rank id (score)``."""
    top = cand.head(top_n)
    mols = [Chem.MolFromSmiles(s) for s in top["smiles"]]
    triples = zip(top[rank], top["candidate_id"], top["score"], strict=True)
    legends = [f"#{r} {cid} ({s:.2f})" for r, cid, s in triples]
    img = Draw.MolsToGridImage(mols, molsPerRow=min(4, max(1, len(mols))), subImgSize=(350, 300), legends=legends)
    img.save(str(path))
    return path


Figure = tuple[Callable[..., Path], tuple, dict]


def draw(figures: dict[str, Figure], jobs: int = 1) -> dict[str, Path]:
    """Draw each ``name: (function, args, kwargs)``; with ``jobs`` > 1 the first is drawn in this process while up
    to ``jobs - 1`` forked processes draw the others (each figure is independent; ~1 s of drawing on 8,453
    candidates otherwise keeps all but one core idle at the end of a run). Returns ``name: path``."""
    names = list(figures)
    if jobs <= 1 or len(names) < 2:
        return {name: fn(*args, **kwargs) for name, (fn, args, kwargs) in figures.items()}
    from radiovector.cpus import process_pool

    with process_pool(min(jobs - 1, len(names) - 1)) as pool:
        futures = {name: pool.submit(fn, *args, **kwargs) for name, (fn, args, kwargs) in list(figures.items())[1:]}
        fn, args, kwargs = figures[names[0]]
        first = fn(*args, **kwargs)
        return {names[0]: first, **{name: future.result() for name, future in futures.items()}}


def write_figures(cand: pd.DataFrame, directory: Path, top_n: int = 12, jobs: int = 1) -> dict[str, Path]:
    """Property distributions, Pareto plot and top structures of a scored ``candidates`` table, drawn with up to
    ``jobs`` processes (:func:`draw`)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return draw({
        "property_distributions": (property_distributions, (cand, directory / "candidate_properties.png"), {}),
        "pareto": (pareto_plot, (cand, directory / "candidate_pareto.png"), {}),
        "structures": (structure_grid, (cand.head(top_n), directory / "candidate_top_structures.png", top_n), {}),
    }, jobs)


def write_design_figures(design: pd.DataFrame, directory: Path, top_n: int = 12, jobs: int = 1) -> dict[str, Path]:
    """Figures of a gathered ``design_space`` table (radiovector.candidates.design.gather): the same three as
    :func:`write_figures`, over the kept conjugates, the front from ``on_pareto_front`` drawn on its objectives."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if design.empty:  # nothing kept (every conjugate rejected): no figures, the report shows the counts
        return {}
    return draw({
        "property_distributions": (property_distributions, (design, directory / "design_properties.png"),
                                   {"unit": "conjugates"}),
        "pareto": (pareto_plot, (design, directory / "design_pareto.png"), {"front": design["on_pareto_front"]}),
        "structures": (structure_grid, (design.head(top_n), directory / "design_top_structures.png", top_n),
                       {"rank": "design_rank"}),
    }, jobs)
