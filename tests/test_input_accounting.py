"""Issue 18 (inputs): every reject names its file and the file's own line (header = line 1) in every path (the
table reader, the format readers, the single-stage commands and the workflow's ingest parquet); the inputs table
counts the rows every stage rejected, so rows in = accepted + rejected end to end; duplicate ids become rejects (the
first kept); an unreadable file is one clear error naming the file, what is wrong and how to fix it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import EXAMPLE_CONFIG, REPO, TEST_CONFIG, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from structure_files import write_fasta, write_sdf

from radiovector.candidates.combine import combine_candidate_results
from radiovector.candidates.io import read_structure_input
from radiovector.candidates.stage import score_candidates
from radiovector.contracts import write_table
from radiovector.errors import InputError, InvariantError
from radiovector.io.tables import (
    TableSchema,
    account_inputs,
    input_summary,
    load_input,
    read_raw_table,
    validate_table,
    write_ingested,
)
from radiovector.peptides.monomers import load_library
from radiovector.peptides.stage import score_peptides
from radiovector.pk.stage import fit_biodistribution
from radiovector.targets.ingest import read_normal, read_sample_matrix, read_sample_sheet, read_surface
from radiovector.targets.pipeline import rank_targets_from_files

TEST_DATA = TEST_CONFIG.parents[1] / "data"


def _line_of(path: Path, token: str) -> int:
    """The 1-based line of ``path`` on which ``token`` first appears (the oracle the readers are checked against)."""
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    return next(n for n, line in enumerate(text.split("\n"), start=1) if token in line)


# ----------------------------------------------------------------------------------------------- line numbers
blank_line = st.sampled_from(["", "  ", "\t ", " \t"])  # with LF or CRLF line ends
cell = st.text(alphabet='ab ,"\n\t;', max_size=5)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(st.lists(blank_line, max_size=2), cell), min_size=1, max_size=12),
    sep=st.sampled_from([",", "\t"]),
    crlf=st.booleans(),
    leading_blanks=st.lists(blank_line, max_size=2),
)
def test_rows_are_numbered_by_the_line_they_start_on(tmp_path_factory, rows, sep, crlf, leading_blanks) -> None:
    """Blank lines are skipped but counted; a quoted field with line breaks counts every line it spans. The
    expected line of each row is counted while the file is written."""
    end = "\r\n" if crlf else "\n"
    blanks = [b for b in leading_blanks if not (sep == "\t" and "\t" in b)]
    text, line, expected = "".join(b + end for b in blanks) + f"id{sep}note{end}", len(blanks) + 2, []
    for i, (before, note) in enumerate(rows):
        for b in before:
            if sep == "\t" and "\t" in b:  # a tab is the separator in a TSV: such a line is a row, not blank
                continue
            text += b + end
            line += 1
        quoted = '"' + note.replace('"', '""').replace("\n", end) + '"'
        text += f"r{i}{sep}{quoted}{end}"
        expected.append(line)
        line += 1 + note.count("\n")
    path = tmp_path_factory.mktemp("lines") / ("t.tsv" if sep == "\t" else "t.csv")
    path.write_bytes(text.encode())
    frame = read_raw_table(path)
    assert frame["id"].tolist() == [f"r{i}" for i in range(len(rows))]
    assert frame.index.tolist() == expected


def test_old_mac_line_ends_and_quoted_breaks(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b'id,note\r\ra,"x\ry"\rb,z\r')
    assert read_raw_table(path).index.tolist() == [3, 5]


def test_table_rejects_carry_the_file_line(tmp_path: Path) -> None:
    path = tmp_path / "bio.csv"
    good = "X,Lu-177,kidney,{t},3.5,%ID/g,true"
    path.write_text(
        "compound,radionuclide,organ,time_h,value,unit,decay_corrected\n"
        + good.format(t=1)
        + "\n\n   \n"
        + '"X, with a\nline break",Lu-177,kidney,2,3.5,%ID/g,true\n'
        + good.format(t="BAD")
        + "\n"
    )
    result = load_input(path, "biodistribution")
    assert result.rejects[["source", "row_number", "column"]].values.tolist() == [[str(path), 7, "time_h"]]
    assert result.accepted["row_number"].tolist() == [2, 5]
    assert _line_of(path, "BAD") == 7


def test_fit_pk_command_reports_the_file_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``radiovector fit-pk`` alone numbered the stage's rejects by position among the accepted rows (the issue saw
    rows 2, 16, 3, 17 for file lines 7, 21, 8, 22)."""
    rows = (TEST_DATA / "biodistribution.csv").read_text().splitlines()
    odd = "Ghost,Lu-999,mouse,none,kidney,{t},1.0,%ID/g,,,true"
    path = tmp_path / "bio.csv"
    path.write_text(
        "\n".join(
            [
                rows[0],
                rows[1],
                "",
                rows[2].replace(",24,", ",-1,"),
                *rows[3:8],
                odd.format(t=2),
                "",
                odd.format(t=24),
                *rows[8:],
            ]
        )
        + "\n"
    )
    code, _, err = run_cli(
        ["fit-pk", str(path), "-o", str(tmp_path / "out"), "--bootstrap", "10", "--no-plots"], capsys
    )
    assert code == 0, err
    rejects = pd.read_parquet(tmp_path / "out" / "rejects.parquet").sort_values("row_number")
    text = path.read_text().split("\n")
    assert rejects["source"].unique().tolist() == [str(path)]
    assert rejects["row_number"].tolist() == [4, _line_of(path, "Ghost"), _line_of(path, "Ghost") + 2]
    assert ",-1," in text[3] and all("Ghost" in text[n - 1] for n in rejects["row_number"].iloc[1:])


