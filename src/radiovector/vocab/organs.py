"""The one organ vocabulary: canonical names, aliases, the kind of each name, standard organ masses.

Data files (``radiovector/vocab/data``):

* ``organs.csv`` (organ, kind, aliases, note): every canonical organ name with its aliases (semicolon-separated,
  compared lower-case with runs of spaces/underscores collapsed) and its kind:

  - ``tissue``: an organ or tissue sample (its %ID is part of the body);
  - ``whole_body``: the whole animal (``whole body``, ``body``, ``total``): the limit an organ sum must stay below;
  - ``remainder``: the part of the body outside the listed organs: a measured ``carcass`` (what is left after
    dissection, NOT the whole body) or the pk stage's derived ``remainder of body``.

* ``organ_masses.csv`` (species, organ, fraction_of_body_mass, reference_body_mass_g, source, reference): standard
  organ masses as fractions of body weight, one reference per row. Mouse: Brown et al. 1997 (see
  docs/methods/pharmacokinetics.md).

* ``human_organ_masses.csv`` (organ, sex, mass_g, note, reference): reference adult male and female organ and body
  masses of ICRP Publication 89 (2002), one reference per row, for the mouse-to-human projection
  (:mod:`radiovector.dosimetry.human`); ``whole body`` is the body mass.

Every stage (pk, dosimetry, reports) maps organ names through :func:`canonical_organ` and classifies them with
:func:`organ_kind`; no stage keeps its own alias list.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from io import StringIO
from typing import Literal

import pandas as pd

OrganKind = Literal["tissue", "whole_body", "remainder"]
KINDS: tuple[str, ...] = ("tissue", "whole_body", "remainder")
#: Canonical name of the pk stage's derived remainder-of-body row.
REMAINDER = "remainder of body"
WHOLE_BODY = "whole body"
CARCASS = "carcass"


def _read(name: str) -> pd.DataFrame:
    text = resources.files("radiovector.vocab").joinpath("data", name).read_text(encoding="utf-8")
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def organ_key(organ: str) -> str:
    """Comparison form of an organ name: lower case, underscores as spaces, runs of spaces collapsed."""
    return " ".join(str(organ).strip().lower().replace("_", " ").split())


@cache
def organ_table() -> pd.DataFrame:
    """``organs.csv``: organ, kind, aliases (semicolon-separated), note; checked for clashes on load."""
    table = _read("organs.csv")
    bad = sorted(set(table["kind"]) - set(KINDS))
    if bad:
        raise ValueError(f"organs.csv: unknown kind(s) {bad}; use {KINDS}")
    return table


@cache
def aliases() -> dict[str, str]:
    """Alias (comparison form) -> canonical organ name, canonical names mapping to themselves."""
    out: dict[str, str] = {}
    for organ, alias_text in zip(organ_table()["organ"], organ_table()["aliases"], strict=True):
        for name in [organ, *filter(None, (a.strip() for a in alias_text.split(";")))]:
            key = organ_key(name)
            if out.get(key, organ) != organ:
                raise ValueError(f"organs.csv: {name!r} is an alias of both {out[key]!r} and {organ!r}")
            out[key] = organ
    return out


@cache
def _kinds() -> dict[str, str]:
    return dict(zip(organ_table()["organ"], organ_table()["kind"], strict=True))


def canonical_organ(organ: str) -> str:
    """Canonical organ name (``Kidneys`` -> ``kidney``, ``Whole blood`` -> ``blood``, ``tumor`` -> ``tumour``).

    Names not in the vocabulary come back in comparison form (lower case, single spaces)."""
    key = organ_key(organ)
    return aliases().get(key, key)


def organ_kind(organ: str) -> OrganKind:
    """``tissue``, ``whole_body`` or ``remainder`` (carcass, remainder of body); unknown names are tissues."""
    return _kinds().get(canonical_organ(organ), "tissue")  # type: ignore[return-value]


def is_whole_body(organ: str) -> bool:
    """True for names of the whole body (``whole body``, ``body``, ``total``); False for ``carcass``."""
    return organ_kind(organ) == "whole_body"


def is_remainder(organ: str) -> bool:
    """True for the part of the body outside the listed organs (``carcass``, ``remainder of body``)."""
    return organ_kind(organ) == "remainder"


# --------------------------------------------------------------------------------------------------------------
# standard organ masses


@cache
def organ_mass_table() -> pd.DataFrame:
    """``organ_masses.csv`` with numeric columns; every row must name its organ canonically and carry a reference."""
    table = _read("organ_masses.csv")
    table["fraction_of_body_mass"] = table["fraction_of_body_mass"].astype(float)
    table["reference_body_mass_g"] = table["reference_body_mass_g"].astype(float)
    if (table["reference"].str.strip() == "").any() or (table["source"].str.strip() == "").any():
        raise ValueError("organ_masses.csv: every row needs a source and a reference")
    odd = sorted(set(table["organ"]) - set(organ_table()["organ"]))
    if odd:
        raise ValueError(f"organ_masses.csv: organs {odd} are not canonical names of organs.csv")
    frac = table["fraction_of_body_mass"]
    if not frac.between(0, 1, inclusive="neither").all():
        raise ValueError("organ_masses.csv: fractions of body mass must lie in (0, 1)")
    return table


def species_table(species: str = "mouse") -> pd.DataFrame:
    """Rows of :func:`organ_mass_table` for ``species`` (lower case); ValueError if there are none."""
    table = organ_mass_table()
    rows = table[table["species"] == str(species).strip().lower()]
    if rows.empty:
        raise ValueError(f"no standard organ masses for species {species!r}; known: {sorted(set(table['species']))}")
    return rows


def organ_fractions(species: str = "mouse") -> dict[str, float]:
    """Canonical organ -> standard mass as a fraction of body mass, for ``species``."""
    rows = species_table(species)
    return dict(zip(rows["organ"], rows["fraction_of_body_mass"], strict=True))


def reference_body_mass_g(species: str = "mouse") -> float:
    """Body mass (g) of the reference animal of the species' mass table (mouse: 25 g, Brown et al. 1997)."""
    return float(species_table(species)["reference_body_mass_g"].iloc[0])


