"""Target evaluation (issue 13): recall arithmetic and baselines on a hand-made case, calibration, evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from radiovector.cli import app
from radiovector.contracts import conform
from radiovector.targets import calibration as cal
from radiovector.targets import rank_targets, rank_targets_from_files, read_surface, resolve_params
from radiovector.targets.evaluate import (
    baseline_scores,
    evaluate_ranking,
    load_known,
    rank_by,
    summarise,
)
from radiovector.targets.ingest import read_curated

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "example"


def _targets() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tumour types, hand-made: A has 4 genes, B has 3; ranks as a method would give them."""
    targets = pd.DataFrame(
        {
            "tumour_type": ["A"] * 4 + ["B"] * 3,
            "rank": [1, 2, 3, 4, 1, 2, 3],
            "gene_symbol": ["G1", "G2", "G3", "G4", "G1", "G5", "G6"],
            "ensembl_gene": ["E1", "E2", "E3", "E4", "E1", "E5", None],
            "tumour_median_tpm": [100.0, 3.0, 15.0, 7.0, 31.0, 63.0, 1.0],
            "log2_fold_change": [1.0, 5.0, 0.0, 2.0, 3.0, -1.0, np.nan],
            "limiting_organ": ["kidney"] * 7,
            "limiting_organ_ntpm": [1.0] * 7,
            "surface_n_sources": [1] * 7,
            "surface_hpa": [False] * 7,
        }
    )
    # kidney (weight 1) and liver (0.7); E4 has kidney only; the gene without an Ensembl id has no organ data
    normal = pd.DataFrame(
        {
            "ensembl_gene": ["E1", "E1", "E2", "E2", "E3", "E3", "E4", "E5", "E5"],
            "tissue": ["kidney", "liver"] * 3 + ["kidney", "kidney", "liver"],
            "ntpm": [0.0, 0.0, 1.0, 1.0, 3.0, 0.0, 15.0, 7.0, 7.0],
        }
    )
    return targets, normal


def test_baselines_by_hand():
    targets, normal = _targets()
    base = baseline_scores(targets, normal)
    # ten-line: log2(1 + TPM) - weighted mean log2(1 + nTPM) + 0.5 log2FC
    assert base.loc[0, "ten_line"] == pytest.approx(np.log2(101) - 0 + 0.5)
    assert base.loc[1, "ten_line"] == pytest.approx(2 - 1 + 2.5)  # log2(4) - 1 + 2.5
    assert base.loc[2, "ten_line"] == pytest.approx(4 - (1 * 2 + 0.7 * 0) / 1.7 + 0)
    assert base.loc[3, "ten_line"] == pytest.approx(3 - 4 + 1)  # kidney only: the mean leaves liver out
    # no organ data: the median penalty of its type (B: E1 0, E5 3) = 1.5; missing log2FC counts 0
    assert base.loc[6, "ten_line"] == pytest.approx(1 - 1.5)
    assert rank_by(targets, base["log2fc"]).tolist() == [3, 1, 4, 2, 1, 2, 3]  # NaN fold change ranks last
    assert rank_by(targets, base["tumour_level"]).tolist() == [1, 4, 2, 3, 2, 1, 3]


