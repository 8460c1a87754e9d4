"""Substructure screening: skip a SMARTS match that provably cannot succeed, and never match one query twice.

Two exact screens, both necessary conditions for a match:

1. **Pattern fingerprint** (``Chem.PatternFingerprint``, built for this screen; RDKit's SubstructLibrary and
   PostgreSQL cartridge use it the same way): a molecule can contain a query only if every bit of the query's
   fingerprint is set in the molecule's. The query fingerprint is taken from a *relaxed* copy of the query in which
   every atom whose SMARTS implies one element (``[c&!H0]``, ``[#7&+]``, ``[$(C=O),$(C-N)]``) is replaced by that
   bare element: the relaxed query matches wherever the original does, so its fingerprint is still a valid screen,
   and it has the element bits that RDKit leaves out for complex query atoms.
2. **Elements and charge**: every query atom whose SMARTS implies a set of elements (``[Cl,Br,I]``) needs one of
   them in the molecule's formula; a query atom that requires a formal charge needs a charged atom in the molecule.

The screens only decide which matches to *skip*; every match that is attempted is RDKit's own, so results are
identical to matching every pattern (tests compare both on real molecules and check the screens never reject a
matching query).

:class:`QueryPanel` holds a set of queries deduplicated by SMARTS, and :class:`MoleculeMatches` screens them once per
molecule and remembers each answer, so a query shared by two matchers is matched once. This module knows nothing
of the queries' owners: :func:`radiovector.candidates.panel.candidate_panel` builds the candidate stage's panel,
and the matchers (alerts, QED, motifs, ionisable groups) receive the molecule's matches.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import rdMolDescriptors

from radiovector.candidates.standardise import ANY_CHARGED

FP_SIZE = 2048
N_ELEMENTS = 128  # atomic numbers 0-127 in one mask
_ELEMENT_LEAF = re.compile(r"^Atom(?:Type|AtomicNum) (\d+) = val$")
_CHARGE_LEAF = re.compile(r"^AtomFormalCharge (-?\d+) = val$")


def pattern_bits(mol: Chem.Mol) -> np.ndarray:
    """The molecule's (or query's) pattern fingerprint as bytes (RDKit's binary text: bit i is bit i % 8 of byte
    i // 8)."""
    return np.frombuffer(DataStructs.BitVectToBinaryText(Chem.PatternFingerprint(mol, FP_SIZE)), dtype=np.uint8)


def _query_tree(description: str) -> list[tuple[str, list]]:
    """``Atom.DescribeQuery()`` text (two spaces of indent per level) as nested ``(label, children)``."""
    root: list = []
    stack: list[tuple[int, list]] = [(-1, root)]
    for line in description.split("\n"):
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        node = (line.strip(), [])
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1].append(node)
        stack.append((depth, node[1]))
    return root


def _recursive_bodies(smarts: str) -> list[str]:
    """The SMARTS inside each positive ``$( )`` of an atom's SMARTS (negated ones imply nothing)."""
    bodies, i = [], 0
    while (start := smarts.find("$(", i)) >= 0:
        depth, k = 0, start + 1
        while k < len(smarts):
            depth += {"(": 1, ")": -1}.get(smarts[k], 0)
            if depth == 0:
                break
            k += 1
        if not (start > 0 and smarts[start - 1] == "!"):
            bodies.append(smarts[start + 2 : k])
        i = k + 1
    return bodies


