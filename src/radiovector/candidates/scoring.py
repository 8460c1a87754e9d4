"""Desirability scoring: per-property transforms grouped in named profiles, a weighted geometric mean,
a Pareto rank over the main objectives and a one-line reason per candidate."""

from __future__ import annotations

import copy
import math
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from radiovector.errors import ConfigError
from radiovector.io.yamlfile import load_yaml

COMPAT_DESIRABILITY = {"compatible": 1.0, "possible": 0.6, "no_chelator": 0.2, "incompatible": 0.05}
TRANSFORMS = ("sigmoid", "double_sigmoid", "step", "identity")
#: Components grouped into the Pareto objectives.
#: Pareto objectives, each the geometric mean of its known components. The peptide components (protease stability,
#: renal retention, sequence similarity) are missing for small molecules and then simply not counted.
OBJECTIVES = {
    "binding": ("affinity", "similarity", "sequence_similarity"),
    "radiochemistry": ("compatibility",),
    "pharmacokinetics": ("hydrophilicity", "net_charge", "size", "albumin_binder", "protease_stability",
                         "renal_retention"),
}
_FLOOR = 1e-3  # a zero desirability would make the geometric mean zero whatever the other properties


@cache
def _default_profiles() -> dict:
    text = resources.files("radiovector.candidates").joinpath("data").joinpath("profiles.yaml").read_text()
    return load_yaml(text)["profiles"]


def resolve_profile(name: str, overrides: dict | None = None) -> dict:
    """The named profile (built-in, or from ``overrides`` which may add or replace profiles), validated."""
    profiles = copy.deepcopy(_default_profiles())
    for key, value in (overrides or {}).items():
        profiles[key] = value
    if name not in profiles:
        raise ConfigError(
            f"unknown candidate scoring profile {name!r}", hint=f"choose one of {sorted(profiles)} or define it"
        )
    profile = profiles[name]
    comps = profile.get("components") if isinstance(profile, dict) else None
    if not comps:
        raise ConfigError(
            f"profile {name!r} has no components", hint="see src/radiovector/candidates/data/profiles.yaml"
        )
    for cname, spec in comps.items():
        where = f"candidates.profiles.{name}.components.{cname}"
        if not isinstance(spec, dict) or "column" not in spec:
            raise ConfigError(f"{where}: needs a 'column'")
        kind = spec.get("transform", "identity")
        if kind not in TRANSFORMS:
            raise ConfigError(f"{where}: unknown transform {kind!r}", hint=f"use one of {TRANSFORMS}")
        needed = {
            "sigmoid": ("x0", "k"), "double_sigmoid": ("low", "high", "k"), "step": ("threshold", "above", "below")
        }
        missing = [k for k in needed.get(kind, ()) if k not in spec]
        if missing:
            raise ConfigError(f"{where}: transform {kind} needs {missing}")
        weight = spec.get("weight", 1.0)
        if not isinstance(weight, int | float) or weight < 0:
            raise ConfigError(f"{where}: weight must be a non-negative number, got {weight!r}")
    return profile


def _sigmoid(x: np.ndarray, x0: float, k: float) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-k * (x - x0)))


def transform(values: pd.Series, spec: dict) -> pd.Series:
    x = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    kind = spec.get("transform", "identity")
    if kind == "sigmoid":
        d = _sigmoid(x, spec["x0"], spec["k"])
    elif kind == "double_sigmoid":
        d = _sigmoid(x, spec["low"], spec["k"]) * _sigmoid(x, spec["high"], -spec["k"])
    elif kind == "step":
        d = np.where(x >= spec["threshold"], spec["above"], spec["below"]).astype(float)
    else:
        d = np.clip(x, 0.0, 1.0)
    d[np.isnan(x)] = np.nan
    return pd.Series(d, index=values.index)