def test_wide_normal_matrix_rejects_name_the_gene_line(tmp_path: Path) -> None:
    """A wide HPA-style matrix is melted to long rows: each value keeps its gene's line (the issue saw row 27 of a
    7-line file)."""
    path = tmp_path / "normal.tsv"
    genes = [f"ENSG{n:011d}" for n in range(1, 6)]
    lines = ["GeneID\tkidney\tliver\tsalivary_gland"] + [f"{g}\t1\t2\t3" for g in genes]
    lines[4] = f"{genes[3]}\t1\t\t3"  # line 5: no liver value
    lines.append(f"{genes[0]}\t9\t9\t9")  # line 7: the first gene again
    path.write_text("\n".join(lines) + "\n")
    table, rejects = read_normal(path)
    got = rejects[["row_number", "column", "reason"]].values.tolist()
    assert [r[:2] for r in got] == [
        [5, "ntpm"],
        [7, "ensembl_gene;tissue"],
        [7, "ensembl_gene;tissue"],
        [7, "ensembl_gene;tissue"],
    ]
    assert len(path.read_text().splitlines()) == 7 and set(rejects["source"]) == {str(path)}
    assert len(table) == 5 * 3 - 1


def test_surfaceome_with_several_ids_keeps_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "surfy.tsv"
    path.write_text(
        "uniprot\tgene_symbol\tensembl_gene\tentrez_id\tsurfaceome_label\tml_score\n"
        "P1\tAAA\tENSG00000000001;ENSG00000000002;bad-id\t1\tsurface\t0.9\n"
        "P2\tBBB\tENSG00000000003\t2\tsurface\t1.5\n"
    )
    _, rejects = read_surface(path)
    assert rejects[["row_number", "column"]].values.tolist() == [[2, "ensembl_gene"], [3, "ml_score"]]


def test_sample_matrix_long_layout_names_the_line_of_the_value(tmp_path: Path) -> None:
    path = tmp_path / "long.tsv"
    path.write_text(
        "gene_id\tsample_id\tvalue\nENSG00000000001\tS1\t1\nENSG00000000001\tS2\t2\n\n"
        "ENSG00000000002\tS1\t3\nENSG00000000002\tS2\t-4\n"
    )
    _, genes, _, rejects = read_sample_matrix(path)
    assert genes["ensembl_gene"].tolist() == ["ENSG00000000001"]
    assert rejects[["row_number", "column"]].values.tolist() == [[6, "S2"]]


def _ingest(name: str, path: Path, workdir: Path) -> tuple[dict, pd.DataFrame]:
    """What the workflow's ingest rule does (scripts/ingest.py, scripts/ingest_structures.py)."""
    schema = TableSchema.load(name)
    if name in ("candidates", "peptides"):
        result = read_structure_input(name, path, schema)
    else:
        result = validate_table(read_raw_table(path), schema, name, str(path), with_row_number=True)
    write_ingested(result.accepted, workdir / f"{name}.parquet", name, path)
    return input_summary(name, path, result), result.rejects


