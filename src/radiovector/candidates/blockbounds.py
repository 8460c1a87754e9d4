"""Phase 1 of bounded selection from building blocks: an interval for every cheap property of every conjugate
without building or standardising the conjugates (docs/methods/candidates.md, "Phase 1 from building blocks").

A conjugate is a tree of blocks joined by single, acyclic bonds (``Chem.molzip``: the atom next to a dummy ``[*:k]``
of one block bonds to the atom next to ``[*:k]`` of the other; both dummies go). Such a bond is a bridge, so every
ring of the conjugate lies in one block, and each atom keeps its element, charge, hydrogens, degree, ring
membership and aromaticity (the bond replaces the dummy bond of the same order; aromaticity is perceived per ring
system). Every property here is a sum of per-atom terms (or a count of motifs) decided by the atoms within the
radius of the patterns that may type the atom (:func:`atom_radii`, from the SMARTS of Crippen logP, the ionisable
groups and the chelator nitrogens; at most :func:`contribution_radius`). An atom farther than its radius minus one
bond from a junction sees nothing of the other block; a nearer one sees the other block only within a few bonds of
its junction atom: the partner's **junction environment** (:func:`region_key`, a canonical text of those atoms with
every invariant a SMARTS can test). So a block's share of a property depends on the block and the junction
environments of its partners only, and is computed once per (block, environments) in one real conjugate with those
environments (a *representative*): MW, heavy atoms and the formula from the block alone, Crippen logP, TPSA and
the pH 7.4 charge in the representative. Recognised motifs come from matches inside blocks (unchanged by joining),
matches across a junction that reach at most ``r - 1`` bonds into the linker (found in the representative), and a
proof per junction that no longer match exists. A conjugate that any step cannot prove (a block with a charge,
metal, explicit hydrogen or several fragments, a block the RDKit normaliser would change, a linker with another
attachment point within ``r - 1`` bonds of a junction, a motif or a chelator-nitrogen cluster that may span a
junction, a representative that fails a check) gets its cheap values from the per-conjugate pass
(:func:`radiovector.candidates.bounds.cheap_from_mol`) instead.

Values are sums in another order than RDKit's, so each continuous value is an interval ``[x - e, x + e]`` with
``e = 1e-9 max(1, |x|)``; the charge is rounded to 0.01 at both ends of its interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import Crippen, rdMolDescriptors

from radiovector.candidates import ionisable, scoring
from radiovector.candidates.enumerate import Block, DesignSpace
from radiovector.candidates.recognition import compatibility, load_motifs
from radiovector.candidates.standardise import ANY_CHARGED, ANY_METAL, _tools

#: Radius of a TPSA contribution (the atom, its bonds and its neighbours; Ertl et al. J Med Chem 2000;43:3714).
TPSA_RADIUS = 1
#: Diameter of the RDKit normaliser's default transforms that match an uncharged molecule (nitro, pyridine
#: N-oxide, azide, diazo, S(=O)(=O)H: at most ``[*]N=N#N``, 3 bonds); every other default transform needs a
#: charged atom (RDKit MolStandardize ``normalizations``), and blocks with a charged atom are not bounded here.
NORMALIZER_DIAMETER = 3
#: Chelator nitrogens at most this many bonds apart form one cluster (ionisable.CHELATOR_N_MAX_BONDS).
CLUSTER_BONDS = ionisable.CHELATOR_N_MAX_BONDS
#: RDKit returns at most this many matches per motif (recognition.recognise).
MOTIF_MAX_MATCHES = 16
_H_MASS = Chem.GetPeriodicTable().GetAtomicWeight(1)
_EPS = 1e-9
# the necessary (radius-1) part of the chelator-nitrogen SMARTS: N, X3, uncharged, every neighbour an sp3 carbon
_CHEL_N_NECESSARY = Chem.MolFromSmarts("[NX3;+0;!$(N~[!#6,!X4])]")


def _recursive_parts(smarts: str) -> list[str]:
    """The SMARTS inside each top-level ``$( ... )`` of an atom's SMARTS."""
    out, i = [], 0
    while True:
        i = smarts.find("$(", i)
        if i < 0:
            return out
        depth, j = 0, i + 1
        for j in range(i + 1, len(smarts)):
            depth += {"(": 1, ")": -1}.get(smarts[j], 0)
            if depth == 0:
                break
        out.append(smarts[i + 2 : j])
        i = j + 1


def smarts_radius(smarts: str) -> int:
    """Largest number of bonds between a SMARTS pattern's first atom and any atom it tests (recursive SMARTS
    included): the typed atom's value depends on nothing farther."""
    query = Chem.MolFromSmarts(smarts)
    if query is None:
        raise ValueError(f"invalid SMARTS {smarts!r}")
    dist = Chem.GetDistanceMatrix(query) if query.GetNumAtoms() > 1 else np.zeros((1, 1))
    if (dist[0] > 1e6).any():
        raise ValueError(f"disconnected SMARTS {smarts!r}: no radius")
    radius = 0
    for atom in query.GetAtoms():
        inner = max((smarts_radius(p) for p in _recursive_parts(atom.GetSmarts())), default=0)
        radius = max(radius, int(dist[0][atom.GetIdx()]) + inner)
    return radius


@cache
def contribution_radius() -> int:
    """``r``: an atom's Crippen logP (with its hydrogens), TPSA, ionisable-site and chelator-nitrogen status depend
    only on the atoms within ``r`` bonds of it (read from the SMARTS the descriptors use)."""
    Crippen._Init()  # the Crippen.txt patterns RDKit's MolLogP types atoms with
    radii = [TPSA_RADIUS, NORMALIZER_DIAMETER]
    for _, patterns in Crippen._smartsPatterns.items():
        for smarts, *_ in patterns:
            r = smarts_radius(smarts)
            # a hydrogen's type is added to its heavy atom, one bond nearer everything the pattern tests
            radii.append(r - 1 if smarts.startswith("[#1]") else r)
    radii += [smarts_radius(g.smarts) for g in ionisable.groups()]
    radii += [smarts_radius(ionisable.CHELATOR_N_SMARTS), smarts_radius(ionisable.QUATERNARY_SMARTS)]
    return max(radii)


def _relaxed_atom(atom_smarts: str) -> Chem.Mol | None:
    """One-atom query that matches wherever ``atom_smarts`` may match: each recursive primitive ``$(...)`` (with its
    ``!``) becomes ``*`` (true). SMARTS negates single primitives only, so this only widens the query."""
    out, i = [], 0
    while i < len(atom_smarts):
        j = atom_smarts.find("$(", i)
        if j < 0:
            out.append(atom_smarts[i:])
            break
        start = j - 1 if j > 0 and atom_smarts[j - 1] == "!" else j
        out.append(atom_smarts[i:start] + "*")
        depth, k = 0, j + 1
        for k in range(j + 1, len(atom_smarts)):
            depth += {"(": 1, ")": -1}.get(atom_smarts[k], 0)
            if depth == 0:
                break
        i = k + 1
    return Chem.MolFromSmarts("".join(out))


