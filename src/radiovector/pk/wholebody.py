"""Whole-body bookkeeping of a fitted biodistribution: the organs' summed %ID against its physical limit
(100 %ID, or the measured whole-body %ID), and the remainder-of-body time-integrated activity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.vocab.organs import (
    REMAINDER,
    is_remainder,
    is_whole_body,
)


def sum_pct_id_check(points: pd.DataFrame) -> pd.DataFrame:
    """Sum of organ %ID (decay-corrected) per compound x nuclide x time against the physical limit.

    Organ %ID is the measured %ID, or %ID/g x organ mass (input ``organ_mass_g`` or the standard mouse mass);
    organs without a mass are counted in ``n_organs_without_mass`` and left out of the sum. A carcass (what
    remains after dissection) is part of the body and adds to the sum. Names of the whole body (``whole body``,
    ``body``, ``total``; :func:`radiovector.vocab.organs.is_whole_body`) are not organs: their %ID is reported as
    ``whole_body_pct_id``. The limit is 100 %ID, and the whole-body %ID where it was measured at that time
    (organs cannot hold more than the body); ``within_limit`` is False when the sum exceeds it.
    """
    cols = ["compound", "radionuclide", "time_h", "sum_pct_id", "n_organs", "n_organs_without_mass",
            "whole_body_pct_id", "limit_pct_id", "within_limit"]
    if points.empty or "value_pct_id_decay_corrected" not in points:
        return pd.DataFrame(columns=cols)
    pts = points[points["unit"].isin(["%ID", "%ID/g"])].copy()
    if pts.empty:
        return pd.DataFrame(columns=cols)
    pts["_body"] = pts["organ"].map(is_whole_body)
    organs = pts[~pts["_body"]]
    keys = ["compound", "radionuclide", "time_h"]
    out = (organs.groupby(keys, sort=True)["value_pct_id_decay_corrected"]
           .agg(sum_pct_id="sum", n_organs="count", n_total="size").reset_index())
    out["n_organs_without_mass"] = out.pop("n_total") - out["n_organs"]
    body = pts[pts["_body"] & (pts["unit"] == "%ID")].groupby(keys, sort=True)["value_pct_id_decay_corrected"].max()
    out = out.merge(body.rename("whole_body_pct_id").reset_index(), on=keys, how="left")
    out = out[out["n_organs"] > 0].reset_index(drop=True)
    out["limit_pct_id"] = np.minimum(100.0, out["whole_body_pct_id"].fillna(100.0))
    out["within_limit"] = out["sum_pct_id"] <= out["limit_pct_id"] * (1 + 1e-9)
    return out[cols]


def add_remainder_rows(tia: pd.DataFrame) -> pd.DataFrame:
    """Append one ``remainder of body`` row per compound x radionuclide x nuclide to the TIA table.

    TIAC of the remainder (h, fraction of injected activity) = TIAC of the whole body - sum of the organ TIACs
    (``tiac_organ_h``: %ID curves, and %ID/g curves x organ mass). The whole-body TIAC is the fitted whole-body
    %ID curve where one was measured, else ``tau_phys`` (all injected activity retained, decaying physically:
    the conservative upper bound, flag ``remainder_assumes_no_excretion``). Remainder mass = body mass - sum of
    the organ masses. Organs without a mass are not counted (flag ``organs_without_mass``); a remainder below 0
    (organs hold more than the body) is set to 0 and flagged ``organ_sum_exceeds_whole_body``.

    A measured carcass (or any ``remainder`` name of :mod:`radiovector.vocab.organs`) with an organ TIAC is the
    remainder of body, measured: no derived row is added for that compound x radionuclide x nuclide (it would
    count the carcass twice). A carcass without an organ TIAC (no mass) is one of the organs without a mass.
    """
    if tia.empty or "tiac_organ_h" not in tia:
        return tia
    rows = []
    for (compound, nuclide_m, nuclide), grp in tia.groupby(["compound", "radionuclide", "nuclide"], sort=True):
        whole = grp["organ"].map(is_whole_body)
        body = grp[whole & grp["tiac_unit"].eq("h") & grp["tiac"].notna()]
        organs = grp[~whole]
        known = organs[organs["tiac_organ_h"].notna()]
        if known.empty or known["organ"].map(is_remainder).any():
            continue
        tau = float(grp["tau_phys_h"].iloc[0])
        flags = []
        if len(body):
            total, total_nca = float(body["tiac"].iloc[0]), float(body["tiac_nca"].iloc[0])
            src = "whole-body curve"
        else:
            total = total_nca = tau
            src = "no excretion (tau_phys)"
            flags.append("remainder_assumes_no_excretion")
        missing = sorted(organs.loc[organs["tiac_organ_h"].isna(), "organ"])
        if missing:
            flags.append("organs_without_mass:" + ",".join(missing))
        rem = total - float(known["tiac_organ_h"].sum())
        rem_nca = total_nca - float(known["tiac_organ_nca_h"].sum())
        if rem < 0:
            flags.append("organ_sum_exceeds_whole_body")
        body_mass = float(grp["body_mass_g"].iloc[0])
        rem_mass = body_mass - float(known["organ_mass_g"].fillna(0).sum())
        rows.append({
            "compound": compound, "radionuclide": nuclide_m, "organ": REMAINDER, "nuclide": nuclide,
            "model": "derived", "criterion": src, "tiac": max(rem, 0.0), "tiac_unit": "h",
            "tiac_nca": max(rem_nca, 0.0), "tau_phys_h": tau, "organ_mass_g": rem_mass,
            "organ_mass_source": "body mass - listed organs", "body_mass_g": body_mass,
            "tiac_organ_h": max(rem, 0.0), "tiac_organ_nca_h": max(rem_nca, 0.0), "max_fraction": 1.0,
            "tiac_bound_h": tau, "n_points": 0, "n_bootstrap": 0, "flags": ";".join(flags),
            "error_model": "",
        })
    if not rows:
        return tia
    out = pd.concat([tia, pd.DataFrame(rows)], ignore_index=True)
    return out.sort_values(["compound", "radionuclide", "nuclide", "organ"], kind="stable").reset_index(drop=True)
