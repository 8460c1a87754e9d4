"""Structural alerts from RDKit's FilterCatalog (PAINS A/B/C and Brenk): reported, never used to filter.

PAINS: Baell JB, Holloway GA. J Med Chem 2010;53:2719 (doi:10.1021/jm901137j).
Brenk: Brenk R et al. ChemMedChem 2008;3:435 (doi:10.1002/cmdc.200700139).
"""

from __future__ import annotations

from functools import cache

from rdkit import Chem
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

CATALOGS = {"pains": FilterCatalogParams.FilterCatalogs.PAINS, "brenk": FilterCatalogParams.FilterCatalogs.BRENK}


@cache
def _catalogs() -> tuple[tuple[str, FilterCatalog], ...]:
    out = []
    for name, which in CATALOGS.items():
        params = FilterCatalogParams()
        params.AddCatalog(which)
        out.append((name, FilterCatalog(params)))
    return tuple(out)


def alerts(mol: Chem.Mol) -> list[str]:
    """Sorted, de-duplicated alert labels such as ``brenk:iodine`` or ``pains:catechol_A(92)``."""
    found = set()
    for name, catalog in _catalogs():
        for entry in catalog.GetMatches(mol):
            found.add(f"{name}:{entry.GetDescription()}")
    return sorted(found)
