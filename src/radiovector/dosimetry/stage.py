"""The dosimetry stage: pk_tia (time-integrated activity coefficients) in, doses / indices / nuclide choice out.

Entry point :func:`compute_doses` (called by the Snakemake script and by ``radiovector dose``). MIRD formalism
D = sum over sources of TIA x S, with the sphere model of :mod:`.spheres` for self-dose, a uniform-body
approximation for photon cross-dose, the blood-based red-marrow model (Sgouros 1993) and two scenarios for
alpha-emitter chains. See docs/methods/dosimetry.md for methods and references.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.dosimetry import physics as ph
from radiovector.dosimetry.by_size import nuclide_by_size, size_s_values
from radiovector.dosimetry.energies import ChainEnergies
from radiovector.dosimetry.indices import therapeutic_index
from radiovector.dosimetry.organ_doses import dose_regions, organ_doses
from radiovector.settings import resolve
from radiovector.settings.dosimetry import DosimetrySettings

#: Config keys (``dosimetry:`` section) and defaults (declared, with units, references and allowed values, by
#: :class:`radiovector.settings.dosimetry.DosimetrySettings`).
DEFAULTS: dict = DosimetrySettings.defaults()


def resolve_params(params: dict | None) -> dict:
    """``params`` (the ``dosimetry:`` section) validated over :data:`DEFAULTS` (keys given as None take the
    default): nuclide and organ names canonical, single names read as lists, radii sorted. Unknown keys or bad values
    raise :class:`~radiovector.errors.ConfigError` naming the key."""
    return resolve(DosimetrySettings, params, "dosimetry", drop_none=True)


def compute_doses(pk_tia: pd.DataFrame, params: dict | None = None,
                  candidate_nuclides: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Absorbed doses, therapeutic indices and the radionuclide choice by tumour size.

    ``pk_tia``: the pk stage's TIA table (compound, radionuclide, organ, nuclide, tiac, tiac_unit h or h/g, ...).
    ``params``: the ``dosimetry`` config section (:data:`DEFAULTS`). ``candidate_nuclides``: optional long table
    (candidate_id, nuclide, chelator, compatibility) from the candidates stage.
    Returns ``doses`` (key compound, nuclide, organ), ``chain_doses`` (key compound, nuclide, organ, scenario,
    member), ``therapeutic_index`` (key compound, nuclide), ``nuclide_by_size`` (key candidate_id, nuclide,
    radius_um) and ``sphere_s_values`` (key nuclide, radius_um). Row order is deterministic (sorted keys).
    """
    p = resolve_params(params)
    tia = pk_tia
    if len(tia) and p["nuclides"]:
        tia = tia[tia["nuclide"].isin(p["nuclides"])]
    rows = dose_regions(tia, p) if len(tia) else pd.DataFrame()
    size_masses = ph.sphere_mass_g_from_radius_um(np.asarray(p["size_radii_um"]))
    masses = np.concatenate([rows["mass_g"].to_numpy(float) if len(rows) else [],
                             rows["body_mass_g"].to_numpy(float) if len(rows) else [], size_masses,
                             [p["body_mass_g"]]])
    energies = ChainEnergies(masses, p)
    doses, chain_rows = organ_doses(rows, energies, p)
    ti = therapeutic_index(doses, p)
    by_size = nuclide_by_size(doses, ti, candidate_nuclides, energies, p)
    s_tab = size_s_values(sorted(set(by_size["nuclide"])) if len(by_size) else [], energies, p)
    return {"doses": doses, "chain_doses": chain_rows, "therapeutic_index": ti, "nuclide_by_size": by_size,
            "sphere_s_values": s_tab}
