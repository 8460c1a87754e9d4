"""Pharmacokinetic fits of biodistribution data: models, AICc selection, NCA, bootstrap CI, TIA.

Submodules are imported lazily, so that ``radiovector.pk.models`` (used by the config models in
:mod:`radiovector.settings`) stays cheap to import.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULTS",
    "MODELS",
    "FitResult",
    "Model",
    "akaike_weights",
    "fit_biodistribution",
    "fit_model",
    "nca_tiac",
    "prepare_curves",
    "resolve_params",
    "select",
]

_WHERE = {
    "FitResult": "fit", "akaike_weights": "fit", "fit_model": "fit", "select": "fit", "MODELS": "models",
    "Model": "models", "nca_tiac": "nca", "DEFAULTS": "stage", "fit_biodistribution": "stage",
    "prepare_curves": "curves", "resolve_params": "stage",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"radiovector.pk.{_WHERE[name]}"), name)
    raise AttributeError(name)
