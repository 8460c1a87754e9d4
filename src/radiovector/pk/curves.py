"""Biodistribution rows -> one :class:`Curve` per compound x radionuclide x organ: units to %ID or %ID/g,
decay correction to injection time, organ masses (standard, given, or the carcass remainder), SD of the mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from radiovector.errors import InputError
from radiovector.io.tables import reject_rows, rejects_frame
from radiovector.nuclides import canonical_name, decay_constant_per_h
from radiovector.vocab.organs import (
    REFERENCE_BODY_MASS_G,
    canonical_organ,
    is_remainder,
    is_whole_body,
    standard_organ_mass_g,
)
from radiovector.vocab.organs import SOURCE as MASS_SOURCE

PCT_UNITS = {"%ID/g": ("h/g", 0.01), "%ID": ("h", 0.01), "Bq/g": ("Bq h/g", 1.0), "Bq": ("Bq h", 1.0)}
_BQ_TO_PCT = {"Bq": "%ID", "Bq/g": "%ID/g"}


@dataclass
class Curve:
    """One compound x radionuclide x organ time-activity curve, decay-corrected, group means per time."""

    compound: str
    radionuclide: str
    organ: str
    unit: str
    t: np.ndarray  # h, ascending, distinct
    g: np.ndarray  # decay-corrected mean per time (input unit)
    sd_mean: np.ndarray | None  # SD of the mean per time, decay-corrected (None if any missing)
    animals: list[np.ndarray] | None  # per-animal decay-corrected values per time (bootstrap over animals)
    lam: float  # physical decay constant of the measured nuclide (1/h)
    mass_g: float | None = None  # organ mass used for %ID/g -> %ID (input column or standard table)
    mass_source: str = ""
    body_mass_g: float = REFERENCE_BODY_MASS_G
    flags: tuple[str, ...] = ()  # notes from preparation (e.g. converted_from_bq)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.compound, self.radionuclide, self.organ)


def prepare_curves(accepted: pd.DataFrame, params: dict) -> tuple[list[Curve], pd.DataFrame]:
    """Group validated rows into curves; rows that cannot be used go to a rejects table with the reason."""
    p = params
    df = accepted.copy()
    df["_row"] = df["row_number"] if "row_number" in df else np.arange(1, len(df) + 1)
    for col in ("sd", "n", "animal_id", "injected_activity_bq", "organ_mass_g", "body_mass_g"):
        if col not in df:
            df[col] = None
    rejects: list[pd.DataFrame] = []
    curves: list[Curve] = []

    def bad(rows: pd.DataFrame, column: str, reason: str) -> pd.DataFrame:
        return reject_rows(p["input_name"], p["source"], rows["_row"], column, rows.get(column), reason)

    # Bq and Bq/g with the injected activity known -> %ID and %ID/g (value / injected activity x 100)
    df["_from_bq"] = False
    if len(df):
        ia = pd.to_numeric(df["injected_activity_bq"], errors="coerce")
        bq = df["unit"].isin(list(_BQ_TO_PCT)) & ia.gt(0)
        if bq.any():
            df = df.copy()
            df["value"] = df["value"].astype(float)
            df["sd"] = pd.to_numeric(df["sd"], errors="coerce")
            df.loc[bq, "value"] = df.loc[bq, "value"] / ia[bq] * 100.0
            df.loc[bq, "sd"] = df.loc[bq, "sd"] / ia[bq] * 100.0
            df.loc[bq, "unit"] = df.loc[bq, "unit"].map(_BQ_TO_PCT)
            df.loc[bq, "_from_bq"] = True
    # %ID values above 100 are physically impossible for one organ
    if len(df):
        over = (df["unit"] == "%ID") & (df["value"].astype(float) > 100.0)
        if over.any():
            rejects.append(bad(df[over], "value", "%ID above 100 (more than the injected activity; Bq values "
                                    "are divided by injected_activity_bq)"))
            df = df[~over]
    for key, grp in df.groupby(["compound", "radionuclide", "organ"], sort=True, dropna=False):
        compound, nuclide, organ = (str(k) for k in key)
        grp = grp.sort_values(["time_h", "_row"], kind="stable")
        try:
            canon = canonical_name(nuclide)
            lam = decay_constant_per_h(canon)
        except InputError as exc:
            rejects.append(bad(grp, "radionuclide", f"unknown radionuclide: {exc.message}"))
            continue
        if grp["unit"].nunique() > 1:
            units = sorted(grp["unit"].unique())
            hint = " (Bq rows are converted only where injected_activity_bq is given)" if grp["_from_bq"].any() else ""
            rejects.append(bad(grp, "unit", f"unit mismatch within one curve: {units}{hint}"))
            continue
        if grp["decay_corrected"].astype(bool).nunique() > 1:
            rejects.append(bad(grp, "decay_corrected", "mixed decay_corrected flags within one curve"))
            continue
        unit = str(grp["unit"].iloc[0])
        has_animals = grp["animal_id"].notna().all()
        if not has_animals:
            dup = grp["time_h"].duplicated(keep=False)
            if dup.any():
                rejects.append(bad(
                    grp[dup], "time_h",
                    "duplicate time point without animal_id (add animal_id for per-animal rows)"))
                grp = grp[~dup]
        else:
            dup = grp.duplicated(["time_h", "animal_id"], keep=False)
            if dup.any():
                rejects.append(bad(grp[dup], "animal_id", "same animal twice at one time point"))
                grp = grp[~dup]
        times = np.sort(grp["time_h"].astype(float).unique())
        if len(times) < p["min_points"]:
            rejects.append(bad(
                grp, "time_h",
                f"curve has {len(times)} distinct time point(s); at least {p['min_points']} needed"))
            continue
        corrected = bool(grp["decay_corrected"].iloc[0])
        vals = grp["value"].astype(float).to_numpy()
        tt = grp["time_h"].astype(float).to_numpy()
        factor = np.ones_like(vals) if corrected else np.exp(lam * tt)  # to decay-corrected
        gv = vals * factor
        if has_animals:
            animals = [gv[tt == x] for x in times]
            g = np.array([a.mean() for a in animals])
            sds = [a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else np.nan for a in animals]
            sd_mean = np.array(sds) if np.all(np.isfinite(sds)) and np.all(np.array(sds) > 0) else None
        else:
            animals = None
            g = gv
            sd = grp["sd"].astype(float).to_numpy() * factor
            n = grp["n"].astype(float).to_numpy()
            n = np.where(np.isfinite(n), n, 1.0)
            sd_mean = sd / np.sqrt(n) if np.all(np.isfinite(sd)) and np.all(sd > 0) else None
        body = pd.to_numeric(grp["body_mass_g"], errors="coerce")
        body_mass = float(body.mean()) if body.notna().any() else float(p["body_mass_g"])
        given = pd.to_numeric(grp["organ_mass_g"], errors="coerce")
        if given.notna().any():
            mass, source = float(given.mean()), "input organ_mass_g"
        elif is_whole_body(organ):
            mass, source = body_mass, "body mass"
        elif is_remainder(organ):
            mass, source = None, ""  # body mass - the other organs' masses, filled in below
        else:
            mass = standard_organ_mass_g(organ, body_mass, p["organ_mass_fractions"])
            if mass is not None and canonical_organ(organ) in {canonical_organ(k) for k in p["organ_mass_fractions"]}:
                source = f"pk.organ_mass_fractions x {body_mass:g} g"
            else:
                source = f"{MASS_SOURCE} x {body_mass:g} g" if mass is not None else ""
        flags = ("converted_from_bq",) if grp["_from_bq"].any() else ()
        if unit in ("Bq", "Bq/g"):
            flags += ("no_injected_activity",)
        curves.append(Curve(compound, canon, organ, unit, times, g, sd_mean, animals, lam, mass, source,
                            body_mass, flags))
    _carcass_masses(curves)
    return curves, rejects_frame(pd.concat(rejects, ignore_index=True) if rejects else None)


def _carcass_masses(curves: list[Curve]) -> None:
    """A carcass (remainder) curve without ``organ_mass_g`` gets body mass - the masses of the compound's other
    tissue curves (the same definition as the derived remainder of body); None if that is not positive."""
    for c in curves:
        if c.mass_g is not None or not is_remainder(c.organ):
            continue
        listed = sum(o.mass_g for o in curves if o.compound == c.compound and o.radionuclide == c.radionuclide
                     and o.mass_g is not None and not is_whole_body(o.organ) and not is_remainder(o.organ))
        rest = c.body_mass_g - listed
        if rest > 0:
            c.mass_g, c.mass_source = rest, "body mass - listed organs"
