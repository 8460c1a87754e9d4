"""Calibrate the target score's free parameters on a known-target list, out of sample (issue 13).

Procedure (documented in docs/methods/targets.md):

1. Rank once with the configured parameters; keep each ranked row's features (harmonised tumour level, log2 fold
   change, panel-organ nTPM, surface score, prevalence). The score is recomputed from these features with the
   same function :func:`radiovector.targets.score.component_scores` that :func:`rank_targets` uses, so a candidate
   parameter set costs milliseconds, not a new ranking.
2. Candidates: the configured parameters first, then ``n_candidates`` parameter sets drawn with a fixed seed from
   :data:`SEARCH_SPACE` (component weights, level/contrast/organ saturations, the penalty blend, organ-weight
   profiles).
3. Objective on a set of tumour types: the mean over k of micro recall@k of their known pairs, ties broken by the
   lower median rank, then by candidate order (so the configured parameters win every tie).
4. Leave one tumour type out: for each type with known pairs, choose the best candidate on the other types and
   record the ranks of the held-out type's pairs under it. These held-out ranks are the reported numbers.
5. The parameters stored (with provenance) are the best candidate on all types.

A learning-to-rank alternative is evaluated the same way: a logistic regression (scikit-learn, balanced class
weights) on the component scores of the configured parameters, fitted on the other types' pairs (positives) and
genes (negatives), scoring the held-out type.
"""

from __future__ import annotations

import copy
import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from radiovector.errors import ConfigError, InputError
from radiovector.io.yamlfile import load_yaml
from radiovector.targets.evaluate import DEFAULT_KS, KNOWN_TARGETS_FILE
from radiovector.targets.score import COMPONENTS, active_components, combine_scores, component_scores

CALIBRATED_FILE = Path(__file__).with_name("data") / "calibrated_params.yaml"

#: Organ-weight profiles searched (multiplied by a scale); names are documented in docs/methods/targets.md.
ORGAN_PROFILES: dict[str, dict[str, float]] = {
    "default": {},  # the configured panel as it is
    "dose_limiting": {"kidney": 1.0, "bone_marrow": 1.0, "salivary_gland": 1.0},  # others 0.3
    "ten_line": {
        "kidney": 1.0, "salivary_gland": 1.0, "bone_marrow": 1.0, "liver": 0.7, "small_intestine": 0.5,
        "duodenum": 0.5, "lung": 0.5, "heart_muscle": 0.5, "spleen": 0.3,
    },
    "flat": {"*": 1.0},
}

SEARCH_SPACE: dict[str, list[Any]] = {
    "weights.level": [0.1, 0.2, 0.3, 0.4, 0.5],
    "weights.contrast": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3],
    "weights.safety": [0.1, 0.2, 0.3, 0.4],
    "weights.surface": [0.0, 0.1, 0.15, 0.2, 0.3],
    "level_saturation_ntpm": [100.0, 300.0, 1000.0, 3000.0],
    "contrast_saturation_log2": [2.0, 3.0, 5.0, 8.0],
    "organ_saturation_ntpm": [30.0, 100.0, 300.0, 1000.0],
    "penalty_mean_blend": [0.0, 0.2, 0.5, 0.8, 1.0],
    "organ_profile": list(ORGAN_PROFILES),
    "organ_scale": [0.5, 0.75, 1.0],
}


def load_calibrated(which: str | Path) -> dict[str, Any]:
    """The ``params`` of a calibration file: ``"bundled"`` (the package's) or a path written by ``--fit``."""
    path = CALIBRATED_FILE if str(which) == "bundled" else Path(which)
    if not path.is_file():
        raise ConfigError(
            f"targets calibration file not found: {path}",
            hint="use calibration: bundled, or a file written by `radiovector evaluate-targets --fit`",
        )
    doc = load_yaml(path.read_text())
    if not isinstance(doc, dict) or not isinstance(doc.get("params"), dict):
        raise ConfigError(f"{path}: a calibration file needs a 'params' mapping")
    params = copy.deepcopy(doc["params"])
    params.pop("calibration", None)
    return params


