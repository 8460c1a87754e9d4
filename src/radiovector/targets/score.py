"""Score and rank candidate targets per tumour type, with every component explained.

score = sum_k w_k * s_k / sum_k w_k over the components k (each s_k in [0, 1]):

- level      tumour expression on the normal panel's nTPM scale (see :func:`harmonise`), a log ramp;
- contrast   tumour vs matched-normal log2 fold change, a ramp from 0 to ``contrast_saturation_log2``;
- safety     1 - organ penalty; the penalty is a soft, organ-weighted blend of the worst organ and the
weighted
             mean over the dose-limiting organ panel (no hard cut-off anywhere);
- surface    the best cell-surface evidence over the sources (SURFY, CSPA, custom lists);
- prevalence fraction of tumour samples expressing the gene (sample-level inputs only).

Unknown is never good: an organ without data counts as ``missing_organ_risk`` (default: full risk) and a
missing
matched-normal value as ``missing_contrast_score`` (default 0). A component that is undefined for a whole
tumour
type is dropped and the other weights renormalised. No gene name appears in this module.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from radiovector.errors import InputError
from radiovector.io.tables import line_numbers, reject_rows, rejects_frame
from radiovector.targets.idmap import build_bridge, gene_key, map_to_ensembl
from radiovector.targets.params import resolve_params

COMPONENTS = ("level", "contrast", "safety", "surface", "prevalence")
_NORMAL_ORDER = {"complete": 0, "partial": 1, "missing": 2}


def ramp(log_values: np.ndarray | pd.Series, lo: float, hi: float) -> np.ndarray:
    """Linear ramp clipped to [0, 1]: 0 at ``lo``, 1 at ``hi`` (NaN stays NaN)."""
    return np.clip((np.asarray(log_values, dtype="float64") - lo) / (hi - lo), 0.0, 1.0)


def log1p2(x: np.ndarray | pd.Series) -> np.ndarray:
    """log2(1 + x), the scale on which expression levels are compared."""
    return np.log2(1.0 + np.asarray(x, dtype="float64"))


def harmonise(
    tumour_log: np.ndarray, matched: np.ndarray, reference_log: np.ndarray, method: str = "quantile"
) -> tuple[np.ndarray, str]:
    """Put tumour log2(1+TPM) values on the normal panel's log2(1+nTPM) scale.

    ``quantile``: each tumour value is replaced by the reference quantile at its percentile among the tumour
    values of the ``matched`` genes (genes present in both sources); ties share their mean percentile, values
    between observed ones are interpolated, so the map is monotone. ``log``: values are used as they are
    (TPM taken as nTPM). Falls back to ``log`` when fewer than 20 genes or reference values are available.
    Returns (values, method actually used).
    """
    x = np.sort(tumour_log[matched & np.isfinite(tumour_log)])
    ref = reference_log[np.isfinite(reference_log)]
    if method == "log" or len(x) < 20 or len(ref) < 20:
        return tumour_log.copy(), "log"
    n = len(x)
    pct = (np.arange(n) + 0.5) / n
    uniq, inverse = np.unique(x, return_inverse=True)
    mean_pct = np.bincount(inverse, weights=pct) / np.bincount(inverse)
    ref_sorted = np.sort(ref)  # linear-interpolation quantiles (numpy's default), one sort for all percentiles
    ref_q = np.interp(mean_pct * (len(ref_sorted) - 1), np.arange(len(ref_sorted)), ref_sorted)
    return np.interp(tumour_log, uniq, ref_q), "quantile"


SURFACE_FLAGS = {"SURFY": "surface_surfy", "CSPA": "surface_cspa", "HPA": "surface_hpa", "CURATED": "surface_curated"}
_SURFACE_COLUMNS = [
    "gene_key",
    "surface_score",
    "surface_sources",
    "surface_n_sources",
    *SURFACE_FLAGS.values(),
    "hpa_reliability",
    "curated_reason",
]


def surface_scores(evidence: pd.DataFrame, bridge: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """Best surface-evidence score per gene key, with the sources that support it.

    SURFY: ``surfy_base`` for a "surface" call + ``surfy_ml_weight`` x machine-learning score (capped at 1);
    CSPA: the score of its confidence category; HPA subcellular location: the score of the reliability grade that
    lists the plasma membrane (``hpa_reliability``); a curated list: ``curated_score``; other sources: their
    ``evidence_score`` or ``default_score``. Also per gene: which of SURFY/CSPA/HPA/curated support it, how many
    sources do, the HPA grade and the curated reason.
    """
    cfg = p["surface"]
    if evidence is None or len(evidence) == 0:
        return pd.DataFrame(columns=_SURFACE_COLUMNS)
    ev = evidence.copy()
    for col in ("label", "ml_score", "category", "evidence_score", "source", "reason"):
        if col not in ev.columns:
            ev[col] = None
    src = ev["source"].fillna("custom").astype(str)
    upper = src.str.upper()
    score = pd.Series(np.nan, index=ev.index, dtype="float64")
    surfy = upper == "SURFY"
    base = np.where(ev["label"].astype(object).eq("surface").fillna(False), cfg["surfy_base"], 0.0)
    ml = pd.to_numeric(ev["ml_score"], errors="coerce").fillna(0.0).to_numpy()
    score[surfy] = np.minimum(1.0, base + cfg["surfy_ml_weight"] * ml)[surfy.to_numpy()]
    cspa = upper == "CSPA"
    score[cspa] = ev.loc[cspa, "category"].map(lambda c: cfg["cspa_categories"].get(c, 0.0)).astype("float64")
    hpa = upper == "HPA"
    score[hpa] = ev.loc[hpa, "category"].map(lambda c: cfg["hpa_reliability"].get(c, 0.0)).astype("float64")
    curated = upper == "CURATED"
    score[curated] = cfg["curated_score"]
    other = ~(surfy | cspa | hpa | curated)
    given = pd.to_numeric(ev.loc[other, "evidence_score"], errors="coerce")
    score[other] = given.fillna(cfg["default_score"])
    mapped = map_to_ensembl(ev, bridge)
    ev = ev.assign(gene_key=gene_key(ev, mapped["ensembl_gene"]), score=score, src=src)
    ev = ev[ev["gene_key"].notna() & (ev["score"] > 0)]
    per_source = ev.groupby(["gene_key", "src"], sort=True)["score"].max().reset_index()
    per_source["label"] = per_source["src"] + " " + per_source["score"].map(lambda v: f"{v:.2f}")
    out = per_source.groupby("gene_key", sort=True).agg(
        surface_score=("score", "max"), surface_sources=("label", "; ".join), surface_n_sources=("src", "size")
    )
    up = per_source.assign(up=per_source["src"].str.upper())
    for name, column in SURFACE_FLAGS.items():
        out[column] = out.index.isin(up.loc[up["up"] == name, "gene_key"])
    hpa_rows = ev[ev["src"].str.upper() == "HPA"]
    if len(hpa_rows):
        best = hpa_rows.sort_values(["gene_key", "score"], ascending=[True, False]).drop_duplicates("gene_key")
        out["hpa_reliability"] = best.set_index("gene_key")["category"].reindex(out.index)
    else:
        out["hpa_reliability"] = None
    cur_rows = ev[ev["src"].str.upper() == "CURATED"]
    if len(cur_rows):
        reasons = cur_rows.groupby("gene_key")["reason"].agg(lambda r: "; ".join(sorted({str(x) for x in r})))
        out["curated_reason"] = reasons.reindex(out.index)
    else:
        out["curated_reason"] = None
    return out.reset_index()[_SURFACE_COLUMNS]


def _organ_matrix(normal: pd.DataFrame, panel: dict[str, float]) -> pd.DataFrame:
    tissues = set(normal["tissue"].unique())
    missing = [o for o in panel if o not in tissues]
    if missing:
        hints = [f"{o!r} -> {difflib.get_close_matches(o, sorted(tissues), n=1) or 'no close match'}" for o in missing]
        raise InputError(
            f"organ panel names tissue(s) absent from the normal expression table: {', '.join(hints)}",
            hint=f"use tissue names of the normal table, e.g. {sorted(tissues)[:12]}",
        )
    sub = normal[normal["tissue"].isin(list(panel))]
    wide = sub.pivot_table(index="ensembl_gene", columns="tissue", values="ntpm", aggfunc="first")
    return wide.reindex(columns=list(panel))


def _prepare_tumour(tumour: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    if tumour is None or len(tumour) == 0:
        raise InputError("the tumour expression table is empty", hint="check the --tumour file")
    for col in ("cancer_type", "tumour_median"):
        if col not in tumour.columns:
            raise InputError(f"tumour expression table lacks column {col!r}; found {list(tumour.columns)}")
    t = tumour.copy()
    if "row_number" not in t.columns:  # a frame built in code: the lines it would have as a CSV with a header
        t["row_number"] = line_numbers(t.reset_index(drop=True))
    for col in (
        "entrez_id",
        "gene_symbol",
        "ensembl_gene",
        "normal_median",
        "log2_fold_change",
        "prevalence",
    ):
        if col not in t.columns:
            t[col] = None
    for col in ("tumour_median", "normal_median", "log2_fold_change", "prevalence"):
        t[col] = pd.to_numeric(t[col], errors="coerce").astype("float64")
    bad = t["tumour_median"].isna() | (t["tumour_median"] < 0) | (t["normal_median"] < 0)
    if bad.any():
        row = t.loc[bad].iloc[0]
        raise InputError(
            f"tumour expression row {row['row_number']}: tumour_median/normal_median must be numbers >= 0 "
            f"(got {row['tumour_median']!r}, {row['normal_median']!r})",
            hint="read the table with radiovector.targets.read_tumour_summary, which rejects such rows",
        )
    wanted = p["tumour_types"]
    if wanted:
        known = sorted(t["cancer_type"].unique())
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise InputError(f"unknown tumour type(s) {unknown}", hint=f"the tumour table has: {known}")
        t = t[t["cancer_type"].isin(wanted)]
    return t.reset_index(drop=True)


def _reject_rows(t: pd.DataFrame, mask: pd.Series, column: str, reason: str) -> pd.DataFrame:
    """Rejects of tumour rows: the file each came from (``source``, as the readers set it; else the stage) and
    its line (``row_number``)."""
    sub = t.loc[mask]
    values = sub[column].astype(str) if column in sub.columns else pd.Series("", index=sub.index)
    sources = (
        sub["source"].fillna("rank_targets") if "source" in sub.columns else pd.Series("rank_targets", index=sub.index)
    )
    parts = [
        reject_rows(
            "tumour_expression", str(src), sub.loc[sources == src, "row_number"], column, values[sources == src], reason
        )
        for src in pd.unique(sources)
    ]
    return pd.concat(parts, ignore_index=True) if parts else rejects_frame()


def _organ_scores(
    organ_ntpm: np.ndarray, weights: np.ndarray, p: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-organ risk and penalty ([genes, organs]) and the combined soft penalty per gene."""
    risk = ramp(log1p2(organ_ntpm), np.log2(1 + p["organ_floor_ntpm"]), np.log2(1 + p["organ_saturation_ntpm"]))
    risk = np.where(np.isnan(risk), p["missing_organ_risk"], risk)
    pen = risk * weights[None, :]
    total_w = weights.sum()
    mean_pen = pen.sum(axis=1) / total_w if total_w > 0 else np.zeros(len(pen))
    worst = pen.max(axis=1) if pen.shape[1] else np.zeros(len(pen))
    blend = p["penalty_mean_blend"]
    return risk, pen, (1 - blend) * worst + blend * mean_pen