def _truncated_query(query: Chem.Mol, typed: int, depth: int) -> Chem.Mol:
    """The pattern atoms within ``depth`` bonds of atom ``typed`` (which becomes atom 0), each relaxed
    (:func:`_relaxed_atom`); leaving atoms and primitives out only widens what the query matches."""
    dist = Chem.GetDistanceMatrix(query)[typed] if query.GetNumAtoms() > 1 else np.zeros(1)
    keep = [i for i in range(query.GetNumAtoms()) if dist[i] <= depth and not (typed == 1 and i == 0)]
    rw = Chem.RWMol(query)
    for i in keep:
        relaxed = _relaxed_atom(query.GetAtomWithIdx(i).GetSmarts())
        if relaxed is not None:
            rw.ReplaceAtom(i, relaxed.GetAtomWithIdx(0))
    for i in sorted(set(range(query.GetNumAtoms())) - set(keep), reverse=True):
        rw.RemoveAtom(i)
    return rw.GetMol()


@cache
def _typing_patterns() -> tuple[tuple[tuple[Chem.Mol, ...], int, tuple[Chem.Mol, ...]], ...]:
    """Per pattern whose match types or counts an atom (Crippen logP, where a hydrogen pattern types the heavy atom
    it sits on, one bond nearer everything; the ionisable groups, chelator nitrogens and quaternary ammonium,
    their first atom): (the relaxed pattern truncated at depth 0, 1, ..., radius - 1 around the typed atom, its
    radius from that atom, the queries a junction atom must match)."""
    Crippen._Init()
    out = []
    smarts = [s for _, patterns in Crippen._smartsPatterns.items() for s, *_ in patterns]
    smarts += [g.smarts for g in ionisable.groups()] + [ionisable.CHELATOR_N_SMARTS, ionisable.QUATERNARY_SMARTS]
    for text in smarts:
        query = Chem.MolFromSmarts(text)
        typed = 1 if text.startswith("[#1]") else 0
        if query.GetNumAtoms() <= typed:
            continue
        radius = smarts_radius(text) - typed
        if radius <= TPSA_RADIUS:
            continue
        truncated = tuple(_truncated_query(query, typed, t) for t in range(radius))
        # at a junction atom one neighbour may be the partner's atom: the depth-1 pattern, or it without any one
        # of the typed atom's neighbours, must match inside the block
        one = _truncated_query(query, typed, 1)
        variants = [one]
        for nb in one.GetAtomWithIdx(0).GetNeighbors():
            rw = Chem.RWMol(one)
            rw.RemoveAtom(nb.GetIdx())
            variants.append(rw.GetMol())
        out.append((truncated, radius, tuple(variants)))
    return tuple(out)


def atom_radii(mol: Chem.Mol, depth: np.ndarray) -> np.ndarray:
    """Per atom, bonds within which its logP contribution (with its hydrogens), TPSA and ionisable or
    chelator-nitrogen status are decided: the largest radius of the patterns that may type it, at least the TPSA
    radius. ``depth``: per atom, bonds to the nearest attachment point's neighbour; a pattern may type an atom only
    if its part within that many bonds (all inside the block) matches there, relaxed; at a junction atom (depth 0)
    its part within one bond, less the neighbour that may lie across the junction."""
    rho = np.full(mol.GetNumAtoms(), TPSA_RADIUS, dtype=np.int64)
    for queries, radius, junction in _typing_patterns():
        for t in range(radius):
            atoms = np.flatnonzero((depth == t) if t < radius - 1 else (depth >= t))
            atoms = atoms[rho[atoms] < radius]
            if not len(atoms):
                continue
            tests = junction if t == 0 else (queries[t],)
            hit = {m[0] for q in tests for m in mol.GetSubstructMatches(q, uniquify=False, maxMatches=100000)}
            for a in atoms.tolist():
                if a in hit:
                    rho[a] = radius
    return rho


def _invariants(mol: Chem.Mol, idx: int) -> tuple:
    a = mol.GetAtomWithIdx(idx)
    ri = mol.GetRingInfo()
    ring_bonds = sum(1 for b in a.GetBonds() if b.IsInRing())
    return (
        a.GetAtomicNum(),
        a.GetIsotope(),
        a.GetFormalCharge(),
        a.GetTotalNumHs(),
        a.GetDegree(),
        a.GetIsAromatic(),
        ri.NumAtomRings(idx),
        ri.MinAtomRingSize(idx) if ri.NumAtomRings(idx) else 0,
        ring_bonds,
        a.GetTotalValence(),
    )


_INVARIANT_CODES: dict[tuple, int] = {}
#: Bond types standing for ring bonds in a region's text (no SMILES bond symbol says "ring bond").
_RING_BOND = {
    Chem.BondType.SINGLE: Chem.BondType.QUADRUPLE,
    Chem.BondType.DOUBLE: Chem.BondType.DATIVE,
    Chem.BondType.AROMATIC: Chem.BondType.AROMATIC,
}


def region_key(mol: Chem.Mol, root: int, atoms: list[int], extra: dict[int, int] | None = None) -> str | None:
    """Canonical text of the labelled subgraph ``atoms`` of ``mol`` rooted at ``root``, or None if it cannot be
    written. The subgraph is copied into a molecule of its own whose atoms carry, as isotope, a code of their
    element, isotope, charge, hydrogens, degree, aromaticity, ring count, smallest ring, ring bonds, valence and
    root flag (and ``extra``), and whose ring bonds are written with bond types that stand for "ring
    single/double"; equal texts therefore mean isomorphic labelled graphs, on which every SMARTS within the region
    tests the same."""
    rw = Chem.RWMol()
    pos = {}
    for i in sorted(atoms):
        src = mol.GetAtomWithIdx(i)
        inv = (*_invariants(mol, i), i == root, (extra or {}).get(i))
        atom = Chem.Atom(src.GetAtomicNum())
        atom.SetIsotope(_INVARIANT_CODES.setdefault(inv, len(_INVARIANT_CODES) + 1))
        atom.SetNoImplicit(True)
        atom.SetIsAromatic(src.GetIsAromatic())
        pos[i] = rw.AddAtom(atom)
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        if i in pos and j in pos:
            kind = bond.GetBondType()
            if bond.IsInRing():
                if kind not in _RING_BOND:
                    return None
                kind = _RING_BOND[kind]
            rw.AddBond(pos[i], pos[j], kind)
            rw.GetBondBetweenAtoms(pos[i], pos[j]).SetIsAromatic(kind == Chem.BondType.AROMATIC)
    out = rw.GetMol()
    out.UpdatePropertyCache(strict=False)
    return Chem.MolToSmiles(out, canonical=True)


