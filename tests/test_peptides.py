"""Peptide candidates: notation, whole-molecule assembly vs published structures and masses, properties,
protease sites, bad input, stage and CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from Bio.SeqUtils.ProtParam import ProteinAnalysis
from rdkit import Chem
from rdkit.Chem import Descriptors, rdMolDescriptors

from radiovector.errors import ConfigError
from radiovector.peptides.io import read_peptides
from radiovector.peptides.monomers import load_library
from radiovector.peptides.notation import NotationError, parse_helm, parse_native
from radiovector.peptides.stage import build_peptide, score_peptides

ROOT = Path(__file__).resolve().parents[1]
PEPTIDES = ROOT / "resources" / "example" / "peptides.csv"
CANDIDATES = ROOT / "resources" / "example" / "candidates.csv"
#: Octreotide, PubChem CID 448601 (isomeric SMILES as deposited).
OCTREOTIDE_PUBCHEM = ("C[C@H]([C@H]1C(=O)N[C@@H](CSSC[C@@H](C(=O)N[C@H](C(=O)N[C@@H](C(=O)N[C@H](C(=O)N1)CCCCN)"
                      "CC2=CNC3=CC=CC=C32)CC4=CC=CC=C4)NC(=O)[C@@H](CC5=CC=CC=C5)N)C(=O)N[C@H](CO)[C@@H](C)O)O")


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(PEPTIDES).set_index("id")


@pytest.fixture(scope="module")
def scored(example) -> dict[str, pd.DataFrame]:
    return score_peptides(example.reset_index(), {"nuclides": ["Lu-177", "Ga-68"]})


def mol_of(example, pid: str) -> Chem.Mol:
    return build_peptide(example.loc[pid, "sequence"])[1]


def _formula_mass(formula: str) -> float:
    """Monoisotopic mass of a molecular formula from RDKit's isotope table (most abundant isotopes)."""
    import re

    table = Chem.GetPeriodicTable()
    return sum(table.GetMostCommonIsotopeMass(el) * int(n or 1) for el, n in re.findall(r"([A-Z][a-z]?)(\d*)",
                                                                                         formula))


# --- built from sequence == published structure ----------------------------------------------------------------

@pytest.mark.parametrize("pid,smiles_source", [("octreotide", "pubchem"), ("DOTATATE", "candidates"),
                                               ("DOTATOC", "candidates"), ("pentixafor", "candidates")])
def test_inchikey_equals_published_structure(example, pid, smiles_source):
    smiles = OCTREOTIDE_PUBCHEM if smiles_source == "pubchem" else pd.read_csv(CANDIDATES).set_index("id").loc[
        pid, "smiles"]
    assert Chem.MolToInchiKey(mol_of(example, pid)) == Chem.MolToInchiKey(Chem.MolFromSmiles(smiles))


#: Published InChIKeys (the example CSV's reference column cites each): gastrin-17 = little gastrin I, Wikipedia
#: infobox (from PubChem/ChEMBL); DOTA-c(RGDfK): BenchChem B15605691 "DOTA-cyclo(RGDfK)" (C43H67N13O14, 990.1);
#: DOTA-[Pro1,Tyr4]bombesin: BenchChem B15604550 "DOTA-bombesin (1-14)"
#: (https://www.benchchem.com/es/product/b15604550, PubChem-computed; C90H136N28O25S, 2042.3).
PUBLISHED_INCHIKEY = {
    "gastrin-17": "GKDWRERMBNGKCZ-RNXBIMIWSA-N",
    "DOTA-cRGDfK": "JCMRWLZGXBWZRR-IHZBLBIESA-N",
    "DOTA-Pro1-Tyr4-bombesin": "GKGRKZIBRKPDEY-OJRDFMJISA-N",
}


@pytest.mark.parametrize("pid", sorted(PUBLISHED_INCHIKEY))
def test_inchikey_equals_published_key(example, pid):
    assert Chem.MolToInchiKey(mol_of(example, pid)) == PUBLISHED_INCHIKEY[pid]


