"""Build the whole peptide molecule in RDKit from its monomers.

Each unit's template is copied, attachment dummies of linked pairs get a shared atom-map label and are zipped
together with ``Chem.molzip`` (which keeps every stereocentre's configuration); the remaining dummies become
their caps in place (H, or O for OH) so that no neighbour order around a stereocentre changes.
"""

from __future__ import annotations

from rdkit import Chem

from radiovector.candidates.rdlog import RDKitLog
from radiovector.peptides.notation import Peptide

_ZIP = Chem.MolzipParams()
_ZIP.label = Chem.MolzipLabel.AtomMapNumber


class BuildError(ValueError):
    """RDKit could not assemble or sanitise the molecule."""


def build_molecule(pep: Peptide) -> Chem.Mol:
    """The sanitised molecule (no explicit hydrogens) of a parsed peptide."""
    labels: dict[tuple[int, int], int] = {}
    for k, ln in enumerate(pep.links, start=1):
        labels[(ln.a, ln.a_point)] = k
        labels[(ln.b, ln.b_point)] = k
    combined = None
    for unit in pep.units:
        mol = Chem.RWMol(unit.monomer.mol)
        for atom in mol.GetAtoms():
            if atom.GetAtomicNum() != 0:
                continue
            point = atom.GetAtomMapNum()
            label = labels.get((unit.index, point))
            if label is not None:
                atom.SetAtomMapNum(label)
            else:
                cap = "OH" if point == 2 else (unit.monomer.cap3 if point == 3 else "H")
                atom.SetAtomicNum(8 if cap == "OH" else 1)
                atom.SetAtomMapNum(0)
                atom.SetNoImplicit(False)
        combined = mol.GetMol() if combined is None else Chem.CombineMols(combined, mol)
    with RDKitLog() as log:
        try:
            zipped = Chem.molzip(combined, _ZIP) if pep.links else combined
            zipped = Chem.RemoveHs(zipped, sanitize=False)
            Chem.SanitizeMol(zipped)
            Chem.AssignStereochemistry(zipped, cleanIt=True, force=True)
        except Exception as exc:  # RDKit raises several exception types
            raise BuildError(log.text(f"{type(exc).__name__}: {exc}")) from None
    if any(a.GetAtomicNum() == 0 for a in zipped.GetAtoms()):
        raise BuildError("unpaired attachment point left after assembly")
    return zipped
