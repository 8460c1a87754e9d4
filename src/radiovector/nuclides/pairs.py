"""Theranostic (imaging / therapy) nuclide pairs, from the bundled table ``data/theranostic_pairs.csv``.

The table holds only names, a modality, an example vector and a literature reference per pair; half-lives are
looked up from radioactivedecay at load time (never typed into the table).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from radiovector.nuclides.data import canonical_name, half_life_h


def theranostic_pairs() -> pd.DataFrame:
    """Imaging/therapy pairs with references and both half-lives (h); sorted as in the bundled file."""
    path = resources.files("radiovector.nuclides") / "data" / "theranostic_pairs.csv"
    with resources.as_file(path) as p:
        table = pd.read_csv(p, dtype=str, keep_default_na=False)
    table["same_element"] = [
        a.split("-")[0] == b.split("-")[0]
        for a, b in zip(table["imaging_nuclide"], table["therapy_nuclide"], strict=True)
    ]
    table["imaging_half_life_h"] = [half_life_h(canonical_name(n)) for n in table["imaging_nuclide"]]
    table["therapy_half_life_h"] = [half_life_h(canonical_name(n)) for n in table["therapy_nuclide"]]
    return table


def therapy_partners(imaging_nuclide: str) -> list[str]:
    """Therapy nuclides listed as partners of ``imaging_nuclide`` (empty if none)."""
    canon = canonical_name(imaging_nuclide)
    table = theranostic_pairs()
    return sorted(set(table.loc[table["imaging_nuclide"] == canon, "therapy_nuclide"]))


def imaging_partners() -> dict[str, list[str]]:
    """Therapy nuclide -> its imaging partners, in the order of the bundled table."""
    table = theranostic_pairs()
    partners: dict[str, list[str]] = {}
    for therapy, imaging in zip(table["therapy_nuclide"], table["imaging_nuclide"], strict=True):
        partners.setdefault(therapy, [])
        if imaging not in partners[therapy]:
            partners[therapy].append(imaging)
    return partners
