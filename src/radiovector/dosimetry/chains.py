"""Decay chains for dosimetry: which members decay where, per decay of the administered parent.

Two scenarios (issue 7):

* ``in_situ``: every daughter decays where the parent decayed (equilibrium yields from branching alone,
  i.e. integrated to infinity; :func:`radiovector.nuclides.decay_chain`).
* ``redistributed``: the redistributing daughter (by default the longest-lived daughter that emits, or leads to,
  an alpha particle: Bi-213 for Ac-225, Bi-212 for Pb-212, Ra-223 for Th-227; for pure beta emitters the
  longest-lived radioactive daughter) leaves the source region by recoil release and decays elsewhere, together
  with all its progeny. The energy it carries is reported separately and, in the dose stage, spread over the body.
"""

from __future__ import annotations

from functools import cache

import pandas as pd


@cache
def _progeny(nuclide: str) -> tuple[str, ...]:
    from radiovector.nuclides import nuclide_info

    info = nuclide_info(nuclide)
    return tuple(p for p, b in zip(info.progeny, info.branching_fractions, strict=True) if p != "SF" and b > 0)


def descendants(nuclide: str) -> set[str]:
    """All radioactive descendants of ``nuclide`` (not itself)."""
    from radiovector.nuclides import half_life_h

    out: set[str] = set()
    stack = [nuclide]
    while stack:
        cur = stack.pop()
        if half_life_h(cur) == float("inf"):
            continue
        for child in _progeny(cur):
            if child not in out and half_life_h(child) != float("inf"):
                out.add(child)
                stack.append(child)
    return out


@cache
def chain_members(nuclide: str) -> pd.DataFrame:
    """Radioactive chain members of ``nuclide`` with decays per parent decay (parent first); columns
    nuclide, decays_per_parent_decay, half_life_h, emits_alpha."""
    from radiovector.dosimetry.spheres import emissions
    from radiovector.nuclides import decay_chain

    ch = decay_chain(nuclide)
    ch = ch.loc[~ch["stable"], ["nuclide", "decays_per_parent_decay", "half_life_h"]].reset_index(drop=True)
    ch["emits_alpha"] = [bool(len(emissions(n).alpha_e)) for n in ch["nuclide"]]
    return ch


#: Daughters shorter-lived than this cannot move far before decaying and are never chosen to redistribute.
MIN_REDISTRIBUTION_HALF_LIFE_H = 1.0 / 60.0


@cache
def dose_members(nuclide: str, max_daughter_half_life_h: float) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Chain members counted for dose, and the members left out.

    Daughters with a half-life above ``max_daughter_half_life_h`` (e.g. Bi-207, 31 y, after At-211) and their
    progeny are left out: integrating them to infinity at the site of the parent's decay would be meaningless.
    """
    ch = chain_members(nuclide)
    drop: set[str] = set()
    for n, t in zip(ch["nuclide"].iloc[1:], ch["half_life_h"].iloc[1:], strict=True):
        if t > max_daughter_half_life_h:
            drop |= {n} | descendants(n)
    kept = ch[~ch["nuclide"].isin(drop)].reset_index(drop=True)
    return kept, tuple(sorted(drop))


@cache
def redistributing_daughter(nuclide: str) -> str:
    """Default redistributing daughter of ``nuclide`` ('' when it has no radioactive daughter of >= 1 min)."""
    ch = chain_members(nuclide)
    daughters = ch.iloc[1:]
    daughters = daughters[daughters["half_life_h"] >= MIN_REDISTRIBUTION_HALF_LIFE_H]
    if daughters.empty:
        return ""
    alpha_set = set(ch.loc[ch["emits_alpha"], "nuclide"])
    alpha_rel = [n for n in daughters["nuclide"] if n in alpha_set or descendants(n) & alpha_set]
    pool = daughters[daughters["nuclide"].isin(alpha_rel)] if alpha_rel else daughters
    return str(pool.sort_values(["half_life_h", "nuclide"], ascending=[False, True])["nuclide"].iloc[0])


def leaving_members(nuclide: str, daughter: str) -> set[str]:
    """Members that leave in the redistributed scenario: ``daughter`` and its descendants."""
    return {daughter} | descendants(daughter) if daughter else set()
