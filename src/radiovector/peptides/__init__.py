"""Peptide and modified-peptide candidates (issue 5): a notation with a monomer library, HELM input, whole-molecule
assembly in RDKit (so every small-molecule score applies unchanged), sequence properties, protease cleavage-site
scan, renal retention proxy and similarity to known peptide ligands. See docs/methods/peptides.md.

The workflow calls :func:`score_peptides` (accepted peptide rows -> the candidate tables plus peptide columns);
heavy submodules are imported lazily so ``import radiovector.peptides`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["score_peptides", "read_peptides", "build_peptide", "load_library", "parse_native", "parse_helm"]

_WHERE = {
    "score_peptides": "stage", "read_peptides": "io", "build_peptide": "stage", "load_library": "monomers",
    "parse_native": "notation", "parse_helm": "notation",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"radiovector.peptides.{_WHERE[name]}"), name)
    raise AttributeError(name)
