"""Size limits on structures, checked before RDKit sees them (docs/data-formats.md, "Size limits").

RDKit's SMILES writer (used by standardisation for the canonical SMILES) recurses once per atom along a chain:
a 20,000-atom SMILES overflows the 8 MiB C stack and kills the process with a segmentation fault (measured
here: a linear chain of 15,000 carbons is written in 17 s, one of 20,000 crashes). The InChI library, which
gives the deduplication key, refuses molecules of more than 1,023 atoms (measured: a 1,023-carbon chain has an
InChIKey, a 1,024-carbon chain none), so no larger structure can ever be scored: :data:`INCHI_MAX_ATOMS` is the
ceiling of every configurable limit, and every cost (writing, ranking, matching) stays far from the crash.

The checks, cheapest first, never call RDKit on an over-size input:

1. the text length of the SMILES (``max_smiles_length`` characters);
2. the number of non-hydrogen atoms, counted from the SMILES text by a tokeniser (bracket atoms other than
   hydrogen, organic-subset atoms, ``*``; everything after the first whitespace is a name, as RDKit reads it);
   this is never below RDKit's heavy-atom count of the parsed molecule (it also counts dummy atoms ``*``);
3. for a molecule that arrives already built (an SDF record, a peptide, a design-space conjugate), its heavy
   atoms (``Mol.GetNumHeavyAtoms``, linear and safe for any size).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Largest number of atoms the InChI library accepts (measured: 1,023 carbons keyed, 1,024 not).
INCHI_MAX_ATOMS = 1023
#: Default limits (the ``candidates`` section); the largest structure in the bundled examples has 100 heavy
#: atoms and the largest ChEMBL Ki ligand in /work/shared/data 87 (tests/test_limits_interrupts.py).
MAX_HEAVY_ATOMS = 500
MAX_SMILES_LENGTH = 10_000
#: Peptide defaults (``candidates.peptides``): a 150-residue peptide has about 1,000-1,200 heavy atoms, near the
#: InChI ceiling; the sequence text limit bounds parsing, the residue limit bounds building (quadratic in the
#: residues: 1,000 alanines take 10 s, 2,000 take 80 s).
PEPTIDE_MAX_HEAVY_ATOMS = 1000
PEPTIDE_MAX_RESIDUES = 150
PEPTIDE_MAX_SEQUENCE_LENGTH = 2000

#: One SMILES atom: a bracket atom, a two-letter organic-subset element, or a one-letter one (aromatic too).
_SMILES_ATOM = re.compile(r"\[[^\]]*\]|Br|Cl|[BCNOPSFIbcnops*]")
#: A bracket atom that is hydrogen (``[H]``, ``[2H]``, ``[H+]``), not He, Hf, Hg, Ho or Hs.
_HYDROGEN = re.compile(r"^\[\d*H(?![a-z])")


def smiles_heavy_atoms(smiles: str) -> int:
    """Non-hydrogen atoms (dummy atoms ``*`` included) written in a SMILES, counted from the text alone."""
    text = smiles.strip().split(None, 1)[0] if smiles.strip() else ""
    return sum(1 for token in _SMILES_ATOM.findall(text) if not _HYDROGEN.match(token))


@dataclass(frozen=True)
class SizeLimits:
    """The structure size limits of one scoring run (picklable: worker processes get a copy)."""

    max_heavy_atoms: int = MAX_HEAVY_ATOMS
    max_smiles_length: int = MAX_SMILES_LENGTH

    @classmethod
    def of(cls, cfg: dict) -> SizeLimits:
        """The limits in a resolved ``candidates`` or ``design`` section (defaults where absent)."""
        return cls(
            int(cfg.get("max_heavy_atoms", MAX_HEAVY_ATOMS)), int(cfg.get("max_smiles_length", MAX_SMILES_LENGTH))
        )

    def _atoms(self, n: int) -> str:
        return (
            f"structure too large: {n} heavy atoms, more than the limit of {self.max_heavy_atoms} "
            f"(setting max_heavy_atoms; InChI keys at most {INCHI_MAX_ATOMS} atoms)"
        )

    def check_smiles(self, smiles: str) -> str:
        """ "" when the SMILES text is within the limits, else the reject reason; no RDKit call."""
        if len(smiles) > self.max_smiles_length:
            return (
                f"SMILES too long: {len(smiles)} characters, more than the limit of {self.max_smiles_length} "
                "(setting max_smiles_length)"
            )
        if len(smiles) <= self.max_heavy_atoms:  # every atom takes at least one character: nothing to count
            return ""
        n = smiles_heavy_atoms(smiles)
        return self._atoms(n) if n > self.max_heavy_atoms else ""

    def check_mol(self, mol) -> str:
        """ "" when an already built RDKit molecule is within the heavy-atom limit, else the reject reason."""
        n = mol.GetNumHeavyAtoms()
        return self._atoms(n) if n > self.max_heavy_atoms else ""


#: The defaults, used where no configured limits are passed (references, affinity training data).
DEFAULT_LIMITS = SizeLimits()
#: The ceiling: what any configuration may allow at most (SDF records above it are rejected while reading).
CEILING = SizeLimits(INCHI_MAX_ATOMS, 10 * MAX_SMILES_LENGTH)


def check_sequence(sequence: str, max_length: int = PEPTIDE_MAX_SEQUENCE_LENGTH) -> str:
    """ "" when a peptide sequence text is within ``max_length`` characters, else the reject reason."""
    if len(sequence) > max_length:
        return (
            f"sequence too long: {len(sequence)} characters, more than the limit of {max_length} "
            "(setting candidates.peptides.max_sequence_length)"
        )
    return ""


def check_residues(n: int, max_residues: int = PEPTIDE_MAX_RESIDUES) -> str:
    """ "" when a parsed peptide's ``n`` units are within ``max_residues``, else the reject reason."""
    if n > max_residues:
        return (
            f"peptide too large: {n} residues, more than the limit of {max_residues} "
            "(setting candidates.peptides.max_residues)"
        )
    return ""


def excerpt(value, limit: int = 200):
    """``value`` itself, or for a text longer than ``limit`` its start and its length (a reject keeps the row's
    line number and id, so the full text is still in the input file)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}... ({len(value)} characters)"
    return value
