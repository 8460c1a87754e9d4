"""Therapeutic index (tumour dose / organ dose) per dose-limiting organ, and the maximum tolerated activity
from the organ dose limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.vocab.organs import canonical_organ, is_remainder


def _col(organ: str) -> str:
    return canonical_organ(organ).replace(" ", "_")


def therapeutic_index(doses: pd.DataFrame, p: dict) -> pd.DataFrame:
    """One row per compound x nuclide: tumour dose, TI per organ, limiting organ, maximum tolerated activity.

    TI_organ = tumour dose / organ dose (same dose kind as ``mta_dose``). The maximum tolerated activity (MBq,
    for the kinetics measured, i.e. per mouse) is min over organs with a limit of limit / dose per MBq; the organ
    that sets it is the limiting organ. Without any limited organ the limiting organ is the normal organ with the
    highest dose (excluding blood and the remainder of body or carcass) and the MTA is NaN.
    """
    ti_organs = p["ti_organs"]
    base = ["compound", "nuclide", "tumour_organ", "tumour_dose_gy_per_mbq", "tumour_dose_rbe_weighted_gy_per_mbq"]
    cols = base + [f"dose_{_col(o)}_gy_per_mbq" for o in ti_organs] + [f"ti_{_col(o)}" for o in ti_organs] + [
        "limiting_organ", "limiting_organ_dose_gy_per_mbq", "ti_limiting_organ", "mta_mbq", "mta_limiting_organ",
        "tumour_dose_at_mta_gy", "mta_dose"]
    if doses.empty:
        return pd.DataFrame(columns=cols)
    kind = "dose_rbe_weighted_gy_per_mbq" if p["mta_dose"] == "rbe_weighted" else "dose_gy_per_mbq"
    out = []
    blood = canonical_organ(p["blood_organ"])
    for (compound, nuclide), grp in doses.groupby(["compound", "nuclide"], sort=True):
        keys = grp["organ"].map(canonical_organ)
        t = grp[grp["organ_class"] == "tumour"]
        row: dict = {"compound": compound, "nuclide": nuclide, "mta_dose": kind.replace("_gy_per_mbq", "")}
        t_dose = float(t[kind].iloc[0]) if len(t) else np.nan
        row.update(tumour_organ=str(t["organ"].iloc[0]) if len(t) else "",
                   tumour_dose_gy_per_mbq=float(t["dose_gy_per_mbq"].iloc[0]) if len(t) else np.nan,
                   tumour_dose_rbe_weighted_gy_per_mbq=float(t["dose_rbe_weighted_gy_per_mbq"].iloc[0])
                   if len(t) else np.nan)
        by_organ = dict(zip(keys, grp[kind].astype(float), strict=True))
        for o in ti_organs:
            d = by_organ.get(o, np.nan)
            row[f"dose_{_col(o)}_gy_per_mbq"] = d
            row[f"ti_{_col(o)}"] = t_dose / d if d and np.isfinite(d) and d > 0 else np.nan
        limited = {o: p["dose_limits_gy"][o] / by_organ[o] for o in by_organ
                   if o in p["dose_limits_gy"] and np.isfinite(by_organ[o]) and by_organ[o] > 0}
        if limited:
            lim = min(sorted(limited), key=lambda o: limited[o])
            row.update(mta_mbq=limited[lim], mta_limiting_organ=lim, limiting_organ=lim)
        else:
            normal = {o: d for o, d in by_organ.items()
                      if o != blood and not is_remainder(o) and o not in p["tumour_organs"] and np.isfinite(d)}
            lim = max(sorted(normal), key=lambda o: normal[o]) if normal else ""
            row.update(mta_mbq=np.nan, mta_limiting_organ="", limiting_organ=lim)
        ld = by_organ.get(row["limiting_organ"], np.nan)
        row["limiting_organ_dose_gy_per_mbq"] = ld
        row["ti_limiting_organ"] = t_dose / ld if ld and np.isfinite(ld) and ld > 0 else np.nan
        row["tumour_dose_at_mta_gy"] = t_dose * row["mta_mbq"]
        out.append(row)
    return pd.DataFrame(out)[cols]
