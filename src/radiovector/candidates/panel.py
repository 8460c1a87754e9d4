"""The candidate stage's query panel: every SMARTS query matched on each molecule, built in one place.

PAINS/Brenk FilterCatalog entries, QED's structural alerts and acceptors, radiopharmaceutical motifs and
ionisable groups (82 Brenk queries are also QED alerts), deduplicated by :class:`~radiovector.candidates.screen.
QueryPanel`. The matchers do not build it: a caller makes one :class:`~radiovector.candidates.screen.
MoleculeMatches` per molecule on this panel and passes it to each of them.
"""

from __future__ import annotations

from functools import cache

from rdkit.Chem import QED

from radiovector.candidates.alerts import catalog_entries
from radiovector.candidates.ionisable import queries as charge_queries
from radiovector.candidates.recognition import load_motifs
from radiovector.candidates.screen import QueryPanel


@cache
def candidate_panel() -> QueryPanel:
    """One panel with every query the candidate stage matches on each molecule."""
    queries = [q for _, _, q in catalog_entries() if q is not None]
    return QueryPanel([*queries, *QED.StructuralAlerts, *QED.Acceptors, *(m.pattern for m in load_motifs()),
                       *charge_queries()])
