"""Peptide properties: sequence-based (Biopython ``ProtParam``, the ``peptides`` package) and whole-molecule
(ionisable groups of the built RDKit molecule, so caps, chelators and side-chain conjugates count).

Sequence-based values (``pi_sequence``, ``charge_ph74_sequence``, ``gravy``, ``instability_index``,
``aliphatic_index``) use the canonical residues only (D-residues as their L counterparts; non-canonical
residues, linkers, caps and chelators are left out, and free termini are assumed); ``sequence_complete`` says
whether that covered every residue. ``pi_molecule`` and ``net_charge_ph74`` (from the candidate stage) use the
whole molecule.
"""

from __future__ import annotations

import math

import numpy as np
import peptides as peptides_pkg
from Bio.SeqUtils.ProtParam import ProteinAnalysis
from rdkit import Chem
from scipy.optimize import brentq

from radiovector.candidates.descriptors import CHELATOR_N_PKAS, _patterns, chelator_nitrogen_clusters
from radiovector.peptides.notation import Peptide

PH = 7.4
BASIC_CODES = frozenset("KRH")
#: Positive charges at pH 7.4 above which renal retention is rated high / moderate (see docs/methods/peptides.md).
RENAL_HIGH = 3.0
RENAL_MODERATE = 1.5
ACIDIC_STRETCH = 4  # consecutive Glu/Asp (e.g. the penta-Glu of minigastrin) also drive kidney uptake


#: Chelator nitrogens closer than this many bonds are one cluster (as in the candidate stage).


def ionisable_groups(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pKa values, sign (+1 base, -1 acid) and whether each base is a chelator nitrogen, from the candidate stage's
    group rules (radiovector.candidates.descriptors); quaternary ammonium as a base with pKa 99."""
    groups, _, quaternary = _patterns()
    pkas, signs, chel = [], [], []
    for _ in mol.GetSubstructMatches(quaternary):
        pkas.append(99.0)
        signs.append(1)
        chel.append(False)
    for _, pattern, pka, kind in groups:
        n = len({m[0] for m in mol.GetSubstructMatches(pattern)})
        pkas.extend([pka] * n)
        signs.extend([1 if kind == "base" else -1] * n)
        chel.extend([False] * n)
    clusters = chelator_nitrogen_clusters(mol)
    for cyclic, members in clusters:
        size = len(members)
        for p in CHELATOR_N_PKAS.get((cyclic, size), (10.5, 8.6) + (4.3,) * (size - 2)):
            pkas.append(p)
            signs.append(1)
            chel.append(True)
    return np.array(pkas, dtype=float), np.array(signs, dtype=float), np.array(chel, dtype=bool)


def _charge_split(ph: float, base_pkas: np.ndarray, acid_pkas: np.ndarray) -> float:
    pos = (1.0 / (1.0 + 10.0 ** (ph - base_pkas))).sum()
    neg = (1.0 / (1.0 + 10.0 ** (acid_pkas - ph))).sum()
    return float(pos - neg)


def molecule_pi(pkas: np.ndarray, signs: np.ndarray) -> float:
    """pH of zero net charge of the group model (Brent's method on 0-14, to 1e-9 pH units; the charge falls
    strictly with pH, so the root is unique); NaN without both acids and bases."""
    if not len(pkas) or (signs > 0).all() or (signs < 0).all():
        return math.nan
    base = signs > 0
    base_pkas, acid_pkas = pkas[base], pkas[~base]  # split once, not in every step
    lo, hi = _charge_split(0.0, base_pkas, acid_pkas), _charge_split(14.0, base_pkas, acid_pkas)
    if lo <= 0:  # even fully protonated the acids win (bisection on 0-14 ended at 0)
        return 0.0
    if hi >= 0:
        return 14.0
    return round(brentq(_charge_split, 0.0, 14.0, args=(base_pkas, acid_pkas), xtol=1e-9), 2)


def canonical_sequence(pep: Peptide) -> tuple[str, int, int]:
    """Upper-case one-letter string of the canonical residues (main chain, then branches), the number of
    residues (units of kind residue) and of non-canonical residues."""
    letters, n_res, n_nc = [], 0, 0
    for unit in pep.units:
        mono = unit.monomer
        if mono.kind != "residue":
            continue
        n_res += 1
        if mono.canonical:
            letters.append(mono.analogue)
        else:
            n_nc += 1
    return "".join(letters), n_res, n_nc


def analogue_sequence(pep: Peptide) -> str:
    """Main-chain residues as natural analogues (X where none): the string used for alignment."""
    return "".join((u.monomer.analogue or "X") for u in pep.main if u.monomer.kind == "residue")


def sequence_properties(pep: Peptide) -> dict:
    seq, n_res, n_nc = canonical_sequence(pep)
    out = {"n_residues": n_res, "n_noncanonical": n_nc, "n_d_residues": sum(u.monomer.is_d for u in pep.units),
           "n_n_methyl": sum(u.monomer.n_methyl or "n_methyl" in u.monomer.flags for u in pep.units),
           "sequence_canonical": seq, "sequence_complete": n_nc == 0,
           "pi_sequence": math.nan, "charge_ph74_sequence": math.nan, "gravy": math.nan,
           "instability_index": math.nan, "aliphatic_index": math.nan}
    if seq:
        pa = ProteinAnalysis(seq)
        out["pi_sequence"] = round(float(pa.isoelectric_point()), 2)
        out["charge_ph74_sequence"] = round(float(pa.charge_at_pH(PH)), 2)
        out["gravy"] = round(float(pa.gravy()), 3)
        out["aliphatic_index"] = round(float(peptides_pkg.Peptide(seq).aliphatic_index()), 2)
        if len(seq) >= 2:
            out["instability_index"] = round(float(pa.instability_index()), 2)
    return out


def molecule_properties(mol: Chem.Mol, pep: Peptide | None) -> dict:
    """Whole-molecule pI, positive charges at pH 7.4 (chelator nitrogens excluded: they bind the metal),
    basic residues and the renal retention proxy."""
    pkas, signs, chel = ionisable_groups(mol)
    keep = ~chel
    pos = float((1.0 / (1.0 + 10.0 ** (PH - pkas[keep & (signs > 0)]))).sum())
    n_basic = 0
    stretch = best = 0
    if pep is not None:
        for unit in pep.main:
            code = unit.monomer.analogue
            n_basic += unit.monomer.kind == "residue" and code in BASIC_CODES
            stretch = stretch + 1 if code in ("D", "E") and unit.monomer.kind == "residue" else 0
            best = max(best, stretch)
    if pos >= RENAL_HIGH:
        risk = "high"
    elif pos >= RENAL_MODERATE or best >= ACIDIC_STRETCH:
        risk = "moderate"
    else:
        risk = "low"
    return {"pi_molecule": molecule_pi(pkas, signs), "positive_charges_ph74": round(pos, 2),
            "n_basic_residues": int(n_basic), "acidic_stretch": int(best), "renal_retention": risk}