def test_targets_stage_rejects_name_the_original_file_and_line(tmp_path: Path) -> None:
    """In the workflow the targets stage reads the ingest step's parquet: its rejects still name the input file
    and its lines (they named the stage, and positions among the accepted rows)."""
    rows = gzip.decompress((TEST_DATA / "tumour_expression.tsv.gz").read_bytes()).decode().splitlines()
    tumour = tmp_path / "tumour.tsv"
    tumour.write_text("\n".join([*rows[:20], "", rows[5]]) + "\n")  # line 22 repeats line 6
    _ingest("tumour_expression", tumour, tmp_path)
    result = rank_targets_from_files(
        tmp_path / "tumour_expression.parquet", TEST_DATA / "normal_expression.tsv.gz", [TEST_DATA / "surfaceome.tsv"]
    )
    rejects = result["rejects"]
    mine = rejects[rejects["input"] == "tumour_expression"]
    assert mine[["source", "row_number"]].values.tolist() == [[str(tumour), 22]]
    assert "duplicate gene" in mine["reason"].iat[0] and tumour.read_text().split("\n")[21] == rows[5]


# ------------------------------------------------------------------------------------------------- accounting
def test_inputs_count_every_stage_reject_over_the_example(tmp_path: Path) -> None:
    """The example run (config/config.yaml) stage by stage as the workflow wires it: for every input file the
    rows in = accepted + rejected, where rejected counts the distinct lines that ingestion or any stage set aside
    (the tumour_expression summary said 0 rejected while the targets stage had rejected 6 of its rows)."""
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    paths = {name: (EXAMPLE_CONFIG.parent / p).resolve() for name, p in config["inputs"].items()}
    summaries, rejects = {}, []
    for name, path in paths.items():
        summaries[name], ingest_rejects = _ingest(name, path, tmp_path)
        rejects.append(ingest_rejects)
    ingested = {name: tmp_path / f"{name}.parquet" for name in paths}
    targets = rank_targets_from_files(
        ingested["tumour_expression"],
        ingested["normal_expression"],
        [ingested["surfaceome"], ingested["cspa"]],
        config["targets"],
    )
    candidates = combine_candidate_results(
        score_candidates(
            pd.read_parquet(ingested["candidates"]).assign(source=str(paths["candidates"])), config["candidates"]
        ),
        score_peptides(
            pd.read_parquet(ingested["peptides"]).assign(source=str(paths["peptides"])), config["candidates"]
        ),
    )
    pk = fit_biodistribution(
        pd.read_parquet(ingested["biodistribution"]),
        {**config["pk"], "n_bootstrap": 10, "source": str(paths["biodistribution"])},
    )
    every = pd.concat(
        [r for r in (*rejects, targets["rejects"], candidates["rejects"], pk["rejects"]) if len(r)], ignore_index=True
    )
    inputs = account_inputs(summaries, every)
    for name, row in inputs.items():
        mine = every[every["input"] == name]
        assert set(mine["source"]) <= {str(paths[name])}, name  # every reject of an input names its file
        assert row["rows_in"] == row["rows_accepted"] + row["rows_rejected"], name
        assert row["rows_rejected"] == mine["row_number"].nunique() >= summaries[name]["rows_rejected"], name
        text_lines = len(read_raw_table(paths[name]).index) if name not in ("candidates", "peptides") else None
        assert text_lines is None or mine["row_number"].between(2, read_raw_table(paths[name]).index.max()).all()
    stage_only = targets["rejects"][targets["rejects"]["input"] == "tumour_expression"]
    assert summaries["tumour_expression"]["rows_rejected"] == 0 and len(stage_only) > 0
    assert inputs["tumour_expression"]["rows_rejected"] == stage_only["row_number"].nunique()


def test_accounting_refuses_rejects_that_do_not_add_up() -> None:
    summary = {"input": "x", "path": "/d/x.csv", "rows_in": 2, "rows_accepted": 2, "rows_rejected": 0}
    rejects = pd.DataFrame(
        {"input": "x", "source": "/d/x.csv", "row_number": [2, 3, 4], "column": "c", "value": "v", "reason": "r"}
    )
    with pytest.raises(InvariantError, match="3 distinct rejected lines"):
        account_inputs({"x": summary}, rejects)
    counted = account_inputs({"x": summary}, rejects.iloc[[0, 0]])["x"]  # a line rejected twice counts once
    assert (counted["rows_accepted"], counted["rows_rejected"]) == (1, 1)


