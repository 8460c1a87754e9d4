"""Pharmacokinetic fits of biodistribution data: models, AICc selection, NCA, bootstrap CI, TIA."""

from radiovector.pk.fit import FitResult, akaike_weights, fit_model, select
from radiovector.pk.models import MODELS, Model
from radiovector.pk.nca import nca_tiac
from radiovector.pk.stage import DEFAULTS, fit_biodistribution, prepare_curves, resolve_params

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