def test_recall_arithmetic_by_hand():
    targets, normal = _targets()
    known = pd.DataFrame(
        {
            "tumour_type": ["A", "A", "B", "B", "C"],
            "gene": ["G2", "G4", "G6", "G9", "G1"],
            "agent": "", "stage": "", "reference": "",
        }
    )
    tumour = pd.DataFrame({"cancer_type": ["B"], "gene_symbol": ["G9"]})
    out = evaluate_ranking(targets, normal, known, ks=(1, 2, 3), tumour=tumour)
    pairs = out["target_evaluation"]
    comp = pairs[pairs["method"] == "composite"].set_index("gene")
    assert comp.loc["G2", "rank"] == 2 and comp.loc["G4", "rank"] == 4 and comp.loc["G6", "rank"] == 3
    assert not comp.loc["G9", "in_universe"] and "not in the surface universe" in comp.loc["G9", "note"]
    assert comp.loc["G1", "note"] == "tumour type not in the ranked data"
    assert "low tumour RNA" in comp.loc["G2", "note"]
    s = out["target_evaluation_summary"].set_index(["method", "k"])
    # composite ranks of the 3 ranked pairs: A 2, 4; B 3
    assert s.loc[("composite", 2), "recall_micro"] == pytest.approx(1 / 3)
    assert s.loc[("composite", 2), "recall_macro"] == pytest.approx((0.5 + 0.0) / 2)
    assert s.loc[("composite", 3), "recall_micro"] == pytest.approx(2 / 3)
    assert s.loc[("composite", 3), "recall_macro"] == pytest.approx((0.5 + 1.0) / 2)
    assert s.loc[("composite", 1), "median_rank"] == 3
    assert s.loc[("composite", 1), "pairs"] == 3 and s.loc[("composite", 1), "pairs_not_ranked"] == 2
    # log2FC baseline: G2 1, G4 2, G6 3 -> recall@2 micro 2/3, macro (1 + 0) / 2
    assert s.loc[("log2fc", 2), "recall_micro"] == pytest.approx(2 / 3)
    assert s.loc[("log2fc", 2), "recall_macro"] == pytest.approx(0.5)
    conform("target_evaluation", pairs)
    conform("target_evaluation_summary", out["target_evaluation_summary"])


def test_summarise_ignores_unranked_pairs():
    pairs = pd.DataFrame(
        {
            "tumour_type": ["A", "A", "B"], "gene": ["X", "Y", "Z"], "method": "m",
            "rank": pd.array([5, None, 30], dtype="Int64"), "in_universe": [True, False, True],
        }
    )
    s = summarise(pairs, (10, 50)).set_index("k")
    assert s.loc[10, "recall_micro"] == 0.5 and s.loc[50, "recall_micro"] == 1.0 and s.loc[10, "median_rank"] == 17.5


def test_bundled_known_list_has_a_reference_per_row():
    known = load_known()
    assert len(known) >= 20 and (known["reference"].str.len() > 20).all()
    assert ("PRAD", "FOLH1") in set(zip(known["tumour_type"], known["gene"], strict=True))


def test_hpa_subcellular_and_curated_evidence(tmp_path):
    hpa = tmp_path / "subcellular_location.tsv"
    hpa.write_text(
        "Gene\tGene name\tReliability\tValidated\tSupported\tApproved\tUncertain\n"
        "ENSG00000107159\tCA9\tValidated\tPlasma membrane\tCytosol\t\t\n"
        "ENSG00000180616\tSSTR2\tSupported\t\tCytosol\t\t\n"
        "ENSG00000000001\tXPM\tApproved\t\t\tNucleoplasm;Plasma membrane\t\n"
    )
    ev, rej = read_surface(hpa)
    assert len(rej) == 0 and ev["source"].eq("HPA").all()
    assert dict(zip(ev["gene_symbol"], ev["category"], strict=True)) == {"CA9": "Validated", "XPM": "Approved"}
    curated = tmp_path / "curated.csv"
    curated.write_text("gene_symbol,reason\nSTEAP1,89Zr-DFO-MSTP2109A PET in mCRPC\n,no id\n")
    cur, rej = read_curated(curated)
    assert cur["gene_symbol"].tolist() == ["STEAP1"] and len(rej) == 1
    tumour = pd.DataFrame(
        {
            "cancer_type": "PRAD",
            "gene_symbol": ["CA9", "STEAP1", "XPM", "SSTR2"],
            "tumour_median": [50.0, 300.0, 2.0, 10.0],
            "normal_median": [5.0, 100.0, 1.0, 5.0],
        }
    )
    panel = list(resolve_params()["organ_panel"])
    normal = pd.DataFrame({"ensembl_gene": "ENSG00000107159", "tissue": panel, "ntpm": 1.0})
    res = rank_targets(tumour, normal, pd.concat([ev, cur], ignore_index=True))
    t = res["targets"].set_index("gene_symbol")
    assert set(t.index) == {"CA9", "STEAP1", "XPM"}  # SSTR2 has no plasma-membrane annotation here
    assert t.loc["CA9", "surface_hpa"] and t.loc["CA9", "hpa_reliability"] == "Validated"
    assert t.loc["CA9", "surface_score"] == pytest.approx(0.8)
    assert t.loc["STEAP1", "surface_curated"] and t.loc["STEAP1", "curated_reason"].startswith("89Zr")
    assert "curated surface gene" in t.loc["STEAP1", "reason"]
    assert "HPA cell-line staining" in t.loc["CA9", "reason"]
    assert "data limit" in t.loc["XPM", "reason"]
    conform("targets", res["targets"])