def implied_atom(atom: Chem.Atom, _depth: int = 0) -> tuple[frozenset[int] | None, bool]:
    """What any molecule atom matching this query atom must be: (its possible atomic numbers, or None if any;
    whether it must carry a formal charge).

    AND takes the strongest implication of its children, OR the weakest; a negated primitive implies nothing; a
    recursive ``$(...)`` implies what the first atom of its SMARTS implies (the union over all positive recursive
    parts of the atom, which is never narrower than the right one).
    """
    if not atom.HasQuery():
        return frozenset({atom.GetAtomicNum()}), atom.GetFormalCharge() != 0
    recursive: list = []

    def from_recursion() -> tuple[frozenset[int] | None, bool]:
        if not recursive:
            elements: set[int] = set()
            charged = True
            bodies = _recursive_bodies(atom.GetSmarts())
            for body in bodies:
                sub = Chem.MolFromSmarts(body) if _depth < 4 else None
                if sub is None or sub.GetNumAtoms() == 0:
                    recursive.append((None, False))
                    break
                sub_elements, sub_charged = implied_atom(sub.GetAtomWithIdx(0), _depth + 1)
                if sub_elements is None:
                    recursive.append((None, False))
                    break
                elements |= sub_elements
                charged &= sub_charged
            else:
                recursive.append((frozenset(elements), charged) if bodies else (None, False))
        return recursive[0]

    def walk(node: tuple[str, list]) -> tuple[frozenset[int] | None, bool]:
        label, children = node
        if label in ("AtomAnd", "AtomOr"):
            parts = [walk(child) for child in children]
            if label == "AtomAnd":
                sets = [s for s, _ in parts if s is not None]
                return (frozenset.intersection(*sets) if sets else None), any(c for _, c in parts)
            sets = [s for s, _ in parts]
            return (None if any(s is None for s in sets) else frozenset().union(*sets)), all(c for _, c in parts)
        if match := _ELEMENT_LEAF.match(label):
            return frozenset({int(match.group(1)) % 1000}), False  # AtomType adds 1000 for aromatic atoms
        if match := _CHARGE_LEAF.match(label):
            return None, int(match.group(1)) != 0
        if label == "RecursiveStructure val in ()":
            return from_recursion()
        return None, False

    tree = _query_tree(atom.DescribeQuery())
    return walk(tree[0]) if len(tree) == 1 else (None, False)


def _implied_cached(atom: Chem.Atom, known: dict[str, tuple[frozenset[int] | None, bool]]
                    ) -> tuple[frozenset[int] | None, bool]:
    """:func:`implied_atom`, remembered by the atom's SMARTS (which is all a query atom's answer depends on)."""
    if not atom.HasQuery():
        return implied_atom(atom)
    text = atom.GetSmarts()
    hit = known.get(text)
    if hit is None:
        hit = known[text] = implied_atom(atom)
    return hit


def relaxed_query(query: Chem.Mol, implied: list[tuple[frozenset[int] | None, bool]] | None = None) -> Chem.Mol:
    """A copy of ``query`` with every atom that implies exactly one element replaced by that bare element
    (``implied``: :func:`implied_atom` of each atom, if already known)."""
    relaxed = Chem.RWMol(query)
    for atom in query.GetAtoms():
        elements, _ = implied_atom(atom) if implied is None else implied[atom.GetIdx()]
        if elements is not None and len(elements) == 1 and min(elements) > 0:
            relaxed.ReplaceAtom(atom.GetIdx(), Chem.AtomFromSmarts(f"[#{min(elements)}]"))
    return relaxed.GetMol()


def _element_mask(numbers) -> np.ndarray:
    """Atomic numbers (< 128) as a 128-bit mask in two uint64 words."""
    words = [0, 0]
    for z in numbers:
        words[z >> 6] |= 1 << (z & 63)
    return np.array(words, dtype=np.uint64)


_SYMBOL = re.compile(r"[A-Z][a-z]?|\*")


@cache
def _atomic_number(symbol: str) -> int:
    return 0 if symbol == "*" else min(Chem.GetPeriodicTable().GetAtomicNumber(symbol), N_ELEMENTS - 1)


def molecule_key(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray, bool]:
    """What the screens need of a molecule: pattern bits, element mask (from the molecular formula, so implicit
    hydrogens count as present: never narrower than the atoms), whether any atom carries a formal charge."""
    symbols = set(_SYMBOL.findall(rdMolDescriptors.CalcMolFormula(mol)))
    elements = _element_mask(_atomic_number(s) for s in symbols)
    return pattern_bits(mol), elements, mol.HasSubstructMatch(ANY_CHARGED)