@dataclass
class BlockData:
    """What a block contributes, computed once per block."""

    ok: bool
    reason: str = ""
    mol: Chem.Mol | None = None  # tagged copy
    dummy: dict[int, int] = field(default_factory=dict)  # label -> dummy atom
    attach: dict[int, int] = field(default_factory=dict)  # label -> atom bonded to the dummy
    dist: np.ndarray | None = None
    key: dict[tuple[int, int], str | None] = field(default_factory=dict)  # (label, radius) -> environment
    view: dict[int, int] = field(default_factory=dict)  # label -> bonds its atoms see into the partner (-1: none)
    rho: np.ndarray | None = None
    inv: list[tuple] = field(default_factory=list)  # per atom, the invariants a SMARTS can test
    own_key: dict[tuple[int, ...], str | None] = field(default_factory=dict)  # group -> what decides its value
    chel_n_dist: dict[int, int] = field(default_factory=dict)  # label -> bonds to the nearest possible chelator N
    chel_n_u: dict[int, bool] = field(default_factory=dict)  # label -> junction atom a chelator N if bonded to sp3 C
    x4_carbon: dict[int, bool] = field(default_factory=dict)  # label -> junction atom is an sp3 carbon
    counts: dict[str, int] = field(default_factory=dict)  # element -> atoms (hydrogens included)
    mw: float = 0.0
    heavy: int = 0
    carbon: bool = False
    motif_found: int = 0  # bit per motif (load_motifs order) matched inside the block
    motif_hits: tuple[int, ...] = ()  # matches per motif inside the block
    uncovered: int = 0  # bit per supersedes pair (strong, weak): a weak hit overlapping no strong hit
    groups: tuple[tuple[int, ...], ...] = ()  # labels whose near atoms overlap share one group
    near: dict[tuple[int, ...], frozenset[int]] = field(default_factory=dict)


@cache
def _supersede_pairs() -> tuple[tuple[int, int], ...]:
    motifs = load_motifs()
    pos = {m.name: i for i, m in enumerate(motifs)}
    return tuple((pos[m.name], pos[w]) for m in motifs for w in m.supersedes if w in pos)


def _formula(counts: dict[str, int], charge: int = 0) -> str:
    """Hill formula (C, H, then alphabetical; alphabetical without carbon) with the net formal charge, then the
    counts of heavy atoms per element and heavy-atom degree (keys ``"C/3"``)."""
    elements = {k: v for k, v in counts.items() if "/" not in k}
    order = (["C", "H"] + sorted(k for k in elements if k not in ("C", "H"))) if elements.get("C") else sorted(elements)
    text = "".join(f"{el}{elements[el] if elements[el] != 1 else ''}" for el in order if elements.get(el))
    text += "" if charge == 0 else f"{'+' if charge > 0 else '-'}{abs(charge) if abs(charge) != 1 else ''}"
    return text + "|" + ",".join(f"{k}:{counts[k]}" for k in sorted(k for k in counts if "/" in k and counts[k]))


def heavy_degree(atom: Chem.Atom) -> int:
    """Neighbours that are not hydrogen atoms (a dummy counts: a heavy atom takes its place when blocks join)."""
    return sum(1 for n in atom.GetNeighbors() if n.GetAtomicNum() != 1)


def formula_of(mol: Chem.Mol) -> str:
    """:func:`_formula` of a molecule (implicit and explicit hydrogens counted; dummies ignored): the
    deduplication key both phase-1 paths give every conjugate. Equal InChIKeys imply equal formulae and equal
    heavy-atom connection tables (InChI's connection layer), hence equal counts per element and heavy degree."""
    counts: dict[str, int] = {}
    h = 0
    for a in mol.GetAtoms():
        if a.GetAtomicNum() == 0:
            continue
        counts[a.GetSymbol()] = counts.get(a.GetSymbol(), 0) + 1
        h += a.GetTotalNumHs()
        if a.GetAtomicNum() > 1:
            key = f"{a.GetSymbol()}/{heavy_degree(a)}"
            counts[key] = counts.get(key, 0) + 1
    if h:
        counts["H"] = counts.get("H", 0) + h
    return _formula(counts, Chem.GetFormalCharge(mol))


def _bfs(mol: Chem.Mol, start: int, depth: int) -> dict[int, int]:
    seen = {start: 0}
    frontier = [start]
    for d in range(1, depth + 1):
        nxt = []
        for i in frontier:
            for nb in mol.GetAtomWithIdx(i).GetNeighbors():
                j = nb.GetIdx()
                if j not in seen:
                    seen[j] = d
                    nxt.append(j)
        frontier = nxt
    return seen


