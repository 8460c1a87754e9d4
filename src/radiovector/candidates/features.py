"""Per-structure work of the candidate stage: standardise each input row once and compute, once per unique
structure, everything that needs the molecule (descriptors, motif recognition, alerts, Morgan counts).

Speed without changing results (docs/methods/candidates.md, "Speed"):

* a SMILES string seen before is not parsed or standardised again (same text, same outcome);
* the InChIKey (the deduplication key) is computed once per unique canonical SMILES;
* per unique InChIKey the molecule-level features are computed once, from the first row that has it (the
  row whose molecule the candidate row describes);
* one screen per molecule serves the FilterCatalog alerts and QED's SMARTS, and a query they share is matched
  once (:mod:`radiovector.candidates.screen`);
* one Morgan count fingerprint per molecule serves similarity (its on-bits are the bit fingerprint) and the
  affinity model (its counts are the model features), and is computed only when one of them is used.

``prepare_all(..., jobs=N)`` splits the rows into contiguous chunks for N worker processes; the per-chunk results
are merged in row order keeping the first occurrence of each structure, which is exactly what one process does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from rdkit import Chem

from radiovector.candidates.alerts import alerts as find_alerts
from radiovector.candidates.descriptors import descriptors
from radiovector.candidates.limits import DEFAULT_LIMITS, SizeLimits
from radiovector.candidates.panel import candidate_panel
from radiovector.candidates.recognition import recognise
from radiovector.candidates.screen import MoleculeMatches
from radiovector.candidates.similarity import NBITS, morgan_generator
from radiovector.candidates.standardise import inchikey_of, parse_smiles, standardise_mol
from radiovector.cpus import process_pool

if TYPE_CHECKING:
    from scipy import sparse

#: Parallel workers are used only when every worker gets at least this many input rows.
MIN_ROWS_PER_JOB = 500
#: Chunks shrink as the rows run out (each a 1/(CHUNK_SHARE x workers) share of the rows left, at least
#: MIN_CHUNK_ROWS rows): early chunks are large, the last ones small, so the workers finish within a small chunk
#: of each other. Duplicates are recognised within a chunk and when merging, so a structure repeated across
#: chunks is computed once per chunk.
CHUNK_SHARE = 4
MIN_CHUNK_ROWS = 50


def chunk_bounds(n: int, jobs: int, share: int = CHUNK_SHARE, min_rows: int = MIN_CHUNK_ROWS
                 ) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` row ranges covering ``range(n)`` in order, guided self-scheduling
    (Polychronopoulos & Kuck, IEEE Trans Comput 1987;36:1425): each takes ``1 / (share x jobs)`` of the rows
    left, at least ``min_rows``."""
    bounds, start = [], 0
    while start < n:
        stop = min(n, start + max(min_rows, math.ceil((n - start) / (share * jobs))))
        bounds.append((start, stop))
        start = stop
    return bounds

Outcome = tuple  # (inchikey, smiles, drawn_metals, removed_fragments) or (None, reason)


def molecule_features(mol: Chem.Mol, alerts: bool = True, qed_sa: bool = True, morgan: bool = True) -> dict:
    """Descriptors, recognised motifs, alert labels and Morgan counts (indices, counts; None with
    ``morgan=False``, when neither reference similarity nor an affinity model will use them) of one molecule."""
    matches = MoleculeMatches(mol, candidate_panel()) if (alerts or qed_sa) else None
    fingerprint = None
    if morgan:
        counts = morgan_generator().GetCountFingerprintAsNumPy(mol)
        idx = np.flatnonzero(counts).astype(np.int32)
        fingerprint = (idx, counts[idx].astype(np.uint32))
    return {
        "descriptors": descriptors(mol, qed_sa=qed_sa, matches=matches),
        "found": recognise(mol, matches),
        "alerts": find_alerts(mol, matches) if alerts else [],
        "morgan": fingerprint,
    }


