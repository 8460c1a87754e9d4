"""Bounded selection of a design space (radiovector.candidates.bounds): the same design_space table (rows,
scores, order, front) as scoring every conjugate, on spaces small enough to score exhaustively."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiovector.candidates import bounds as bounding
from radiovector.candidates.design import bound_chunk, gather, resolve_params, score_chunk, select_bounded
from radiovector.candidates.enumerate import enumerate_chunk, load_blocks, n_chunks
from radiovector.candidates.stage import score_candidates

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ROOT / "resources" / "example" / "building_blocks.csv"


def _bench_blocks(nv: int, nl: int) -> pd.DataFrame:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_design import CHELATORS, linkers
    finally:
        sys.path.pop(0)
    vectors = [("v0", "OC(=O)CC[C@H](NC(=O)N[C@@H](CCCCN[*:1])C(=O)O)C(=O)O"), ("v1", "c1ccc([*:1])cc1"),
               ("v2", "Cc1ccc([*:1])cc1O"), ("v3", "CC(C)c1ccc([*:1])cc1"), ("v4", "O=C(O)c1ccc([*:1])cc1")]
    rows = [(i, "vector", s) for i, s in vectors[:nv]] + [(i, "linker", s) for i, s in linkers(nl)]
    rows += [(i, "chelator", s) for i, s in CHELATORS.items()]
    return pd.DataFrame(rows, columns=["id", "role", "smiles"])


def _exhaustive(space, params, chunk_size):
    parts = [score_chunk(space, k, chunk_size, {**params, "top_n": 10**9})[0] for k in range(n_chunks(space,
                                                                                                    chunk_size))]
    return gather(parts, params["top_n"])


def _bounded(space, params, chunk_size, jobs=1):
    frames = [bound_chunk(space, k, chunk_size, params)[0] for k in range(n_chunks(space, chunk_size))]
    rows, _, summary = select_bounded(space, pd.concat(frames, ignore_index=True), params, chunk_size, jobs=jobs)
    return gather([rows], params["top_n"]), summary


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c != "reason"]
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True),
                                  check_dtype=False)
    assert a["reason"].tolist() == b["reason"].tolist()


def test_bound_arrays_from_chunk_files_select_the_same_table(tmp_path):
    # the workflow's gather reads the chunk files into BoundArrays one file at a time (no concatenated frame)
    space = load_blocks(pd.read_csv(BLOCKS))
    params = {"building_blocks": str(BLOCKS), "nuclides": ["Lu-177", "Ac-225"], "top_n": 5}
    frames = [bound_chunk(space, k, 4, params)[0] for k in range(n_chunks(space, 4))]
    paths = []
    for k, frame in enumerate(frames):
        frame.to_parquet(tmp_path / f"{k:05d}.parquet")
        paths.append(str(tmp_path / f"{k:05d}.parquet"))
    whole = pd.concat(frames, ignore_index=True)
    grown, filled = bounding.BoundArrays.collect(frames), bounding.BoundArrays.from_parquet(paths)
    for arrays in (grown, filled):
        assert np.array_equal(arrays.index, whole["index"]) and np.array_equal(arrays.bound, whole["bound"])
        assert np.array_equal(arrays.formula, whole["formula"])
        assert arrays.names == [c[4:] for c in whole.columns if c.startswith("obj_")]
        assert np.array_equal(arrays.objectives, whole[[f"obj_{n}" for n in arrays.names]], equal_nan=True)
    with pytest.raises(ValueError, match="stated"):
        bounding.BoundArrays.collect(frames, total=len(whole) + 1)
    rows, _, summary = select_bounded(space, filled, params, 4)
    _same(gather([rows], 5), _bounded(space, params, 4)[0])
    assert summary["bounded"] == len(whole)


@pytest.mark.parametrize("top_n", [1, 3, 5, 30])
@pytest.mark.parametrize("chunk_size", [4, 50])
def test_bounded_equals_exhaustive_on_example_space(top_n, chunk_size):
    space = load_blocks(pd.read_csv(BLOCKS))
    params = {"building_blocks": str(BLOCKS), "nuclides": ["Lu-177", "Ac-225"], "top_n": top_n}
    _same(_bounded(space, params, chunk_size)[0], _exhaustive(space, params, chunk_size))


@pytest.mark.parametrize(("profile", "jobs"), [("renal_small_molecule", 1), ("albumin_binding", 2)])
def test_bounded_equals_exhaustive_and_scores_fewer(profile, jobs):
    space = load_blocks(_bench_blocks(5, 12))  # 5 x 12 x 10 = 600 conjugates, with formula-mates (isomers)
    params = {"building_blocks": "x.csv", "nuclides": ["Lu-177", "Ac-225"], "top_n": 20, "profile": profile}
    table, summary = _bounded(space, params, 250, jobs=jobs)
    _same(table, _exhaustive(space, params, 250))
    assert summary["fully_scored_conjugates"] < len(space) / 2
    assert summary["not_fully_scored"] > 0 and summary["bounded"] == len(space)


def test_bound_is_an_upper_bound_and_objectives_exact():
    space = load_blocks(_bench_blocks(3, 4))
    cfg = resolve_params({"building_blocks": "x.csv", "nuclides": ["Ac-225"], "top_n": 5})
    frame, failures = bounding.cheap_pass(space, 0, len(space), cfg)
    assert failures.empty
    full = score_candidates(enumerate_chunk(space, 0, len(space)), {"nuclides": ["Ac-225"]})["candidates"]
    full = full.set_index("candidate_id")
    ids = [enumerate_chunk(space, 0, len(space))["id"][i] for i in frame.index]
    scores = full["score"].reindex(ids).to_numpy()
    keep = ~np.isnan(scores)
    assert (scores[keep] <= frame["bound"].to_numpy()[keep]).all()
    for col in ("mw", "clogp", "net_charge_ph74", "n_targeting_motifs", "compatibility_desirability"):
        np.testing.assert_allclose(full[col].reindex(ids).to_numpy()[keep], frame[col].to_numpy()[keep],
                                   rtol=1e-12, atol=1e-12)


def test_missing_costly_terms_keep_the_bound_sound():
    profile = {"components": {"a": {"column": "mw", "transform": "identity", "weight": 1},
                              "q": {"column": "qed", "transform": "identity", "weight": 5}}}
    assert bounding.classify(profile, alerts=True, qed_sa=True) == {"a": "cheap", "q": "costly"}
    assert bounding.classify(profile, alerts=True, qed_sa=False) == {"a": "cheap", "q": "missing"}
    cfg = {"profile": "p", "profiles": {"p": profile}, "alerts": True, "qed_sa": True}
    frame = pd.DataFrame({"mw": [0.25, 1.0], "unsure": [False, False]})
    b = bounding.with_bounds(frame, cfg)["bound"].to_numpy()
    # qed missing: score 0.25; qed present at 1: 0.25 ** (1/6) -- the bound is the larger
    assert b[0] == pytest.approx(0.25 ** (1 / 6)) and b[0] >= 0.25 and b[1] == pytest.approx(1.0)


@pytest.mark.parametrize("top_n", [2, 5])
def test_duplicates_within_and_across_chunks(top_n):
    blocks = pd.read_csv(BLOCKS)
    copy = blocks[blocks["id"] == "KuE"].assign(id="KuE-copy")  # same structure as KuE: 27 conjugates, 9 twice
    space = load_blocks(pd.concat([blocks.iloc[:2], copy, blocks.iloc[2:]], ignore_index=True))
    params = {"building_blocks": "x.csv", "nuclides": ["Lu-177", "Ac-225"], "top_n": top_n, "alerts": False}
    table, _ = _bounded(space, params, 10)
    _same(table, _exhaustive(space, params, 10))
    assert table["ids"].str.contains("KuE-copy").any()


def test_bounded_summary_balances_in_the_report():
    from radiovector.report.html import design_counts, design_summary_html

    space = load_blocks(_bench_blocks(3, 6))
    params = {"building_blocks": "x.csv", "nuclides": ["Ac-225"], "top_n": 5}
    table, summary = _bounded(space, params, 100)
    summary = {**summary, "conjugates": len(space), "rejects": 0, "rows_in_table": len(table),
               "pareto_front": int(table["on_pareto_front"].sum()), "chunks": 2, "chunk_size": 100, "top_n": 5}
    counts = design_counts(summary)
    assert counts["enumerated"] == counts["rejected"] + counts["fully_scored"] + counts["not_scored"]
    assert "not fully scored: score bound below the 5-th best score" in design_summary_html(summary)
    # the N-th best score and the largest unscored bound are printed with the digits that tell them apart
    close = {**summary, "nth_best_score": 0.9349764832216293, "largest_unscored_bound": 0.9349757564294398}
    assert "(0.9349765 &gt; 0.9349758)" in design_summary_html(close)  # html-escaped ">"


# Junctions where the blocks alone would mislead: a nitrogen that is an amide with an acyl linker but a basic amine
# with an alkyl linker (the junction makes or consumes an ionisable group), a KuE motif whose lysine nitrogen comes
# from the linker, a NOTA core whose third ring nitrogen gets its carbon substituent from the linker (motifs split
# across the junction), chelator arms that become amides C(=O)N only when joined (DOTA, NODAGA recognised across the
# junction), and a long glutamate-urea split whose linker part reaches beyond the junction environment (proved
# per conjugate instead).
TRICKY = [
    ("v_amine", "vector", "NCCc1ccc([*:1])cc1"),
    ("v_N", "vector", "O=C(O)CCN([*:1])C"),
    ("v_KuE_split", "vector", "OC(=O)CC[C@H](NC(=O)N[C@@H](CCCC[*:1])C(=O)O)C(=O)O"),
    ("v_urea_half", "vector", "OC(=O)CC[C@H](NC(=O)[*:1])C(=O)O"),
    ("L_acyl", "linker", "[*:1]C(=O)CCCCCN[*:2]"),
    ("L_alkyl", "linker", "[*:1]CCCCCC(=O)N[*:2]"),
    ("L_N", "linker", "[*:1]NCCCCCC(=O)[*:2]"),
    ("L_lys", "linker", "[*:1]N[C@@H](CCCCNC(=O)CCC[*:2])C(=O)O"),
    ("DOTA", "chelator", "[*:2]C(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"),
    ("NOTA_N", "chelator", "[*:2]N1CCN(CC(=O)O)CCN(CC(=O)O)CC1"),
    ("NODAGA", "chelator", "[*:2]C(=O)CCC(C(=O)O)N1CCN(CC(=O)O)CCN(CC(=O)O)CC1"),
]


def test_block_intervals_contain_full_scoring_values():
    from radiovector.candidates.blockbounds import BlockModel, block_pass

    space = load_blocks(pd.DataFrame(TRICKY, columns=["id", "role", "smiles"]))
    nuclides = ["Ga-68", "Lu-177"]
    center, lo, hi, todo = block_pass(BlockModel(space), 0, len(space), nuclides)
    conj = enumerate_chunk(space, 0, len(space))
    full = score_candidates(conj, {"nuclides": nuclides, "alerts": False})["candidates"].set_index("candidate_id")
    ids = conj["id"].to_numpy()
    assert len(center) + len(todo) == len(space) and len(center) > len(space) / 2
    assert len(todo) > 0  # the long glutamate-urea split (v_urea_half with L_lys) is left to the per-conjugate pass
    rows = full.loc[ids[center.index]]
    for col in ("mw", "clogp", "tpsa", "net_charge_ph74"):
        value = rows[col].to_numpy(dtype=float)
        assert (lo[col].to_numpy() <= value).all() and (value <= hi[col].to_numpy()).all(), col
        np.testing.assert_allclose(center[col].to_numpy(), value, rtol=1e-9, atol=1e-9)
    for col in ("heavy_atoms", "n_chelators", "n_albumin_binders", "n_targeting_motifs", "compatibility_desirability"):
        np.testing.assert_array_equal(center[col].to_numpy(), rows[col].to_numpy(), err_msg=col)
    # the junction decides: v_N is an amide with L_acyl and a basic amine with L_alkyl; KuE and NOTA exist only joined
    charge = dict(zip(ids[center.index], center["net_charge_ph74"], strict=True))
    assert charge["v_N|L_alkyl|DOTA"] > charge["v_N|L_acyl|DOTA"] + 0.5
    motifs = dict(zip(ids[center.index], center["n_targeting_motifs"], strict=True))
    assert motifs["v_KuE_split|L_N|DOTA"] == 1 and motifs["v_KuE_split|L_acyl|DOTA"] == 0
    chel = dict(zip(ids[center.index], center["n_chelators"], strict=True))
    assert chel["v_amine|L_N|NOTA_N"] == 1 and chel["v_amine|L_acyl|NOTA_N"] == 0  # carbon vs N-N at the junction


@pytest.mark.parametrize("profile", ["renal_small_molecule", "albumin_binding"])
def test_bounded_equals_exhaustive_on_tricky_junctions(profile):
    space = load_blocks(pd.DataFrame(TRICKY, columns=["id", "role", "smiles"]))
    params = {"building_blocks": "x.csv", "nuclides": ["Ga-68", "Lu-177"], "top_n": 7, "profile": profile}
    table, summary = _bounded(space, params, 20)
    _same(table, _exhaustive(space, params, 20))
    assert summary["bounded"] == len(space)


def test_interval_desirability_is_the_maximum_over_the_interval():
    from radiovector.candidates.scoring import resolve_profile

    profile = resolve_profile("renal_small_molecule")
    rng = np.random.default_rng(7)
    lo = pd.DataFrame({"mw": rng.uniform(100, 3000, 200), "clogp": rng.uniform(-8, 6, 200),
                       "net_charge_ph74": rng.uniform(-9, 4, 200)})
    hi = lo + rng.uniform(0, 800, (200, 3)) * np.array([1.0, 0.01, 0.01])
    d = bounding.upper_desirabilities(lo, hi, profile)
    grid = np.linspace(0, 1, 401)
    for comp, col in (("size", "mw"), ("hydrophilicity", "clogp"), ("net_charge", "net_charge_ph74")):
        spec = profile["components"][comp]
        points = lo[col].to_numpy()[:, None] + grid[None, :] * (hi[col] - lo[col]).to_numpy()[:, None]
        from radiovector.candidates.scoring import transform

        values = transform(pd.Series(points.ravel()), spec).to_numpy().reshape(points.shape)
        assert (d[f"d_{comp}"].to_numpy() >= values.max(axis=1) - 1e-15).all(), comp


def test_smarts_radius_counts_bonds_and_recursion():
    from radiovector.candidates.blockbounds import contribution_radius, smarts_radius

    assert smarts_radius("C") == 0 and smarts_radius("CCO") == 2 and smarts_radius("C(C)(C)O") == 1
    assert smarts_radius("[C;$(C-N-C=O)]") == 3  # the recursive pattern reaches 3 bonds from the typed atom
    assert smarts_radius("[NX3;!$(N-C=O)]-[CX3](=[NX2])-[NX3;!$(N-C=O)]") == 4  # 2 bonds, then 2 inside $()
    assert contribution_radius() >= smarts_radius("[NX3;+0;!$(N~[!#6,!X4])]-[CH2]-C(=O)[O,N]")
