"""Input-table validation: types, constraints, rejects and the rows-in = accepted + rejected invariant."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from radiovector.errors import InputError
from radiovector.io.tables import TableSchema, load_input, read_raw_table, sha256_file, validate_table
from radiovector.paths import schema_dir

BIODIST = TableSchema.load("biodistribution")


def _frame(rows: list[dict[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)


GOOD = {
    "compound": "X",
    "radionuclide": "Lu-177",
    "organ": "kidney",
    "time_h": "24",
    "value": "3.5",
    "unit": "%ID/g",
    "decay_corrected": "true",
}


@pytest.mark.parametrize("path", sorted((schema_dir() / "tables").glob("*.schema.yaml")), ids=lambda p: p.name)
def test_every_table_schema_loads(path: Path) -> None:
    schema = TableSchema.from_dict(yaml.safe_load(path.read_text()), path.name.removesuffix(".schema.yaml"))
    assert set(schema.required) <= set(schema.columns)


def test_valid_rows_are_typed() -> None:
    result = validate_table(_frame([GOOD]), BIODIST, "biodistribution", "mem.csv")
    assert result.rows_rejected == 0
    row = result.accepted.iloc[0]
    assert row["time_h"] == 24.0 and row["value"] == 3.5 and bool(row["decay_corrected"]) is True


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("time_h", "-1", "below minimum 0"),
        ("time_h", "abc", "not a number"),
        ("value", "inf", "not a number"),
        ("unit", "mCi", "not one of"),
        ("radionuclide", "Lutetium", "does not match pattern"),
        ("decay_corrected", "maybe", "not a boolean"),
        ("organ", None, "missing value"),
    ],
)
def test_bad_cells_are_rejected_with_reason(column: str, value: str | None, reason: str) -> None:
    bad = dict(GOOD, **{column: value})
    result = validate_table(_frame([GOOD, bad, GOOD]), BIODIST, "biodistribution", "mem.csv")
    assert result.rows_accepted == 2 and result.rows_rejected == 1
    reject = result.rejects.iloc[0]
    assert reject["row_number"] == 3  # the line the row would have in a CSV file with a header (line 1)
    assert reject["column"] == column
    assert reason in reject["reason"]
    assert reject["source"] == "mem.csv"


def test_several_bad_columns_give_one_reject_naming_all() -> None:
    bad = dict(GOOD, time_h="x", unit="mCi")
    result = validate_table(_frame([bad]), BIODIST, "biodistribution", "mem.csv")
    assert result.rows_rejected == 1
    assert result.rejects.iloc[0]["column"] == "time_h;unit"


def test_missing_column_names_file_and_suggests(tmp_path: Path) -> None:
    path = tmp_path / "bio.csv"
    pd.DataFrame([GOOD]).rename(columns={"time_h": "time_hr"}).to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        load_input(path, "biodistribution")
    text = str(info.value)
    assert str(path) in text and "'time_h'" in text and "did you mean 'time_hr'" in text


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_raw_table(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    with pytest.raises(InputError, match=r"bin\.csv is UTF-16 text, not UTF-8"):
        read_raw_table(binary)


def test_sha256_matches_known_digest(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    # FIPS 180-2, appendix B.1: SHA-256("abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


cell = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["1", "-2", "3.5", "true", "%ID/g", "Lu-177"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({k: cell for k in GOOD}), max_size=25))
def test_rows_in_equals_accepted_plus_rejected(rows: list[dict[str, str | None]]) -> None:
    frame = _frame(rows) if rows else pd.DataFrame(columns=list(GOOD), dtype=object)
    result = validate_table(frame, BIODIST, "biodistribution", "mem.csv")
    assert result.rows_in == len(rows) == result.rows_accepted + result.rows_rejected
    assert result.rejects["row_number"].is_unique


def test_reject_helpers_give_one_typed_row_per_rejected_input_row():
    """Every stage builds its rejects with these helpers: same columns and types, one row per input row."""
    from radiovector.io.tables import REJECTS_SCHEMA, reject, reject_rows, rejects_frame

    empty = rejects_frame()
    assert list(empty.columns) == REJECTS_SCHEMA.names and empty["row_number"].dtype == "int64" and not len(empty)
    one = reject("candidates", "in.csv", 3, "smiles", "", "empty structure")
    assert one["value"] == "''" and one["row_number"] == 3  # repr keeps a blank visible
    many = reject_rows("biodistribution", "bd.csv", [5, 9], "unit", ["%ID/g", None], "unit mismatch")
    assert many["value"].tolist() == ["'%ID/g'", "None"] and many["row_number"].tolist() == [5, 9]
    same = reject_rows("x", "y", [1, 2, 3], "c", 7, ["a", "b", "c"], quote=False)
    assert same["value"].tolist() == ["7", "7", "7"] and same["reason"].tolist() == ["a", "b", "c"]
    cut = pd.Series(["ENSG1", "ENSG2"], index=[40, 41])  # rows cut from a bigger frame keep their labels
    assert reject_rows("x", "y", cut.index + 1, "gene", cut, pd.Series(["a", "b"], index=[7, 8]))[
        ["value", "reason"]
    ].values.tolist() == [["'ENSG1'", "a"], ["'ENSG2'", "b"]]
    combined = rejects_frame(pd.concat([rejects_frame([one]), many], ignore_index=True))
    assert len(combined) == 3 and combined["row_number"].dtype == "int64"
