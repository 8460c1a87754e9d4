"""Structural alerts from RDKit's FilterCatalog (PAINS A/B/C and Brenk): reported, never used to filter.

PAINS: Baell JB, Holloway GA. J Med Chem 2010;53:2719 (doi:10.1021/jm901137j).
Brenk: Brenk R et al. ChemMedChem 2008;3:435 (doi:10.1002/cmdc.200700139).

Speed: the catalogs hold 585 entries and a molecule usually matches none or a few, so :func:`alerts` asks RDKit
only about the entries that the exact screens of :mod:`radiovector.candidates.screen` leave possible, and reuses
the answer of a query already matched for QED (82 Brenk queries are also QED structural alerts). The query of each
entry is read from the entry's own serialisation (a ``SmartsMatcher``: query molecule, minimum and maximum count);
an entry whose serialisation does not have that exact layout, or whose minimum count is 0, is never screened out.
Matching itself is still the FilterCatalog entry's, so the labels equal those of :func:`alerts_unscreened` (tests
compare them).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from rdkit import Chem
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry, FilterCatalogParams, SmartsMatcher

from radiovector.candidates.screen import MoleculeMatches, QueryPanel

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
def catalog_entries() -> list[tuple[str, FilterCatalogEntry, Chem.Mol | None]]:
    """Every (catalog name, entry, screenable query or None) of the PAINS and Brenk catalogs."""
    probe = FilterCatalogEntry("x", SmartsMatcher("x", Chem.MolFromSmarts("CC"), 1)).Serialize()
    prefix = probe[: probe.find(b" 1 x ")]
    entries = []
    for name, catalog in _catalogs():
        for i in range(catalog.GetNumEntries()):
            entry = catalog.GetEntryWithIdx(i)
            entries.append((name, entry, _entry_query(entry, prefix)))
    return entries


@cache
def _entries_by_slot(panel: QueryPanel
                     ) -> tuple[dict[int, list[tuple[str, FilterCatalogEntry]]], list[tuple[str, FilterCatalogEntry]]]:
    """Catalog entries grouped by their query's slot in ``panel``, and the entries never screened."""
    by_slot: dict[int, list[tuple[str, FilterCatalogEntry]]] = {}
    unscreened = []
    for name, entry, query in catalog_entries():
        if query is None:
            unscreened.append((name, entry))
        else:
            by_slot.setdefault(panel.index(query), []).append((name, entry))
    return by_slot, unscreened


def alerts(mol: Chem.Mol, matches: MoleculeMatches | None = None) -> list[str]:
    """Sorted, de-duplicated alert labels such as ``brenk:iodine`` or ``pains:catechol_A(92)``.

    ``matches``: the molecule's :class:`~radiovector.candidates.screen.MoleculeMatches` on the candidate panel
    (:mod:`radiovector.candidates.panel`; answers of queries already matched for QED are reused). Without it every
    catalog entry is asked (:func:`alerts_unscreened`, same labels).
    """
    if matches is None:
        return alerts_unscreened(mol)
    by_slot, unscreened = _entries_by_slot(matches.panel)
    found = set()
    for slot in matches.possible(_catalog_slots(matches.panel)):
        if matches.has(int(slot)):
            for name, entry in by_slot[int(slot)]:
                if entry.HasFilterMatch(mol):
                    found.add(f"{name}:{entry.GetDescription()}")
    for name, entry in unscreened:
        if entry.HasFilterMatch(mol):
            found.add(f"{name}:{entry.GetDescription()}")
    return sorted(found)


@cache
def _catalog_slots(panel: QueryPanel) -> np.ndarray:
    return np.array(sorted(_entries_by_slot(panel)[0]), dtype=np.int64)


def alerts_unscreened(mol: Chem.Mol) -> list[str]:
    """The reference implementation: every catalog entry asked (same labels as :func:`alerts`, slower)."""
    found = set()
    for name, catalog in _catalogs():
        for entry in catalog.GetMatches(mol):
            found.add(f"{name}:{entry.GetDescription()}")
    return sorted(found)
