"""Build the whole peptide molecule in RDKit from its monomers.

Each unit's template is copied, attachment dummies of linked pairs get a shared atom-map label and are zipped
together with ``Chem.molzip`` (which keeps every stereocentre's configuration); the remaining dummies become
their caps in place (H, or O for OH) so that no neighbour order around a stereocentre changes.

Speed: the capped template of a monomer depends only on the monomer and on which of its attachment points are
linked, so it is prepared once per (monomer, linked points) and reused (:func:`_capped_template`); building
then only copies it and writes the link labels. ``build_molecule(pep, cache=False)`` is the plain route (every
template prepared afresh); both give the same molecule atom for atom (tests/test_peptides.py).
"""

from __future__ import annotations

from rdkit import Chem

from radiovector.candidates.rdlog import RDKitLog
from radiovector.peptides.monomers import Monomer
from radiovector.peptides.notation import Peptide

_ZIP = Chem.MolzipParams()
_ZIP.label = Chem.MolzipLabel.AtomMapNumber
_DUMMY = Chem.MolFromSmarts("[#0]")
#: (template SMILES, cap3, linked points) -> (capped template, {point: dummy atom index}); bounded by the library.
_TEMPLATES: dict[tuple[str, str, tuple[int, ...]], tuple[Chem.Mol, dict[int, int]]] = {}


class BuildError(ValueError):
    """RDKit could not assemble or sanitise the molecule."""


def _prepare(mono: Monomer, linked: tuple[int, ...] | frozenset[int]) -> tuple[Chem.Mol, dict[int, int]]:
    """The monomer's template with every unlinked dummy turned into its cap; linked dummies keep their point."""
    mol = Chem.RWMol(mono.mol)
    where: dict[int, int] = {}
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() != 0:
            continue
        point = atom.GetAtomMapNum()
        if point in linked:
            where[point] = atom.GetIdx()
        else:
            cap = "OH" if point == 2 else (mono.cap3 if point == 3 else "H")
            atom.SetAtomicNum(8 if cap == "OH" else 1)
            atom.SetAtomMapNum(0)
            atom.SetNoImplicit(False)
    return mol.GetMol(), where


def _capped_template(mono: Monomer, linked: tuple[int, ...]) -> tuple[Chem.Mol, dict[int, int]]:
    key = (mono.smiles, mono.cap3, linked)
    hit = _TEMPLATES.get(key)
    if hit is None:
        hit = _TEMPLATES[key] = _prepare(mono, linked)
    return hit


def build_molecule(pep: Peptide, cache: bool = True) -> Chem.Mol:
    """The sanitised molecule (no explicit hydrogens) of a parsed peptide."""
    labels: dict[tuple[int, int], int] = {}
    for k, ln in enumerate(pep.links, start=1):
        labels[(ln.a, ln.a_point)] = k
        labels[(ln.b, ln.b_point)] = k
    points: dict[int, list[int]] = {}
    for unit_index, point in labels:
        points.setdefault(unit_index, []).append(point)
    combined = Chem.RWMol()  # InsertMol appends in place (CombineMols would copy the growing chain each time)
    for unit in pep.units:
        linked = tuple(sorted(points.get(unit.index, ())))
        template, where = _capped_template(unit.monomer, linked) if cache else _prepare(unit.monomer, linked)
        if where:
            mol = Chem.RWMol(template)
            for point, idx in where.items():
                mol.GetAtomWithIdx(idx).SetAtomMapNum(labels[(unit.index, point)])
            mol = mol.GetMol()
        else:
            mol = template
        combined.InsertMol(mol)
    with RDKitLog() as log:
        try:
            zipped = Chem.molzip(combined, _ZIP) if pep.links else combined.GetMol()
            zipped = Chem.RemoveHs(zipped, sanitize=False)
            Chem.SanitizeMol(zipped)
            Chem.AssignStereochemistry(zipped, cleanIt=True, force=True)
        except Exception as exc:  # RDKit raises several exception types
            raise BuildError(log.text(f"{type(exc).__name__}: {exc}")) from None
    if zipped.HasSubstructMatch(_DUMMY):
        raise BuildError("unpaired attachment point left after assembly")
    return zipped