def prepare(smiles: list, prebuilt: list | None, alerts: bool = True, qed_sa: bool = True,
            progress: Callable[[int], None] | None = None,
            limits: SizeLimits = DEFAULT_LIMITS, morgan: bool = True) -> tuple[list[Outcome], dict[str, dict]]:
    """Standardise every row and compute the features of each new structure (see module docstring); a structure
    above ``limits`` is a failure before RDKit sees it."""
    seen: dict[str, Outcome] = {}  # SMILES text -> outcome (outcomes only: molecules are not kept alive)
    key_cache: dict[str, tuple[str, str]] = {}
    outcomes: list[Outcome] = []
    features: dict[str, dict] = {}
    for i, text in enumerate(smiles):
        own = prebuilt is not None and prebuilt[i] is not None
        if not own and isinstance(text, str) and text in seen:
            outcomes.append(seen[text])  # same text, same outcome; its features are already computed
        else:
            if own:
                std, reason = standardise_mol(prebuilt[i], inchikey=False, limits=limits), ""
            else:
                mol, reason = parse_smiles(text, limits)
                std = standardise_mol(mol, inchikey=False, limits=limits) if mol is not None else None
            if std is None or not std.ok:
                out = (None, reason if std is None else std.reason)
            else:
                # a prebuilt molecule may carry coordinates (stereo from 3D): its key is not cached by SMILES
                keyed = inchikey_of(std) if own else key_cache.get(std.smiles)
                if keyed is None:
                    keyed = key_cache[std.smiles] = inchikey_of(std)
                key, failure = keyed
                if not key:
                    out = (None, failure)
                else:
                    out = (key, std.smiles, std.drawn_metals, std.removed_fragments)
                    if key not in features:
                        features[key] = molecule_features(std.mol, alerts, qed_sa, morgan)
            outcomes.append(out)
            if not own and isinstance(text, str):
                seen[text] = out
        if progress and (i + 1) % 500 == 0:
            progress(i + 1)
    return outcomes, features


def _prepare_chunk(args: tuple) -> tuple[list[Outcome], dict[str, dict]]:
    smiles, prebuilt, alerts, qed_sa, limits, morgan = args
    return prepare(smiles, prebuilt, alerts, qed_sa, limits=limits, morgan=morgan)


def prepare_all(smiles: list, prebuilt: list | None, alerts: bool = True, qed_sa: bool = True, jobs: int = 1,
                progress: Callable[[int], None] | None = None,
                min_rows_per_job: int = MIN_ROWS_PER_JOB,
                limits: SizeLimits = DEFAULT_LIMITS, morgan: bool = True) -> tuple[list[Outcome], dict[str, dict]]:
    """:func:`prepare` over all rows, in ``jobs`` processes when there are enough rows; same result either way."""
    n = len(smiles)
    jobs = max(1, min(int(jobs or 1), n // max(1, min_rows_per_job)))
    if jobs == 1:
        result = prepare(smiles, prebuilt, alerts, qed_sa, progress, limits, morgan)
        if progress:
            progress(n)
        return result
    # chunks handed out as workers free up, shrinking towards the end (chunk_bounds): rows differ in cost (a set
    # of one target's ligands is slower than another's), and with 2 equal chunks per worker one worker finished
    # 1-2 s before the other on 8,453 structures
    bounds = chunk_bounds(n, jobs)
    tasks = [(smiles[a:b], prebuilt[a:b] if prebuilt is not None else None, alerts, qed_sa, limits, morgan)
             for a, b in bounds]
    outcomes: list[Outcome] = []
    features: dict[str, dict] = {}
    with process_pool(jobs) as pool:
        for (_, b), (part, feats) in zip(bounds, pool.map(_prepare_chunk, tasks), strict=True):
            outcomes.extend(part)
            for key, value in feats.items():
                features.setdefault(key, value)
            if progress:
                progress(b)
    return outcomes, features


def count_matrix(morgan: list[tuple[np.ndarray, np.ndarray]], nbits: int = NBITS) -> sparse.csr_matrix:
    """Morgan counts of many molecules as a sparse (molecules x bits) matrix."""
    from scipy import sparse  # ~0.1 s to import; only for reference similarity and the affinity model

    indptr = np.zeros(len(morgan) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(idx) for idx, _ in morgan])
    indices = np.concatenate([idx for idx, _ in morgan]) if morgan else np.zeros(0, dtype=np.int32)
    data = np.concatenate([val for _, val in morgan]) if morgan else np.zeros(0, dtype=np.uint32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(morgan), nbits))
