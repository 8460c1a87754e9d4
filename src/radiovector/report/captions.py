"""What each report figure shows, by the file name its stage gives it (one caption per figure)."""

from __future__ import annotations

import re
from pathlib import Path

#: (pattern on the file stem, caption template); named groups fill the template.
FIGURE_CAPTIONS: list[tuple[str, str]] = [
    (r"(?P<t>.+)_organ_heatmap",
     "{t}: expression (HPA nTPM) of the top-ranked surface targets across the dose-limiting normal organs of the "
     "panel; darker cells are organs that would receive dose. Targets are ordered by rank."),
    (r"(?P<t>.+)_level_vs_organ",
     "{t}: tumour expression level of each ranked target against its worst weighted critical organ; good targets "
     "sit high on the tumour axis and low on the organ axis. Labels name the top targets."),
    (r"candidate_pareto",
     "Candidates: the Pareto objectives, pharmacokinetics (logP, charge, size, albumin binding, stability, renal "
     "retention) against binding, or against chelator compatibility where no binding desirability is known; "
     "circled points form the Pareto front over all objectives (so one may look dominated in this view), colour "
     "is the overall score."),
    (r"candidate_properties",
     "Candidates: distributions of molecular weight, Crippen logP, TPSA, net charge at pH 7.4 (these drive renal "
     "versus hepatobiliary clearance), synthetic accessibility and the overall desirability score."),
    (r"candidate_top_structures",
     "Candidates: structures of the top-ranked candidates with their id and score (standardised parent "
     "structures)."),
    (r"design_properties",
     "Design space: distributions of molecular weight, Crippen logP, TPSA, net charge at pH 7.4, synthetic "
     "accessibility and the overall desirability score over the kept conjugates (the top N by score plus the "
     "Pareto front), not over every enumerated conjugate."),
    (r"design_pareto",
     "Design space: the kept conjugates on the Pareto objectives they were screened on (pharmacokinetics against "
     "binding, or against chelator compatibility where no binding desirability is known); circled points form the "
     "global Pareto front over all objectives, colour is the overall score."),
    (r"design_top_structures",
     "Design space: structures of the best-scoring enumerated conjugates with their design rank, id "
     "(vector|linker|chelator[|albumin binder]) and score."),
    (r"pk_(?P<c>.+)_(?P<n>[A-Z][a-z]?-\d+m?)",
     "{c} ({n}): measured uptake per organ (decay-corrected mean and SD) with the model selected by AICc and its "
     "bootstrap confidence band; the integral, with physical decay, is the time-integrated activity."),
    (r"human_doses_(?P<c>.+)_(?P<n>[A-Z][a-z]?-\d+m?)",
     "{c} ({n}): organ doses per injected GBq projected from the mouse kinetics to the ICRP 89 reference adult "
     "male and female, by projection method (relative organ-mass scaling, with allometric time scaling, no "
     "scaling), with the bootstrap interval; the projected patient maximum tolerated activity follows from these "
     "doses and the organ BED and absorbed-dose limits."),
    (r"doses_(?P<c>.+)",
     "{c}: absorbed dose per injected activity (Gy/MBq) to tumour and organs for each therapy nuclide, from the "
     "measured kinetics re-decayed to that nuclide, and the therapeutic indices (tumour dose over organ dose)."),
    (r"nuclide_by_size_(?P<c>.+)",
     "{c}: for each therapy nuclide its chelator accepts, against tumour radius from a single cell (10 um) to "
     "centimetre lesions: left, the fraction of emitted energy absorbed in the sphere; right, the tumour dose used "
     "to rank the nuclides (at the maximum tolerated activity where kinetics were measured, else per MBq with "
     "reference retention). Shows where alpha and Auger/conversion-electron emitters beat beta emitters."),
]


def caption_for(path: Path, fallback: str) -> str:
    """The caption of a figure file: the first matching pattern, else ``fallback`` (the stage caption)."""
    for pattern, template in FIGURE_CAPTIONS:
        match = re.fullmatch(pattern, path.stem)
        if match:
            return template.format(**match.groupdict())
    return fallback