def test_dotanoc_connectivity_and_weight_match_published():
    # DOTA-NOC, BenchChem B12298608: InChIKey PZCJTYVWTGPGOH-UHFFFAOYSA-N (no stereo layer: connectivity only),
    # molecular weight 1455.7 g/mol
    mol = build_peptide("[DOTA]-f-C&1-[1Nal]-w-K-T-C&1-[Thr-ol]")[1]
    assert Chem.MolToInchiKey(mol).split("-")[0] == "PZCJTYVWTGPGOH"
    assert Descriptors.MolWt(mol) == pytest.approx(1455.7, abs=0.05)


# Published molecular formulas: octreotide PubChem CID 448601; DOTATATE PubChem CID 11170867; DOTATOC PubChem
# (edotreotide); pentixafor CAS 1341207-62-2 (Demmer 2011); bombesin Sigma-Aldrich B4272 (also below: its
# [M+H]+ 1619.8223); c(RGDfK) Haubner 1996; DOTANOC and DOTA-c(RGDfK) BenchChem B12298608 / B15605691;
# gastrin-17 Wikipedia (little gastrin I); DOTA-[Pro1,Tyr4]bombesin BenchChem B15604550
# (https://www.benchchem.com/es/product/b15604550).
PUBLISHED_FORMULA = {
    "octreotide": "C49H66N10O10S2", "DOTATATE": "C65H90N14O19S2", "DOTATOC": "C65H92N14O18S2",
    "pentixafor": "C60H80N14O14", "bombesin": "C71H110N24O18S", "cRGDfK": "C27H41N9O7",
    "DOTANOC": "C69H94N14O17S2", "DOTA-cRGDfK": "C43H67N13O14", "gastrin-17": "C97H124N20O31S",
    "DOTA-Pro1-Tyr4-bombesin": "C90H136N28O25S",
}


@pytest.mark.parametrize("pid", sorted(PUBLISHED_FORMULA))
def test_monoisotopic_mass_matches_published_formula(example, pid):
    _assert_formula(mol_of(example, pid), PUBLISHED_FORMULA[pid])


def _assert_formula(mol, formula: str) -> None:
    """Same molecular formula, and monoisotopic mass within 0.01 Da of the formula's (issue #5)."""
    assert rdMolDescriptors.CalcMolFormula(mol) == formula
    assert abs(Descriptors.ExactMolWt(mol) - _formula_mass(formula)) < 0.01


def test_every_example_peptide_is_checked_against_a_published_source(example):
    assert set(example.index) <= set(PUBLISHED_FORMULA)


def test_dota_pro1_tyr4_bombesin_mass_and_weight_match_published():
    # BenchChem B15604550 "DOTA-bombesin (1-14)", https://www.benchchem.com/es/product/b15604550 (PubChem-computed):
    # C90H136N28O25S, molecular weight 2042.3 g/mol; monoisotopic mass of that formula 2040.9952
    mol = build_peptide("[DOTA]-P-Q-R-Y-G-N-Q-W-A-V-G-H-L-M-[NH2]")[1]
    assert abs(Descriptors.ExactMolWt(mol) - _formula_mass("C90H136N28O25S")) < 0.01
    assert abs(Descriptors.ExactMolWt(mol) - 2040.9952) < 0.01
    assert Descriptors.MolWt(mol) == pytest.approx(2042.3, abs=0.05)


def test_bombesin_mass_matches_published_mh():
    # Bombesin [M+H]+ 1619.8223 (Sigma B4272, ProteoWizard example data); proton mass 1.007276 u (CODATA 2018)
    mol = build_peptide("[pGlu]-Q-R-L-G-N-Q-W-A-V-G-H-L-M-[NH2]")[1]
    assert abs(Descriptors.ExactMolWt(mol) + 1.007276 - 1619.8223) < 0.01


def _residue_route(seq: str, extra: str = "", minus_water: int = 0, amide: bool = False) -> float:
    """Independent mass route: Biopython monoisotopic peptide mass + mass of the extra groups' formula."""
    mass = ProteinAnalysis(seq, monoisotopic=True).molecular_weight()
    if extra:
        mass += _formula_mass(extra)
    mass -= minus_water * _formula_mass("H2O")
    if amide:
        mass += _formula_mass("NH") - _formula_mass("O")
    return mass


