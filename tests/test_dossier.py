"""The dossier join: listing rule, weighted geometric score, recommendation and imaging partner."""

from __future__ import annotations

import pandas as pd
import pytest

from radiovector.dossier import build_dossier, resolve_params
from radiovector.errors import ConfigError


def _targets() -> pd.DataFrame:
    rows = []
    for tumour, genes in {"PRAD": ["FOLH1", "GENE2", "SSTR2"], "PCPG": ["GENE2", "SSTR2", "FOLH1"]}.items():
        for rank, gene in enumerate(genes, start=1):
            rows.append({"tumour_type": tumour, "rank": rank, "gene_symbol": gene, "score": 1.0 - 0.2 * rank,
                         "limiting_organ": "kidney"})
    return pd.DataFrame(rows)


def _candidates() -> tuple[pd.DataFrame, pd.DataFrame]:
    cands = pd.DataFrame({"candidate_id": ["A", "B", "C"], "target": ["FOLH1", "FOLH1", "SSTR2"],
                          "rank": [1, 2, 3], "score": [0.9, 0.8, 0.7]})
    nuclides = pd.DataFrame(
        [("A", "Lu-177", "dota", "compatible"), ("A", "Ga-68", "dota", "compatible"),
         ("A", "Ac-225", "dota", "compatible"), ("B", "Lu-177", "hbed-cc", "incompatible"),
         ("B", "Ga-68", "hbed-cc", "compatible"), ("B", "Ac-225", "hbed-cc", "incompatible"),
         ("C", "Lu-177", "dota", "possible"), ("C", "Ac-225", "dota", "compatible")],
        columns=["candidate_id", "nuclide", "chelator", "compatibility"],
    )
    return cands, nuclides


def test_scores_recommendations_and_partners() -> None:
    cands, nuclides = _candidates()
    d = build_dossier(_targets(), cands, nuclides, params={"max_target_rank": 1})
    assert d["dossier_score"].between(0, 1).all()
    # listing: FOLH1 only where it ranks <= 1 (PRAD); SSTR2 ranks 2 at best, listed there because it is C's best
    assert set(zip(d["tumour_type"], d["target"], strict=True)) == {("PRAD", "FOLH1"), ("PCPG", "SSTR2")}
    # Ga-68 is an imaging nuclide: never a therapy row
    assert "Ga-68" not in set(d["nuclide"])
    a_lu = d[(d.candidate_id == "A") & (d.nuclide == "Lu-177")].iloc[0]
    assert a_lu["dossier_score"] == pytest.approx((0.8 * 0.9) ** 0.5)  # sqrt(target x candidate), compatible
    assert a_lu["recommended"] and a_lu["imaging_partner"] == "Ga-68"
    # an incompatible chelator scores 0 and is never recommended
    b = d[d.candidate_id == "B"]
    assert (b["dossier_score"] == 0).all() and not b["recommended"].any()
    # 'possible' halves the score: C prefers Ac-225 (compatible) over Lu-177 (possible)
    c = d[d.candidate_id == "C"].set_index("nuclide")
    assert c.loc["Lu-177", "dossier_score"] == pytest.approx(0.5 * c.loc["Ac-225", "dossier_score"])
    assert c.loc["Ac-225", "recommended"] and not c.loc["Lu-177", "recommended"]
    assert "weak support" in c.loc["Ac-225", "reason"]
    for _, group in d.groupby("tumour_type"):
        assert group["dossier_rank"].tolist() == list(range(1, len(group) + 1))
        assert group["dossier_score"].is_monotonic_decreasing


def test_each_candidate_listed_at_least_once() -> None:
    cands, nuclides = _candidates()
    d = build_dossier(_targets(), cands, nuclides, params={"max_target_rank": 1})
    assert set(d["candidate_id"]) == {"A", "B", "C"}
    strict = build_dossier(_targets(), cands, nuclides, params={"max_target_rank": 1, "always_best_tumour_type": False})
    assert set(strict["candidate_id"]) == {"A", "B"}


def test_deterministic() -> None:
    cands, nuclides = _candidates()
    a = build_dossier(_targets(), cands, nuclides)
    b = build_dossier(_targets().sample(frac=1, random_state=1), cands.iloc[::-1], nuclides.iloc[::-1])
    pd.testing.assert_frame_equal(a, b)


def test_unknown_setting_is_named() -> None:
    with pytest.raises(ConfigError, match="dossier.max_target_rnak: unknown key; did you mean max_target_rank"):
        resolve_params({"max_target_rnak": 3})
    with pytest.raises(ConfigError, match="dossier.weights.target: must be less than or equal to 1"):
        resolve_params({"weights": {"target": 2}})


