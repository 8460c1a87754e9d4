"""The fast scoring path equals the plain one: screened alerts and QED, bulk similarity, batched model prediction,
structure caches and worker processes change nothing in the result tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

import radiovector.candidates.features as features
from radiovector.candidates.affinity import AffinityModel, featurise, make_estimator
from radiovector.candidates.alerts import alerts, alerts_unscreened
from radiovector.candidates.descriptors import DESCRIPTOR_COLUMNS, descriptors, qed_properties, sa_score
from radiovector.candidates.features import count_matrix
from radiovector.candidates.panel import candidate_panel
from radiovector.candidates.screen import MoleculeMatches
from radiovector.candidates.similarity import ReferenceSet, bit_matrix, bulk_max_tanimoto, morgan_generator
from radiovector.candidates.stage import score_candidates
from radiovector.candidates.standardise import standardise_smiles

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "example" / "candidates.csv"
ACTIVITIES = ROOT / "resources" / "example" / "affinity_CHEMBL4203.csv"
OTHER = ROOT / "resources" / "example" / "affinity_CHEMBL2147.csv"


@pytest.fixture(scope="module")
def inputs():
    """The example radioligands, 240 drug-like molecules (one repeated under another id, one salt form) and
    120 reference actives from another target; a small random forest."""
    example = pd.read_csv(EXAMPLE)
    drugs = pd.read_csv(ACTIVITIES).iloc[:240]
    cands = pd.concat([
        example[["id", "smiles"]],
        pd.DataFrame({"id": [f"d{i}" for i in range(len(drugs))], "smiles": drugs["smiles"]}),
        pd.DataFrame({"id": ["again", "salt"], "smiles": [drugs["smiles"].iloc[3], drugs["smiles"].iloc[5] + ".Cl"]}),
        pd.DataFrame({"id": ["bad"], "smiles": ["C(C)(C)(C)(C)C"]}),
    ], ignore_index=True)
    other = pd.read_csv(OTHER)
    refs = pd.DataFrame({"id": [f"r{i}" for i in range(120)], "smiles": other["smiles"].iloc[:120]})
    train = other.iloc[120:320]
    mols = [standardise_smiles(s).mol for s in train["smiles"]]
    x, bits = featurise(mols)
    model = AffinityModel(make_estimator(0, 1, n_estimators=15).fit(x, train["pki"].to_numpy()), bits, "pki")
    return cands, refs, model


@pytest.fixture(scope="module")
def scored(inputs):
    cands, refs, model = inputs
    return score_candidates(cands, {"nuclides": ["Lu-177", "Ga-68"]}, references=refs, model=model)


def test_screened_alerts_and_qed_equal_rdkit(inputs):
    cands, refs, _ = inputs
    mols = [Chem.MolFromSmiles(s) for s in [*cands["smiles"].iloc[:-1], *refs["smiles"]]]
    assert sum(bool(alerts_unscreened(m)) for m in mols) > 50  # the set exercises the catalogs
    panel = candidate_panel()
    for mol in mols:
        matches = MoleculeMatches(mol, panel)  # screened and shared, as the stage does
        assert alerts(mol, matches) == alerts_unscreened(mol)
        assert qed_properties(mol, matches) == QED.properties(mol)


def test_screens_never_skip_a_query_that_matches(inputs):
    """Exactness of the substructure screens: no query ruled out for a molecule matches it (every PAINS/Brenk
    query, QED alert and acceptor against drug-like molecules, radioligands, a peptide and charged/metal forms)."""
    cands, refs, _ = inputs
    extra = ["[Lu+3].OC(=O)CN1CCN(CC(=O)[O-])CCN(CC(=O)O)CCN(CC(=O)O)CC1", "C[N+](C)(C)CC(=O)[O-]",
             "O=C1C=CC(=O)C=C1", "ClC(Cl)(Cl)Br", "C=CC(=O)Nc1ccc(I)cc1", "[2H]C([2H])([2H])Sc1ccccc1"]
    smiles = [*cands["smiles"].iloc[:-1], *refs["smiles"], *extra]
    mols = [Chem.MolFromSmiles(s) for s in smiles] + [Chem.AddHs(Chem.MolFromSmiles(extra[-2]))]
    panel = candidate_panel()
    skipped = matched = 0
    for mol in mols:
        ruled_out = np.flatnonzero(MoleculeMatches(mol, panel).state == 0)
        skipped += len(ruled_out)
        for slot in ruled_out:
            assert not mol.HasSubstructMatch(panel.queries[slot]), (Chem.MolToSmiles(mol), slot)
        matched += sum(mol.HasSubstructMatch(q) for q in panel.queries)
    assert skipped > 0.8 * len(mols) * len(panel.queries) and matched > 0  # the screens do rule out most


def test_screen_built_once_per_distinct_atom_smarts_equals_one_per_atom(monkeypatch):
    """The panel's screen remembers each query atom's implied elements by its SMARTS: the same arrays as asking
    every atom."""
    from radiovector.candidates import screen

    built = candidate_panel().screen
    monkeypatch.setattr(screen, "_implied_cached", lambda atom, known: screen.implied_atom(atom))
    plain = screen.PatternScreen(candidate_panel().queries)
    for name in ("_bits", "_element_masks", "_needs_mask", "_needs_charge"):
        np.testing.assert_array_equal(getattr(built, name), getattr(plain, name))


def test_sa_score_equals_rdkit_contrib_sascorer(inputs):
    """The faster stereocentre count inside our SA score changes no score (RDKit's own Contrib module)."""
    import importlib.util
    import os

    from rdkit.Chem import RDConfig

    path = os.path.join(RDConfig.RDContribDir, "SA_Score", "sascorer.py")
    spec = importlib.util.spec_from_file_location("rdkit_sascorer_reference", path)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    cands, refs, _ = inputs
    smiles = [*cands["smiles"].iloc[:-1], *refs["smiles"], "C[C@H](N)C(=O)N1CCC[C@H]1C(=O)O", "CC(F)C(Cl)CC(Br)C"]
    for smi in smiles:
        assert sa_score(Chem.MolFromSmiles(smi)) == reference.calculateScore(Chem.MolFromSmiles(smi)), smi


def test_blocked_bulk_tanimoto_equals_rdkit_including_ties(inputs):
    cands, refs, _ = inputs
    gen = morgan_generator()
    mols = [Chem.MolFromSmiles(s) for s in cands["smiles"].iloc[:-1]]
    ref_fps = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in refs["smiles"]]
    ref_fps = ref_fps + ref_fps[:7]  # duplicates: the first of equal references must win
    counts = count_matrix([(np.flatnonzero(c).astype(np.int32), c[np.flatnonzero(c)].astype(np.uint32))
                           for c in (gen.GetCountFingerprintAsNumPy(m) for m in mols)])
    best, where = bulk_max_tanimoto(counts, bit_matrix(ref_fps), block=37, ref_block=50)
    for k, mol in enumerate(mols):
        sims = DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(mol), ref_fps)
        assert best[k] == max(sims) and where[k] == int(np.argmax(sims))