# ------------------------------------------------------------------------------------------------- duplicates
@pytest.mark.parametrize("fmt", ["csv", "smi", "sdf", "fasta", "peptides.csv"])
def test_duplicate_ids_become_rejects_keeping_the_first(tmp_path: Path, fmt: str) -> None:
    candidates = pd.read_csv(TEST_DATA / "candidates.csv", dtype=str, keep_default_na=False).iloc[:3]
    peptides = pd.read_csv(TEST_DATA / "peptides.csv", dtype=str, keep_default_na=False).iloc[:3]
    if fmt in ("fasta", "peptides.csv"):
        rows = pd.concat([peptides, peptides.iloc[[0]].assign(sequence="G-G-G")], ignore_index=True)
        name, first = "peptides", rows["id"].iat[0]
    else:
        rows = pd.concat([candidates, candidates.iloc[[0]].assign(smiles="CCO")], ignore_index=True)
        name, first = "candidates", rows["id"].iat[0]
    path = tmp_path / f"in.{fmt}"
    if fmt == "sdf":
        write_sdf(path, rows)
    elif fmt == "fasta":
        write_fasta(path, rows)
    elif fmt == "smi":
        path.write_text("".join(f"{s} {i}\n" for s, i in zip(rows["smiles"], rows["id"], strict=True)))
    else:
        rows.to_csv(path, index=False)
    result = read_structure_input(name, path)
    assert result.rows_in == 4 and result.rows_accepted == 3 and result.rows_rejected == 1
    assert result.accepted["id"].tolist() == rows["id"].iloc[:3].tolist()  # the first occurrence kept
    reject = result.rejects.iloc[0]
    text = path.read_text().split("\n")
    first_line = int(result.accepted["row_number"].iat[0])
    assert reject["source"] == str(path) and reject["column"] == "id" and first in text[reject["row_number"] - 1]
    assert f"duplicate id {first!r}: line {first_line} has it already" in reject["reason"]


def test_duplicate_ids_in_the_default_inputs_do_not_stop_the_candidate_stage(tmp_path: Path) -> None:
    """The workflow's candidate stage on the example inputs with a repeated peptide row and a candidate id reused
    for another structure: the tables are written (a repeated peptide broke the cleavage_sites key)."""
    example = REPO / "resources" / "example"
    peptides = tmp_path / "peptides.csv"
    peptides.write_text(
        example.joinpath("peptides.csv").read_text()
        + example.joinpath("peptides.csv").read_text().splitlines()[1]
        + "\n"
    )
    candidates = tmp_path / "candidates.csv"
    first_id = example.joinpath("candidates.csv").read_text().splitlines()[1].split(",")[0]
    candidates.write_text(example.joinpath("candidates.csv").read_text() + f"{first_id},CCO,,,\n")
    parts = []
    for name, path, score in (("candidates", candidates, score_candidates), ("peptides", peptides, score_peptides)):
        result = read_structure_input(name, path)
        assert result.rows_rejected == 1 and result.rejects["row_number"].iat[0] == len(path.read_text().splitlines())
        parts.append(score(result.accepted.assign(source=str(path)), {"nuclides": ["Lu-177"]}))
    for name, table in combine_candidate_results(*parts).items():
        write_table(name, table, tmp_path / f"{name}.parquet")  # each table's key holds


def test_score_candidates_command_reports_duplicate_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.smi"
    path.write_text("CCO a\nCCN a\n\nCCC b\n")
    code, out, err = run_cli(["score-candidates", str(path), "-o", str(tmp_path / "out.parquet"), "--no-plots"], capsys)
    assert code == 0, err
    rejects = pd.read_parquet(tmp_path / "out.rejects.parquet")
    assert rejects[["row_number", "column"]].values.tolist() == [[2, "id"]] and "1 rejects" in out + err
    scored = pd.read_parquet(tmp_path / "out.parquet").set_index("candidate_id")
    assert sorted(scored.index) == ["a", "b"] and scored.loc["a", "input_smiles"] == "CCO"  # the first kept


def test_sample_sheet_duplicate_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("sample_id,sample_type,tumour_type\nS1,tumour,PRAD\nS2,normal,\nS1,normal,\n")
    sheet, rejects = read_sample_sheet(path)
    assert sheet["sample_id"].tolist() == ["S1", "S2"] and sheet["sample_type"].iat[0] == "tumour"
    assert rejects[["row_number", "column"]].values.tolist() == [[4, "sample_id"]]
    assert "line 2 has it already" in rejects["reason"].iat[0]


# ------------------------------------------------------------------------------------------- unreadable files
UNREADABLE = {
    "empty": (b"", "is empty"),
    "blank": (b"\n  \n", "is empty (only white space)"),
    "binary": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)), "is not a text file"),
    "latin1": ("id,smiles,reference\nm1,CCO,Caf\u00e9\n".encode("latin-1"), "is not UTF-8 text: byte 0xe9 at line 2"),
    "utf16": ("id,smiles\nm1,CCO\n".encode("utf-16"), "is UTF-16 text, not UTF-8"),
}


