"""The one ionisable-group model: groups found by SMARTS, their pKa, and Henderson–Hasselbalch charges.

Used by the candidate stage (``net_charge_ph74``) and the peptide stage (``pi_molecule``,
``positive_charges_ph74``). Data files (``radiovector/candidates/data``), one reference per row:

* ``ionisable_groups.csv`` (group, smarts, pka, kind acid|base, note, reference): the first SMARTS atom is the
  ionisable centre; each distinct centre counts once per group row.
* ``chelator_n_pkas.csv`` (cyclic, n_nitrogens, parent, pkas, reference): nitrogens of aminopolycarboxylate
  chelators (N bearing a CH2-C(=O)X arm) are not independent amines; their stepwise protonation constants are
  strongly lowered by electrostatic repulsion, so each connected cluster of such nitrogens gets the stepwise pKa
  list of its parent chelator class (larger clusters: the DTPA list extended with weakly basic nitrogens).

Quaternary ammonium is a permanent cation (modelled as a base with pKa :data:`PERMANENT_CATION_PKA`).
Fractional charge at pH: acid -1/(1+10^(pKa-pH)), base +1/(1+10^(pH-pKa)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import StringIO
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rdkit import Chem

if TYPE_CHECKING:
    from radiovector.candidates.screen import MoleculeMatches

#: Physiological pH (blood plasma) of the ``*_ph74`` columns.
PH = 7.4
#: pKa standing for a permanent cation (always protonated at any pH 0-14).
PERMANENT_CATION_PKA = 99.0
#: Chelator nitrogens at most this many bonds apart belong to one chelator: N-C-C-N (3), N-C-C-C-N (4, cyclam).
CHELATOR_N_MAX_BONDS = 4
CHELATOR_N_SMARTS = "[NX3;+0;!$(N~[!#6,!X4])]-[CH2]-C(=O)[O,N]"
QUATERNARY_SMARTS = "[NX4+;H0;!$(N~[!#6])]"


@dataclass(frozen=True)
class Group:
    """One ionisable group of ``ionisable_groups.csv``."""

    name: str
    smarts: str
    pattern: Chem.Mol
    pka: float
    kind: str  # acid | base
    reference: str


@dataclass(frozen=True)
class Site:
    """Ionisable sites found in a molecule: ``count`` copies of a group with stepwise ``pkas`` (one per proton)."""

    name: str
    kind: str  # acid | base
    pkas: tuple[float, ...]
    count: int
    chelator: bool = False


def _data(name: str) -> pd.DataFrame:
    text = resources.files("radiovector.candidates").joinpath("data", name).read_text(encoding="utf-8")
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


@cache
def groups() -> tuple[Group, ...]:
    """The groups of ``ionisable_groups.csv`` in file order (a broken row is a bug: ValueError)."""
    out = []
    for r in _data("ionisable_groups.csv").itertuples(index=False):
        pattern = Chem.MolFromSmarts(r.smarts)
        if pattern is None or r.kind not in ("acid", "base") or not r.reference.strip():
            raise ValueError(f"ionisable_groups.csv: bad row {r.group!r} (SMARTS, kind acid|base, reference)")
        out.append(Group(r.group, r.smarts, pattern, float(r.pka), r.kind, r.reference))
    return tuple(out)


@cache
def chelator_n_pkas() -> dict[tuple[bool, int], tuple[float, ...]]:
    """(cyclic, number of nitrogens) -> stepwise N-protonation pKa, from ``chelator_n_pkas.csv``."""
    table = _data("chelator_n_pkas.csv")
    if (table["reference"].str.strip() == "").any():
        raise ValueError("chelator_n_pkas.csv: every row needs a reference")
    return {(c == "true", int(n)): tuple(float(x) for x in p.split(";"))
            for c, n, p in zip(table["cyclic"], table["n_nitrogens"], table["pkas"], strict=True)}


def cluster_pkas(cyclic: bool, size: int) -> tuple[float, ...]:
    """Stepwise pKa of a chelator nitrogen cluster; clusters larger than tabulated extend DTPA's list with 4.3."""
    table = chelator_n_pkas()
    dtpa = table[(False, 3)]
    return table.get((cyclic, size), dtpa[:2] + (dtpa[2],) * (size - 2))


@cache
def patterns() -> tuple[tuple[Group, ...], Chem.Mol, Chem.Mol]:
    """The groups, the chelator-nitrogen query and the quaternary-ammonium query."""
    return groups(), Chem.MolFromSmarts(CHELATOR_N_SMARTS), Chem.MolFromSmarts(QUATERNARY_SMARTS)


def queries() -> list[Chem.Mol]:
    """Every SMARTS query of the model (for the candidate stage's shared screen)."""
    grps, chel, quaternary = patterns()
    return [*(g.pattern for g in grps), chel, quaternary]


