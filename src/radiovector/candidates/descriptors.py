"""Physicochemical descriptors and an estimated net charge at pH 7.4.

All descriptors are plain RDKit calls (so they equal a bare RDKit computation); the SA score is RDKit's Contrib
``sascorer`` (Ertl P, Schuffenhauer A. J Cheminform 2009;1:8, doi:10.1186/1758-2946-1-8) found via
``RDConfig.RDContribDir``.

Net charge at pH 7.4 (``net_charge_ph74``) sums Henderson–Hasselbalch fractional charges of ionisable groups
found by SMARTS, with the typical pKa values in :data:`IONISABLE_GROUPS` (documented with sources in
docs/methods/candidates.md). Nitrogens of aminopolycarboxylate chelators (N bearing a CH2-C(=O)X arm) are not
treated as independent amines: their successive protonation constants are strongly lowered by electrostatic
repulsion, so each connected cluster of such nitrogens gets the stepwise pKa list of the parent chelator class
(:data:`CHELATOR_N_PKAS`, from Martell & Smith critical stability constants).
"""

from __future__ import annotations

import importlib.util
import math
import os
from functools import cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, MolSurf, RDConfig, rdMolDescriptors, rdqueries

from radiovector.candidates.screen import MoleculeMatches, candidate_panel

PH = 7.4

#: (name, SMARTS (first atom is the ionisable centre), pKa, kind) — kind 'acid' or 'base'.
IONISABLE_GROUPS: tuple[tuple[str, str, float, str], ...] = (
    ("sulfonic_acid", "[SX4](=O)(=O)[OX2H1,OX1-]", -1.0, "acid"),
    ("sulfate_monoester", "[OX2][SX4](=O)(=O)[OX2H1,OX1-]", -2.0, "acid"),
    ("phosphonic_acid_1", "[PX4](=O)([OX2H1,OX1-])[OX2H1,OX1-]", 2.0, "acid"),
    ("phosphonic_acid_2", "[PX4](=O)([OX2H1,OX1-])[OX2H1,OX1-]", 7.0, "acid"),
    ("carboxylic_acid", "[CX3](=O)[OX2H1,OX1-]", 4.0, "acid"),
    ("tetrazole", "c1nn[nH]n1", 4.9, "acid"),
    ("acylsulfonamide", "[NX3H1](C=O)S(=O)(=O)", 4.5, "acid"),
    ("guanidine", "[NX3;!$(N-C=O)]-[CX3](=[NX2;!$(N-C=O);!a])-[NX3;!$(N-C=O)]", 12.5, "base"),
    ("amidine", "[CX3;!$(C-N-C=O)](=[NX2H1,NX2H0;!a;!$(N-C=O)])(-[#6])-[NX3H2]", 11.5, "base"),
    ("imidazole", "[nX2;r5]1:c:[nH]:c:c:1", 6.5, "base"),
    ("aliphatic_amine", "[NX3;+0;!$(N~[!#6,!X4]);!$(N-[CH2]-C(=O)[O,N])]", 10.0, "base"),
)
#: Stepwise N-protonation pKa of aminopolycarboxylate chelator nitrogen clusters, by (cyclic, cluster size).
#: DOTA 11.1, 9.7, 4.9, 4.0; NOTA 11.4, 5.7, 3.2; DTPA 10.5, 8.6, 4.3; EDTA 10.2, 6.2; IDA 9.4.
CHELATOR_N_PKAS: dict[tuple[bool, int], tuple[float, ...]] = {
    (True, 4): (11.1, 9.7, 4.9, 4.0),
    (True, 3): (11.4, 5.7, 3.2),
    (False, 3): (10.5, 8.6, 4.3),
    (False, 2): (10.2, 6.2),
    (True, 2): (10.2, 6.2),
    (False, 1): (9.4,),
    (True, 1): (9.4,),
}
_CHELATOR_N = "[NX3;+0;!$(N~[!#6,!X4])]-[CH2]-C(=O)[O,N]"
_QUATERNARY = "[NX4+;H0;!$(N~[!#6])]"


@cache
def _patterns():
    groups = [(n, Chem.MolFromSmarts(s), p, k) for n, s, p, k in IONISABLE_GROUPS]
    return groups, Chem.MolFromSmarts(_CHELATOR_N), Chem.MolFromSmarts(_QUATERNARY)


def charge_queries() -> list[Chem.Mol]:
    """Every SMARTS query of :func:`net_charge_ph74` (for the shared screen)."""
    groups, chel, quaternary = _patterns()
    return [*(pattern for _, pattern, _, _ in groups), chel, quaternary]


