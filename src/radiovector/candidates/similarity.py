"""Similarity to user reference actives: Morgan fingerprints (radius 2, 2048 bits), max Tanimoto and the
nearest reference id (ties: first reference in input order)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from radiovector.candidates.standardise import METALS, choose_parent, parse_smiles
from radiovector.errors import InputError

RADIUS = 2
NBITS = 2048


def morgan_generator(radius: int = RADIUS, nbits: int = NBITS):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=nbits)


@dataclass
class ReferenceSet:
    ids: list[str]
    fingerprints: list
    rejects: pd.DataFrame

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
        for pos, smi in enumerate(frame[smiles_col].tolist()):
            ref_id = str(frame[id_col].iloc[pos]) if id_col else f"ref{pos + 1}"
            # light standardisation (parent fragment only): Morgan bits do not depend on charge state or
            # metal-ligand bonds once metals are dropped
            mol, reason = parse_smiles(smi)
            if mol is not None and any(a.GetSymbol() in METALS for a in mol.GetAtoms()):
                mol = Chem.DeleteSubstructs(mol, Chem.MolFromSmarts("[" + ",".join(sorted(METALS)) + "]"))
            if mol is None or mol.GetNumAtoms() == 0:
                rejects.append(
                    {"input": "references", "source": source, "row_number": pos + 1, "column": smiles_col,
                     "value": repr(smi), "reason": reason or "no organic fragment"}
                )
                continue
            parent, _ = choose_parent(list(Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)))
            ids.append(ref_id)
            fps.append(gen.GetFingerprint(parent))
        return cls(ids, fps, pd.DataFrame.from_records(
            rejects, columns=["input", "source", "row_number", "column", "value", "reason"]))

    def nearest(self, fp) -> tuple[float, str | None]:
        if not self.fingerprints:
            return np.nan, None
        sims = DataStructs.BulkTanimotoSimilarity(fp, self.fingerprints)
        best = int(np.argmax(sims))
        return float(sims[best]), self.ids[best]