def chelator_nitrogen_clusters(mol: Chem.Mol, matches: MoleculeMatches | None = None
                               ) -> list[tuple[bool, list[int]]]:
    """Clusters of aminopolycarboxylate nitrogens joined by 2–3-carbon bridges; (all in one ring?, atom ids).

    Nitrogens at most :data:`CHELATOR_N_MAX_BONDS` bonds apart are joined; a breadth-first search of that depth from
    each nitrogen replaces an all-pairs distance matrix (~20x faster on a 110-atom conjugate, same clusters).
    """
    _, chel, _ = patterns()
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
    clusters: dict[int, list[int]] = {}
    for n in nitrogens:
        clusters.setdefault(find(n), []).append(n)
    ring_info = mol.GetRingInfo()
    return [(all(ring_info.NumAtomRings(n) > 0 for n in members), members) for members in clusters.values()]


def find_sites(mol: Chem.Mol, matches: MoleculeMatches | None = None) -> list[Site]:
    """Ionisable sites of ``mol`` in model order: quaternary ammonium, each group of the table, chelator clusters.

    ``matches``: the molecule's :class:`~radiovector.candidates.screen.MoleculeMatches`; groups it rules out are
    not searched (they would add nothing)."""
    grps, _, quaternary = patterns()

    def hits(pattern: Chem.Mol) -> tuple:
        return () if matches is not None and matches.ruled_out(pattern) else mol.GetSubstructMatches(pattern)

    sites = [Site("quaternary_ammonium", "base", (PERMANENT_CATION_PKA,), len(hits(quaternary)))]
    for g in grps:
        sites.append(Site(g.name, g.kind, (g.pka,), len({m[0] for m in hits(g.pattern)})))
    for cyclic, members in chelator_nitrogen_clusters(mol, matches):
        sites.append(Site("chelator_nitrogens", "base", cluster_pkas(cyclic, len(members)), 1, chelator=True))
    return [s for s in sites if s.count > 0]


def fraction(pka: float, kind: str, ph: float = PH) -> float:
    """Mean charge of one acid (-1..0) or base (0..+1) site with ``pka`` at ``ph`` (Henderson–Hasselbalch)."""
    if kind == "acid":
        return -1.0 / (1.0 + 10.0 ** (pka - ph))
    if kind == "base":
        return 1.0 / (1.0 + 10.0 ** (ph - pka))
    raise ValueError(f"ionisable site kind must be acid or base, got {kind!r}")


def net_charge(sites: list[Site], ph: float = PH) -> float:
    """Net charge at ``ph`` (not rounded): sum over sites of count x the stepwise fractional charges."""
    if not 0.0 <= ph <= 14.0:
        raise ValueError(f"pH {ph} outside 0-14")
    charge = 0.0
    for s in sites:
        charge += s.count * sum(fraction(p, s.kind, ph) for p in s.pkas)
    return charge


def site_arrays(sites: list[Site]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One entry per proton: pKa, sign (+1 base, -1 acid) and whether it is a chelator nitrogen."""
    pkas, signs, chel = [], [], []
    for s in sites:
        for _ in range(s.count):
            pkas.extend(s.pkas)
            signs.extend([1 if s.kind == "base" else -1] * len(s.pkas))
            chel.extend([s.chelator] * len(s.pkas))
    return np.array(pkas, dtype=float), np.array(signs, dtype=float), np.array(chel, dtype=bool)


def positive_charge(base_pkas: np.ndarray, ph: float = PH) -> float:
    """Sum of the base sites' positive fractional charges at ``ph``."""
    return float((1.0 / (1.0 + 10.0 ** (ph - base_pkas))).sum())


def _charge_split(ph: float, base_pkas: np.ndarray, acid_pkas: np.ndarray) -> float:
    pos = (1.0 / (1.0 + 10.0 ** (ph - base_pkas))).sum()
    neg = (1.0 / (1.0 + 10.0 ** (acid_pkas - ph))).sum()
    return float(pos - neg)


def isoelectric_point(pkas: np.ndarray, signs: np.ndarray) -> float:
    """pH of zero net charge (Brent's method on 0-14, to 1e-9 pH units, rounded to 0.01; the charge falls
    strictly with pH, so the root is unique); NaN without both acids and bases, 0 or 14 at the ends."""
    if not len(pkas) or (signs > 0).all() or (signs < 0).all():
        return math.nan
    base = signs > 0
    base_pkas, acid_pkas = pkas[base], pkas[~base]  # split once, not in every step
    lo, hi = _charge_split(0.0, base_pkas, acid_pkas), _charge_split(14.0, base_pkas, acid_pkas)
    if lo <= 0:  # even fully protonated the acids win
        return 0.0
    if hi >= 0:
        return 14.0
    from scipy.optimize import brentq  # ~0.4 s to import: only for an isoelectric point, not for a charge

    return round(brentq(_charge_split, 0.0, 14.0, args=(base_pkas, acid_pkas), xtol=1e-9), 2)