@pytest.mark.parametrize("seq,residues,extra,waters", [
    # DOTA (C16H28N4O8) acylating the N-terminus: one water lost; Nle has the formula of Leu
    ("[DOTA]-e-A-Y-G-W-[Nle]-D-F-[NH2]", "EAYGWLDF", "C16H28N4O8", 1),
    ("[DOTA]-G-[Abz4]-Q-W-A-V-G-H-L-M-[NH2]", "GQWAVGHLM", "C16H28N4O8C7H7NO2", 2),  # + 4-aminobenzoic acid
])
def test_monoisotopic_mass_by_residue_route(seq, residues, extra, waters):
    built = Descriptors.ExactMolWt(build_peptide(seq)[1])
    assert abs(built - _residue_route(residues, extra, waters, amide=True)) < 0.01


def test_all_natural_residues_match_rdkit_helm():
    lib = load_library()
    for letter in "ACDEFHIKLMNPQRSTVWY":
        ours = build_peptide(f"{letter}G{letter.lower()}", "native", lib)[1]
        rdkit = Chem.MolFromHELM(f"PEPTIDE1{{{letter}.G.[d{letter}]}}$$$$")
        assert Chem.MolToInchiKey(ours) == Chem.MolToInchiKey(rdkit), letter


def test_helm_equals_native_octreotate():
    helm = "PEPTIDE1{[dF].C.Y.[dW].K.T.C.T}$PEPTIDE1,PEPTIDE1,2:R3-7:R3$$$"
    native = build_peptide("f-C&1-Y-w-K-T-C&1-T")[1]
    assert Chem.MolToInchiKey(build_peptide(helm)[1]) == Chem.MolToInchiKey(native)
    assert Chem.MolToInchiKey(Chem.MolFromHELM(helm)) == Chem.MolToInchiKey(native)


def test_helm_head_to_tail_and_branches():
    lib = load_library()
    pep = parse_helm("PEPTIDE1{R.G.D.[dF].K}$PEPTIDE1,PEPTIDE1,1:R1-5:R2$$$", lib)
    assert pep.cyclic
    assert Chem.MolToInchiKey(build_peptide("cyclo(RGDfK)")[1]) == Chem.MolToInchiKey(
        build_peptide("PEPTIDE1{R.G.D.[dF].K}$PEPTIDE1,PEPTIDE1,1:R1-5:R2$$$")[1])


def test_lactam_bridge_and_nmethyl_and_aib():
    mol = build_peptide("A-K&1-A-A-E&1-[NMe-Ala]-[Aib]-[NH2]")[1]
    assert rdMolDescriptors.CalcMolFormula(mol)  # builds
    assert mol.GetRingInfo().NumRings() == 1


# --- reference ligands (data/known_peptides.csv) == published sequences and structures ---------------------------

KNOWN = ROOT / "src" / "radiovector" / "peptides" / "data" / "known_peptides.csv"


@pytest.fixture(scope="module")
def known() -> pd.DataFrame:
    return pd.read_csv(KNOWN).set_index("id")


def _known_mol(known, pid: str) -> Chem.Mol:
    return build_peptide(known.loc[pid, "sequence"])[1]


#: Formulas the reference column cites: octreotide PubChem CID 448601; somatostatin-14 Merck Index "Somatostatin"
#: (https://www.drugfuture.com/chemdata/Somatostatin.html, C76H104N18O19S2, MW 1637.88); bombesin Sigma-Aldrich
#: B4272; c(RGDfK) BenchChem B3037604 (parent of the TFA salt); FC131 BenchChem B10817719 (parent InChI
#: C36H47N11O6); exendin-4 = exenatide C184H282N50O60S (https://lifetein.com/peptide-product/exenatide-acetate-
#: exendin4-p-16944.html, https://thebiotek.com/exenatide, average MW 4186.6).
KNOWN_FORMULA = {
    "octreotide": "C49H66N10O10S2", "somatostatin-14": "C76H104N18O19S2", "bombesin": "C71H110N24O18S",
    "cRGDfK": "C27H41N9O7", "FC131": "C36H47N11O6", "exendin-4": "C184H282N50O60S",
}