# ------------------------------------------------------------------------------------------------- features
class Features:
    """The per-row features of a ranking, in the ranking's tie-break order, with the known pairs marked."""

    def __init__(self, targets: pd.DataFrame, normal: pd.DataFrame, known: pd.DataFrame, p: dict[str, Any]):
        t = targets.sort_values(["tumour_type", "rank"], kind="mergesort").reset_index(drop=True)
        self.types = t["tumour_type"].to_numpy()
        self.organs = list(p["organ_panel"])
        sub = normal[normal["tissue"].isin(self.organs)]
        wide = sub.pivot_table(index="ensembl_gene", columns="tissue", values="ntpm", aggfunc="first")
        self.organ_ntpm = wide.reindex(columns=self.organs).reindex(t["ensembl_gene"].fillna("")).to_numpy("float64")
        self.level = t["tumour_level_ntpm_eq"].to_numpy("float64")
        self.lfc = t["log2_fold_change"].to_numpy("float64")
        self.surface = t["surface_score"].to_numpy("float64")
        self.prevalence = t["prevalence_fraction"].to_numpy("float64")
        sym = t["gene_symbol"].astype(object).fillna("").str.upper().to_numpy()
        keyed = {(a, b): i for i, (a, b) in enumerate(zip(self.types, sym, strict=True)) if b}
        self.pairs = [(r.tumour_type, r.gene) for r in known.itertuples() if (r.tumour_type, r.gene) in keyed]
        self.pair_rows = np.array([keyed[k] for k in self.pairs], dtype="int64")
        self.pair_types = np.array([k[0] for k in self.pairs], dtype=object)
        self.slices = {}
        for code in dict.fromkeys(self.types):
            idx = np.flatnonzero(self.types == code)
            self.slices[code] = (int(idx[0]), int(idx[-1]) + 1)
        self.targets = t

    def components(self, p: dict[str, Any]) -> tuple[dict[str, np.ndarray], list[str]]:
        weights = np.array([float(p["organ_panel"].get(o, 0.0)) for o in self.organs])
        comp, _, _ = component_scores(
            self.level, self.lfc, self.organ_ntpm, self.surface, self.prevalence, weights, p
        )
        return comp, active_components(p, self.lfc, self.prevalence)

    def score(self, p: dict[str, Any]) -> np.ndarray:
        comp, active = self.components(p)
        return combine_scores(comp, active, p)

    def ranks_of_pairs(self, score: np.ndarray) -> np.ndarray:
        """Rank of each known pair in its type: 1 + rows scoring higher + tied rows earlier in tie-break order."""
        out = np.empty(len(self.pair_rows), dtype="int64")
        for j, (row, code) in enumerate(zip(self.pair_rows, self.pair_types, strict=True)):
            a, b = self.slices[code]
            s = score[a:b]
            out[j] = 1 + int((s > score[row]).sum()) + int((s[: row - a] == score[row]).sum())
        return out

    def all_ranks(self, score: np.ndarray) -> np.ndarray:
        """Rank of every row within its type (score descending, ties in the ranking's order)."""
        frame = pd.DataFrame({"t": self.types, "s": -score, "i": np.arange(len(score))})
        order = frame.sort_values(["t", "s", "i"], kind="mergesort")
        out = np.empty(len(score), dtype="int64")
        out[order.index.to_numpy()] = order.groupby("t").cumcount().to_numpy() + 1
        return out


# ------------------------------------------------------------------------------------------------- search
def _apply(base: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any]:
    p = copy.deepcopy(base)
    for key, value in choice.items():
        if key.startswith("weights."):
            p["weights"][key.split(".", 1)[1]] = value
        elif key in ("organ_profile", "organ_scale"):
            continue
        else:
            p[key] = value
    profile = ORGAN_PROFILES[choice.get("organ_profile", "default")]
    scale = choice.get("organ_scale", 1.0)
    panel = {}
    for organ, weight in base["organ_panel"].items():
        w = weight if not profile else profile.get(organ, profile.get("*", 0.3))
        panel[organ] = round(min(1.0, w * scale), 4)
    p["organ_panel"] = panel
    return p


