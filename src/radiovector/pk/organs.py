"""Standard mouse organ masses as fractions of body weight, for %ID/g -> %ID.

Source: Brown RP, Delp MD, Lindstedt SL, Rhomberg LR, Beliles RP. Physiological parameter values for
physiologically based pharmacokinetic models. Toxicol Ind Health 1997;13(4):407-484, Table 4 (organ weights as
percentage of body weight, mouse) and the blood volume table (mouse blood 4.9 % of body weight). Reference
body weight of the Brown et al. mouse: 25 g. The values below are those tabulated from Brown et al. (1997) to
two significant figures in the mouse column of the PBPK parameter table of the hydroxychloroquine model in
J Pharmacol Exp Ther (jpet.aspetjournals.org, markup 142125: kidney 1.7, heart 0.5, skin 16.5, gut 4.2, liver
5.5, blood 4.9 % body weight) and, for lungs, brain, muscle and spleen, in the standard 25 g Brown et al. mouse of
a published mouse PBPK model (jhhughes256/len_pbpk, models/mouse_brown.R: lung 0.175 g, brain 0.425 g,
muscle 9.6 g, spleen 0.0875 g for 25 g, i.e. 0.7, 1.7, 38.4, 0.35 %); where both list an organ they agree.
See docs/methods/pharmacokinetics.md.

Masses scale in proportion to body weight (isometric scaling, as in Brown et al.'s percentage table). Blood
mass assumes a density of 1 g/mL. A tumour has no standard mass: give ``organ_mass_g`` in the input.
"""

from __future__ import annotations

#: Organ mass as a fraction of body weight (Brown et al. 1997, mouse; see module docstring).
MOUSE_ORGAN_FRACTION: dict[str, float] = {
    "liver": 0.055,
    "kidney": 0.017,  # both kidneys
    "heart": 0.005,
    "lung": 0.007,  # both lungs
    "spleen": 0.0035,
    "brain": 0.017,
    "muscle": 0.384,  # total skeletal muscle
    "skin": 0.165,
    "gut": 0.042,  # gastrointestinal tract (stomach, small and large intestine)
    "blood": 0.049,
}
#: Body weight of the reference mouse of Brown et al. (1997), g.
REFERENCE_BODY_MASS_G = 25.0
SOURCE = "Brown et al. 1997 (mouse, % body weight)"

_ALIASES = {
    "kidneys": "kidney",
    "lungs": "lung",
    "skeletal muscle": "muscle",
    "gi tract": "gut",
    "gastrointestinal tract": "gut",
    "intestines": "gut",
    "whole blood": "blood",
}


def canonical_organ(organ: str) -> str:
    """Lower-case organ name with common plural/synonym forms mapped to the table's keys."""
    key = " ".join(str(organ).strip().lower().replace("_", " ").split())
    return _ALIASES.get(key, key)


def standard_organ_mass_g(organ: str, body_mass_g: float, overrides: dict[str, float] | None = None) -> float | None:
    """Standard mass (g) of ``organ`` for a mouse of ``body_mass_g``; None if the organ has no standard mass.

    ``overrides`` maps organ names to fractions of body weight (config ``pk.organ_mass_fractions``) and takes
    precedence over the built-in table.
    """
    key = canonical_organ(organ)
    table = {**MOUSE_ORGAN_FRACTION, **{canonical_organ(k): float(v) for k, v in (overrides or {}).items()}}
    frac = table.get(key)
    return None if frac is None else frac * float(body_mass_g)
