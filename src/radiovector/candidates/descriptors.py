"""Physicochemical descriptors and an estimated net charge at pH 7.4.

All descriptors are plain RDKit calls (so they equal a bare RDKit computation); the SA score is RDKit's Contrib
``sascorer`` (Ertl P, Schuffenhauer A. J Cheminform 2009;1:8, doi:10.1186/1758-2946-1-8) found via
``RDConfig.RDContribDir``.

Net charge at pH 7.4 (``net_charge_ph74``) sums Henderson–Hasselbalch fractional charges of the ionisable groups
of :mod:`radiovector.candidates.ionisable` (SMARTS and pKa with a reference per row in
``data/ionisable_groups.csv``; aminopolycarboxylate chelator nitrogens per cluster with the stepwise constants of
``data/chelator_n_pkas.csv``), the same model the peptide stage uses for its pI.
"""

from __future__ import annotations

import importlib.util
import math
import os
from functools import cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, MolSurf, RDConfig, rdMolDescriptors, rdqueries

from radiovector.candidates import ionisable
from radiovector.candidates.ionisable import PH
from radiovector.candidates.screen import MoleculeMatches, QueryPanel


def net_charge_ph74(mol: Chem.Mol, ph: float = PH, matches: MoleculeMatches | None = None) -> float:
    """Estimated net charge at ``ph`` (default 7.4) of a neutralised molecule, rounded to 0.01, from the
    ionisable-group model :mod:`radiovector.candidates.ionisable`.

    ``matches``: the molecule's :class:`~radiovector.candidates.screen.MoleculeMatches`; groups it rules out are
    not searched (they would add nothing)."""
    return round(ionisable.net_charge(ionisable.find_sites(mol, matches), ph), 2) + 0.0  # + 0.0: -0.0 -> 0.0


_STEREO_FLAGGED = rdqueries.HasPropQueryAtom("_CIPCode")
_STEREO_FLAGGED.ExpandQuery(rdqueries.HasPropQueryAtom("_ChiralityPossible"), Chem.CompositeQueryType.COMPOSITE_OR)
_POSSIBLE_FLAG = rdqueries.HasPropQueryAtom("_ChiralityPossible")


def find_stereo_centres(mol: Chem.Mol, force: bool = True, includeUnassigned: bool = False) -> list[tuple[int, str]]:
    """``Chem.FindMolChiralCenters`` for the SA score: the same atoms (legacy stereo perception, RDKit's default,
    with the same ``AssignStereochemistry`` call), found by an atom-property query in C++ instead of a Python loop
    over the atoms and without CIP labels (the SA score only counts the centres). Falls back to RDKit's function
    under the new stereo perception."""
    if not Chem.GetUseLegacyStereoPerception():
        return Chem.FindMolChiralCenters(mol, force=force, includeUnassigned=includeUnassigned)
    if mol.GetAtomsMatchingQuery(_POSSIBLE_FLAG):  # RDKit clears stale flags first
        for atom in mol.GetAtomsMatchingQuery(_POSSIBLE_FLAG):
            atom.ClearProp("_ChiralityPossible")
    Chem.AssignStereochemistry(mol, force=force, flagPossibleStereoCenters=includeUnassigned, cleanIt=True)
    query = _STEREO_FLAGGED if includeUnassigned else rdqueries.HasPropQueryAtom("_CIPCode")
    return [(atom.GetIdx(), "?") for atom in mol.GetAtomsMatchingQuery(query)]


