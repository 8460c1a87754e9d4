"""Recognise radiopharmaceutical building blocks (SMARTS from a referenced data file) and look up
chelator–radionuclide compatibility (a referenced data table).

Data files (``radiovector/candidates/data``): ``motifs.yaml`` (chelators, albumin binders, targeting motifs)
and ``compatibility.csv`` (chelator, nuclide, compatibility, note, reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import pandas as pd
from rdkit import Chem

from radiovector.errors import ConfigError, InputError
from radiovector.io.yamlfile import load_yaml
from radiovector.nuclides.names import canonical_name

if TYPE_CHECKING:
    from radiovector.candidates.screen import MoleculeMatches

COMPATIBILITY_LEVELS = ("compatible", "possible", "incompatible", "no_chelator")
#: Order used to pick the best chelator of a multi-chelator candidate for one nuclide.
_LEVEL_ORDER = {"compatible": 0, "possible": 1, "incompatible": 2, "no_chelator": 3}


@dataclass(frozen=True)
class Motif:
    name: str
    category: str
    smarts: str
    pattern: Chem.Mol
    reference: str
    description: str = ""
    target: str | None = None
    supersedes: tuple[str, ...] = ()


def _data_text(name: str) -> str:
    return resources.files("radiovector.candidates").joinpath("data").joinpath(name).read_text(encoding="utf-8")


@cache
def load_motifs() -> tuple[Motif, ...]:
    doc = load_yaml(_data_text("motifs.yaml"))
    motifs = []
    for entry in doc["motifs"]:
        pattern = Chem.MolFromSmarts(entry["smarts"])
        if pattern is None:  # a broken data file is a bug, not a user error
            raise ValueError(f"motifs.yaml: invalid SMARTS for {entry['name']}")
        motifs.append(
            Motif(
                name=entry["name"],
                category=entry["category"],
                smarts=entry["smarts"],
                pattern=pattern,
                reference=entry["reference"],
                description=entry.get("description", ""),
                target=entry.get("target"),
                supersedes=tuple(entry.get("supersedes", ())),
            )
        )
    return tuple(motifs)


@cache
def compatibility_table() -> pd.DataFrame:
    from io import StringIO

    table = pd.read_csv(StringIO(_data_text("compatibility.csv")), dtype=str, keep_default_na=False)
    table["nuclide"] = table["nuclide"].map(canonical_name)
    return table


@cache
def _compat_lookup() -> dict[tuple[str, str], tuple[str, str, str]]:
    t = compatibility_table()
    return {
        (c, n): (lvl, note, ref)
        for c, n, lvl, note, ref in zip(t.chelator, t.nuclide, t.compatibility, t.note, t.reference, strict=True)
    }


def known_nuclides() -> list[str]:
    return sorted(set(compatibility_table()["nuclide"]))


def check_nuclides(nuclides: list[str]) -> list[str]:
    """Normalise and validate requested nuclides against the compatibility table."""
    out = []
    known = set(known_nuclides())
    for raw in nuclides:
        try:
            nuc = canonical_name(raw)
        except InputError as exc:
            raise ConfigError(f"not a radionuclide name: {raw!r}", hint=exc.hint) from exc
        if nuc not in known:
            raise ConfigError(
                f"no chelator compatibility data for nuclide {raw!r}",
                hint=f"known radiometals: {', '.join(sorted(known))} (radiohalogens such as I-131 or At-211 are "
                "attached covalently and have no chelator compatibility)",
            )
        if nuc not in out:
            out.append(nuc)
    return out


def recognise(mol: Chem.Mol, screen: MoleculeMatches | None = None) -> dict[str, list[str]]:
    """Return ``{category: [motif names]}`` for the motifs present in ``mol`` (less specific ones dropped).

    ``screen``: the molecule's :class:`~radiovector.candidates.screen.MoleculeMatches`; motifs it rules out are not
    searched."""
    found: dict[str, Motif] = {}
    atoms: dict[str, set[frozenset[int]]] = {}
    for motif in load_motifs():
        if screen is not None and screen.ruled_out(motif.pattern):
            continue
        matches = mol.GetSubstructMatches(motif.pattern, maxMatches=16)
        if matches:
            found[motif.name] = motif
            atoms[motif.name] = {frozenset(m) for m in matches}
    for motif in list(found.values()):
        for weaker in motif.supersedes:
            if weaker in found:
                # drop the weaker motif only if every one of its hits overlaps a hit of the specific one
                strong_atoms = set().union(*atoms[motif.name])
                if all(hit & strong_atoms for hit in atoms[weaker]):
                    found.pop(weaker)
    result: dict[str, list[str]] = {"chelator": [], "albumin_binder": [], "targeting_motif": []}
    for motif in load_motifs():  # data-file order keeps the output deterministic
        if motif.name in found:
            result.setdefault(motif.category, []).append(motif.name)
    return result


def compatibility(chelators: list[str], nuclide: str) -> tuple[str, str, str, str]:
    """Best compatibility of any of ``chelators`` with ``nuclide``: (level, chelator, note, reference).

    Combinations missing from the table are ``incompatible`` ("no published evidence in the table").
    """
    if not chelators:
        return "no_chelator", "", "no chelator recognised", ""
    lookup = _compat_lookup()
    best = None
    for chel in chelators:
        level, note, ref = lookup.get((chel, nuclide), ("incompatible", "combination not in compatibility table", ""))
        key = (_LEVEL_ORDER[level], chel)
        if best is None or key < best[0]:
            best = (key, (level, chel, note, ref))
    return best[1]
