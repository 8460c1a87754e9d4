"""Similarity to user reference actives: Morgan fingerprints (radius 2, 2048 bits), max Tanimoto and the
nearest reference id (ties: first reference in input order).

:func:`bulk_max_tanimoto` compares all candidates with all references at once (a sparse matrix product gives the
common on-bits); each similarity is computed with the same arithmetic as RDKit's ``TanimotoSimilarity``
(common / (a + b - common), 1.0 when both are empty), so the values equal ``BulkTanimotoSimilarity``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from radiovector.candidates.standardise import ANY_METAL, choose_parent, parse_smiles
from radiovector.errors import InputError
from radiovector.io.tables import line_numbers, reject, rejects_frame

if TYPE_CHECKING:
    from scipy import sparse

RADIUS = 2
NBITS = 2048


@cache
def morgan_generator(radius: int = RADIUS, nbits: int = NBITS):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=nbits)


@dataclass
class ReferenceSet:
    ids: list[str]
    fingerprints: list
    rejects: pd.DataFrame
    _bits: sparse.csr_matrix | None = field(default=None, init=False, repr=False)

    def bit_matrix(self) -> sparse.csr_matrix:
        """The reference fingerprints as a sparse (references x bits) 0/1 matrix (built once)."""
        if self._bits is None:
            self._bits = bit_matrix(self.fingerprints)
        return self._bits

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "references") -> ReferenceSet:
        cols = {c.lower(): c for c in frame.columns}
        if "smiles" not in cols:
            raise InputError(
                f"{source}: reference actives need a 'smiles' column; found {list(frame.columns)}",
                hint="give a CSV with columns id,smiles (or a .smi file)",
            )
        smiles_col = cols["smiles"]
        id_col = cols.get("id") or cols.get("candidate_id") or cols.get("name")
        gen = morgan_generator()
        ids, fps, rejects = [], [], []
        lines = line_numbers(frame)
        for pos, smi in enumerate(frame[smiles_col].tolist()):
            ref_id = str(frame[id_col].iloc[pos]) if id_col else f"ref{pos + 1}"
            # light standardisation (parent fragment only): Morgan bits do not depend on charge state or
            # metal-ligand bonds once metals are dropped
            mol, reason = parse_smiles(smi)
            if mol is not None and mol.HasSubstructMatch(ANY_METAL):
                mol = Chem.DeleteSubstructs(mol, ANY_METAL)
            if mol is None or mol.GetNumAtoms() == 0:
                rejects.append(
                    reject("references", source, lines[pos], smiles_col, smi, reason or "no organic fragment")
                )
                continue
            if len(Chem.GetMolFrags(mol)) > 1:
                mol, _ = choose_parent(list(Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)))
            ids.append(ref_id)
            fps.append(gen.GetFingerprint(mol))
        return cls(ids, fps, rejects_frame(rejects))

    def nearest(self, fp) -> tuple[float, str | None]:
        if not self.fingerprints:
            return np.nan, None
        sims = DataStructs.BulkTanimotoSimilarity(fp, self.fingerprints)
        best = int(np.argmax(sims))
        return float(sims[best]), self.ids[best]


def bit_matrix(fingerprints: list, nbits: int = NBITS) -> sparse.csr_matrix:
    """RDKit bit vectors as a sparse (molecules x bits) 0/1 matrix."""
    from scipy import sparse  # ~0.1 s to import: only when there are references

    on = [np.fromiter(fp.GetOnBits(), dtype=np.int32) for fp in fingerprints]
    indptr = np.zeros(len(on) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(o) for o in on])
    indices = np.concatenate(on) if on else np.zeros(0, dtype=np.int32)
    return sparse.csr_matrix((np.ones(len(indices), dtype=np.int32), indices, indptr), shape=(len(on), nbits))


def bulk_max_tanimoto(
    query: sparse.csr_matrix, refs: sparse.csr_matrix, block: int = 1024, ref_block: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row (bits: nonzero entries, e.g. Morgan counts), the max Tanimoto to ``refs`` and the index
    of the first reference reaching it.

    Common on-bits come from a sparse x dense float32 product (exact: integer counts far below 2**24), the
    Tanimoto itself is computed in float64 as RDKit does, so values and ties equal ``BulkTanimotoSimilarity``'s.
    Queries and references are processed in blocks, so memory stays ``block x ref_block`` (~130 MB at most)."""
    if refs.shape[0] == 0:
        raise ValueError("bulk_max_tanimoto needs at least one reference")
    q = query.tocsr().astype(bool).astype(np.float32)
    r = refs.tocsr().astype(bool)
    a = np.diff(q.indptr).astype(np.float64)
    b = np.diff(r.indptr).astype(np.float64)
    best = np.full(q.shape[0], -1.0)
    where = np.zeros(q.shape[0], dtype=np.int64)
    for r0 in range(0, r.shape[0], ref_block):
        dense_refs = r[r0 : r0 + ref_block].T.astype(np.float32).toarray()
        b_part = b[r0 : r0 + ref_block]
        for start in range(0, q.shape[0], block):
            common = (q[start : start + block] @ dense_refs).astype(np.float64)
            total = a[start : start + block, None] + b_part[None, :]
            with np.errstate(invalid="ignore", divide="ignore"):
                sims = np.where(total == 0, 1.0, common / (total - common))
            local = np.argmax(sims, axis=1)
            value = sims[np.arange(len(sims)), local]
            better = value > best[start : start + block]  # strictly: the first reference keeps a tie
            best[start : start + block][better] = value[better]
            where[start : start + block][better] = r0 + local[better]
    return best, where
