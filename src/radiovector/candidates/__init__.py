"""Ligand and conjugate candidate scoring (issue 4): standardisation, descriptors, radiopharmaceutical
recognition, chelator–nuclide compatibility, alerts, similarity, affinity models, desirability ranking and
design-space enumeration. See docs/methods/candidates.md.

The workflow calls :func:`score_candidates` (one chunk of candidates -> candidates, candidate_nuclides, rejects);
heavy submodules are imported lazily so ``import radiovector.candidates`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["score_candidates", "read_candidates", "AffinityModel", "train_affinity", "write_figures",
           "load_blocks", "enumerate_chunk", "n_chunks", "merge_scored"]

_WHERE = {
    "score_candidates": "stage", "read_candidates": "io", "AffinityModel": "affinity", "train_affinity": "affinity",
    "write_figures": "plots", "load_blocks": "enumerate", "enumerate_chunk": "enumerate", "n_chunks": "enumerate",
    "merge_scored": "enumerate",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"radiovector.candidates.{_WHERE[name]}"), name)
    raise AttributeError(name)
