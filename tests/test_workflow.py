"""End-to-end: the Snakemake workflow and `radiovector run` on the test config (.test/config/config.yaml: the
bundled example cut small) and a dry run on the default config."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, TEST_CONFIG, run_cli, write_config
from structure_files import write_fasta, write_sdf

from radiovector.store import ResultsStore

pytestmark = pytest.mark.slow


def test_snakemake_lint_is_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--snakefile", "workflow/Snakefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_dry_run_on_default_config(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--snakefile",
            "workflow/Snakefile",
            "--directory",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "manifest" in proc.stdout


def test_run_commits_a_complete_reproducible_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    config = write_config(tmp_path, TEST_CONFIG)
    code, out, err = run_cli(["run", "--config", str(config), "--store", str(store), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "succeeded"
    for name, counts in summary["inputs"].items():
        assert counts["rows_in"] == counts["rows_accepted"] + counts["rows_rejected"], name
    first = summary["run_id"]
    # the inputs table counts every stage's rejects: rejected = the distinct lines of the file in rejects
    stored = ResultsStore(store)
    rejects = stored.read("rejects", first).to_pandas()
    for row in stored.read("inputs", first).to_pandas().itertuples():
        mine = rejects[rejects["input"] == row.input]
        assert set(mine["source"]) <= {row.path} and row.rows_rejected == mine["row_number"].nunique(), row.input
    assert Path(summary["report"]).is_file()
    for stage_table in ("targets", "candidates", "candidate_nuclides", "pk_tia", "pk_fits"):
        assert summary["tables"][stage_table] > 0, stage_table

    # provenance reads back with runs show / runs sql
    code, out, _ = run_cli(["runs", "show", first, "--store", str(store), "--json"], capsys)
    record = json.loads(out)
    assert record["status"] == "succeeded" and record["git_commit"]
    assert set(record["inputs"]) == set(summary["inputs"])
    assert all(len(i["sha256"]) == 64 for i in record["inputs"].values())
    assert record["versions"]["snakemake"] == record["snakemake_version"]
    code, out, _ = run_cli(
        ["runs", "sql", "SELECT input, rows_in FROM inputs ORDER BY input", "--store", str(store), "--json"],
        capsys,
    )
    assert [r["input"] for r in json.loads(out)] == sorted(summary["inputs"])

    # a second run with a fresh workdir reproduces every result table exactly
    config2 = write_config(tmp_path / "again", TEST_CONFIG)
    code, out, err = run_cli(["run", "--config", str(config2), "--store", str(store), "--json"], capsys)
    assert code == 0, err
    second = json.loads(out)["run_id"]
    results = ResultsStore(store)
    for table in record["tables"]:
        a = results.read(table, first).to_pandas().drop(columns="run_id")
        b = results.read(table, second).to_pandas().drop(columns="run_id")
        pd.testing.assert_frame_equal(a, b, obj=table)
    code, out, _ = run_cli(
        ["runs", "diff", first, second, "--table", "rejects", "--store", str(store), "--json"], capsys
    )
    assert json.loads(out)["changed"] == 0 and json.loads(out)["added"] == 0
    code, out, _ = run_cli(["runs", "list", "--store", str(store), "--json"], capsys)
    assert [r["run_id"] for r in json.loads(out)] == [first, second]


def test_bad_input_fails_cleanly_and_is_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bio.csv"
    bad.write_text("compound,radionuclide,organ,time,value,unit,decay_corrected\nX,Lu-177,kidney,1,2,%ID/g,true\n")
    config = write_config(tmp_path, TEST_CONFIG, inputs={"biodistribution": str(bad)})
    store = tmp_path / "store"
    code, out, err = run_cli(["run", "--config", str(config), "--store", str(store)], capsys)
    assert code == 1
    assert "missing required column(s) 'time_h' (did you mean 'time'?)" in err
    assert str(bad) in err and "Traceback" not in err
    runs = ResultsStore(store).runs()
    assert runs["status"].tolist() == ["failed"] and "time_h" in runs["error"].iloc[0]
    assert ResultsStore(store).table_names() == ["runs"]  # no result table was written


def test_config_error_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, TEST_CONFIG, title=123)
    store = tmp_path / "store"
    code, _, err = run_cli(["run", "--config", str(config), "--store", str(store)], capsys)
    assert code == 1 and "config.yaml: title: must be a valid string (got 123)" in err and "Traceback" not in err
    assert not store.exists()


def test_help_explains_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    for command in ("run", "runs"):
        assert command in out
    code, out, _ = run_cli(["runs", "--help"], capsys)
    for command in ("list", "show", "sql", "diff", "clean"):
        assert command in out


def _jobs_run(workdir: Path, run_id: str) -> set[str] | None:
    """Rules Snakemake executed in one run (None when it had nothing to do), from the run's Snakemake log."""
    log = (workdir / "logs" / "runs" / f"{run_id}.snakemake.log").read_text()
    if "Nothing to be done" in log:
        return None
    return {line.split()[-1].rstrip(":") for line in log.splitlines() if line.startswith(("rule ", "localrule "))}


