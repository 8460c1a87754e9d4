"""Candidate inputs (.smi, .sdf, CSV) and the score-candidates / train-affinity commands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from conftest import command_app
from rdkit import Chem
from typer.testing import CliRunner

from radiovector.candidates.io import read_candidates
from radiovector.cli import candidates as cli_candidates
from radiovector.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "example" / "candidates.csv"


@pytest.fixture
def app() -> typer.Typer:
    return command_app(cli_candidates)


def test_read_smi_keeps_line_numbers(tmp_path):
    path = tmp_path / "x.smi"
    path.write_text("smiles id\nCCO ethanol\n\n# comment\nC1CC broken\n")
    accepted, rejects, rows_in = read_candidates(path)
    assert rows_in == 2 and accepted["row_number"].tolist() == [2, 5] and len(rejects) == 0


def test_read_sdf_rejects_bad_record_with_rdkit_reason(tmp_path):
    path = tmp_path / "x.sdf"
    writer = Chem.SDWriter(str(path))
    for smi, name in (("CCO", "ethanol"), ("c1ccccc1", "benzene")):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", name)
        writer.write(mol)
    writer.close()
    # a record with a hexavalent carbon, written without sanitisation
    bad = Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False)
    bad.UpdatePropertyCache(strict=False)
    bad.SetProp("_Name", "hexavalent")
    with open(path, "a") as handle:
        handle.write(Chem.MolToMolBlock(bad, kekulize=False) + "$$$$\n")
    accepted, rejects, rows_in = read_candidates(path)
    assert accepted["id"].tolist() == ["ethanol", "benzene"]
    lines = path.read_text().splitlines()
    assert rows_in == 3 and len(rejects) == 1 and rejects["row_number"].iat[0] == lines.index("hexavalent") + 1
    assert [lines[n - 1] for n in accepted["row_number"]] == ["ethanol", "benzene"]  # the records' title lines
    assert "valence" in rejects["reason"].iat[0].lower()


def test_csv_without_id_column_is_an_input_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("smiles,x\nCCO,1\n")
    with pytest.raises(InputError, match="id"):
        read_candidates(path)


def test_csv_schema_rejects_keep_row_numbers(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,smiles,nuclide\na,CCO,Lu-177\nb,CCN,lutetium\n")
    accepted, rejects, rows_in = read_candidates(path)
    assert rows_in == 2 and len(accepted) == 1 and rejects["row_number"].tolist() == [3]  # line 3 of the file


def test_score_candidates_command(app, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["score-candidates", str(EXAMPLE), "-n", "Lu-177", "-n", "Ga-68", "-o", str(out)])
    assert result.exit_code == 0, result.output
    cand = pd.read_parquet(out / "candidates.parquet")
    assert len(cand) == 6 and "compatibility_lu-177" in cand.columns
    assert (out / "candidate_top_structures.png").stat().st_size > 0
    assert (out / "candidate_pareto.png").is_file() and (out / "rejects.parquet").is_file()
    assert "PSMA-617" in result.output


def test_score_candidates_single_parquet_output(app, tmp_path):
    out = tmp_path / "scored.parquet"
    result = CliRunner().invoke(app, ["score-candidates", str(EXAMPLE), "-o", str(out), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "scored.nuclides.parquet").is_file()


def test_train_affinity_command(app, tmp_path):
    data = pd.read_csv(ROOT / "resources" / "example" / "affinity_CHEMBL4203.csv").iloc[:60]
    src = tmp_path / "acts.csv"
    data.rename(columns={"pki": "my_value"}).to_csv(src, index=False)
    model = tmp_path / "m.joblib"
    result = CliRunner().invoke(
        app, ["train-affinity", str(src), "-o", str(model), "--value-column", "my_value", "--folds", "2"]
    )
    assert result.exit_code == 0, result.output
    assert model.is_file() and (tmp_path / "m.joblib.json").is_file()
    assert "scaffold" in result.output and "selected by scaffold" in result.output.replace("\n", " ")
    out = tmp_path / "scored.parquet"
    result = CliRunner().invoke(
        app,
        ["score-candidates", str(EXAMPLE), "-o", str(out), "--no-plots", "--model", str(model), "--interval", "0.8"],
    )
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    assert (scored["paffinity_low"] < scored["paffinity_high"]).all()
    bad = CliRunner().invoke(app, ["score-candidates", str(EXAMPLE), "-o", str(out), "--interval", "90"])
    assert bad.exit_code != 0 and "--interval" in str(bad.exception)
