"""The one nuclide-name normaliser: ``177Lu``, ``Lu177``, ``lu-177``, ``Lu 177``, ``99mTc`` -> ``Lu-177``, ``Tc-99m``.

Light on purpose: the candidate stage normalises nuclide names in every batch job and must not pay for importing
radioactivedecay (~2 s). Radionuclide names are parsed here and checked against the ICRP-107 radionuclides (the
``icrp107-database`` package's file list); anything else (a stable chain member such as ``Bi-209``, or a typo) is
handed to radioactivedecay's own parser, which accepts exactly the nuclides of its ICRP-107 dataset. The result
equals ``str(radioactivedecay.Nuclide(name).nuclide)`` for every ICRP-107 radionuclide in the spellings
element-mass, elementmass, masselement, lower/upper case, with a space or a hyphen (tests/test_nuclides.py).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from radiovector.errors import InputError

_FORWARD = re.compile(r"^([A-Za-z]{1,2})[\s_-]*(\d{1,3})[\s_-]*([mMnN]?)$")
_REVERSE = re.compile(r"^(\d{1,3})([mMnN]?)[\s_-]*([A-Za-z]{1,2})$")
_HINT = "write nuclides as element-mass, e.g. Lu-177, Ga-68, Tc-99m (ICRP-107 nuclides only)"


@cache
def known_nuclides() -> frozenset[str]:
    """Canonical names of every ICRP-107 radionuclide (from the icrp107-database file list)."""
    folder = resources.files("icrp107_database") / "icrp107"
    return frozenset(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def _spell(symbol: str, mass: str, state: str) -> str:
    return f"{symbol[0].upper()}{symbol[1:].lower()}-{int(mass)}{state.lower()}"


@cache
def _canonical(text: str) -> str | None:
    options = []
    for m in (_FORWARD.match(text), _REVERSE.match(text)):
        if m is None:
            continue
        sym, mass, state = (m.group(1), m.group(2), m.group(3)) if m.re is _FORWARD else (
            m.group(3), m.group(1), m.group(2))
        options.append(_spell(sym, mass, state))
        if m.re is _REVERSE and state:  # "54mn": manganese-54, not nitrogen-54m
            options.append(_spell(state + sym, mass, ""))
    valid = [o for o in dict.fromkeys(options) if o in known_nuclides()]
    return valid[0] if len(valid) == 1 else None


def canonical_name(name: str) -> str:
    """Normalise a nuclide name (``lu177``, ``177Lu``, ``Lu-177``, ``LU_177``, ``99mTc``) to ``Lu-177``/``Tc-99m``.

    Stable nuclides of the ICRP-107 dataset (chain ends, e.g. ``Bi-209``) are accepted as radioactivedecay does;
    raises InputError (with a hint) for anything else."""
    text = str(name).strip()
    out = _canonical(text)
    if out is not None:
        return out
    import radioactivedecay as rd  # stable nuclides (chain ends) and errors only

    try:
        return str(rd.Nuclide(text.replace("_", "-")).nuclide)
    except Exception as exc:  # radioactivedecay raises its own NuclideStrError / ValueError
        raise InputError(f"unknown radionuclide {name!r}: {exc}", hint=_HINT) from exc
