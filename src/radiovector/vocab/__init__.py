"""One vocabulary per concept, shared by every stage.

* organs: :mod:`radiovector.vocab.organs` (canonical names, aliases, tissue / whole body / remainder, standard
  organ masses with a reference per row);
* nuclide names: :func:`radiovector.nuclides.canonical_name` (the only normaliser: ``177Lu``, ``Lu177``,
  ``lu-177`` -> ``Lu-177``);
* ionisable groups and their pKa: :mod:`radiovector.candidates.ionisable` (used by candidates and peptides);
* sphere geometry: :func:`radiovector.dosimetry.physics.sphere_mass_g_from_radius_cm` and
  :func:`~radiovector.dosimetry.physics.sphere_radius_cm_from_mass_g`.
"""

from radiovector.vocab.organs import (
    REMAINDER,
    canonical_organ,
    is_remainder,
    is_whole_body,
    organ_kind,
    standard_organ_mass_g,
)

__all__ = ["REMAINDER", "canonical_organ", "is_remainder", "is_whole_body", "organ_kind", "standard_organ_mass_g"]
