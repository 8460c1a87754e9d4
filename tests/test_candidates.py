"""Candidate scoring: recognition, compatibility, charge rules, standardisation, rejects, descriptors, ranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

from radiovector.candidates import scoring
from radiovector.candidates.descriptors import descriptors, net_charge_ph74, sa_score
from radiovector.candidates.recognition import check_nuclides, compatibility, recognise
from radiovector.candidates.stage import score_candidates
from radiovector.candidates.standardise import standardise_smiles
from radiovector.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "example" / "candidates.csv"


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE)


@pytest.fixture(scope="module")
def mols(example) -> dict[str, Chem.Mol]:
    return {i: Chem.MolFromSmiles(s) for i, s in zip(example["id"], example["smiles"], strict=True)}


# --- the example radioligands are the published structures ------------------------------------------------------

# Published identities: PubChem InChIKeys (DOTATATE CID 11170867; DOTATOC/edotreotide; FAPI-46) and molecular
# formulas (PSMA-617: Benesova et al. J Nucl Med 2015;56:914; PSMA-11: PubChem, exact mass 946.4171;
# pentixafor: CAS 1341207-62-2, C60H80N14O14).
PUBLISHED = {
    "PSMA-617": ("C49H71N9O16", None),
    "PSMA-11": ("C44H62N6O17", "QJUIUFGOTBRHKP-LQJZCPKCSA-N"),
    "DOTATATE": ("C65H90N14O19S2", "QVFLVLMYXXNJDT-CSBVGUNJSA-N"),
    "DOTATOC": ("C65H92N14O18S2", "RZHKDBRREKOZEW-AAXZNHDCSA-N"),
    "FAPI-46": ("C41H57F2N11O9", "SDBGUEFOSXNKBX-HKBQPEDESA-N"),
    "pentixafor": ("C60H80N14O14", None),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_example_structures_match_published_identity(mols, name):
    formula, key = PUBLISHED[name]
    assert rdMolDescriptors.CalcMolFormula(mols[name]) == formula
    if key:
        assert Chem.MolToInchiKey(mols[name]) == key


def test_psma11_exact_mass_matches_pubchem(mols):
    # PubChem: exact mass of PSMA-11 (HBED-CC-PSMA) 946.4171
    assert Descriptors.ExactMolWt(mols["PSMA-11"]) == pytest.approx(946.4171, abs=1e-3)


# --- recognition ------------------------------------------------------------------------------------------------

EXPECTED = {
    "PSMA-617": (["dota"], ["psma-glu-urea-lys"]),
    "PSMA-11": (["hbed-cc"], ["psma-glu-urea-lys"]),
    "DOTATATE": (["dota"], ["sstr-phe-trp-lys-thr"]),
    "DOTATOC": (["dota"], ["sstr-phe-trp-lys-thr"]),
    "FAPI-46": (["dota"], ["fap-cyanopyrrolidine"]),
    "pentixafor": (["dota"], ["cxcr4-cpcr4"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recognises_chelator_and_motif_in_real_radioligands(mols, name):
    found = recognise(mols[name])
    assert found["chelator"] == EXPECTED[name][0]
    assert found["targeting_motif"] == EXPECTED[name][1]
    assert found["albumin_binder"] == []


CHELATORS = {
    "dota": "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "dotaga": "OC(=O)CCC(C(=O)O)N1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "nota": "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "nodaga": "OC(=O)CCC(C(=O)O)N1CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "tcmc": "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1",
    "dtpa": "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC(=O)O",
    "chx-a''-dtpa": "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)[C@@H]1CCCC[C@H]1N(CC(=O)O)CC(=O)O",
    "teta": "OC(=O)CN1CCCN(CC(=O)O)CCN(CC(=O)O)CCCN(CC(=O)O)CC1",
    "cb-te2a": "OC(=O)CN1CCCN2CCN(CC(=O)O)CCCN(CC1)CC2",
    "dfo": "CC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCN",
    "macropa": "OC(=O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1",
    "sarcophagine": "NC12CNCCNCC(N)(CNCCNC1)CNCCNC2",
    "hbed-cc": "OC(=O)CCc1ccc(O)c(CN(CCN(CC(=O)O)Cc2cc(CCC(=O)O)ccc2O)CC(=O)O)c1",
}


@pytest.mark.parametrize("name", sorted(CHELATORS))
def test_each_chelator_is_recognised_alone(name):
    assert recognise(Chem.MolFromSmiles(CHELATORS[name]))["chelator"] == [name]


@pytest.mark.parametrize(
    ("smiles", "name"),
    [
        ("Ic1ccc(CCCC(=O)O)cc1", "ipba"),
        ("CC(C)Cc1ccc(C(C)C(=O)O)cc1", "ibuprofen"),
        # truncated Evans blue fragment: 3,3'-dimethylbiphenyl azo-naphthalene
        ("Cc1cc(-c2ccc(N=Nc3ccc4ccccc4c3)c(C)c2)ccc1N", "evans-blue"),
    ],
)
def test_albumin_binders(smiles, name):
    assert recognise(Chem.MolFromSmiles(smiles))["albumin_binder"] == [name]


def test_conjugate_dota_monoamide_still_dota():
    # DOTA coupled through one acetate (as in DOTATATE) keeps three free acetates
    mol = Chem.MolFromSmiles("CNC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1")
    assert recognise(mol)["chelator"] == ["dota"]


# --- compatibility ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chelators", "nuclide", "level"),
    [
        (["hbed-cc"], "Lu-177", "incompatible"),
        (["hbed-cc"], "Ga-68", "compatible"),
        (["dota"], "Lu-177", "compatible"),
        (["macropa"], "Ac-225", "compatible"),
        (["tcmc"], "Pb-212", "compatible"),
        (["nota"], "Lu-177", "incompatible"),
        (["dfo"], "Zr-89", "compatible"),
        (["dota"], "Cu-64", "possible"),
        ([], "Lu-177", "no_chelator"),
        (["hbed-cc", "dota"], "Lu-177", "compatible"),  # best chelator wins
    ],
)
def test_compatibility(chelators, nuclide, level):
    assert compatibility(chelators, nuclide)[0] == level


@pytest.mark.parametrize(("text", "norm"), [("177Lu", "Lu-177"), ("lu-177", "Lu-177"), ("Ac225", "Ac-225")])
def test_nuclide_names_use_the_one_normaliser(text, norm):
    assert check_nuclides([text]) == [norm]


def test_unknown_nuclide_is_a_config_error(example):
    with pytest.raises(ConfigError, match="I-131"):
        score_candidates(example, {"nuclides": ["I-131"]})


# --- net charge at pH 7.4 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("smiles", "charge"),
    [
        ("CC(=O)O", -1.0),  # carboxylic acid, pKa 4.0
        ("CCN", 1.0),  # primary amine
        ("CCN(C)C", 1.0),  # tertiary amine
        ("NCC(=O)O", 0.0),  # glycine zwitterion
        ("NCCCC[C@H](N)C(=O)O", 1.0),  # lysine
        ("OC(=O)CCC(N)C(=O)O", -1.0),  # glutamic acid
        ("NC(=N)NCCC", 1.0),  # guanidine
        ("CC(=O)NC", 0.0),  # amide
        ("c1ccncc1", 0.0),  # pyridine pKa 5.2
        ("c1ccccc1N", 0.0),  # aniline
        ("CS(=O)(=O)O", -1.0),  # sulfonic acid
        ("C[N+](C)(C)C", 1.0),  # quaternary ammonium
        (CHELATORS["dota"], -2.0),  # H2DOTA(2-) dominates at pH 7.4
    ],
)
def test_net_charge_rules(smiles, charge):
    assert net_charge_ph74(Chem.MolFromSmiles(smiles)) == pytest.approx(charge, abs=0.06)


def test_net_charge_dtpa_and_phosphonate():
    # DTPA protonation constants 10.5, 8.6, 4.3: about -3 at pH 7.4
    assert net_charge_ph74(Chem.MolFromSmiles(CHELATORS["dtpa"])) == pytest.approx(-3.06, abs=0.05)
    # phosphonic acid pKa 2 and 7: between -1 and -2
    assert -2 < net_charge_ph74(Chem.MolFromSmiles("CCP(=O)(O)O")) < -1


def test_psma617_net_charge(mols):
    # 6 carboxylic acids (3 Glu-urea-Lys, 3 DOTA) and two protonated DOTA ring nitrogens
    assert net_charge_ph74(mols["PSMA-617"]) == pytest.approx(-4.0, abs=0.05)


# --- descriptors equal a bare RDKit computation -----------------------------------------------------------------


def test_descriptors_equal_bare_rdkit(mols):
    for mol in mols.values():
        got = descriptors(mol)
        assert got["mw"] == Descriptors.MolWt(mol)
        assert got["clogp"] == Crippen.MolLogP(mol)
        assert got["tpsa"] == rdMolDescriptors.CalcTPSA(mol)
        assert got["hbd"] == Lipinski.NumHDonors(mol)
        assert got["hba"] == Lipinski.NumHAcceptors(mol)
        assert got["rotatable_bonds"] == rdMolDescriptors.CalcNumRotatableBonds(mol)
        assert got["heavy_atoms"] == mol.GetNumHeavyAtoms()
        assert got["aromatic_rings"] == rdMolDescriptors.CalcNumAromaticRings(mol)
        assert got["fsp3"] == rdMolDescriptors.CalcFractionCSP3(mol)
        assert got["qed"] == QED.qed(mol)


def test_published_mw_and_sa_score_range(mols):
    # DOTATATE molar mass 1435.63 g/mol (Wikipedia / PubChem); PSMA-617 1042.1 g/mol (Benesova et al. 2015)
    assert Descriptors.MolWt(mols["DOTATATE"]) == pytest.approx(1435.63, abs=0.1)
    assert Descriptors.MolWt(mols["PSMA-617"]) == pytest.approx(1042.1, abs=0.1)
    # SA score is defined on 1 (easy) .. 10 (hard); benzene is among the easiest (Ertl & Schuffenhauer 2009)
    assert 1.0 <= sa_score(Chem.MolFromSmiles("c1ccccc1")) < 2.0
    assert all(1.0 <= sa_score(m) <= 10.0 for m in mols.values())


# --- standardisation --------------------------------------------------------------------------------------------


def test_pentavalent_carbon_rejected_with_rdkit_reason():
    res = standardise_smiles("CC(C)(C)(C)(C)C")
    assert not res.ok
    assert "Explicit valence for atom" in res.reason and "greater than permitted" in res.reason


def test_unclosed_ring_rejected_with_rdkit_reason():
    res = standardise_smiles("C1CC")
    assert not res.ok and "unclosed ring" in res.reason


def test_drawn_metal_recorded_and_free_ligand_scored():
    ligand = "CNC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    complex_ = "[177Lu+3].CNC(=O)CN1CCN(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1"
    free, bound = standardise_smiles(ligand), standardise_smiles(complex_)
    assert bound.ok and bound.drawn_metals == ["Lu-177"]
    assert bound.inchikey == free.inchikey


def test_covalently_drawn_metal_is_disconnected():
    res = standardise_smiles("CNC(=O)CN1CCN(CC(=O)O[Ga])CCN(CC(=O)O)CCN(CC(=O)O)CC1")
    assert res.ok and res.drawn_metals == ["Ga"]
    assert "Ga" not in res.smiles


def test_counter_ion_is_not_the_parent():
    # a TFA salt of a small conjugate: the parent must be the conjugate, never trifluoroacetic acid
    conjugate = "NCCCC[C@H](NC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1)C(=O)O"
    res = standardise_smiles("OC(=O)C(F)(F)F.OC(=O)C(F)(F)F." + conjugate)
    assert res.ok and res.smiles == Chem.MolToSmiles(Chem.MolFromSmiles(conjugate))
    assert res.removed_fragments.count("O=C(O)C(F)(F)F") == 2


# One structure per default MolStandardize normalisation (nitro, N-oxide, azide, diazo, sulfoxide, sulfone,
# thioketone, phosphoryl, charge recombination, 1,3- and 1,5-separated charges, ...), a salt and a drawn metal.
_NORMALISATION_CASES = (
    "CN(=O)=O", "C[N+](=O)[O-]", "c1cc[n+]([O-])cc1", "CN=N#N", "CN=[N+]=[N-]", "C=N#N", "CS(C)=O",
    "C[S+]([O-])C", "CS(=O)(=O)C", "C[S+2]([O-])([O-])C", "CC(C)=[S+][O-]", "CP(C)(C)=O", "C[P+](C)(C)[O-]",
    "C[N+]#[C-]", "C=[N+]([O-])C", "[O-]C=C[N+](C)=C", "C[N+]([O-])=C", "O=c1cc[nH]cc1", "C[n+]1ccccc1",
    "[O-][N+](=O)c1ccccc1.[Na+].[Cl-]", "CS(=O)(=O)[O-].[Na+]", "OC(=O)CC[N+](C)(C)C", "CC(=O)[O-].[Lu+3]",
)


def test_normalising_in_place_equals_rdkit_normalize():
    """standardise_mol normalises a copy in place (``normalizeInPlace``); the result equals ``Normalizer.normalize``
    on every default transform's case and on the example structures, and the caller's molecule is not modified."""
    from rdkit.Chem.MolStandardize import rdMolStandardize

    from radiovector.candidates.standardise import standardise_mol

    normalizer = rdMolStandardize.Normalizer()
    for smi in (*_NORMALISATION_CASES, *pd.read_csv(EXAMPLE)["smiles"]):
        mol = Chem.MolFromSmiles(smi)
        before = Chem.MolToSmiles(mol)
        copy = Chem.Mol(mol)
        normalizer.normalizeInPlace(copy)
        assert Chem.MolToSmiles(copy) == Chem.MolToSmiles(normalizer.normalize(mol)), smi
        assert standardise_mol(mol).ok and Chem.MolToSmiles(mol) == before, smi


# --- the stage --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored(example):
    extra = pd.DataFrame(
        {"id": ["bad-carbon", "PSMA-617-copy", "Lu-PSMA-617"],
         "smiles": ["CC(C)(C)(C)(C)C", example.smiles[0], "[Lu+3]." + example.smiles[0]]}
    )
    frame = pd.concat([example, extra], ignore_index=True)
    return frame, score_candidates(frame, {"nuclides": ["Lu-177", "Ga-68", "Ac-225"]}, references=example.iloc[:1])


def test_stage_counts_add_up(scored):
    frame, res = scored
    cand, rej = res["candidates"], res["rejects"]
    assert len(rej) == 1 and rej["row_number"].tolist() == [8]  # the 7th row: line 8 as a CSV with a header
    assert "Explicit valence" in rej["reason"].iat[0]
    assert cand["n_inputs"].sum() + len(rej) == len(frame)
    psma = cand.set_index("candidate_id").loc["PSMA-617"]
    assert psma["ids"] == "PSMA-617;PSMA-617-copy;Lu-PSMA-617"
    assert psma["drawn_metals"] == "Lu"


def test_stage_columns_and_compatibility(scored):
    _, res = scored
    cand = res["candidates"].set_index("candidate_id")
    for col in ("candidate_id", "smiles", "inchikey", "chelators", "compatibility_lu-177", "score", "rank", "reason"):
        assert col in res["candidates"].columns
    assert cand.loc["PSMA-11", "chelators"] == "hbed-cc"
    assert cand.loc["PSMA-11", "compatibility_lu-177"] == "incompatible"
    assert cand.loc["PSMA-11", "compatibility_ga-68"] == "compatible"
    assert cand.loc["DOTATATE", "compatibility_lu-177"] == "compatible"
    assert cand.loc["PSMA-617", "max_tanimoto"] == pytest.approx(1.0)
    assert cand.loc["PSMA-617", "nearest_reference_id"] == "PSMA-617"
    # PSMA-11 is the only one that cannot carry Lu-177/Ac-225: ranked last, and the reason says why
    assert res["candidates"]["candidate_id"].iat[-1] == "PSMA-11"
    assert "Lu-177 incompatible" in cand.loc["PSMA-11", "reason"]
    assert res["candidates"]["rank"].tolist() == list(range(1, len(cand) + 1))
    long = res["candidate_nuclides"]
    assert len(long) == 3 * len(cand)
    assert set(long["compatibility"]) <= {"compatible", "possible", "incompatible", "no_chelator"}


def test_stage_is_deterministic_and_order_independent(example):
    a = score_candidates(example, {"nuclides": ["Lu-177"]})["candidates"]
    b = score_candidates(example.iloc[::-1].reset_index(drop=True), {"nuclides": ["Lu-177"]})["candidates"]
    pd.testing.assert_frame_equal(a.drop(columns=["reason"]).reset_index(drop=True),
                                  b.drop(columns=["reason"]).reset_index(drop=True), check_like=True)


def test_row_nuclide_used_when_none_requested(example):
    cand = score_candidates(example)["candidates"].set_index("candidate_id")
    assert cand.loc["PSMA-11", "scored_nuclides"] == "Ga-68"
    assert cand.loc["PSMA-11", "d_compatibility"] == 1.0


def test_missing_smiles_column_is_input_error():
    with pytest.raises(InputError, match="smiles"):
        score_candidates(pd.DataFrame({"id": ["a"]}))


@pytest.mark.parametrize("profile", ["renal_small_molecule", "albumin_binding", "peptide"])
def test_every_profile_writes_a_table_of_the_contract(example, profile):
    """Profiles weigh different terms (peptide: no alerts or synthesis term): each result is a valid table."""
    from radiovector.contracts import conform

    res = score_candidates(example, {"nuclides": ["Lu-177"], "profile": profile})
    assert conform("candidates", res["candidates"]).num_rows == len(res["candidates"])


def test_unknown_profile_is_config_error(example):
    with pytest.raises(ConfigError, match="profile"):
        score_candidates(example, {"profile": "nope"})


# --- scoring maths ----------------------------------------------------------------------------------------------


def test_transforms():
    s = pd.Series([0.0, 7.0, 100.0, np.nan])
    d = scoring.transform(s, {"transform": "sigmoid", "x0": 7.0, "k": 1.0})
    assert d.iat[1] == pytest.approx(0.5) and d.iat[0] < 0.01 and d.iat[2] > 0.99 and np.isnan(d.iat[3])
    step = scoring.transform(s, {"transform": "step", "threshold": 7, "above": 1.0, "below": 0.2})
    assert step.tolist()[:3] == [0.2, 1.0, 1.0]
    window = {"transform": "double_sigmoid", "low": -3, "high": 3, "k": 2}
    dbl = scoring.transform(pd.Series([-10.0, 0.0, 10.0]), window)
    assert dbl.iat[1] > 0.99 and dbl.iat[0] < 0.01 and dbl.iat[2] < 0.01


def test_weighted_geometric_mean_skips_missing():
    profile = {"components": {"a": {"weight": 1.0}, "b": {"weight": 3.0}}}
    d = pd.DataFrame({"d_a": [0.25, 0.5], "d_b": [1.0, np.nan]})
    score = scoring.geometric_score(d, profile)
    assert score.iat[0] == pytest.approx(0.25 ** 0.25)
    assert score.iat[1] == pytest.approx(0.5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=40))
def test_pareto_front_is_non_dominated(points):
    obj = np.array(points)
    ranks = scoring.pareto_rank(obj, block=7)
    front = obj[ranks == 1]
    assert len(front) >= 1 and (ranks >= 1).all()
    for p in front:
        assert not ((obj >= p).all(axis=1) & (obj > p).any(axis=1)).any()