def desirabilities(frame: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """One ``d_<component>`` column per profile component (NaN where the input value is missing)."""
    out = {}
    for cname, spec in profile["components"].items():
        col = spec["column"]
        values = frame[col] if col in frame.columns else pd.Series(np.nan, index=frame.index)
        out[f"d_{cname}"] = transform(values, spec)
    return pd.DataFrame(out, index=frame.index)


def geometric_score(d: pd.DataFrame, profile: dict) -> pd.Series:
    weights = np.array([float(profile["components"][c[2:]].get("weight", 1.0)) for c in d.columns])
    vals = d.to_numpy(dtype=float)
    known = ~np.isnan(vals)
    logs = np.where(known, np.log(np.clip(np.nan_to_num(vals, nan=1.0), _FLOOR, 1.0)), 0.0)
    wsum = (known * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.exp((logs * weights).sum(axis=1) / wsum)
    score[wsum == 0] = np.nan
    return pd.Series(score, index=d.index)


def objectives(d: pd.DataFrame) -> pd.DataFrame:
    """Per objective, the geometric mean of its components' desirabilities (NaN if none known)."""
    out = {}
    for name, comps in OBJECTIVES.items():
        cols = [f"d_{c}" for c in comps if f"d_{c}" in d.columns]
        if not cols:
            continue
        vals = d[cols].to_numpy(dtype=float)
        logs = np.log(np.clip(vals, _FLOOR, 1.0))
        known = ~np.isnan(vals)
        count = known.sum(axis=1)
        total = np.where(known, logs, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(count > 0, np.exp(total / np.maximum(count, 1)), np.nan)
    return pd.DataFrame(out, index=d.index)


def pareto_ranks(frame: pd.DataFrame, max_rows: int) -> np.ndarray:
    """Pareto rank of every row of a scored table from its ``d_`` columns (:data:`OBJECTIVES`), 0 = not ranked.

    Only the ``max_rows`` best rows by ``score`` are ranked (non-dominated sorting is O(n^2)); an objective no row
    knows is left out, and an unknown one counts as 0 (worst) for the rows that lack it.
    """
    ranks = np.zeros(len(frame), dtype=np.int64)
    obj = objectives(frame)
    if not len(frame) or not obj.shape[1]:
        return ranks
    usable = [c for c in obj.columns if obj[c].notna().any()]
    values = obj[usable].to_numpy(dtype=float)
    top = np.argsort(-np.nan_to_num(frame["score"].to_numpy(dtype=float), nan=-1.0), kind="stable")[:max_rows]
    ranks[top] = pareto_rank(np.nan_to_num(values[top], nan=0.0))
    return ranks


def pareto_rank(obj: np.ndarray, block: int = 1024) -> np.ndarray:
    """Non-dominated sorting (maximisation) of ``obj`` (rows x objectives); rank 1 = Pareto front.

    Deb's fast non-dominated sort with the dominance relation built blockwise once (O(n^2) time, n^2 bits of
    memory); rows with a NaN objective get rank 0 (not ranked).
    """
    n = obj.shape[0]
    ranks = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(~np.isnan(obj).any(axis=1))
    pts = obj[idx]
    m = len(idx)
    if m == 0:
        return ranks
    dominates = np.zeros((m, m), dtype=bool)  # dominates[i, j]: i dominates j
    for start in range(0, m, block):
        chunk = pts[start : start + block]
        ge = (chunk[:, None, :] >= pts[None, :, :]).all(axis=2)
        gt = (chunk[:, None, :] > pts[None, :, :]).any(axis=2)
        dominates[start : start + block] = ge & gt
    count = dominates.sum(axis=0)
    done = np.zeros(m, dtype=bool)
    level = 1
    while not done.all():
        front = np.flatnonzero((count == 0) & ~done)
        ranks[idx[front]] = level
        done[front] = True
        count = count - dominates[front].sum(axis=0)
        level += 1
    return ranks


def _fmt(value: float, digits: int = 1) -> str:
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def reasons(frame: pd.DataFrame, d: pd.DataFrame, nuclides_col: str = "scored_nuclides") -> list[str]:
    """One human-readable line per candidate: chelator fit, motifs, key properties, weakest components."""
    n = len(frame)

    def column(name: str, default=None) -> list:
        return frame[name].tolist() if name in frame.columns else [default] * n

    score, chelators, motifs, albumin = column("score"), column("chelators"), column("targeting_motifs"), \
        column("albumin_binders")
    nucs_col, summary = column(nuclides_col), column("compatibility_summary")
    paff, measured, domain = column("paffinity", np.nan), column("paffinity_measured", np.nan), column("in_domain")
    low, high = column("paffinity_low", np.nan), column("paffinity_high", np.nan)
    charge, clogp, mw = column("net_charge_ph74"), column("clogp"), column("mw")
    names = [c[2:] for c in d.columns]
    dvals = d.to_numpy(dtype=float).tolist()
    out = []
    for i in range(n):
        parts = [f"score {_fmt(score[i], 2)}"]
        chel = chelators[i]
        nucs = nucs_col[i] or ""
        if chel:
            parts.append(f"{chel}: {summary[i]}" if nucs else f"chelator {chel}")
        else:
            parts.append("no chelator recognised")
        if motifs[i]:
            parts.append(f"motif {motifs[i]}")
        if albumin[i]:
            parts.append(f"albumin binder {albumin[i]}")
        if not math.isnan(paff[i]):
            src = "measured" if not math.isnan(measured[i]) else "predicted"
            dom = "" if src == "measured" else (" in domain" if domain[i] else " OUT of domain")
            band = "" if src == "measured" or math.isnan(low[i]) else f" [{_fmt(low[i])}, {_fmt(high[i])}]"
            parts.append(f"p{src[:4]}. affinity {_fmt(paff[i])}{band}{dom}")
        parts.append(f"charge {_fmt(charge[i])} at pH 7.4, clogP {_fmt(clogp[i])}, MW {mw[i]:.0f}")
        drow = dvals[i]
        weak = [f"{c} {v:.2f}" for c, v in zip(names, drow, strict=True) if not math.isnan(v) and v < 0.5]
        if weak:
            parts.append("weak: " + ", ".join(weak))
        missing = [c for c, v in zip(names, drow, strict=True) if math.isnan(v)]
        if missing:
            parts.append("not scored: " + ", ".join(missing))
        out.append("; ".join(parts))
    return out