def test_rerun_does_no_work_and_a_weight_change_reruns_only_its_dependents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    runs = []
    for targets in ({}, {}, {"weights": {"level": 0.4}}):
        config = write_config(tmp_path, TEST_CONFIG, targets=targets)
        code, out, err = run_cli(["run", "--config", str(config), "--store", store, "--json"], capsys)
        assert code == 0, err
        runs.append(json.loads(out)["run_id"])
    workdir = tmp_path / "work"
    assert {"ingest", "rank_targets", "score_candidates", "fit_pk"} <= _jobs_run(workdir, runs[0])
    assert _jobs_run(workdir, runs[1]) is None
    assert _jobs_run(workdir, runs[2]) == {"rank_targets", "dossier", "manifest", "report", "all"}
    # every invocation is a run of its own, and the weight change shows in the targets diff
    code, out, _ = run_cli(["runs", "diff", runs[1], runs[2], "--table", "targets", "--store", store, "--json"], capsys)
    changed = json.loads(out)
    assert changed["changed"] > 0 and "score" in changed["changed_columns"]


def test_workflow_reads_sdf_candidates_and_fasta_peptides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The workflow reads the structure formats score-candidates reads; rejects carry the SDF record's title line and
    the FASTA header line."""
    data = TEST_CONFIG.parents[1] / "data"
    candidates = pd.read_csv(data / "candidates.csv", dtype=str, keep_default_na=False)
    peptides = pd.read_csv(data / "peptides.csv", dtype=str, keep_default_na=False)
    sdf, fasta = tmp_path / "candidates.sdf.gz", tmp_path / "peptides.fasta"
    write_sdf(sdf, candidates, bad_at=2)
    write_fasta(fasta, peptides, empty_record="no-sequence")
    config = write_config(tmp_path, TEST_CONFIG, inputs={"candidates": str(sdf), "peptides": str(fasta)})
    store = tmp_path / "store"
    code, out, err = run_cli(["run", "--config", str(config), "--store", str(store), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "succeeded"
    assert {k: summary["inputs"]["candidates"][k] for k in ("rows_in", "rows_accepted", "rows_rejected")} == {
        "rows_in": len(candidates) + 1,
        "rows_accepted": len(candidates),
        "rows_rejected": 1,
    }
    assert summary["inputs"]["peptides"]["rows_rejected"] == 1
    results = ResultsStore(store)
    rejects = results.read("rejects", summary["run_id"]).to_pandas().set_index("input")
    sdf_lines = gzip.decompress(sdf.read_bytes()).decode().split("\n")
    assert sdf_lines[rejects.loc["candidates", "row_number"] - 1] == "hexavalent"  # the bad record's title line
    assert rejects.loc["candidates", "source"] == str(sdf)
    assert rejects.loc["peptides", "row_number"] == 2 * len(peptides) + 1  # the header line of the last record
    scored = results.read("candidates", summary["run_id"]).to_pandas()
    assert {"PSMA-617", "FAPI-46", "octreotide"} <= set(scored["candidate_id"])
