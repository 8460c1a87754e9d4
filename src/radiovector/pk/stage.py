"""The pharmacokinetics stage: biodistribution table in, fits / TIA / curves / rejects tables out.

Entry point: :func:`fit_biodistribution` (called by the Snakemake script and by ``radiovector fit-pk``).
See docs/methods/pharmacokinetics.md for the methods and references.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from radiovector.pk.curvefit import fit_curve
from radiovector.pk.curves import prepare_curves
from radiovector.pk.wholebody import add_remainder_rows, sum_pct_id_check
from radiovector.settings import resolve
from radiovector.settings.pk import PkSettings

#: Config keys (``pk:`` section) and defaults (declared by :class:`radiovector.settings.pk.PkSettings`).
DEFAULTS: dict = PkSettings.defaults()


def resolve_params(params: dict | None) -> dict:
    """``params`` (the ``pk:`` section) validated over :data:`DEFAULTS` (keys given as None take the default);
    unknown keys and bad values raise :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(PkSettings, params, "pk", drop_none=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def fit_biodistribution(accepted: pd.DataFrame, params: dict | None = None) -> dict[str, pd.DataFrame]:
    """Fit every compound x radionuclide x organ curve of a validated biodistribution table.

    ``accepted``: the accepted rows of ``load_input(path, "biodistribution")`` (an optional ``row_number``
    column is carried into rejects). ``params``: the ``pk`` config section (see :data:`DEFAULTS`).
    Returns tables pk_fits (one row per curve x model), pk_params (estimates, SE, CV), pk_tia (one row per
    curve x nuclide: selected-model TIAC with bootstrap CI, model average, NCA), pk_curves (fitted curve and
    band), pk_points (decay-corrected data used), pk_sum_check (sum of %ID per time point), rejects.
    Row order is deterministic (sorted keys).
    """
    p = resolve_params(params)
    curves, rejects = prepare_curves(accepted, p)
    if p["n_jobs"] > 1 and len(curves) > 1:
        with ProcessPoolExecutor(max_workers=int(p["n_jobs"])) as ex:
            results = list(ex.map(fit_curve, curves, [p] * len(curves), chunksize=max(1, len(curves) // 64)))
    else:
        results = [fit_curve(c, p) for c in curves]
    tables: dict[str, pd.DataFrame] = {}
    for name in ("pk_fits", "pk_params", "pk_tia", "pk_curves", "pk_points"):
        rows = [r for res in results for r in res[name]]
        tables[name] = pd.DataFrame(rows) if rows else _empty(["compound", "radionuclide", "organ"])
    tables["pk_tia"] = add_remainder_rows(tables["pk_tia"])
    tables["pk_sum_check"] = sum_pct_id_check(tables["pk_points"])
    tia = tables["pk_tia"]
    check = tables["pk_sum_check"]
    if len(check) and (~check["within_limit"]).any():
        keys = set(map(tuple, check.loc[~check["within_limit"], ["compound", "radionuclide"]].to_numpy()))
        hit = [(a, b) in keys for a, b in zip(tia["compound"], tia["radionuclide"], strict=True)]
        tia.loc[hit, "flags"] = [";".join(filter(None, [f, "sum_pct_id_above_limit"]))
                                 for f in tia.loc[hit, "flags"]]
    tables["rejects"] = rejects
    return tables
