"""Parameters of the target-ranking stage: documented defaults and validation.

Every weight, threshold and organ of the panel lives here; the workflow config (``targets:`` section) and
the CLI
override them. :func:`resolve_params` merges a user dict over :data:`DEFAULT_PARAMS` and rejects unknown
keys with
a hint, so a typo never silently falls back to a default. See docs/methods/targets.md for the meaning of
each key.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from radiovector.errors import ConfigError

#: Default organ panel: HPA tissue name -> weight in [0, 1] (how dose-limiting the organ is; see
#: docs/methods/targets.md for the reasons behind each weight).
DEFAULT_ORGAN_PANEL: dict[str, float] = {
    "kidney": 1.0,
    "bone_marrow": 1.0,
    "salivary_gland": 0.8,
    "liver": 0.6,
    "lung": 0.5,
    "heart_muscle": 0.5,
    "small_intestine": 0.4,
    "duodenum": 0.4,
    "spleen": 0.3,
}

DEFAULT_PARAMS: dict[str, Any] = {
    # Weights of the component scores (each component lies in [0, 1]); the score is their weighted mean.
    # A component that is undefined for a whole tumour type (prevalence from summary tables, contrast without
    # normal samples) is left out and the remaining weights are renormalised.
    "weights": {"level": 0.30, "contrast": 0.15, "safety": 0.30, "surface": 0.15, "prevalence": 0.10},
    "organ_panel": DEFAULT_ORGAN_PANEL,
    # How the penalty combines organs: (1 - blend) * worst organ + blend * weighted mean over the panel.
    "penalty_mean_blend": 0.2,
    # Scale harmonisation of tumour values onto the normal panel's nTPM scale: "quantile" or "log".
    "harmonisation": "quantile",
    # Tumour level score: log2(1 + x) mapped linearly from floor (score 0) to saturation (score 1), nTPM-eq.
    "level_floor_ntpm": 1.0,
    "level_saturation_ntpm": 300.0,
    # Organ risk: the same ramp on the organ's nTPM.
    "organ_floor_ntpm": 1.0,
    "organ_saturation_ntpm": 100.0,
    # Contrast score: tumour vs matched-normal log2 fold change, 0 at <= 0, 1 at >= saturation.
    "contrast_saturation_log2": 3.0,
    # Unknown is never good: risk assumed for a panel organ without data for a gene, and the contrast score
    # assumed when a gene's matched-normal value is missing.
    "missing_organ_risk": 1.0,
    "missing_contrast_score": 0.0,
    # Surface evidence per source; the gene's surface score is the maximum over sources.
    "surface": {
        "surfy_base": 0.5,  # SURFY "surface" call
        "surfy_ml_weight": 0.5,  # + weight * SURFY machine-learning score
        "cspa_categories": {"1 - high confidence": 1.0, "2 - putative": 0.7, "3 - unspecific": 0.4},
        "default_score": 1.0,  # any other source giving no score (e.g. a custom curated list)
        # --- issue 13: HPA subcellular location ("Plasma membrane"), scored by its antibody reliability grade
        # (cell-line immunofluorescence: noisy for tissue-restricted proteins, so below SURFY/CSPA), and a
        # user-curated surface-gene list (every listed gene joins the universe).
        "hpa_reliability": {"Enhanced": 0.8, "Validated": 0.8, "Supported": 0.6, "Approved": 0.4, "Uncertain": 0.2},
        "curated_score": 1.0,
    },
    # Genes ranked: "surface" (genes with surface evidence in any source) or "all".
    "universe": "surface",
    # Sample-level inputs: expression threshold (input units, e.g. TPM) above which a tumour sample counts as
    # expressing the gene, and the quantiles reported.
    "prevalence_threshold": 10.0,
    "quantiles": [0.1, 0.25, 0.75, 0.9],
    # Restrict to these tumour types (None: all in the input).
    "tumour_types": None,
    # Rows kept per tumour type in plots and printed tables (the parquet output keeps every gene).
    "top_n": 25,
    # --- issue 13 (new keys) ---
    # Tumour median (input units, TPM) below which the reason says the data cannot support the target.
    "low_tumour_tpm": 5.0,
    # Calibrated parameters merged under the user's own: None (the defaults above), "bundled" (the package's
    # leave-one-tumour-type-out calibration, radiovector/targets/data/calibrated_params.yaml) or a path to a
    # file written by `radiovector evaluate-targets --fit`.
    "calibration": None,
}


def _merge(base: dict[str, Any], override: dict[str, Any], path: str, replace: set[str]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}.{key}" if path else key
        if key not in base:
            close = difflib.get_close_matches(key, list(base), n=1)
            raise ConfigError(
                f"unknown targets parameter {where!r}",
                hint=f"did you mean {close[0]!r}?" if close else f"known keys: {sorted(base)}",
            )
        if where in replace or not isinstance(base[key], dict) or value is None:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict):
            out[key] = _merge(base[key], value, where, replace)
        else:
            raise ConfigError(f"targets parameter {where!r} must be a mapping, got {value!r}")
    return out


def _check_number(params: dict[str, Any], key: str, lo: float | None = None, hi: float | None = None) -> None:
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"targets parameter {key!r} must be a number, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"targets parameter {key!r}={value} is outside [{lo}, {hi}]")


def resolve_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``params`` over the defaults and validate; ``organ_panel`` and ``cspa_categories`` are
    replaced whole.

    Raises :class:`ConfigError` naming the offending key.
    """
    replace = {"organ_panel", "surface.cspa_categories", "surface.hpa_reliability", "tumour_types", "quantiles"}
    params = dict(params or {})
    calibration = params.get("calibration", DEFAULT_PARAMS["calibration"])
    base = DEFAULT_PARAMS
    if calibration is not None:
        from radiovector.targets.calibration import load_calibrated

        base = _merge(DEFAULT_PARAMS, load_calibrated(calibration), "", replace)
    out = _merge(base, params, "", replace)
    for name, weight in out["weights"].items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ConfigError(f"targets parameter 'weights.{name}' must be a number >= 0, got {weight!r}")
    if sum(out["weights"].values()) <= 0:
        raise ConfigError(
            "targets weights are all zero", hint="give at least one component a positive weight"
        )
    panel = out["organ_panel"]
    if not isinstance(panel, dict) or not panel:
        raise ConfigError("targets parameter 'organ_panel' must be a non-empty mapping organ -> weight")
    for organ, weight in panel.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise ConfigError(f"organ_panel weight for {organ!r} must be a number in [0, 1], got {weight!r}")
    _check_number(out, "penalty_mean_blend", 0, 1)
    _check_number(out, "missing_organ_risk", 0, 1)
    _check_number(out, "missing_contrast_score", 0, 1)
    _check_number(out, "prevalence_threshold", 0)
    _check_number(out, "low_tumour_tpm", 0)
    _check_number(out["surface"], "curated_score", 0, 1)
    for grade, value in out["surface"]["hpa_reliability"].items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"targets parameter 'surface.hpa_reliability.{grade}' must be in [0, 1], got {value!r}")
    _check_number(out, "contrast_saturation_log2", 1e-9)
    for lo, hi in (
        ("level_floor_ntpm", "level_saturation_ntpm"),
        ("organ_floor_ntpm", "organ_saturation_ntpm"),
    ):
        _check_number(out, lo, 0)
        _check_number(out, hi, 0)
        if out[hi] <= out[lo]:
            raise ConfigError(f"targets parameter {hi!r} must be greater than {lo!r}")
    if out["harmonisation"] not in ("quantile", "log"):
        raise ConfigError(
            f"targets parameter 'harmonisation' must be 'quantile' or 'log', got {out['harmonisation']!r}"
        )
    if out["universe"] not in ("surface", "all"):
        raise ConfigError(f"targets parameter 'universe' must be 'surface' or 'all', got {out['universe']!r}")
    qs = out["quantiles"]
    if not isinstance(qs, list) or not all(isinstance(q, int | float) and 0 <= q <= 1 for q in qs):
        raise ConfigError(f"targets parameter 'quantiles' must be a list of numbers in [0, 1], got {qs!r}")
    if out["tumour_types"] is not None and not isinstance(out["tumour_types"], list):
        raise ConfigError("targets parameter 'tumour_types' must be a list of codes or null")
    if not isinstance(out["top_n"], int) or out["top_n"] < 1:
        raise ConfigError(f"targets parameter 'top_n' must be a positive integer, got {out['top_n']!r}")
    return out