def analyse_block(block: Block, slot: int) -> BlockData:
    """Per-block facts (see :class:`BlockData`); ``ok`` False with a reason when the block cannot be bounded here."""
    mol = Chem.Mol(block.mol)
    for a in mol.GetAtoms():
        a.SetIntProp("rv_slot", slot)
        a.SetIntProp("rv_idx", a.GetIdx())
    if len(Chem.GetMolFrags(mol)) > 1:
        return BlockData(False, "several fragments")
    if mol.HasSubstructMatch(ANY_METAL):
        return BlockData(False, "metal atom")
    if mol.HasSubstructMatch(ANY_CHARGED):
        return BlockData(False, "charged atom (the uncharger would act)")
    if any(a.GetAtomicNum() == 1 for a in mol.GetAtoms()):
        return BlockData(False, "explicit hydrogen atoms")
    dummy, attach = {}, {}
    for a in mol.GetAtoms():
        if a.GetAtomicNum() == 0:
            if a.GetDegree() != 1 or a.GetBonds()[0].GetBondType() != Chem.BondType.SINGLE:
                return BlockData(False, "attachment point not on one single bond")
            dummy[a.GetAtomMapNum()] = a.GetIdx()
            attach[a.GetAtomMapNum()] = a.GetNeighbors()[0].GetIdx()
    if any(mol.GetAtomWithIdx(i).GetAtomicNum() == 0 for i in attach.values()):
        return BlockData(False, "two attachment points on one atom")
    normalizer = _tools()[0]
    if Chem.MolToSmiles(normalizer.normalize(mol)) != Chem.MolToSmiles(mol):
        return BlockData(False, "the RDKit normaliser changes the block")
    r = contribution_radius()
    dist = Chem.GetDistanceMatrix(mol).astype(np.int64)
    data = BlockData(True, mol=mol, dummy=dummy, attach=attach, dist=dist)
    depth = dist[:, list(attach.values())].min(axis=1)
    data.rho = atom_radii(mol, depth)
    data.inv = [_invariants(mol, i) for i in range(mol.GetNumAtoms())]
    real = np.array([a.GetAtomicNum() != 0 for a in mol.GetAtoms()])
    for label, u in attach.items():
        cand = [m[0] for m in mol.GetSubstructMatches(_CHEL_N_NECESSARY)]
        ua = mol.GetAtomWithIdx(u)
        data.chel_n_dist[label] = int(min((dist[u][i] for i in cand), default=10**6))
        # the junction atom itself is a possible chelator nitrogen only if its partner atom is an sp3 carbon
        data.chel_n_u[label] = (
            ua.GetAtomicNum() == 7
            and ua.GetFormalCharge() == 0
            and ua.GetDegree() + ua.GetTotalNumHs() == 3
            and all(
                n.GetAtomicNum() == 6 and n.GetDegree() + n.GetTotalNumHs() == 4
                for n in ua.GetNeighbors()
                if n.GetAtomicNum() != 0
            )
        )
        data.x4_carbon[label] = ua.GetAtomicNum() == 6 and ua.GetDegree() + ua.GetTotalNumHs() == 4
    for a in mol.GetAtoms():
        if a.GetAtomicNum() == 0:
            continue
        data.counts[a.GetSymbol()] = data.counts.get(a.GetSymbol(), 0) + 1
        data.counts["H"] = data.counts.get("H", 0) + a.GetTotalNumHs()
        if a.GetAtomicNum() > 1:
            key = f"{a.GetSymbol()}/{heavy_degree(a)}"
            data.counts[key] = data.counts.get(key, 0) + 1
        data.mw += a.GetMass() + a.GetTotalNumHs() * _H_MASS
        data.heavy += a.GetAtomicNum() > 1
        data.carbon |= a.GetAtomicNum() == 6
    if not data.counts.get("H"):
        data.counts.pop("H", None)
    motifs = load_motifs()
    hits: list[list[frozenset[int]]] = []
    dummies = set(dummy.values())
    for i, motif in enumerate(motifs):
        found = [frozenset(m) for m in mol.GetSubstructMatches(motif.pattern, maxMatches=MOTIF_MAX_MATCHES)]
        if len(found) >= MOTIF_MAX_MATCHES:  # more matches than RDKit returns: not bounded here
            return BlockData(False, f"{MOTIF_MAX_MATCHES} or more matches of motif {motif.name}")
        found = [m for m in found if not m & dummies]
        hits.append(found)
        if found:
            data.motif_found |= 1 << i
    data.motif_hits = tuple(len(h) for h in hits)
    for j, (strong, weak) in enumerate(_supersede_pairs()):
        strong_atoms = set().union(*hits[strong]) if hits[strong] else set()
        if any(not (h & strong_atoms) for h in hits[weak]):
            data.uncovered |= 1 << j
    # near atoms of each label (they see the partner); labels whose near sets overlap are one group. A block with
    # one attachment point is always seen whole, with the linker's environment out to r - 1 bonds (the motif
    # matches across its junction are decided there too)
    near = {}
    for label, u in attach.items():
        reach = data.rho - 1 - dist[u]
        near[label] = frozenset(np.flatnonzero(real & (reach >= 0)).tolist())
        data.view[label] = int(reach[real].max()) if len(attach) > 1 else r - 1
    groups: list[set[int]] = []
    for label in sorted(near):
        merged = [g for g in groups if any(near[label] & near[k] for k in g)]
        new = {label}.union(*merged) if merged else {label}
        groups = [g for g in groups if g not in merged] + [new]
    data.groups = tuple(tuple(sorted(g)) for g in sorted(groups, key=min))
    data.near = {g: frozenset().union(*(near[k] for k in g)) for g in data.groups}
    # linkers: the part of the block that decides a one-label group's value (its atoms within r - 1 bonds of the
    # junction with their radii, out to the farthest atom a seeing atom depends on); linkers with the same text share
    # the group's values. Not shared: several labels, another attachment point inside, or (found when evaluated) a
    # seeing atom that is a chelator nitrogen in the representative (its cluster may reach farther)
    for grp in data.groups:
        data.own_key[grp] = None
        if len(attach) < 2 or len(grp) > 1:
            continue
        u = attach[grp[0]]
        reach = max((int(dist[u][a] + data.rho[a]) for a in data.near[grp]), default=0)
        reach = max(reach, r - 1)
        region = [i for i in np.flatnonzero(dist[u] <= reach).tolist() if i != dummy[grp[0]]]
        if any(mol.GetAtomWithIdx(i).GetAtomicNum() == 0 for i in region):
            continue
        text = region_key(mol, u, region, {i: int(data.rho[i]) for i in region if dist[u][i] <= r - 1})
        data.own_key[grp] = None if text is None else f"{grp[0]}|{reach}|{text}"
    return data


# ---- motifs across a junction --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HalfPattern:
    """A motif cut at one of its acyclic bonds (p, q): p's side (whole) with q as the junction dummy, and q's side
    with each atom's bond distance from q (for truncation) and p as the dummy."""

    motif: int
    p_side: Chem.Mol
    q_atoms: tuple[int, ...]
    q_dist: tuple[int, ...]
    q: int
    p: int

    @property
    def q_depth(self) -> int:
        """Bonds from q to the farthest atom of q's side."""
        return max(self.q_dist)


def _bridge_side(query: Chem.Mol, p: int, q: int) -> tuple[set[int], dict[int, int]] | None:
    """Atoms reachable from ``p`` without the bond p-q, or None when p-q is on a cycle of the pattern; and bond
    distances from ``p`` in that side."""
    dist = {p: 0}
    frontier = [p]
    while frontier:
        nxt = []
        for i in frontier:
            for nb in query.GetAtomWithIdx(i).GetNeighbors():
                j = nb.GetIdx()
                if (i == p and j == q) or j in dist:
                    continue
                if j == q:
                    return None
                dist[j] = dist[i] + 1
                nxt.append(j)
        frontier = nxt
    return set(dist), dist


def _subquery(query: Chem.Mol, keep: set[int], dummy: int, isotope: int) -> Chem.Mol:
    """``query`` restricted to ``keep`` plus atom ``dummy`` (queried as a dummy atom with ``isotope``)."""
    rw = Chem.RWMol(query)
    rw.ReplaceAtom(dummy, Chem.AtomFromSmarts(f"[{isotope}#0]"))
    for idx in sorted((i for i in range(query.GetNumAtoms()) if i not in keep and i != dummy), reverse=True):
        rw.RemoveAtom(idx)
    return rw.GetMol()


_SINGLE_OK = re.compile(r"^$|[-~!]")  # a bond query that may accept a single acyclic bond (conservative)


@cache
def half_patterns() -> tuple[HalfPattern, ...]:
    """Every (motif, acyclic bond that may be single, orientation) of the recognised motifs."""
    out = []
    for mi, motif in enumerate(load_motifs()):
        query = motif.pattern
        for bond in query.GetBonds():
            smarts = bond.GetSmarts()
            if not _SINGLE_OK.search(smarts) or "@" in smarts and "!@" not in smarts:
                continue
            a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            for p, q in ((a, b), (b, a)):
                side_p = _bridge_side(query, p, q)
                side_q = _bridge_side(query, q, p)
                if side_p is None or side_q is None:
                    continue
                q_dist = side_q[1]
                out.append(
                    HalfPattern(
                        mi,
                        _subquery(query, side_p[0], q, 1),
                        tuple(sorted(q_dist)),
                        tuple(q_dist[i] for i in sorted(q_dist)),
                        q,
                        p,
                    )
                )
    return tuple(out)


@cache
def _truncated(hp_index: int, depth: int) -> Chem.Mol:
    hp = half_patterns()[hp_index]
    keep = {a for a, d in zip(hp.q_atoms, hp.q_dist, strict=True) if d <= depth}
    return _subquery(load_motifs()[hp.motif].pattern, keep, hp.p, 1)


def _with_marked_dummy(data: BlockData, label: int) -> Chem.Mol:
    mol = Chem.Mol(data.mol)
    for lab, idx in data.dummy.items():
        mol.GetAtomWithIdx(idx).SetIsotope(1 if lab == label else 0)
    return mol