def candidates(base: dict[str, Any], n: int, seed: int = 13) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The configured parameters first, then ``n`` seeded draws from :data:`SEARCH_SPACE` (choice, params)."""
    rng = np.random.default_rng(seed)
    out = [({}, copy.deepcopy(base))]
    for _ in range(n):
        choice = {k: v[int(rng.integers(len(v)))] for k, v in SEARCH_SPACE.items()}
        choice = {k: (v.item() if hasattr(v, "item") else v) for k, v in choice.items()}
        out.append((choice, _apply(base, choice)))
    return out


def _objective(ranks: np.ndarray, ks: tuple[int, ...]) -> tuple[float, float]:
    if len(ranks) == 0:
        return (0.0, 0.0)
    return (float(np.mean([(ranks <= k).mean() for k in ks])), -float(np.median(ranks)))


def _best(rank_matrix: np.ndarray, mask: np.ndarray, ks: tuple[int, ...]) -> int:
    best, best_val = 0, None
    for c in range(rank_matrix.shape[0]):
        val = _objective(rank_matrix[c, mask], ks)
        if best_val is None or val > best_val:
            best, best_val = c, val
    return best


def leave_one_type_out(
    feats: Features, base: dict[str, Any], n_candidates: int = 300, seed: int = 13, ks: tuple[int, ...] = DEFAULT_KS
) -> dict[str, Any]:
    """Held-out ranks of the known pairs (composite search and logistic regression) and the final choice."""
    cands = candidates(base, n_candidates, seed)
    rank_matrix = np.vstack([feats.ranks_of_pairs(feats.score(p)) for _, p in cands])
    types = list(dict.fromkeys(feats.pair_types))
    held = np.zeros(len(feats.pairs), dtype="int64")
    chosen = {}
    for code in types:
        test = feats.pair_types == code
        c = _best(rank_matrix, ~test, ks)
        held[test] = rank_matrix[c, test]
        chosen[code] = c
    final = _best(rank_matrix, np.ones(len(feats.pairs), bool), ks)
    return {
        "candidates": cands,
        "rank_matrix": rank_matrix,
        "heldout_ranks": held,
        "chosen_per_fold": chosen,
        "final": final,
        "logistic_heldout_ranks": logistic_heldout(feats, base),
    }


def logistic_heldout(feats: Features, base: dict[str, Any], c_reg: float = 1.0) -> np.ndarray:
    """Learning to rank: held-out ranks under a logistic regression on the configured component scores."""
    from sklearn.linear_model import LogisticRegression

    comp, active = feats.components(base)
    X = np.column_stack([comp[k] for k in COMPONENTS if k in active])
    y = np.zeros(len(X), dtype=int)
    y[feats.pair_rows] = 1
    in_known_type = np.isin(feats.types, list(dict.fromkeys(feats.pair_types)))
    held = np.zeros(len(feats.pairs), dtype="int64")
    for code in dict.fromkeys(feats.pair_types):
        train = in_known_type & (feats.types != code)
        model = LogisticRegression(C=c_reg, class_weight="balanced", max_iter=1000)
        model.fit(X[train], y[train])
        score = model.decision_function(X)
        test = feats.pair_types == code
        held[test] = feats.ranks_of_pairs(score)[test]
    return held


def calibration_document(
    result: dict[str, Any], feats: Features, known_path: str | Path | None, ks: tuple[int, ...], data: str
) -> dict[str, Any]:
    """The calibration file: the chosen parameters (only those the search varies) and their provenance."""
    choice, params = result["candidates"][result["final"]]
    keys = ["weights", "organ_panel", "level_saturation_ntpm", "contrast_saturation_log2",
            "organ_saturation_ntpm", "penalty_mean_blend"]
    chosen = {k: copy.deepcopy(params[k]) for k in keys}
    held = result["heldout_ranks"]
    known_file = Path(known_path) if known_path is not None else KNOWN_TARGETS_FILE
    return {
        "params": chosen,
        "provenance": {
            "procedure": "leave-one-tumour-type-out random search (radiovector.targets.calibration; "
            "docs/methods/targets.md)",
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "known_targets": str(known_file.name),
            "known_targets_sha256": hashlib.sha256(known_file.read_bytes()).hexdigest(),
            "known_pairs_in_universe": len(feats.pairs),
            "tumour_types_with_pairs": len(set(feats.pair_types)),
            "data": data,
            "candidates": len(result["candidates"]),
            "seed": 13,
            "objective": f"mean micro recall@k over k in {list(ks)}; ties: lower median rank, then candidate order",
            "chosen_candidate": int(result["final"]),
            "chosen_search_values": choice or "the configured parameters",
            "heldout_recall_micro": {int(k): round(float((held <= k).mean()), 4) for k in ks},
            "heldout_median_rank": float(np.median(held)) if len(held) else math.nan,
            "insample_recall_micro": {
                int(k): round(float((result["rank_matrix"][result["final"]] <= k).mean()), 4) for k in ks
            },
        },
    }


def fit(
    targets: pd.DataFrame,
    normal: pd.DataFrame,
    known: pd.DataFrame,
    p: dict[str, Any],
    n_candidates: int = 300,
    ks: tuple[int, ...] = DEFAULT_KS,
) -> tuple[Features, dict[str, Any]]:
    """Features of the ranking and the leave-one-type-out search (see the module docstring)."""
    feats = Features(targets, normal, known, p)
    if len(set(feats.pair_types)) < 2:
        raise InputError(
            "calibration needs known pairs in at least two tumour types of the ranked universe",
            hint="add pairs to the known-target list, or rank more tumour types",
        )
    return feats, leave_one_type_out(feats, p, n_candidates, ks=ks)


def heldout_rankings(feats: Features, result: dict[str, Any], targets: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-row ranks to add to the evaluation: the known pairs' held-out ranks (other rows 0, i.e. not used)."""
    order = {(t, g): i for i, (t, g) in enumerate(zip(
        targets["tumour_type"], targets["gene_symbol"].astype(object).fillna("").str.upper(), strict=True))}
    out = {}
    for name, ranks in (
        ("composite_heldout", result["heldout_ranks"]),
        ("logistic_heldout", result["logistic_heldout_ranks"]),
    ):
        arr = np.zeros(len(targets), dtype="int64")
        for pair, r in zip(feats.pairs, ranks, strict=True):
            arr[order[pair]] = r
        out[name] = arr
    return out


def write_calibration(doc: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Target-score parameters chosen by leave-one-tumour-type-out calibration on a known-target list\n"
        "# (radiovector evaluate-targets --fit). Use with targets: {calibration: <this file>}.\n"
    )
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path
