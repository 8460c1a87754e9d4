"""Substructure screening with RDKit pattern fingerprints: skip a SMARTS match that cannot succeed.

A molecule can contain a query only if every bit of the query's pattern fingerprint is also set in the molecule's
(``Chem.PatternFingerprint`` is built for exactly this screen; RDKit's SubstructLibrary and PostgreSQL cartridge use
it the same way). The screen only decides which matches to *skip*; every match that is attempted is RDKit's own, so
results are identical to matching every pattern (tests compare both on real molecules).

Used for the PAINS/Brenk FilterCatalog alerts (585 entries, most never match a given molecule) and for the
acceptor and structural-alert patterns inside QED.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem, DataStructs

FP_SIZE = 2048


def pattern_bits(mol: Chem.Mol) -> np.ndarray:
    """The molecule's (or query's) pattern fingerprint, packed into bytes."""
    fp = Chem.PatternFingerprint(mol, FP_SIZE)
    arr = np.zeros(FP_SIZE, dtype=np.uint8)
    DataStructs.ConvertToNumpyArray(fp, arr)
    return np.packbits(arr)


class PatternScreen:
    """Pattern-fingerprint screen over a list of query molecules; ``None`` queries are never screened out."""

    def __init__(self, queries: list[Chem.Mol | None]) -> None:
        self.n = len(queries)
        self._screened = np.array([i for i, q in enumerate(queries) if q is not None], dtype=np.int64)
        self._always = np.array([i for i, q in enumerate(queries) if q is None], dtype=np.int64)
        bits = [pattern_bits(q) for q in queries if q is not None]
        self._bits = np.array(bits, dtype=np.uint8) if bits else np.zeros((0, FP_SIZE // 8), dtype=np.uint8)

    def possible(self, mol_bits: np.ndarray) -> np.ndarray:
        """Indices (ascending) of the queries that may match a molecule with pattern bits ``mol_bits``."""
        ok = ((self._bits & mol_bits) == self._bits).all(axis=1)
        idx = self._screened[ok]
        if len(self._always):
            idx = np.sort(np.concatenate([idx, self._always]))
        return idx