def mass_source(species: str = "mouse") -> str:
    """Short citation of the species' mass table, e.g. ``Brown et al. 1997 (mouse, % body weight)``."""
    return str(species_table(species)["source"].iloc[0])


def standard_organ_mass_g(organ: str, body_mass_g: float, overrides: dict[str, float] | None = None,
                          species: str = "mouse") -> float | None:
    """Standard mass (g) of ``organ`` in an animal of ``body_mass_g`` (isometric scaling); None if not tabulated.

    ``overrides`` maps organ names to fractions of body weight (config ``pk.organ_mass_fractions``) and takes
    precedence over the table. Whole-body and remainder names have no standard mass (None).
    """
    if not float(body_mass_g) > 0:
        raise ValueError(f"body_mass_g={body_mass_g} must be > 0 (grams)")
    table = {**organ_fractions(species), **{canonical_organ(k): float(v) for k, v in (overrides or {}).items()}}
    frac = table.get(canonical_organ(organ))
    return None if frac is None else frac * float(body_mass_g)


#: Mouse table as constants (the pk stage's defaults).
MOUSE_ORGAN_FRACTION: dict[str, float] = organ_fractions("mouse")
REFERENCE_BODY_MASS_G: float = reference_body_mass_g("mouse")
SOURCE: str = mass_source("mouse")


# --------------------------------------------------------------------------------------------------------------
# human reference masses (ICRP Publication 89)

SEXES: tuple[str, ...] = ("male", "female")


@cache
def human_mass_table() -> pd.DataFrame:
    """``human_organ_masses.csv`` checked on load: canonical organ names, sex male/female, mass > 0, a reference
    on every row, one row per organ x sex. Errors name the file line (header = line 1) and column."""
    table = _read("human_organ_masses.csv")
    known = set(organ_table()["organ"])
    seen: set[tuple[str, str]] = set()
    masses = []
    for i, row in enumerate(table.itertuples(index=False), start=2):
        where = f"human_organ_masses.csv line {i}"
        if row.organ not in known:
            raise ValueError(f"{where}, column organ: {row.organ!r} is not a canonical name of organs.csv; use one "
                             "of its organ names")
        if row.sex not in SEXES:
            raise ValueError(f"{where}, column sex: {row.sex!r}; use one of {SEXES}")
        try:
            mass = float(row.mass_g)
        except ValueError:
            mass = float("nan")
        if not mass > 0:
            raise ValueError(f"{where}, column mass_g: {row.mass_g!r} is not a mass in g > 0")
        if not str(row.reference).strip():
            raise ValueError(f"{where}, column reference: empty; every value needs its published source")
        if (row.organ, row.sex) in seen:
            raise ValueError(f"{where}: a second row for {row.organ} ({row.sex}); keep one per organ and sex")
        seen.add((row.organ, row.sex))
        masses.append(mass)
    table["mass_g"] = masses
    return table


def human_organ_masses(sex: str) -> dict[str, float]:
    """Canonical organ -> ICRP Publication 89 reference adult mass (g) for ``sex`` (male/female), including
    ``whole body`` (the body mass)."""
    if sex not in SEXES:
        raise ValueError(f"sex {sex!r}: use one of {SEXES}")
    rows = human_mass_table()[human_mass_table()["sex"] == sex]
    return dict(zip(rows["organ"], rows["mass_g"], strict=True))
