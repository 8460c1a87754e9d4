"""The workflow's reader of the candidates and peptides inputs (radiovector.candidates.io.read_structure_input):
the score-candidates readers, laid out as the ingest step stores a table input, with file line/record numbers."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO
from rdkit import Chem
from structure_files import write_sdf

from radiovector.candidates.io import read_structure_input
from radiovector.errors import InputError
from radiovector.io.tables import TableSchema, read_raw_table, validate_table

EXAMPLE = REPO / "resources" / "example"


@pytest.mark.parametrize("name", ["candidates.sdf", "candidates.sdf.gz"])
def test_sdf_records_numbered_and_laid_out_like_a_table(tmp_path: Path, name: str) -> None:
    table = pd.read_csv(EXAMPLE / "candidates.csv", dtype=str, keep_default_na=False)
    path = tmp_path / name
    write_sdf(path, table, bad_at=3)
    result = read_structure_input("candidates", path)
    assert result.rows_in == 7 and result.rows_accepted == 6 and result.rows_rejected == 1
    lines = (gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()).decode().splitlines()
    assert result.rejects[["input", "source", "column"]].iloc[0].tolist() == ["candidates", str(path), "molblock"]
    assert lines[result.rejects["row_number"].iat[0] - 1] == "hexavalent"  # the line of the record's title
    accepted = result.accepted
    assert accepted["id"].tolist() == table["id"].tolist()
    assert [lines[n - 1] for n in accepted["row_number"]] == table["id"].tolist()  # title lines in the file
    assert accepted["target"].tolist() == table["target"].tolist()
    csv = read_structure_input("candidates", EXAMPLE / "candidates.csv").accepted
    assert set(accepted.columns) == set(csv.columns) and accepted.columns[-1] == "row_number"
    assert accepted["row_number"].dtype == "int64"
    same = [Chem.CanonSmiles(s) for s in table["smiles"]]
    assert [Chem.CanonSmiles(s) for s in accepted["smiles"]] == same


def test_smiles_lines_numbered(tmp_path: Path) -> None:
    path = tmp_path / "c.smi"
    path.write_text("smiles id\nCCO ethanol\n\n# a comment\nc1ccccc1 benzene\nCCN\n")
    result = read_structure_input("candidates", path)
    assert result.accepted["id"].tolist() == ["ethanol", "benzene", "c:6"]
    assert result.accepted["row_number"].tolist() == [2, 5, 6] and result.rows_in == 3


def test_fasta_records_numbered_by_header_line(tmp_path: Path) -> None:
    path = tmp_path / "p.fa"
    path.write_text(
        ">tate target=SSTR2 nuclide=Lu-177\n[DOTA]-f-C&1-Y-w-K-\nT-C&1-T\n>empty\n>rgd target=ITGAV\ncyclo(RGDfK)\n"
    )
    result = read_structure_input("peptides", path)
    assert result.rows_in == 3 and result.accepted["id"].tolist() == ["tate", "rgd"]
    assert result.accepted["row_number"].tolist() == [1, 5]
    assert result.accepted["sequence"].iat[0] == "[DOTA]-f-C&1-Y-w-K-T-C&1-T"
    assert result.rejects["row_number"].tolist() == [4] and "sequence" in result.rejects["column"].iat[0]
    assert list(result.accepted.columns[:2]) == ["id", "sequence"] and result.accepted.columns[-1] == "row_number"


@pytest.mark.parametrize("name", ["candidates", "peptides"])
def test_tables_read_exactly_as_the_table_ingest_reads_them(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.csv"
    shutil.copyfile(EXAMPLE / f"{name}.csv", path)
    n_columns = len(path.read_text().splitlines()[0].split(","))
    with path.open("a") as handle:  # one row that fails its schema (no structure)
        handle.write("bad" + "," * (n_columns - 1) + "\n")
    schema = TableSchema.load(name)
    expected = validate_table(read_raw_table(path), schema, name, str(path), with_row_number=True)
    got = read_structure_input(name, path, schema)
    pd.testing.assert_frame_equal(got.accepted, expected.accepted)
    pd.testing.assert_frame_equal(got.rejects, expected.rejects)
    assert got.rows_in == expected.rows_in and got.rows_rejected == 1


def test_header_only_table_keeps_the_schema_columns(tmp_path: Path) -> None:
    path = tmp_path / "none.csv"
    path.write_text("id,smiles\n")
    result = read_structure_input("candidates", path)
    assert result.rows_in == 0 and {"id", "smiles", "target", "nuclide", "row_number"} <= set(result.accepted)


def test_empty_sdf_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "none.sdf"
    path.write_text("")
    with pytest.raises(InputError, match=r"SD file .*none\.sdf is empty"):
        read_structure_input("candidates", path)


def test_only_structure_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="biodistribution"):
        read_structure_input("biodistribution", tmp_path / "x.csv")