class PatternScreen:
    """Both screens over a list of query molecules."""

    def __init__(self, queries: list[Chem.Mol]) -> None:
        # once per distinct atom SMARTS (16,886 query atoms in the candidate panel, far fewer distinct ones)
        known: dict[str, tuple[frozenset[int] | None, bool]] = {}
        implied = [[_implied_cached(atom, known) for atom in q.GetAtoms()] for q in queries]
        bits = [pattern_bits(relaxed_query(q, atoms)) for q, atoms in zip(queries, implied, strict=True)]
        packed = np.array(bits, dtype=np.uint8) if bits else np.zeros((0, FP_SIZE // 8), dtype=np.uint8)
        self._bits = packed.view(np.uint64)  # 64 bits per comparison
        # element requirements: one per query atom that implies a set of elements (empty: can never match)
        rows, owners, needs_charge = [], [], np.zeros(len(queries), dtype=bool)
        for k, atoms in enumerate(implied):
            for elements, charged in atoms:
                needs_charge[k] |= charged
                if elements is not None and all(z < N_ELEMENTS for z in elements):
                    rows.append(_element_mask(elements))
                    owners.append(k)
        # distinct masks, and which queries need each (query x mask incidence, float for one BLAS product)
        masks, which = np.unique(np.array(rows, dtype=np.uint64).reshape(-1, 2), axis=0, return_inverse=True)
        self._element_masks = masks
        self._needs_mask = np.zeros((len(queries), len(masks)), dtype=np.float32)
        self._needs_mask[np.array(owners, dtype=np.int64), np.ravel(which)] = 1.0
        self._needs_charge = needs_charge

    def possible(self, key: tuple[np.ndarray, np.ndarray, bool]) -> np.ndarray:
        """Indices (ascending) of the queries that may match a molecule with :func:`molecule_key` ``key``."""
        mol_bits, elements, charged = key
        mol_bits = mol_bits.view(np.uint64)
        ok = ((self._bits & mol_bits) == self._bits).all(axis=1)
        if len(self._element_masks):
            missing = ((self._element_masks & elements) == 0).all(axis=1)
            ok &= self._needs_mask @ missing.astype(np.float32) == 0
        if not charged:
            ok &= ~self._needs_charge
        return np.flatnonzero(ok)


class QueryPanel:
    """Distinct SMARTS queries, screened together (see module docstring); ``index(query)`` gives a query's slot."""

    def __init__(self, queries: list[Chem.Mol]) -> None:
        self._slot: dict[str, int] = {}
        self._by_object: dict[int, tuple[Chem.Mol, int]] = {}  # id -> (the query kept alive, slot): no SMARTS
        self.queries: list[Chem.Mol] = []
        for query in queries:
            self.index(query, add=True)
        self.screen = PatternScreen(self.queries)

    def index(self, query: Chem.Mol, add: bool = False) -> int:
        known = self._by_object.get(id(query))
        if known is not None and known[0] is query:
            return known[1]
        text = Chem.MolToSmarts(query)
        slot = self._slot.get(text)
        if slot is None:
            if not add:
                raise KeyError(text)
            slot = self._slot[text] = len(self.queries)
            self.queries.append(query)
        self._by_object[id(query)] = (query, slot)
        return slot


class MoleculeMatches:
    """Memoised ``HasSubstructMatch`` of one molecule against the queries of a :class:`QueryPanel`."""

    def __init__(self, mol: Chem.Mol, panel: QueryPanel) -> None:
        self.mol = mol
        self.panel = panel
        # per query: 0 impossible, 1 unknown, 2 match, 3 no match; a bytearray (has() indexes it ~100 times a
        # molecule, ~5x faster than a NumPy scalar) seen by NumPy without a copy for the vector operations
        self._codes = bytearray(len(panel.queries))
        self.state = np.frombuffer(self._codes, dtype=np.int8)
        self.state[panel.screen.possible(molecule_key(mol))] = 1

    def has(self, slot: int) -> bool:
        state = self._codes[slot]
        if state == 1:
            state = self._codes[slot] = 2 if self.mol.HasSubstructMatch(self.panel.queries[slot]) else 3
        return state == 2

    def possible(self, slots: np.ndarray) -> np.ndarray:
        """The members of ``slots`` that passed the screen."""
        return slots[self.state[slots] != 0]

    def ruled_out(self, query: Chem.Mol) -> bool:
        """True when the screen proves ``query`` (a member of the panel) cannot match."""
        return self._codes[self.panel.index(query)] == 0

