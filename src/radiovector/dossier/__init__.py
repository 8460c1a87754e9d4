"""The vector dossier: tumour type x target x candidate x nuclide, with the scores that led there."""

from radiovector.dossier.build import DEFAULTS, build_dossier, resolve_params

__all__ = ["DEFAULTS", "build_dossier", "resolve_params"]