@pytest.mark.parametrize("pid", sorted(KNOWN_FORMULA))
def test_known_peptide_formula_matches_published(known, pid):
    _assert_formula(_known_mol(known, pid), KNOWN_FORMULA[pid])


def test_known_peptide_average_weights_match_published(known):
    # Merck Index somatostatin 1637.88; exenatide 4186.6 (vendor pages above)
    assert Descriptors.MolWt(_known_mol(known, "somatostatin-14")) == pytest.approx(1637.88, abs=0.1)
    assert Descriptors.MolWt(_known_mol(known, "exendin-4")) == pytest.approx(4186.6, abs=0.1)


@pytest.mark.parametrize("pid,key", [
    # BenchChem B3037604 "Cyclo(-RGDfK) Trifluoroacetate", https://www.benchchem.com/product/b3037604 (MW 717.7)
    ("cRGDfK", "WHCQIPJAWCYHFT-HXSCNMCGSA-N"),
    # BenchChem B10817719 "FC131 Tfa", https://www.benchchem.com/product/b10817719 (PubChem-computed InChI)
    ("FC131", "CJRFPYRTUCUEQI-UVHONZKJSA-N"),
])
def test_known_peptide_tfa_salt_inchikey_matches_published(known, pid, key):
    salt = Chem.CombineMols(_known_mol(known, pid), Chem.MolFromSmiles("OC(=O)C(F)(F)F"))
    assert Chem.MolToInchiKey(salt) == key


def test_known_peptides_derived_from_checked_sequences(known, example):
    seq = known["sequence"]
    # Tyr3-octreotate is the peptide of DOTATATE (checked against PubChem above)
    assert "[DOTA]-" + seq["Tyr3-octreotate"] == example.loc["DOTATATE", "sequence"]
    assert seq["octreotide"] == example.loc["octreotide", "sequence"]
    # BBN(7-14): residues 7-14 of bombesin, amide kept
    assert seq["bombesin"].endswith("-" + seq["bombesin(7-14)"])
    # exendin-4: UniProtKB/Swiss-Prot exendin-4 precursor (stored uniprot_sprot.xml; EXE4_HELSC, C6EVG1), chain
    # 48-86 with Ser-86 amide
    precursor = "MKIILWLCVFGLFLATLFPISWQMPVESGLSSEDSASSESFASKIKRHGEGTFTSDLSKQMEEEAVRLFIEWLKNGGPSSGAPPPSG"
    assert seq["exendin-4"] == "-".join(precursor[47:86]) + "-[NH2]"
    # NT(8-13): residues 8-13 of neurotensin; the whole neurotensin built from that sequence has the formula of the
    # Wikipedia "Neurotensin" infobox (PubChem 16129680): C78H121N21O20
    neurotensin = "[pGlu]-L-Y-E-N-K-P-R-R-P-Y-I-L"
    assert neurotensin.endswith(seq["neurotensin(8-13)"]) and neurotensin.split("-")[7:] == seq[
        "neurotensin(8-13)"].split("-")
    assert rdMolDescriptors.CalcMolFormula(build_peptide(neurotensin)[1]) == "C78H121N21O20"


def test_every_known_peptide_reference_says_what_it_was_checked_against(known):
    for pid, ref in known["reference"].items():
        assert "Checked:" in ref or "NOT verified" in ref, pid


# --- chelators and the candidate stage ---------------------------------------------------------------------------

def test_chelator_recognised_and_kind(scored):
    cand = scored["candidates"].set_index("candidate_id")
    assert (cand["kind"] == "peptide").all()
    for pid in ("DOTATATE", "DOTATOC", "DOTANOC", "pentixafor", "DOTA-cRGDfK"):
        assert cand.loc[pid, "chelators"] == "dota", pid
        assert cand.loc[pid, "compatibility_lu-177"] == "compatible"
    assert cand.loc["octreotide", "chelators"] == ""
    assert cand.loc["octreotide", "compatibility_lu-177"] == "no_chelator"