def component_scores(
    level_ntpm: np.ndarray,
    lfc: np.ndarray,
    organ_ntpm: np.ndarray,
    surface: np.ndarray,
    prevalence: np.ndarray,
    organ_weights: np.ndarray,
    p: dict[str, Any],
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The component scores of genes from their features (one value per gene; ``organ_ntpm`` [genes, organs]).

    Returns (components by name, per-organ penalties [genes, organs], combined organ penalty). The single place
    where the score's parameters act: :func:`rank_targets` and the calibration (:mod:`radiovector.targets.evaluate`)
    both call it.
    """
    _, pen, penalty = _organ_scores(organ_ntpm, organ_weights, p)
    comp = {
        "level": ramp(log1p2(level_ntpm), np.log2(1 + p["level_floor_ntpm"]), np.log2(1 + p["level_saturation_ntpm"])),
        "contrast": np.where(np.isnan(lfc), p["missing_contrast_score"], ramp(lfc, 0.0, p["contrast_saturation_log2"])),
        "safety": 1.0 - penalty,
        "surface": np.asarray(surface, dtype="float64"),
        "prevalence": np.nan_to_num(np.asarray(prevalence, dtype="float64"), nan=0.0),
    }
    return comp, pen, penalty


def active_components(p: dict[str, Any], lfc: np.ndarray, prevalence: np.ndarray) -> list[str]:
    """Components with a positive weight that are defined for the tumour type (contrast needs any fold change,
    prevalence any sample-level value)."""
    active = [k for k in COMPONENTS if p["weights"].get(k, 0) > 0]
    if np.isnan(lfc).all():
        active = [k for k in active if k != "contrast"]
    if np.isnan(np.asarray(prevalence, dtype="float64")).all():
        active = [k for k in active if k != "prevalence"]
    return active


def combine_scores(comp: dict[str, np.ndarray], active: list[str], p: dict[str, Any]) -> np.ndarray:
    """The weighted mean sum_k w_k s_k / sum_k w_k over the active components."""
    total = sum(p["weights"][k] for k in active)
    n = len(next(iter(comp.values())))
    return sum(p["weights"][k] * comp[k] for k in active) / total if total > 0 else np.zeros(n)


def _fmt(v: float, spec: str = ".3g") -> str:
    return "n/a" if v is None or not np.isfinite(v) else format(v, spec)


def _reason(row: dict[str, Any], active: list[str], p: dict[str, Any]) -> str:
    name = row["gene_symbol"] or row["gene_key"]
    parts = [f"{name}: tumour {_fmt(row['tumour_median_tpm'])} TPM (level {_fmt(row['level_score'], '.2f')})"]
    if "contrast" in active:
        parts.append(f"{_fmt(row['log2_fold_change'], '+.1f')} log2FC vs matched normal")
    if "prevalence" in active:
        parts.append(f"expressed in {_fmt(100 * row['prevalence_fraction'], '.0f')}% of tumours")
    parts.append(f"surface {_fmt(row['surface_score'], '.2f')}")
    if row["normal_data"] == "missing":
        parts.append("no normal-organ data (assumed high risk)")
    elif row["limiting_organ"] == "none":
        parts.append("all panel organs below the floor")
    else:
        parts.append(
            f"limited by {row['limiting_organ']} {_fmt(row['limiting_organ_ntpm'])} nTPM "
            f"(penalty {_fmt(row['organ_penalty'], '.2f')})"
        )
    if row["normal_data"] == "partial":
        parts.append("some panel organs without data")
    parts.extend(_limitations(row, p))
    return "; ".join(parts)


def _limitations(row: dict[str, Any], p: dict[str, Any]) -> list[str]:
    """Where the data cannot support the gene as a target, said plainly (appended to the reason)."""
    out = []
    tpm = row["tumour_median_tpm"]
    if tpm is not None and np.isfinite(tpm) and tpm < p["low_tumour_tpm"]:
        out.append(f"data limit: tumour RNA < {_fmt(p['low_tumour_tpm'])} TPM, bulk RNA cannot support this target")
    if row.get("surface_curated"):
        out.append(f"curated surface gene: {row.get('curated_reason') or 'no reason given'}")
    elif row.get("surface_hpa") and row.get("surface_n_sources") == 1:
        out.append(
            f"surface evidence only from HPA cell-line staining ({row.get('hpa_reliability')}): not in SURFY or CSPA"
        )
    return out


def rank_targets(
    tumour: pd.DataFrame,
    normal: pd.DataFrame,
    surface: pd.DataFrame,
    params: dict[str, Any] | None = None,
    annotation: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Rank cell-surface targets per tumour type; the stage function of the targets step.

    Inputs (as returned by the readers in :mod:`radiovector.targets.ingest`): ``tumour`` summaries (one
    row per
    cancer_type x gene), ``normal`` long organ expression (ensembl_gene, tissue, ntpm), ``surface``
    evidence rows;
    ``annotation`` optionally adds rows (ensembl_gene, entrez_id, gene_symbol) to the identifier bridge.

    Returns tables ``targets`` (one row per tumour type x gene, ranked), ``organ_expression`` (panel
    organs per
    ranked gene), ``unmapped`` (identifiers without an Ensembl id), ``rejects`` and ``summary`` (counts per
    tumour type).
    """
    p = resolve_params(params)
    t = _prepare_tumour(tumour, p)
    panel = p["organ_panel"]
    organs = list(panel)
    weights = np.array([float(panel[o]) for o in organs])

    bridge = build_bridge(surface, annotation)
    mapped = map_to_ensembl(t, bridge)
    t["ensembl_gene"], t["mapped_by"] = mapped["ensembl_gene"], mapped["mapped_by"]
    t["gene_key"] = gene_key(t, t["ensembl_gene"])
    rejects = [rejects_frame()]
    no_id = t["gene_key"].isna()
    if no_id.any():
        rejects.append(
            _reject_rows(t, no_id, "gene_symbol", "no gene identifier (entrez_id, gene_symbol, ensembl_gene all empty)")
        )
    dup = ~no_id & t.duplicated(["cancer_type", "gene_key"])
    if dup.any():
        rejects.append(_reject_rows(t, dup, "gene_key", "duplicate gene within its tumour type (first row kept)"))
    t = t[~no_id & ~dup].reset_index(drop=True)
    if t.empty:
        raise InputError("no tumour expression rows left after removing rows without identifiers or duplicates")

    surf = surface_scores(surface, bridge, p)
    t = t.merge(surf, on="gene_key", how="left")
    t["surface_score"] = t["surface_score"].fillna(0.0)
    t["surface_sources"] = t["surface_sources"].fillna("none")
    t["surface_n_sources"] = t["surface_n_sources"].fillna(0).astype("int64")
    for flag in SURFACE_FLAGS.values():
        t[flag] = t[flag].astype("boolean").fillna(False).astype(bool)
    symbols = bridge.dropna(subset=["gene_symbol"]).drop_duplicates("ensembl_gene").set_index("ensembl_gene")
    fill = t["ensembl_gene"].map(symbols["gene_symbol"]) if len(symbols) else None
    if fill is not None:
        t["gene_symbol"] = t["gene_symbol"].where(t["gene_symbol"].notna(), fill)

    organ_wide = _organ_matrix(normal, panel)
    normal_genes = set(normal["ensembl_gene"].unique())
    non_panel = normal[~normal["tissue"].isin(organs)]
    ref_source = non_panel if len(non_panel) else normal

    summary_rows, frames = [], []
    for code, grp in t.groupby("cancer_type", sort=True):
        g = grp.reset_index(drop=True)
        has_normal = g["ensembl_gene"].isin(normal_genes).to_numpy()
        t_log = log1p2(g["tumour_median"])
        ref_genes = set(g.loc[has_normal, "ensembl_gene"])
        ref_log = log1p2(ref_source.loc[ref_source["ensembl_gene"].isin(ref_genes), "ntpm"])
        level_log, used = harmonise(t_log, has_normal, ref_log, p["harmonisation"])
        level_ntpm = 2.0**level_log - 1.0
        in_universe = (g["surface_score"] > 0).to_numpy() if p["universe"] == "surface" else np.ones(len(g), bool)
        summary_rows.append(
            {
                "tumour_type": code,
                "genes_in": len(g),
                "genes_mapped_ensembl": int(g["ensembl_gene"].notna().sum()),
                "genes_with_normal_data": int(has_normal.sum()),
                "genes_in_universe": int(in_universe.sum()),
                "universe_genes_without_normal_data": int((in_universe & ~has_normal).sum()),
                "harmonisation": used,
                "reference_values": len(ref_log),
            }
        )
        g, level_ntpm = g[in_universe].reset_index(drop=True), level_ntpm[in_universe]
        if g.empty:
            continue
        lfc = g["log2_fold_change"].to_numpy(dtype="float64")
        computed = np.log2((g["tumour_median"] + 1.0) / (g["normal_median"] + 1.0)).to_numpy(dtype="float64")
        lfc = np.where(np.isnan(lfc), computed, lfc)
        organ_ntpm = organ_wide.reindex(g["ensembl_gene"].fillna("")).to_numpy(dtype="float64")
        known = (~np.isnan(organ_ntpm)).sum(axis=1)
        prevalence = g["prevalence"].to_numpy(dtype="float64")
        comp, pen, penalty = component_scores(
            level_ntpm, lfc, organ_ntpm, g["surface_score"].to_numpy(dtype="float64"), prevalence, weights, p
        )
        active = active_components(p, lfc, prevalence)
        score = combine_scores(comp, active, p)
        worst = pen.argmax(axis=1) if len(organs) else np.zeros(len(g), int)
        worst_pen = pen[np.arange(len(g)), worst] if len(organs) else np.zeros(len(g))
        limiting = np.where(worst_pen > 0, np.array(organs, dtype=object)[worst], "none")
        out = pd.DataFrame(
            {
                "tumour_type": code,
                "gene_symbol": g["gene_symbol"],
                "ensembl_gene": g["ensembl_gene"],
                "entrez_id": pd.to_numeric(g["entrez_id"], errors="coerce").astype("Int64"),
                "gene_key": g["gene_key"],
                "score": score,
            }
        )
        for k in COMPONENTS:
            out[f"{k}_score"] = comp[k] if k in active else np.nan
        out["organ_penalty"] = penalty
        out["tumour_median_tpm"] = g["tumour_median"]
        out["normal_median_tpm"] = g["normal_median"]
        out["log2_fold_change"] = lfc
        out["tumour_level_ntpm_eq"] = level_ntpm
        out["prevalence_fraction"] = g["prevalence"]
        for col in sorted(c for c in g.columns if c.startswith("tumour_q") and c.endswith("_tpm")):
            out[col] = g[col]
        out["limiting_organ"] = limiting
        out["limiting_organ_ntpm"] = organ_ntpm[np.arange(len(g)), worst] if len(organs) else np.nan
        out["limiting_organ_penalty"] = worst_pen
        out["normal_data"] = np.where(known == len(organs), "complete", np.where(known == 0, "missing", "partial"))
        out["surface_sources"] = g["surface_sources"]
        out["surface_n_sources"] = g["surface_n_sources"].to_numpy()
        for flag in SURFACE_FLAGS.values():
            out[flag] = g[flag].to_numpy()
        out["hpa_reliability"] = g["hpa_reliability"].astype(object).where(g["hpa_reliability"].notna(), None)
        out["curated_reason"] = g["curated_reason"].astype(object).where(g["curated_reason"].notna(), None)
        out["mapped_by"] = g["mapped_by"].fillna("unmapped")
        out["_order"] = out["normal_data"].map(_NORMAL_ORDER)
        out["_sym"] = out["gene_symbol"].fillna("~")
        out = (
            out.sort_values(
                ["score", "_order", "_sym", "gene_key"], ascending=[False, True, True, True], kind="mergesort"
            )
            .drop(columns=["_order", "_sym"])
            .reset_index(drop=True)
        )
        out.insert(1, "rank", np.arange(1, len(out) + 1, dtype="int64"))
        out["reason"] = [_reason(r, active, p) for r in out.to_dict("records")]
        frames.append(out)

    targets = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return {
        "targets": targets,
        "organ_expression": _organ_table(targets, organ_wide, panel, p),
        "unmapped": _unmapped(t, surface, bridge),
        "rejects": pd.concat(rejects, ignore_index=True),
        "target_summary": pd.DataFrame(summary_rows),
    }


def _organ_table(
    targets: pd.DataFrame, organ_wide: pd.DataFrame, panel: dict[str, float], p: dict[str, Any]
) -> pd.DataFrame:
    cols = ["ensembl_gene", "gene_symbol", "organ", "organ_weight", "ntpm", "organ_risk", "organ_penalty"]
    if targets.empty:
        return pd.DataFrame(columns=cols)
    genes = targets.drop_duplicates("gene_key")[["gene_key", "ensembl_gene", "gene_symbol"]]
    genes = genes.sort_values("gene_key").reset_index(drop=True)
    organs = list(panel)
    ntpm = organ_wide.reindex(genes["ensembl_gene"].fillna("")).to_numpy(dtype="float64")
    weights = np.array([float(panel[o]) for o in organs])
    risk, pen, _ = _organ_scores(ntpm, weights, p)
    n = len(genes)
    return pd.DataFrame(
        {
            "ensembl_gene": np.repeat(genes["ensembl_gene"].to_numpy(), len(organs)),
            "gene_symbol": np.repeat(genes["gene_symbol"].to_numpy(), len(organs)),
            "organ": np.tile(organs, n),
            "organ_weight": np.tile(weights, n),
            "ntpm": ntpm.ravel(),
            "organ_risk": risk.ravel(),
            "organ_penalty": pen.ravel(),
        }
    )


def _unmapped(t: pd.DataFrame, surface: pd.DataFrame, bridge: pd.DataFrame) -> pd.DataFrame:
    cols = ["source", "gene_key", "entrez_id", "gene_symbol", "tumour_types", "reason"]
    miss = t[t["ensembl_gene"].isna()]
    parts = []
    if len(miss):
        grp = miss.groupby("gene_key", sort=True).agg(
            entrez_id=("entrez_id", "first"),
            gene_symbol=("gene_symbol", "first"),
            tumour_types=("cancer_type", lambda s: ";".join(sorted(set(s)))),
        )
        grp = grp.reset_index().assign(
            source="tumour_expression",
            reason="no Ensembl gene id via NCBI GeneID or symbol: no normal-organ data",
        )
        parts.append(grp)
    if surface is not None and len(surface):
        m = map_to_ensembl(surface, bridge)
        s = surface[m["ensembl_gene"].isna()].copy()
        if len(s):
            s["gene_key"] = gene_key(s, pd.Series([None] * len(s), index=s.index, dtype=object))
            s = s.drop_duplicates(["source", "gene_key"]).assign(
                tumour_types="",
                reason="surface evidence without Ensembl gene id",
                source="surface:" + s["source"].astype(str),
            )
            parts.append(s)
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat([part.reindex(columns=cols) for part in parts], ignore_index=True)
    out["entrez_id"] = pd.to_numeric(out["entrez_id"], errors="coerce").astype("Int64")
    return out.sort_values(["source", "gene_key"], kind="mergesort").reset_index(drop=True)
