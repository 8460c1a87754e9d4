"""Structural alerts from RDKit's FilterCatalog (PAINS A/B/C and Brenk): reported, never used to filter.

PAINS: Baell JB, Holloway GA. J Med Chem 2010;53:2719 (doi:10.1021/jm901137j).
Brenk: Brenk R et al. ChemMedChem 2008;3:435 (doi:10.1002/cmdc.200700139).

Speed: the catalogs hold 585 entries and a molecule usually matches none or a few, so :func:`alerts` first screens
the entries with pattern fingerprints (:mod:`radiovector.candidates.screen`) and asks RDKit only about the entries
that can match. The query of each entry is read from the entry's own serialisation (a ``SmartsMatcher``: query
molecule, minimum and maximum count); an entry whose serialisation does not have that exact layout, or whose
minimum count is 0, is never screened out. Matching itself is still the FilterCatalog entry's, so the labels equal
those of :func:`alerts_unscreened` (tests compare them).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from rdkit import Chem
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry, FilterCatalogParams, SmartsMatcher

from radiovector.candidates.screen import PatternScreen, pattern_bits

CATALOGS = {"pains": FilterCatalogParams.FilterCatalogs.PAINS, "brenk": FilterCatalogParams.FilterCatalogs.BRENK}
_PICKLE_MAGIC = b"\xef\xbe\xad\xde"  # RDKit molecule pickles start with 0xDEADBEEF (little endian)


@cache
def _catalogs() -> tuple[tuple[str, FilterCatalog], ...]:
    out = []
    for name, which in CATALOGS.items():
        params = FilterCatalogParams()
        params.AddCatalog(which)
        out.append((name, FilterCatalog(params)))
    return tuple(out)


def _entry_query(entry: FilterCatalogEntry, prefix: bytes) -> Chem.Mol | None:
    """The query molecule of a plain SmartsMatcher entry with minimum count >= 1, else None (never screened)."""
    blob = entry.Serialize()
    desc = entry.GetDescription().encode()
    head = prefix + b" %d " % len(desc) + desc + b" "
    if not blob.startswith(head):
        return None
    size = re.match(rb"(\d+) ", blob[len(head):])
    if size is None:
        return None
    start = len(head) + size.end()
    end = start + int(size.group(1))
    counts = re.match(rb" (\d+) (\d+) ", blob[end:])
    if blob[start:start + 4] != _PICKLE_MAGIC or counts is None or int(counts.group(1)) < 1:
        return None
    try:
        query = Chem.Mol(blob[start:end])
    except Exception:  # an unexpected layout: leave the entry unscreened
        return None
    return query if query.GetNumAtoms() else None


@cache
def _screened_entries() -> tuple[list[tuple[str, FilterCatalogEntry, Chem.Mol | None]], PatternScreen]:
    probe = FilterCatalogEntry("x", SmartsMatcher("x", Chem.MolFromSmarts("CC"), 1)).Serialize()
    prefix = probe[: probe.find(b" 1 x ")]
    entries = []
    for name, catalog in _catalogs():
        for i in range(catalog.GetNumEntries()):
            entry = catalog.GetEntryWithIdx(i)
            entries.append((name, entry, _entry_query(entry, prefix)))
    return entries, PatternScreen([q for _, _, q in entries])


def alerts(mol: Chem.Mol, bits: np.ndarray | None = None) -> list[str]:
    """Sorted, de-duplicated alert labels such as ``brenk:iodine`` or ``pains:catechol_A(92)``.

    ``bits``: the molecule's :func:`~radiovector.candidates.screen.pattern_bits`, if already computed.
    """
    entries, screen = _screened_entries()
    found = set()
    for i in screen.possible(pattern_bits(mol) if bits is None else bits):
        name, entry, query = entries[i]
        if (query is None or mol.HasSubstructMatch(query)) and entry.HasFilterMatch(mol):
            found.add(f"{name}:{entry.GetDescription()}")
    return sorted(found)


def alerts_unscreened(mol: Chem.Mol) -> list[str]:
    """The reference implementation: every catalog entry asked (same labels as :func:`alerts`, slower)."""
    found = set()
    for name, catalog in _catalogs():
        for entry in catalog.GetMatches(mol):
            found.add(f"{name}:{entry.GetDescription()}")
    return sorted(found)