def test_peptide_columns(scored):
    cand = scored["candidates"].set_index("candidate_id")
    tate = cand.loc["DOTATATE"]
    assert tate["n_residues"] == 8 and tate["n_d_residues"] == 2 and tate["n_bridges"] == 1
    assert tate["sequence_canonical"] == "FCYWKTCT" and bool(tate["sequence_complete"])
    assert abs(tate["monoisotopic_mass"] - 1434.5948) < 0.01
    assert not bool(cand.loc["DOTANOC", "sequence_complete"])  # 1-Nal is non-canonical
    assert bool(cand.loc["pentixafor", "cyclic"])
    # gastrin-17's penta-Glu is the acidic stretch that drives kidney uptake of minigastrin analogues
    assert cand.loc["gastrin-17", "acidic_stretch"] == 5 and cand.loc["gastrin-17", "renal_retention"] == "moderate"
    assert cand.loc["gastrin-17", "net_charge_ph74"] < -5
    assert cand.loc["DOTATATE", "nearest_known_peptide"] == "Tyr3-octreotate"
    assert cand.loc["DOTATATE", "alignment_similarity"] == pytest.approx(1.0)
    assert cand.loc["gastrin-17", "nearest_known_peptide"] == "minigastrin-MG11"
    assert "peptide:" in tate["reason"]
    assert tate["profile"] == "peptide"


def test_sequence_properties_equal_biopython(scored):
    cand = scored["candidates"].set_index("candidate_id")
    pa = ProteinAnalysis("FCYWKTCT")
    assert cand.loc["DOTATATE", "pi_sequence"] == pytest.approx(pa.isoelectric_point(), abs=0.01)
    assert cand.loc["DOTATATE", "gravy"] == pytest.approx(pa.gravy(), abs=1e-3)
    assert cand.loc["DOTATATE", "instability_index"] == pytest.approx(pa.instability_index(), abs=0.01)


# --- protease sites ----------------------------------------------------------------------------------------------

def _sites(scored, pid):
    s = scored["cleavage_sites"]
    return s[s["candidate_id"] == pid]


def test_octreotide_sites_protected_or_constrained(scored):
    s = _sites(scored, "octreotide")
    assert (s["status"] != "open").all()
    trypsin = s[s["protease"] == "trypsin"].iloc[0]
    assert trypsin["bond"] == "Lys5-Thr6" and trypsin["status"] == "constrained"
    chymo = s[(s["protease"] == "chymotrypsin") & (s["bond"] == "Phe3-D-Trp4")].iloc[0]
    assert chymo["status"] == "protected" and "D-residue" in chymo["reason"]
    carb = s[s["protease"] == "carboxypeptidase"].iloc[0]
    assert carb["status"] == "protected"


def test_capped_terminus_and_nmethyl_protect(scored):
    tate = _sites(scored, "DOTATATE")
    amino = tate[tate["protease"] == "aminopeptidase"].iloc[0]
    assert amino["status"] == "protected" and "DOTA" in amino["reason"]
    pent = _sites(scored, "pentixafor")
    nme = pent[pent["bond"] == "D-Tyr1-NMe-D-Orn2"].iloc[0]
    assert nme["status"] == "protected" and "N-methylated" in nme["reason"]
    assert set(pent["protease"]) <= {"trypsin", "chymotrypsin", "neprilysin"}  # cyclic: no exopeptidase sites


def test_linear_minigastrin_has_open_neprilysin_sites(scored):
    mg = _sites(scored, "gastrin-17")
    nep = mg[(mg["protease"] == "neprilysin") & (mg["status"] == "open")]
    assert "Asp16-Phe17" in set(nep["bond"])  # NEP cleaves minigastrin at Asp-Phe (Nock 2014)
    carb = mg[mg["protease"] == "carboxypeptidase"].iloc[0]
    assert carb["status"] == "protected" and "NH2" in carb["reason"]