@cache
def _sascorer():
    """RDKit Contrib ``sascorer`` loaded as a private module copy whose ``Chem.FindMolChiralCenters`` is
    :func:`find_stereo_centres` (same count, ~3x faster; tests compare the scores with RDKit's own module)."""
    path = os.path.join(RDConfig.RDContribDir, "SA_Score", "sascorer.py")
    spec = importlib.util.spec_from_file_location("radiovector_sascorer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.readFragmentScores()
    module.Chem = _ChemForSA()
    return module


class _ChemForSA:
    """``rdkit.Chem`` as the private sascorer copy sees it: everything RDKit's, but the stereocentre search."""

    FindMolChiralCenters = staticmethod(find_stereo_centres)

    def __getattr__(self, name: str):
        return getattr(Chem, name)


def sa_score(mol: Chem.Mol) -> float:
    """Synthetic accessibility score, 1 (easy) to 10 (hard), from RDKit Contrib ``sascorer``."""
    return float(_sascorer().calculateScore(mol))


@cache
def _qed_slots(panel: QueryPanel) -> tuple[list[tuple[int, Chem.Mol]], np.ndarray]:
    """Slots in ``panel`` of QED's acceptors (with the pattern) and structural alerts, in QED's order and with
    QED's repeats."""
    return ([(panel.index(p), p) for p in QED.Acceptors],
            np.array([panel.index(p) for p in QED.StructuralAlerts], dtype=np.int64))


def qed_properties(mol: Chem.Mol, matches: MoleculeMatches | None = None) -> QED.QEDproperties:
    """``rdkit.Chem.QED.properties`` with the acceptor and structural-alert SMARTS screened and shared.

    Same calls in the same order as RDKit's function on ``Chem.RemoveHs(mol)``; a pattern is skipped only when the
    screens prove it cannot match (it would add 0), and a pattern already matched for the Brenk alerts is not
    matched again, so the values are identical. ``matches``: the molecule's
    :class:`~radiovector.candidates.screen.MoleculeMatches` on the candidate panel, used when the molecule has no
    explicit hydrogens (then RemoveHs changes nothing); otherwise this is RDKit's own function.
    """
    if matches is None or matches.mol is not mol or mol.GetNumHeavyAtoms() != mol.GetNumAtoms():
        return QED.properties(mol)
    acceptors, alerts = _qed_slots(matches.panel)
    possible_alerts = matches.possible(alerts)  # QED's repeats kept: each listed alert that matches counts
    return QED.QEDproperties(
        MW=rdMolDescriptors._CalcMolWt(mol),
        ALOGP=Crippen.MolLogP(mol),
        HBA=sum(len(mol.GetSubstructMatches(pattern)) for slot, pattern in acceptors if matches.has(slot)),
        HBD=rdMolDescriptors.CalcNumHBD(mol),
        PSA=MolSurf.TPSA(mol),
        ROTB=rdMolDescriptors.CalcNumRotatableBonds(mol, rdMolDescriptors.NumRotatableBondsOptions.Strict),
        AROM=len(Chem.GetSSSR(Chem.DeleteSubstructs(Chem.Mol(mol), QED.AliphaticRings))),
        ALERTS=sum(1 for slot in possible_alerts.tolist() if matches.has(slot)),
    )


DESCRIPTOR_COLUMNS = (
    "mw", "clogp", "tpsa", "hbd", "hba", "rotatable_bonds", "heavy_atoms", "aromatic_rings", "fsp3",
    "formal_charge", "net_charge_ph74", "qed", "sa_score",
)


def descriptors(mol: Chem.Mol, qed_sa: bool = True, matches: MoleculeMatches | None = None) -> dict[str, float]:
    """All per-molecule descriptors (see :data:`DESCRIPTOR_COLUMNS`); ``qed_sa=False`` skips QED and SA score
    (the two slowest, left NaN) for very large enumerated design spaces.

    QED's own property calculation already computes MW, Crippen logP, TPSA, H-bond donors and (strict) rotatable
    bonds with the same RDKit functions; they are reused, not recomputed.
    QED's properties come from :func:`qed_properties` (identical values, SMARTS screened and shared);
    ``matches``: the molecule's :class:`~radiovector.candidates.screen.MoleculeMatches`, if already made.
    """
    props = None
    if qed_sa:
        try:
            props = qed_properties(mol, matches)
        except Exception:  # QED fails on a few exotic valences; report it missing rather than guess
            props = None
    if props is None:
        qed = math.nan
        mw, clogp, tpsa = Descriptors.MolWt(mol), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol)
        hbd = rot = None
    else:
        qed = float(QED.qed(mol, qedProperties=props))
        mw, clogp, tpsa = props.MW, props.ALOGP, props.PSA
        # computed on this very molecule (no explicit H to remove): RDKit's default rotatable-bond definition is
        # the strict one QED uses, and Lipinski.NumHDonors is CalcNumHBD (tests check both)
        same = mol.GetNumHeavyAtoms() == mol.GetNumAtoms()
        hbd, rot = (props.HBD, props.ROTB) if same else (None, None)
    return {
        "mw": mw,
        "clogp": clogp,
        "tpsa": tpsa,
        "hbd": Lipinski.NumHDonors(mol) if hbd is None else hbd,
        "hba": Lipinski.NumHAcceptors(mol),
        "rotatable_bonds": rdMolDescriptors.CalcNumRotatableBonds(mol) if rot is None else rot,
        "heavy_atoms": mol.GetNumHeavyAtoms(),
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(mol),
        "fsp3": rdMolDescriptors.CalcFractionCSP3(mol),
        "formal_charge": Chem.GetFormalCharge(mol),
        "net_charge_ph74": net_charge_ph74(mol, matches=matches if matches is not None and matches.mol is mol
                                           else None),
        "qed": qed,
        "sa_score": sa_score(mol) if qed_sa else math.nan,
    }