@pytest.fixture(scope="module")
def example_inputs():
    from radiovector.targets.pipeline import load_inputs

    return load_inputs(
        EXAMPLE / "tumour_expression.tsv.gz",
        EXAMPLE / "normal_expression.tsv.gz",
        [EXAMPLE / "surfaceome.tsv", EXAMPLE / "cspa.tsv"],
    )


def test_calibration_scorer_reproduces_rank_targets(example_inputs):
    tumour, normal, evidence, _ = example_inputs
    p = resolve_params()
    targets = rank_targets(tumour, normal, evidence)["targets"]
    known = load_known()
    feats = cal.Features(targets, normal, known, p)
    assert len(feats.pairs) >= 4
    fast = feats.ranks_of_pairs(feats.score(p))
    idx = targets.set_index(["tumour_type", "gene_symbol"])["rank"]
    assert fast.tolist() == [int(idx[pair]) for pair in feats.pairs]
    assert (feats.all_ranks(feats.score(p)) == feats.targets["rank"].to_numpy()).all()
    # the leave-one-type-out search: held-out ranks come from a candidate chosen without the held-out type
    result = cal.leave_one_type_out(feats, p, n_candidates=5)
    for code, c in result["chosen_per_fold"].items():
        test = feats.pair_types == code
        assert (result["heldout_ranks"][test] == result["rank_matrix"][c, test]).all()
    assert result["rank_matrix"].shape == (6, len(feats.pairs))


def test_bundled_calibration_loads_and_defaults_stay():
    p = resolve_params({"calibration": "bundled"})
    doc = cal.yaml.safe_load(cal.CALIBRATED_FILE.read_text())
    assert p["weights"] == {**resolve_params()["weights"], **doc["params"]["weights"]}
    assert doc["provenance"]["heldout_recall_micro"] and doc["provenance"]["known_targets_sha256"]
    assert resolve_params()["level_saturation_ntpm"] == 300.0  # the hand-set defaults are unchanged


def test_cli_evaluate_targets(tmp_path):
    out = tmp_path / "ev"
    result = CliRunner().invoke(
        app,
        [
            "evaluate-targets",
            "--tumour", str(EXAMPLE / "tumour_expression.tsv.gz"),
            "--normal", str(EXAMPLE / "normal_expression.tsv.gz"),
            "-S", str(EXAMPLE / "surfaceome.tsv"),
            "-o", str(out), "--k", "10", "--k", "20", "--fit", "--candidates", "3",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = pd.read_parquet(out / "target_evaluation_summary.parquet")
    assert set(summary["method"]) >= {"composite", "composite_heldout", "log2fc", "tumour_level", "ten_line"}
    assert set(summary["k"]) == {10, 20}
    assert (out / "rank_distributions.png").stat().st_size > 1000 and (out / "calibrated_params.yaml").is_file()
    pairs = pd.read_parquet(out / "target_evaluation.parquet")
    folh1 = pairs[(pairs["gene"] == "FOLH1") & (pairs["method"] == "composite")]["rank"].iloc[0]
    assert folh1 <= 10


def test_example_evidence_columns():
    res = rank_targets_from_files(
        EXAMPLE / "tumour_expression.tsv.gz", EXAMPLE / "normal_expression.tsv.gz", [EXAMPLE / "surfaceome.tsv"]
    )
    t = res["targets"]
    assert t["surface_surfy"].all() and not t["surface_hpa"].any()
    assert (t["surface_n_sources"] == t["surface_sources"].str.count(";") + 1).all()
