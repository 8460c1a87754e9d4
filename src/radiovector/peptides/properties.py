"""Peptide properties: sequence-based (Biopython ``ProtParam``, the ``peptides`` package) and whole-molecule
(ionisable groups of the built RDKit molecule, so caps, chelators and side-chain conjugates count).

Sequence-based values (``pi_sequence``, ``charge_ph74_sequence``, ``gravy``, ``instability_index``,
``aliphatic_index``) use the canonical residues only (D-residues as their L counterparts; non-canonical
residues, linkers, caps and chelators are left out, and free termini are assumed); ``sequence_complete`` says
whether that covered every residue. ``pi_molecule`` and ``net_charge_ph74`` (from the candidate stage) use the
whole molecule and the one ionisable-group model, :mod:`radiovector.candidates.ionisable`.
"""

from __future__ import annotations

import math

import peptides as peptides_pkg
from Bio.SeqUtils.ProtParam import ProteinAnalysis
from rdkit import Chem

from radiovector.candidates.ionisable import PH, find_sites, isoelectric_point, positive_charge, site_arrays
from radiovector.peptides.notation import Peptide

BASIC_CODES = frozenset("KRH")
#: Positive charges at pH 7.4 above which renal retention is rated high / moderate (see docs/methods/peptides.md).
RENAL_HIGH = 3.0
RENAL_MODERATE = 1.5
ACIDIC_STRETCH = 4  # consecutive Glu/Asp (e.g. the penta-Glu of minigastrin) also drive kidney uptake


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
    pkas, signs, chel = site_arrays(find_sites(mol))  # the candidate stage's ionisable-group model
    pos = positive_charge(pkas[~chel & (signs > 0)], PH)
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
    return {"pi_molecule": isoelectric_point(pkas, signs), "positive_charges_ph74": round(pos, 2),
            "n_basic_residues": int(n_basic), "acidic_stretch": int(best), "renal_retention": risk}