@pytest.mark.parametrize("suffix", [".csv", ".smi", ".fasta", ".sdf", ".tsv"])
@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_unreadable_structure_files_are_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, suffix: str
) -> None:
    data, message = UNREADABLE[kind]
    if kind == "latin1" and suffix != ".csv":
        data = {".smi": b"CCO caf\xe9\n", ".fasta": b">caf\xe9\nGGG\n", ".sdf": b"caf\xe9\n", ".tsv": b"id\xe9\n"}[
            suffix
        ]
        message = "is not UTF-8 text: byte 0xe9 at line 1"
    path = tmp_path / f"in{suffix}"
    path.write_bytes(data)
    code, _, err = run_cli(["score-candidates", str(path), "-o", str(tmp_path / "out")], capsys)
    assert code == 1 and "Traceback" not in err
    assert str(path) in err and message in err and "hint:" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "line"), [("id,smiles\n\na,CCO,extra\nb,CCN\n", 3), ("id,smiles\na,CCO\n\nb,CCN,x\n", 4)]
)
def test_a_row_with_more_fields_than_the_header_is_one_clear_error(tmp_path: Path, text: str, line: int) -> None:
    """Extra fields are never dropped or taken as an index (pandas does either, silently, when the first data row
    has one more field than the header)."""
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=rf"c\.csv: .*line {line}.*(more fields than the header|saw 3)"):
        read_raw_table(path)


def test_truncated_gzip_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.csv.gz"
    path.write_bytes(gzip.compress(b"id,smiles\n" + b"m1,CCO\n" * 1000)[:40])
    code, _, err = run_cli(["score-candidates", str(path), "-o", str(tmp_path / "out")], capsys)
    assert code == 1 and "Traceback" not in err and str(path) in err and "EOFError" in err


def test_a_field_over_the_csv_module_limit_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 140 KiB field (the csv module stops at 128 KiB) in a candidate table, a FASTA header, a monomer
    library."""
    long = "x" * (140 * 1024)
    table = tmp_path / "c.csv"
    table.write_text(f'id,smiles,reference\nm1,CCO,"{long}"\nm2,CCN,short\n')
    code, out, err = run_cli(
        ["score-candidates", str(table), "-o", str(tmp_path / "out.parquet"), "--no-plots"], capsys
    )
    assert code == 0, err
    assert pd.read_parquet(tmp_path / "out.parquet")["reference"].str.len().max() == len(long)
    fasta = tmp_path / "p.fasta"
    fasta.write_text(f">p1 reference={long}\nGGG\n")
    assert read_structure_input("peptides", fasta).accepted["reference"].iat[0] == long
    monomers = tmp_path / "monomers.csv"
    monomers.write_text(f'name,kind,smiles,reference\n\nXyz,residue,[*:1]N[C@@H](CC)C(=O)[*:2],"{long}"\n')
    assert load_library([monomers]).base("Xyz").reference == long


@pytest.mark.parametrize("kind", ["empty", "latin1", "binary"])
def test_other_commands_refuse_unreadable_tables_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    data, message = UNREADABLE[kind]
    if kind == "latin1":
        message = "is not UTF-8 text"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(data)
    commands = {
        "fit-pk": ["fit-pk", str(bad), "-o", str(tmp_path / "pk"), "--no-plots"],
        "rank-targets": [
            "rank-targets",
            "--tumour",
            str(bad),
            "--normal",
            str(TEST_DATA / "normal_expression.tsv.gz"),
            "--surfaceome",
            str(TEST_DATA / "surfaceome.tsv"),
            "-o",
            str(tmp_path / "t"),
        ],
        "train-affinity": ["train-affinity", str(bad), "-o", str(tmp_path / "model.joblib")],
        "enumerate": ["enumerate", str(bad), "-o", str(tmp_path / "design")],
        "dose": ["dose", str(bad), "-o", str(tmp_path / "doses.parquet")],
    }
    for name, args in commands.items():
        code, _, err = run_cli(args, capsys)
        assert code == 1 and "Traceback" not in err, name
        assert str(bad) in err and message in err and "hint:" in err, (name, err)


def test_expression_matrix_head_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_bytes("gene_id\tS1\nENSG00000000001\t1\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text: byte 0xe9 at line 2"):
        read_sample_matrix(path)


def test_ingested_parquet_keeps_source_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "bio.csv"
    path.write_text("compound,radionuclide,organ,time_h,value,unit,decay_corrected\n\nX,Lu-177,kidney,1,3,%ID/g,true\n")
    summary, _ = _ingest("biodistribution", path, tmp_path)
    frame = read_raw_table(tmp_path / "biodistribution.parquet")
    assert frame.index.tolist() == [3] and frame.attrs["source"] == str(path) and "row_number" not in frame
    assert json.loads(json.dumps(summary))["rows_in"] == 1