def test_candidate_rows_equal_the_plain_per_molecule_computation(inputs, scored):
    cands, refs, model = inputs
    table = scored["candidates"].set_index("candidate_id")
    assert len(scored["rejects"]) == 1 and table.loc["d3", "ids"] == "d3;again"
    refset = ReferenceSet.from_frame(refs)
    gen = morgan_generator()
    mols = {cid: standardise_smiles(smi).mol for cid, smi in zip(cands["id"], cands["smiles"], strict=True)
            if cid in table.index}
    plain = model.predict_mols(list(mols.values()))
    for k, (cid, mol) in enumerate(mols.items()):
        row = table.loc[cid]
        desc = descriptors(mol)
        desc["qed"] = QED.qed(mol)  # RDKit's own QED, unscreened
        for col in DESCRIPTOR_COLUMNS:
            assert row[col] == desc[col] or (np.isnan(row[col]) and np.isnan(desc[col])), (cid, col)
        # the values reused from QED's properties equal RDKit's own default calls
        assert row["rotatable_bonds"] == rdMolDescriptors.CalcNumRotatableBonds(mol), cid
        assert row["hbd"] == Lipinski.NumHDonors(mol), cid
        assert row["mw"] == Descriptors.MolWt(mol) and row["clogp"] == Crippen.MolLogP(mol), cid
        assert row["alerts"] == ";".join(alerts_unscreened(mol))
        assert row["inchikey"] == Chem.MolToInchiKey(mol)
        sims = DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(mol), refset.fingerprints)
        best = int(np.argmax(sims))
        assert row["max_tanimoto"] == sims[best] and row["nearest_reference_id"] == refset.ids[best]
        assert row["paffinity_pred"] == plain["paffinity_pred"].iat[k]
        assert row["ad_max_tanimoto"] == plain["ad_max_tanimoto"].iat[k]
        assert row["in_domain"] == plain["in_domain"].iat[k]


def test_worker_processes_give_the_same_tables(inputs, scored, monkeypatch):
    """Two workers on chunks that shrink towards the end give exactly the one-process tables."""
    cands, refs, model = inputs
    cut, original = [], features.chunk_bounds
    monkeypatch.setattr(features, "chunk_bounds", lambda n, jobs: cut.append(original(n, jobs, 2, 7)) or cut[-1])
    parallel = score_candidates(cands, {"nuclides": ["Lu-177", "Ga-68"]}, references=refs, model=model, jobs=2,
                                min_rows_per_job=40)
    assert len(cut) == 1 and len(cut[0]) > 4  # the rows did go to the workers, in several chunks
    for name in scored:
        pd.testing.assert_frame_equal(parallel[name], scored[name], check_exact=True)


def test_chunks_cover_the_rows_in_order_and_shrink():
    for n, jobs in ((8453, 2), (1000, 4), (37, 2), (1, 8)):
        bounds = features.chunk_bounds(n, jobs)
        sizes = [b - a for a, b in bounds]
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(b == c for (_, b), (c, _) in zip(bounds, bounds[1:], strict=False))
        assert sizes == sorted(sizes, reverse=True) and all(s >= features.MIN_CHUNK_ROWS for s in sizes[:-1])
    assert features.chunk_bounds(0, 2) == []


def test_example_table_is_unchanged_by_the_fast_path(monkeypatch):
    """The example radioligands scored with every fast path switched off (RDKit's QED and the full catalogs)."""
    example = pd.read_csv(EXAMPLE)
    params = {"nuclides": ["Lu-177", "Ga-68", "Ac-225"]}
    fast = score_candidates(example, params)
    import radiovector.candidates.descriptors as desc_module

    monkeypatch.setattr(desc_module, "qed_properties", lambda mol, matches=None: QED.properties(mol))
    monkeypatch.setattr(features, "find_alerts", lambda mol, matches=None: alerts_unscreened(mol))
    slow = score_candidates(example, params)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], slow[name], check_exact=True)