def test_dpp4_site():
    pep = parse_native("Y-A-G-F-L", load_library())
    from radiovector.peptides.stability import cleavage_sites

    dpp = [s for s in cleavage_sites(pep) if s["protease"] == "dpp4"]
    assert dpp and dpp[0]["bond"] == "Ala2-Gly3" and dpp[0]["status"] == "open"
    pep = parse_native("y-a-G-F-L", load_library())
    dpp = [s for s in cleavage_sites(pep) if s["protease"] == "dpp4"]
    assert dpp[0]["status"] == "protected"


# --- bad input ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seq,pos,words", [
    ("A-C-[Foo]-K", 5, "unknown monomer"),
    ("AC[Nal", 3, "unbalanced"),
    ("ACK)", 4, "unbalanced"),
    ("K([DOTA]", 2, "unbalanced"),
    ("A-C&1-K", 4, "impossible bridge"),
    ("C&1-A-K&1", 8, "impossible bridge"),
    ("A&1-C-C&1", 2, "impossible bridge"),
    ("", 0, "empty sequence"),
    ("AB", 2, "unknown one-letter"),
    ("[DOTA]-A-[DOTA]", 10, "starts a chain"),
    ("[D-Aib]", 1, "no stereocentre"),
    ("[NMe-Pro]", 1, "cannot be N-methylated"),
])
def test_bad_input_position_and_reason(seq, pos, words):
    with pytest.raises(NotationError) as err:
        parse_native(seq, load_library())
    assert err.value.position == pos
    assert words in err.value.reason


def test_rejects_table_counts(example):
    frame = pd.DataFrame({"id": ["ok", "unknown", "bracket", "bridge", "empty"],
                          "sequence": ["A-G", "A[Xyz]", "A[Nal", "C&1-A", ""],
                          "row_number": [1, 2, 3, 4, 5], "source": "test.csv"})
    out = score_peptides(frame, {})
    assert len(out["candidates"]) == 1
    rej = out["rejects"]
    assert list(rej.columns) == ["input", "source", "row_number", "column", "value", "reason"]
    assert list(rej["row_number"]) == [2, 3, 4, 5]
    assert rej["reason"].str.contains("position").sum() == 3
    assert (rej["column"] == "sequence").all()


def test_unknown_settings_rejected():
    with pytest.raises(ConfigError):
        score_peptides(pd.DataFrame({"id": ["a"], "sequence": ["AG"]}), {"peptides": {"bogus": 1}})
    with pytest.raises(ConfigError):
        score_peptides(pd.DataFrame({"id": ["a"], "sequence": ["AG"]}), {"peptides": {"proteases": ["pepsinx"]}})


def test_user_monomer_file(tmp_path):
    extra = tmp_path / "monomers.csv"
    extra.write_text("name,aliases,kind,smiles,cap3,analogue,flags,reference\n"
                     "Hse,homoserine,residue,[*:1]N[C@@H](CCO)C(=O)[*:2],,S,,L-homoserine\n")
    frame = pd.DataFrame({"id": ["a"], "sequence": ["A-[Hse]-[D-Hse]"]})
    out = score_peptides(frame, {"peptides": {"monomer_files": [str(extra)]}})
    assert len(out["candidates"]) == 1 and out["candidates"]["n_d_residues"].iat[0] == 1
    assert len(score_peptides(frame, {})["rejects"]) == 1


# --- io and CLI --------------------------------------------------------------------------------------------------

def test_read_fasta(tmp_path):
    fasta = tmp_path / "p.fasta"
    fasta.write_text(">tate target=SSTR2 nuclide=Lu-177\n[DOTA]-f-C&1-Y-w-K-\nT-C&1-T\n>bad nuclide=Lutetium\nAG\n"
                     ">rgd\ncyclo(RGDfK)\n")
    accepted, rejects, rows_in = read_peptides(fasta)
    assert rows_in == 3 and len(accepted) == 2 and len(rejects) == 1
    assert accepted["sequence"].iat[0] == "[DOTA]-f-C&1-Y-w-K-T-C&1-T"
    assert list(accepted["row_number"]) == [1, 6] and rejects["row_number"].iat[0] == 4