def single_side_spans(data: BlockData, label: int) -> np.ndarray:
    """Per half pattern: does its p side match the single-label block with q on the block's dummy?"""
    mol = _with_marked_dummy(data, label)
    return np.array([mol.HasSubstructMatch(hp.p_side) for hp in half_patterns()], dtype=bool)


def linker_side_spans(data: BlockData, label: int, which: np.ndarray) -> np.ndarray:
    """For the half patterns ``which`` (indices): does its q side, truncated to the atoms that must lie in the
    linker (closer to q than the linker's other attachment points are to its junction atom), match with p on the
    linker's ``label`` dummy?"""
    mol = _with_marked_dummy(data, label)
    v = data.attach[label]
    others = [data.dist[v][d] for lab, d in data.dummy.items() if lab != label]
    depth = int(min(others, default=10**6)) - 1
    return np.array([mol.HasSubstructMatch(_truncated(int(i), depth)) for i in which], dtype=bool)


# ---- representatives ----------------------------------------------------------------------------------------


def zip_mols(mols: list[Chem.Mol]) -> Chem.Mol | None:
    """The blocks ``mols`` joined at their matching ``[*:k]`` labels and sanitised, as
    :func:`radiovector.candidates.enumerate.build` joins them; None where RDKit cannot."""
    combined = mols[0]
    for m in mols[1:]:
        combined = Chem.CombineMols(combined, m)
    try:
        zipped = Chem.molzip(combined)
        Chem.SanitizeMol(zipped)
    except Exception:
        return None
    return zipped


class BlockModel:
    """Block facts, junction environments and representative values of a design space, computed lazily."""

    SLOTS = ("vectors", "linkers", "chelators", "albumin_binders")
    PARTNER = {1: 0, 2: 2, 3: 3}  # label -> slot of the single-label block on it

    def __init__(self, space: DesignSpace) -> None:
        self.space = space
        plain = [lk for lk in space.linkers if 3 not in lk.labels]
        branched = [lk for lk in space.linkers if 3 in lk.labels]
        self.linkers = plain + branched  # enumeration order of the linker index below
        self.n_plain = len(plain)
        self.blocks = {0: space.vectors, 1: self.linkers, 2: space.chelators, 3: space.albumin_binders}
        self._data: dict[tuple[int, int], BlockData] = {}
        self._keys: dict[tuple[int, int, str], int] = {}  # (slot, label, environment) -> code
        self._key_rep: dict[int, tuple[int, int, int]] = {}  # code -> (slot, block holding it, radius)
        self._values: dict[tuple, tuple[float, float, float] | None] = {}
        self._far: dict[int, tuple[float, float, float] | None] = {}
        self._spans: dict[tuple[int, int, int], np.ndarray] = {}
        self.representatives = 0
        self._own_rep: dict[str, int] = {}  # a linker group's deciding text -> the linker evaluated for it
        self._touched = False  # the last representative had a chelator nitrogen among the seeing atoms
        self.why: dict[tuple, str] = {}  # (slot, block, group, environments) -> why its value is not proven

    def data(self, slot: int, index: int) -> BlockData:
        if (slot, index) not in self._data:
            self._data[(slot, index)] = analyse_block(self.blocks[slot][index], slot)
        return self._data[(slot, index)]

    def key_code(self, slot: int, index: int, label: int, radius: int) -> int:
        """Integer code of a block's junction environment at ``label`` (its atoms within ``radius`` bonds of the
        junction atom): -1 not usable (the block is not bounded here, or another attachment point is that close);
        -2 for a negative radius (nothing of the partner is seen)."""
        if radius < 0:
            return -2
        d = self.data(slot, index)
        if not d.ok:
            return -1
        if (label, radius) not in d.key:
            u = d.attach[label]
            region = [i for i in np.flatnonzero(d.dist[u] <= radius).tolist() if i != d.dummy[label]]
            d.key[(label, radius)] = (
                None
                if any(d.mol.GetAtomWithIdx(i).GetAtomicNum() == 0 for i in region)
                else region_key(d.mol, u, region)
            )
        key = d.key[(label, radius)]
        if key is None:
            return -1
        full = (slot, label, radius, key)
        if full not in self._keys:
            self._keys[full] = len(self._keys)
            self._key_rep[self._keys[full]] = (slot, index, radius)
        return self._keys[full]

    def spans(self, slot: int, index: int, label: int, which: np.ndarray | None = None) -> np.ndarray:
        """Per half pattern, may it match this block's side of the junction ``label`` (a linker: only ``which``
        are tested, the others are False)."""
        if slot != 1:
            if (slot, index, label) not in self._spans:
                self._spans[(slot, index, label)] = single_side_spans(self.data(slot, index), label)
            return self._spans[(slot, index, label)]
        key = (slot, index, label)
        known = self._spans.setdefault(key, np.zeros(len(half_patterns()), dtype=bool))
        tested = self._spans.setdefault((slot, index, label, "tested"), np.zeros(len(half_patterns()), dtype=bool))
        todo = np.flatnonzero(which & ~tested) if which is not None else np.zeros(0, dtype=np.int64)
        if len(todo):
            known[todo] = linker_side_spans(self.data(slot, index), label, todo)
            tested[todo] = True
        return known

    def first_ok(self, slot: int, branched: bool | None = None) -> int | None:
        rng = range(len(self.blocks[slot]))
        if slot == 1 and branched is not None:
            rng = range(self.n_plain, len(self.linkers)) if branched else range(self.n_plain)
        for i in rng:
            d = self.data(slot, i)
            if d.ok and all(self.key_code(slot, i, lab, 0) >= 0 for lab in d.attach):
                return i
        return None

    def _conjugate(self, picks: dict[int, int]) -> Chem.Mol | None:
        return zip_mols([self.data(s, i).mol for s, i in sorted(picks.items())])

    def value(
        self, slot: int, index: int, group: tuple[int, ...], keys: tuple[int, ...]
    ) -> tuple[float, float, float] | None:
        """(Crippen logP, TPSA, pH 7.4 charge) of the block's atoms that see the junctions of ``group`` (all its
        atoms for a single-label block), with partners of junction environments ``keys``; None if unproven."""
        ck = (slot, index, group, keys)
        own = self.data(slot, index).own_key.get(group) if slot == 1 else None
        if own is not None:  # linkers whose deciding part is equal share the value
            rep = self._own_rep.setdefault(own, index)
            sk = ("own", own, keys)
            if sk not in self._values:
                self._values[sk] = self._evaluate(slot, rep, group, keys)
                if self._touched:  # a seeing atom is a chelator nitrogen: not shared
                    self._values[sk] = ("unshared",)
            if not (isinstance(self._values[sk], tuple) and self._values[sk] == ("unshared",)):
                return self._values[sk]
        if ck not in self._values:
            self._values[ck] = self._evaluate(slot, index, group, keys)
        return self._values[ck]

    def far(self, index: int) -> tuple[float, float, float] | None:
        """The linker's atoms that see no junction (computed in a representative of the linker)."""
        if index not in self._far:
            d = self.data(1, index)
            self._evaluate(1, index, d.groups[0], tuple(-2 for _ in d.groups[0]))
        return self._far.get(index)

    def _evaluate(self, slot: int, index: int, group: tuple[int, ...], keys: tuple[int, ...]):
        d = self.data(slot, index)
        ck = (slot, index, group, keys)
        self._touched = False
        picks = {slot: index}
        if slot == 1:
            for label, key in zip(group, keys, strict=True):
                if key >= 0:
                    picks[self.PARTNER[label]] = self._key_rep[key][1]
            needed = [self.PARTNER[label] for label in d.attach]
        else:
            picks[1] = self._key_rep[keys[0]][1]
            needed = [self.PARTNER[label] for label in self.data(1, picks[1]).attach]
        for ps in needed:
            if ps not in picks:
                first = self.first_ok(ps)
                if first is None:
                    return self._unproven(ck, "no partner block to complete a representative")
                picks[ps] = first
        mol = self._conjugate(picks)
        if mol is None:
            return self._unproven(ck, "the representative cannot be built")
        self.representatives += 1
        # a normaliser match across a junction lies within 3 bonds of a single-label block's junction atom, so the
        # single-label blocks' representatives (each block whole, the linker out to r - 1 bonds) see every one
        if slot != 1 and Chem.MolToSmiles(_tools()[0].normalize(mol)) != Chem.MolToSmiles(mol):
            return self._unproven(ck, "the RDKit normaliser changes the representative")
        where = {(a.GetIntProp("rv_slot"), a.GetIntProp("rv_idx")): a.GetIdx() for a in mol.GetAtoms()}
        # guard: the block's seeing atoms and the partners' environments keep every invariant when joined
        checks = [(slot, i) for i in d.near[group if slot == 1 else d.groups[0]]]
        labels = group if slot == 1 else tuple(d.attach)
        for label, key in zip(labels, keys, strict=True):
            if key < 0:
                continue
            ps = self.PARTNER[label] if slot == 1 else 1
            pdata = self.data(ps, picks[ps])
            radius = self._key_rep[key][2]
            u = pdata.attach[label]
            checks += [(ps, i) for i in np.flatnonzero(pdata.dist[u] <= radius).tolist() if i != pdata.dummy[label]]
        for s_, i in checks:
            if _invariants(mol, where[(s_, i)]) != self.data(s_, picks[s_]).inv[i]:
                return self._unproven(ck, "an atom changed an invariant on joining")
        own = {j: i for (s_, i), j in where.items() if s_ == slot}
        if slot == 1:
            near_all = set().union(*d.near.values())
            target = {j for j, i in own.items() if i in d.near[group]}
            far_atoms = {j for j, i in own.items() if i not in near_all}
            other_near = {j for j, i in own.items() if i in near_all and i not in d.near[group]}
        else:
            target, far_atoms, other_near = set(own), set(), set()
        logp, tpsa = _atom_values(mol)
        site, ok, self._touched = _site_charges(mol, own, target, far_atoms, other_near)
        if not ok:
            return self._unproven(ck, "a chelator-nitrogen cluster crosses blocks or junction groups")

        def total(atoms: set[int]) -> tuple[float, float, float]:
            order = sorted(atoms, key=own.get)  # block atom order: the same sum in every representative
            return (
                float(sum(logp[j] for j in order)),
                float(sum(tpsa[j] for j in order)),
                float(sum(site.get(j, 0.0) for j in order)),
            )

        value = np.zeros(3 + 2 + len(load_motifs()))  # logP, TPSA, charge, found, uncovered, matches per motif
        value[:3] = total(target)
        if slot != 1:
            rec = self._place(mol, own, where, picks, d)
            if rec is None:
                return self._unproven(ck, "a motif match reaches beyond the junction environment")
            value[3:] = rec
        else:
            far = total(far_atoms)
            if index in self._far and self._far[index] != far:
                raise AssertionError(f"linker {self.linkers[index].id}: far atoms differ between representatives")
            self._far[index] = far
        return value

    def _unproven(self, key: tuple, reason: str) -> None:
        self.why[key] = reason

    def _place(
        self, mol: Chem.Mol, own: dict[int, int], where: dict, picks: dict[int, int], d: BlockData
    ) -> np.ndarray | None:
        """Motif matches of a representative that touch the single-label block: inside it, or across its junction
        into the linker's junction environment (found bits, uncovered supersedes bits, matches per motif); None
        if a match reaches farther into the linker (then the span test marks the pair anyway)."""
        (label,) = d.attach
        lnk = self.data(1, picks[1])
        seen = np.flatnonzero(lnk.dist[lnk.attach[label]] <= contribution_radius() - 1).tolist()
        allowed = set(own) | {where[(1, i)] for i in seen if (1, i) in where}
        motifs = load_motifs()
        hits: list[list[frozenset[int]]] = []
        for motif in motifs:
            found = [frozenset(m) for m in mol.GetSubstructMatches(motif.pattern, maxMatches=1000)]
            found = [m for m in found if any(j in own for j in m)]
            if any(not m <= allowed for m in found):
                return None
            hits.append(found)
        out = np.zeros(2 + len(motifs))
        out[0] = sum(1 << i for i, h in enumerate(hits) if h)
        for j, (strong, weak) in enumerate(_supersede_pairs()):
            strong_atoms = set().union(*hits[strong]) if hits[strong] else set()
            if any(not (h & strong_atoms) for h in hits[weak]):
                out[1] += 1 << j
        out[2:] = [len(h) for h in hits]
        return out