def _fraction(pka: float, kind: str, ph: float = PH) -> float:
    if kind == "acid":
        return -1.0 / (1.0 + 10.0 ** (pka - ph))
    return 1.0 / (1.0 + 10.0 ** (ph - pka))


#: Chelator nitrogens at most this many bonds apart belong to one chelator: N-C-C-N (3), N-C-C-C-N (4, cyclam).
CHELATOR_N_MAX_BONDS = 4


def chelator_nitrogen_clusters(mol: Chem.Mol, matches: MoleculeMatches | None = None
                               ) -> list[tuple[bool, list[int]]]:
    """Clusters of aminopolycarboxylate nitrogens joined by 2–3-carbon bridges; (all in one ring?, atom ids).

    Nitrogens at most :data:`CHELATOR_N_MAX_BONDS` bonds apart are joined; a breadth-first search of that depth from
    each nitrogen replaces an all-pairs distance matrix (~20x faster on a 110-atom conjugate, same clusters).
    """
    _, chel, _ = _patterns()
    if matches is not None and matches.ruled_out(chel):
        return []
    nitrogens = sorted({m[0] for m in mol.GetSubstructMatches(chel)})
    if not nitrogens:
        return []
    wanted = set(nitrogens)
    parent = {n: n for n in nitrogens}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for start in nitrogens:
        seen, frontier = {start}, [start]
        for _ in range(CHELATOR_N_MAX_BONDS):
            frontier = [nbr.GetIdx() for idx in frontier for nbr in mol.GetAtomWithIdx(idx).GetNeighbors()
                        if nbr.GetIdx() not in seen]
            seen.update(frontier)
        for other in seen & wanted:
            if other > start:
                parent[find(start)] = find(other)
    groups: dict[int, list[int]] = {}
    for n in nitrogens:
        groups.setdefault(find(n), []).append(n)
    ring_info = mol.GetRingInfo()
    return [(all(ring_info.NumAtomRings(n) > 0 for n in members), members) for members in groups.values()]


def net_charge_ph74(mol: Chem.Mol, ph: float = PH, matches: MoleculeMatches | None = None) -> float:
    """Estimated net charge at ``ph`` (default 7.4) of a neutralised molecule, from :data:`IONISABLE_GROUPS`.

    ``matches``: the molecule's :class:`~radiovector.candidates.screen.MoleculeMatches`; groups it rules out are
    not searched (they would add nothing)."""
    groups, _, quaternary = _patterns()

    def hits(pattern: Chem.Mol) -> tuple:
        return () if matches is not None and matches.ruled_out(pattern) else mol.GetSubstructMatches(pattern)

    charge = float(len(hits(quaternary)))
    for _, pattern, pka, kind in groups:
        centres = {m[0] for m in hits(pattern)}
        charge += len(centres) * _fraction(pka, kind, ph)
    for cyclic, members in chelator_nitrogen_clusters(mol, matches):
        size = len(members)
        pkas = CHELATOR_N_PKAS.get((cyclic, size))
        if pkas is None:  # larger clusters: extend the acyclic pattern with weakly basic nitrogens
            pkas = (10.5, 8.6) + (4.3,) * (size - 2)
        charge += sum(_fraction(p, "base", ph) for p in pkas)
    return round(charge, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


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
def _qed_slots() -> tuple[list[tuple[int, Chem.Mol]], np.ndarray]:
    """Slots in the shared query panel of QED's acceptors (with the pattern) and structural alerts, in QED's order
    and with QED's repeats."""
    panel = candidate_panel()
    return ([(panel.index(p), p) for p in QED.Acceptors],
            np.array([panel.index(p) for p in QED.StructuralAlerts], dtype=np.int64))


def qed_properties(mol: Chem.Mol, matches: MoleculeMatches | None = None) -> QED.QEDproperties:
    """``rdkit.Chem.QED.properties`` with the acceptor and structural-alert SMARTS screened and shared.

    Same calls in the same order as RDKit's function on ``Chem.RemoveHs(mol)``; a pattern is skipped only when the
    screens prove it cannot match (it would add 0), and a pattern already matched for the Brenk alerts is not
    matched again, so the values are identical. ``matches``: the molecule's
    :class:`~radiovector.candidates.screen.MoleculeMatches`, used when the molecule has no explicit hydrogens
    (then RemoveHs changes nothing).
    """
    if mol.GetNumHeavyAtoms() != mol.GetNumAtoms():
        mol, matches = Chem.RemoveHs(mol), None
    if matches is None or matches.mol is not mol:
        matches = MoleculeMatches(mol, candidate_panel())
    acceptors, alerts = _qed_slots()
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