def test_cli_scores_peptide_csv(tmp_path):
    from typer.testing import CliRunner

    from radiovector.cli import app

    result = CliRunner().invoke(app, ["score-candidates", str(PEPTIDES), "-n", "Lu-177", "-o", str(tmp_path / "o"),
                                      "--no-plots"])
    assert result.exit_code == 0, result.output
    cand = pd.read_parquet(tmp_path / "o" / "candidates.parquet")
    assert len(cand) == len(pd.read_csv(PEPTIDES)) and (cand["kind"] == "peptide").all()
    assert (tmp_path / "o" / "cleavage_sites.parquet").is_file()


# --- fast path == plain path -------------------------------------------------------------------------------------

def _random_peptides(n: int, seed: int) -> pd.DataFrame:
    import random

    rng = random.Random(seed)
    rows = []
    for k in range(n):
        units = [rng.choice(["A", "K", "R", "E", "D", "F", "y", "w", "[Nal]", "[NMe-Phe]", "[Orn]", "H", "S"])
                 for _ in range(rng.randint(4, 10))]
        if k % 2:
            units[0], units[-1] = "C&1", "C&1"
        head = rng.choice(["[DOTA]-", "[NOTA]-", "[NODAGA]-", "[Ac]-", ""])
        rows.append({"id": f"r{k}", "sequence": head + "-".join(units) + rng.choice(["", "-[NH2]"])})
    rows.append({"id": "cyc", "sequence": "cyclo(R-G-D-f-K([DOTAGA]))"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("which", ["example", "random"])
def test_fast_path_equals_plain_path(example, which):
    frame = example.reset_index() if which == "example" else _random_peptides(40, seed=7)
    params = {"nuclides": ["Lu-177", "Ga-68"]}
    fast, plain = score_peptides(frame, params), score_peptides(frame, params, fast=False)
    assert set(fast) == set(plain)
    for key in fast:
        pd.testing.assert_frame_equal(fast[key].drop(columns="mol", errors="ignore"),
                                      plain[key].drop(columns="mol", errors="ignore"))


def test_cached_templates_build_the_same_molecule(example):
    for seq in [*example["sequence"], *_random_peptides(20, seed=3)["sequence"]]:
        a, b = build_peptide(seq)[1], build_peptide(seq, cache=False)[1]
        assert Chem.MolToSmiles(a) == Chem.MolToSmiles(b)
        assert [x.GetAtomicNum() for x in a.GetAtoms()] == [x.GetAtomicNum() for x in b.GetAtoms()]


def _clusters_by_distance_matrix(mol):
    """The definition, by brute force: chelator nitrogens at most 4 bonds apart are one cluster."""
    from radiovector.candidates.ionisable import CHELATOR_N_MAX_BONDS, patterns

    nitrogens = sorted({m[0] for m in mol.GetSubstructMatches(patterns()[1])})
    dist = Chem.GetDistanceMatrix(mol)
    clusters: list[set[int]] = []
    for n in nitrogens:
        joined = [c for c in clusters if any(dist[n][m] <= CHELATOR_N_MAX_BONDS for m in c)]
        merged = {n}.union(*joined)
        clusters = [c for c in clusters if c not in joined] + [merged]
    ring = mol.GetRingInfo()
    return sorted((all(ring.NumAtomRings(i) > 0 for i in c), sorted(c)) for c in clusters)


def test_bfs_nitrogen_clusters_match_the_distance_definition(example):
    from radiovector.candidates.ionisable import chelator_nitrogen_clusters

    mols = [mol_of(example, pid) for pid in example.index]
    mols += [build_peptide(s)[1] for s in _random_peptides(20, seed=5)["sequence"]]
    mols += [Chem.MolFromSmiles(s) for s in pd.read_csv(CANDIDATES)["smiles"]]
    mols.append(Chem.MolFromSmiles("OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"))  # DTPA: acyclic, 3 N
    for mol in mols:
        assert sorted(chelator_nitrogen_clusters(mol)) == _clusters_by_distance_matrix(mol)


def test_peptide_only_results_follow_the_table_contracts(scored):
    """A run with peptides alone writes candidates without the small-molecule profile's terms: still valid."""
    from radiovector.contracts import conform

    for name in ("candidates", "candidate_nuclides", "cleavage_sites", "rejects"):
        conform(name, scored[name])