def _atom_values(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
    """Per heavy atom: Crippen logP with its hydrogens' contributions, TPSA contribution."""
    withh = Chem.AddHs(mol)
    contribs = rdMolDescriptors._CalcCrippenContribs(withh)
    n = mol.GetNumAtoms()
    logp = np.array([c[0] for c in contribs[:n]], dtype=float)
    for h in range(n, withh.GetNumAtoms()):
        logp[withh.GetAtomWithIdx(h).GetNeighbors()[0].GetIdx()] += contribs[h][0]
    tpsa = np.array(rdMolDescriptors._CalcTPSAContribs(mol), dtype=float)
    return logp, tpsa


def _site_charges(
    mol: Chem.Mol, own: dict[int, int], target: set[int], far: set[int], other: set[int]
) -> tuple[dict[int, float], bool, bool]:
    """pH 7.4 charge of each ionisable site, on its first atom (a chelator-nitrogen cluster on its first member);
    False when a cluster of the block mixes atoms of other blocks or of two junction groups; and whether a
    chelator nitrogen is among ``target``."""
    grps, _, quaternary = ionisable.patterns()
    out: dict[int, float] = {}
    touched = False
    for m in mol.GetSubstructMatches(quaternary):
        out[m[0]] = out.get(m[0], 0.0) + ionisable.fraction(ionisable.PERMANENT_CATION_PKA, "base")
    for g in grps:
        for first in {m[0] for m in mol.GetSubstructMatches(g.pattern)}:
            out[first] = out.get(first, 0.0) + ionisable.fraction(g.pka, g.kind)
    for cyclic, members in ionisable.chelator_nitrogen_clusters(mol):
        touched |= any(j in target for j in members)
        inside = [j in own for j in members]
        if not any(inside):
            continue
        if not all(inside):
            return out, False, touched
        sets = [s for s in (target, far, other) if any(j in s for j in members)]
        if len(sets) > 1:
            return out, False, touched
        charge = sum(ionisable.fraction(p, "base") for p in ionisable.cluster_pkas(cyclic, len(members)))
        out[members[0]] = out.get(members[0], 0.0) + charge
    return out, True, touched


# ---- one chunk ----------------------------------------------------------------------------------------------


def decode(space: DesignSpace, start: int, stop: int) -> np.ndarray:
    """Block indices (vector, linker in plain-then-branched order, chelator, albumin binder or -1) of conjugates
    ``start .. stop - 1`` (the order of :meth:`DesignSpace.combination`)."""
    idx = np.arange(start, stop, dtype=np.int64)
    plain = sum(1 for lk in space.linkers if 3 not in lk.labels)
    branched = len(space.linkers) - plain
    nv, nc, na = len(space.vectors), len(space.chelators), len(space.albumin_binders)
    n_plain = nv * plain * nc
    out = np.full((len(idx), 4), -1, dtype=np.int64)
    p = idx < n_plain
    if plain:
        v, rest = np.divmod(idx[p], plain * nc)
        lk, c = np.divmod(rest, nc)
        out[p, 0], out[p, 1], out[p, 2] = v, lk, c
    q = ~p
    if q.any():
        j = idx[q] - n_plain
        v, rest = np.divmod(j, branched * nc * na)
        lk, rest = np.divmod(rest, nc * na)
        c, a = np.divmod(rest, na)
        out[q, 0], out[q, 1], out[q, 2], out[q, 3] = v, plain + lk, c, a
    return out


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, index of each row's distinct row) of an integer matrix, by hashing (``np.unique(axis=0)``
    sorts, which is slow on many rows)."""
    if not len(rows):
        return rows.reshape(0, rows.shape[1] if rows.ndim == 2 else 0), np.zeros(0, dtype=np.int64)
    codes, uniques = pd.MultiIndex.from_arrays([rows[:, j] for j in range(rows.shape[1])]).factorize()
    return np.array(uniques.tolist(), dtype=rows.dtype).reshape(len(uniques), rows.shape[1]), codes.astype(np.int64)


def _lookup(keys: np.ndarray, fn) -> np.ndarray:
    """``fn(*row)`` for each distinct row of ``keys`` (rows x k ints), spread back to every row: (rows x values) with
    NaN where ``fn`` gives None."""
    width = 5 + len(load_motifs())
    out = np.full((len(keys), width), np.nan)
    if not len(keys):
        return out
    uniq, inv = _unique_rows(keys)
    vals = np.full((len(uniq), width), np.nan)
    for k, row in enumerate(uniq.tolist()):
        v = fn(*row)
        if v is not None:
            vals[k] = v
    return vals[inv.reshape(-1)]


def block_pass(
    model: BlockModel, start: int, stop: int, nuclides: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Cheap values of conjugates ``start .. stop - 1`` from their blocks: (values, low ends, high ends, indices
    the blocks could not bound, to be done per conjugate). The frames are indexed by conjugate index and hold the
    cheap columns of :data:`radiovector.candidates.bounds.CHEAP_COLUMNS`, ``formula`` and ``unsure``."""
    combo = decode(model.space, start, stop)
    n = len(combo)
    slots = [0, 1, 2, 3]
    bad = np.zeros(n, dtype=bool)
    ok_blocks = {
        s: np.array([model.data(s, i).ok for i in range(len(model.blocks[s]))], dtype=bool)
        if len(model.blocks[s])
        else np.zeros(0, bool)
        for s in slots
    }
    used = {s: np.unique(combo[:, s][combo[:, s] >= 0]) for s in slots}
    for s in slots:
        col = combo[:, s]
        has = col >= 0
        bad[has] |= ~ok_blocks[s][col[has]]
    # junction environments (key codes): the linker's as a single-label block sees it (r - 1 bonds), and each
    # partner's as the linker sees it (the linker's view at that label); -1 unusable
    r = contribution_radius()
    lk = combo[:, 1]
    lkey = {}
    env = np.full((n, 4), -1, dtype=np.int64)
    for label, ps in BlockModel.PARTNER.items():
        arr = np.full(len(model.linkers), -1, dtype=np.int64)
        for i in used[1].tolist():
            if label in model.linkers[i].labels and ok_blocks[1][i]:
                arr[i] = model.key_code(1, i, label, r - 1)
        lkey[label] = arr
        has = combo[:, ps] >= 0
        bad[has] |= arr[lk[has]] < 0
        if not has.any():
            continue
        pairs, inv = _unique_rows(combo[has][:, [ps, 1]])
        codes = np.array(
            [
                model.key_code(ps, b, label, model.data(1, ln).view[label])
                if ok_blocks[ps][b] and ok_blocks[1][ln]
                else -1
                for b, ln in pairs.tolist()
            ],
            dtype=np.int64,
        )
        env[has, label] = codes[inv.reshape(-1)]
        bad[has] |= env[has, label] == -1
    # linker groups: each label's partner environment; groups per linker
    # motif spans and chelator-nitrogen clusters across each junction
    # a match whose linker part lies within the junction environment is found in the representative; only the
    # half patterns reaching farther into the linker need the proof that they cannot match
    long_q = np.array([hp.q_depth > contribution_radius() - 1 for hp in half_patterns()], dtype=bool)
    for label, ps in BlockModel.PARTNER.items():
        has = (combo[:, ps] >= 0) & ~bad
        if not has.any():
            continue
        pairs = _unique_rows(combo[has][:, [ps, 1]])[0]
        risky = set()
        # the linker side is tested only where some single-label block can match a long cut's p side
        starts = {b for b in np.unique(pairs[:, 0]).tolist() if (model.spans(ps, b, label) & long_q).any()}
        which = np.zeros(len(long_q), dtype=bool)
        for b in starts:
            which |= model.spans(ps, b, label) & long_q
        for b, lnk in pairs.tolist():
            db, dl = model.data(ps, b), model.data(1, lnk)
            near_b = 0 if db.chel_n_u[label] and dl.x4_carbon[label] else db.chel_n_dist[label]
            near_l = 0 if dl.chel_n_u[label] and db.x4_carbon[label] else dl.chel_n_dist[label]
            cluster = near_b + 1 + near_l <= CLUSTER_BONDS
            if cluster or (
                b in starts and (model.spans(ps, b, label) & model.spans(1, lnk, label, which) & long_q).any()
            ):
                risky.add((b, lnk))
        if risky:
            r_arr = np.array(sorted(risky), dtype=np.int64)
            code = combo[:, ps] * (len(model.linkers) + 1) + combo[:, 1]
            bad |= has & np.isin(code, r_arr[:, 0] * (len(model.linkers) + 1) + r_arr[:, 1])
    good = ~bad
    g = combo[good]
    m = len(g)
    n_motifs = len(load_motifs())
    pairs = _supersede_pairs()
    total = np.zeros((m, 3))
    found = np.zeros(m, dtype=np.int64)
    uncov = np.zeros(m, dtype=np.int64)
    hits = np.zeros((m, n_motifs), dtype=np.int64)
    places = np.zeros((m, len(pairs)), dtype=np.int64)  # places (see below) with matches of a supersedes pair

    def add_place(rows: np.ndarray, f: np.ndarray, u: np.ndarray, h: np.ndarray) -> None:
        found[rows] |= f
        uncov[rows] |= u
        hits[rows] += h
        for j, (strong, weak) in enumerate(pairs):
            places[rows, j] += (h[:, strong] + h[:, weak]) > 0

    # single-label blocks: (block, the linker's environment at its label); one place of motif matches each
    for label, ps in BlockModel.PARTNER.items():
        has = np.flatnonzero(g[:, ps] >= 0)
        rows = np.stack([g[has, ps], lkey[label][g[has, 1]]], axis=1)
        vals = _lookup(rows, lambda b, k, ps=ps, label=label: model.value(ps, b, (label,), (k,)))
        total[has] += vals[:, :3]
        ok = ~np.isnan(vals).any(axis=1)
        v0 = np.nan_to_num(vals)
        add_place(has[ok], v0[ok, 3].astype(np.int64), v0[ok, 4].astype(np.int64), v0[ok, 5:].astype(np.int64))
    # linker: far atoms + one value per group of labels; its own motif matches are one more place
    env = env[good]
    for lnk in np.unique(g[:, 1]).tolist():
        rows = np.flatnonzero(g[:, 1] == lnk)
        d = model.data(1, lnk)
        for grp in d.groups:
            sub = np.concatenate([np.full((len(rows), 1), lnk), env[rows][:, list(grp)]], axis=1)
            total[rows] += _lookup(sub, lambda ln, *k, grp=grp: model.value(1, ln, grp, tuple(k)))[:, :3]
        far = model.far(lnk)
        total[rows] += np.array(far) if far is not None else np.nan
        add_place(
            rows,
            np.int64(d.motif_found),
            np.int64(d.uncovered),
            np.tile(np.array(d.motif_hits, dtype=np.int64), (len(rows), 1)),
        )
    unproven = np.isnan(total).any(axis=1)
    # exact block sums: MW, heavy atoms, formula, carbon
    mw = np.zeros(m)
    heavy = np.zeros(m, dtype=np.int64)
    carbon = np.zeros(m, dtype=bool)
    elements = sorted(
        {el for s in slots for i in used[s] if model.data(s, int(i)).ok for el in model.data(s, int(i)).counts}
    )
    counts = np.zeros((m, len(elements)), dtype=np.int64)
    for s in slots:
        n_s = len(model.blocks[s])
        if not n_s:
            continue
        col = g[:, s]
        has = col >= 0
        tab_mw = np.zeros(n_s)
        tab_heavy = np.zeros(n_s, dtype=np.int64)
        tab_c = np.zeros(n_s, dtype=bool)
        tab_counts = np.zeros((n_s, len(elements)), dtype=np.int64)
        for i in used[s].tolist():
            d = model.data(s, i)
            if d.ok:
                tab_mw[i], tab_heavy[i], tab_c[i] = d.mw, d.heavy, d.carbon
                tab_counts[i] = [d.counts.get(el, 0) for el in elements]
        mw[has] += tab_mw[col[has]]
        heavy[has] += tab_heavy[col[has]]
        carbon[has] |= tab_c[col[has]]
        counts[has] += tab_counts[col[has]]
    unproven |= ~carbon
    # recognition: a supersedes decision is exact when both motifs' matches lie in one place (a single-label
    # block with its junction, or the linker) and RDKit's 16-match limit truncates neither list
    for j, (strong, weak) in enumerate(pairs):
        both = ((found >> strong) & 1).astype(bool) & ((found >> weak) & 1).astype(bool)
        unproven |= both & (
            (places[:, j] > 1) | (hits[:, strong] >= MOTIF_MAX_MATCHES) | (hits[:, weak] >= MOTIF_MAX_MATCHES)
        )
    rec = _recognition(found, uncov, nuclides)
    # formula strings per distinct count row
    uniq, inv = _unique_rows(counts)
    texts = np.array([_formula(dict(zip(elements, row, strict=True))) for row in uniq.tolist()], dtype=object)
    formula = texts[inv.reshape(-1)] if m else np.zeros(0, dtype=object)
    charge = total[:, 2]
    index = np.arange(start, stop, dtype=np.int64)[good]
    logp, tpsa = total[:, 0], total[:, 1]

    def frame(sign: float) -> pd.DataFrame:
        def widen(x: np.ndarray) -> np.ndarray:
            return x + sign * _EPS * np.maximum(1.0, np.abs(x))

        ch = np.round(widen(charge), 2) + 0.0
        return pd.DataFrame(
            {
                "mw": widen(mw),
                "clogp": widen(logp),
                "tpsa": widen(tpsa),
                "heavy_atoms": heavy,
                "formal_charge": 0,
                "net_charge_ph74": ch,
                **rec,
                "n_alerts": 0,
                "formula": formula,
                "unsure": False,
            },
            index=pd.Index(index, name="index"),
        )

    center, lo, hi = frame(0.0), frame(-1.0), frame(1.0)
    keep = ~unproven
    fallback = np.concatenate([np.arange(start, stop, dtype=np.int64)[bad], index[unproven]])
    return center[keep], lo[keep], hi[keep], np.sort(fallback)