def test_measured_doses_decide_the_recommendation() -> None:
    cands, nuclides = _candidates()
    ti = pd.DataFrame({"compound": ["A", "A"], "nuclide": ["Lu-177", "Ac-225"],
                       "tumour_dose_gy_per_mbq": [4.0, 900.0], "ti_limiting_organ": [2.0, 3.0],
                       "limiting_organ": ["kidney", "kidney"], "mta_mbq": [12.0, 0.01]})
    sizes = pd.DataFrame({
        "candidate_id": ["A", "A", "C", "C"], "nuclide": ["Ac-225", "Lu-177", "Ac-225", "Lu-177"],
        "radius_um": [10.0, 10.0, 10.0, 10.0], "best_at_size": [True, False, True, False],
        "kinetics": ["measured", "measured", "retained_reference", "retained_reference"],
    })
    pk_tia = pd.DataFrame({"compound": ["A"]})
    d = build_dossier(_targets(), cands, nuclides, pk_tia, therapeutic_index=ti, nuclide_by_size=sizes)
    a = d[(d.candidate_id == "A") & (d.tumour_type == "PRAD")].set_index("nuclide")
    # equal dossier scores: the higher therapeutic index (Ac-225), not the preference order (Lu-177), is recommended
    assert a.loc["Ac-225", "recommended"] and not a.loc["Lu-177", "recommended"]
    assert a.loc["Ac-225", "best_at_radius_um"] == "10" and "therapeutic index 3.00" in a.loc["Ac-225", "reason"]
    # per-MBq rankings without measured kinetics are not turned into size recommendations
    assert (d.loc[d.candidate_id == "C", "best_at_radius_um"] == "").all()


def test_measured_ti_of_an_incompatible_nuclide_does_not_hide_the_compatible_one() -> None:
    """Candidate D: Lu-177 cannot be held by its chelator but has the higher measured therapeutic index; the
    compatible Ac-225 must still be recommended (before the fix no nuclide of D was)."""
    cands = pd.DataFrame({"candidate_id": ["D"], "target": ["FOLH1"], "rank": [1], "score": [0.9]})
    nuclides = pd.DataFrame([("D", "Lu-177", "macropa", "incompatible"), ("D", "Ac-225", "macropa", "compatible")],
                            columns=["candidate_id", "nuclide", "chelator", "compatibility"])
    ti = pd.DataFrame({"compound": ["D", "D"], "nuclide": ["Lu-177", "Ac-225"], "tumour_dose_gy_per_mbq": [1.0, 50.0],
                       "ti_limiting_organ": [5.0, 2.0], "limiting_organ": ["kidney", "kidney"],
                       "mta_mbq": [10.0, 0.5]})
    d = build_dossier(_targets(), cands, nuclides, params={"max_target_rank": 1}, therapeutic_index=ti)
    prad = d[d.tumour_type == "PRAD"].set_index("nuclide")
    assert prad.loc["Ac-225", "recommended"] and not prad.loc["Lu-177", "recommended"]


def test_patient_mta_decides_before_the_mouse_therapeutic_index() -> None:
    """Issue 14: where the dosimetry stage projected the kinetics to the reference adult, the recommendation is the
    nuclide with the higher projected patient tumour dose at the patient MTA, even against a higher mouse TI."""
    cands, nuclides = _candidates()
    ti = pd.DataFrame({"compound": ["A", "A"], "nuclide": ["Lu-177", "Ac-225"],
                       "tumour_dose_gy_per_mbq": [4.0, 900.0], "ti_limiting_organ": [2.0, 3.0],
                       "limiting_organ": ["kidney", "kidney"], "mta_mbq": [12.0, 0.01],
                       "patient_mta_gbq": [40.0, 0.03], "patient_mta_low_gbq": [30.0, 0.02],
                       "patient_mta_high_gbq": [50.0, 0.04], "patient_limiting_organ": ["kidney", "kidney"],
                       "patient_limit_kind": ["bed", "bed"], "patient_sex": ["male", "male"],
                       "patient_method": ["relative_mass", "relative_mass"],
                       "tumour_dose_at_patient_mta_gy": [70.0, 60.0]})
    pk_tia = pd.DataFrame({"compound": ["A"]})
    d = build_dossier(_targets(), cands, nuclides, pk_tia, therapeutic_index=ti)
    a = d[(d.candidate_id == "A") & (d.tumour_type == "PRAD")].set_index("nuclide")
    assert a.loc["Lu-177", "recommended"] and not a.loc["Ac-225", "recommended"]
    assert a.loc["Lu-177", "patient_mta_gbq"] == 40.0 and a.loc["Lu-177", "mta_mbq"] == 12.0
    assert "projected patient MTA 40 GBq (30-50; kidney BED limit" in a.loc["Lu-177", "reason"]