def _recognition(found: np.ndarray, uncov: np.ndarray, nuclides: list[str]) -> dict[str, np.ndarray]:
    motifs = load_motifs()
    pairs = _supersede_pairs()
    n = len(found)
    out = {
        "n_chelators": np.zeros(n, dtype=np.int64),
        "n_albumin_binders": np.zeros(n, dtype=np.int64),
        "n_targeting_motifs": np.zeros(n, dtype=np.int64),
        "compatibility_desirability": np.full(n, np.nan),
    }
    if not n:
        return out
    rows = np.stack([found, uncov], axis=1)
    uniq, inv = _unique_rows(rows)
    inv = inv.reshape(-1)
    for k, (f, u) in enumerate(uniq.tolist()):
        names = {i for i in range(len(motifs)) if (f >> i) & 1}
        drop = {
            weak for j, (strong, weak) in enumerate(pairs) if strong in names and weak in names and not (u >> j) & 1
        }
        kept = [motifs[i] for i in sorted(names - drop)]  # data-file order, as recognise() lists them
        chel = [mo.name for mo in kept if mo.category == "chelator"]
        sel = inv == k
        out["n_chelators"][sel] = len(chel)
        out["n_albumin_binders"][sel] = sum(mo.category == "albumin_binder" for mo in kept)
        out["n_targeting_motifs"][sel] = sum(mo.category == "targeting_motif" for mo in kept)
        levels = [compatibility(chel, nuc)[0] for nuc in nuclides]
        out["compatibility_desirability"][sel] = min((scoring.COMPAT_DESIRABILITY[lv] for lv in levels), default=np.nan)
    return out


__all__ = [
    "BlockModel",
    "block_pass",
    "contribution_radius",
    "formula_of",
    "region_key",
    "smarts_radius",
    "decode",
    "half_patterns",
]
