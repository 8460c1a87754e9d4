"""The results store: commit protocol, visibility, crash safety, concurrency, SQL and diff."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from store_contract import check_concurrent_commits, check_kill_mid_commit

from radiovector.contracts import contract
from radiovector.errors import StoreError
from radiovector.store import ResultsStore, RunNotFound, RunRecord, new_run_id
from radiovector.store.diff import diff_tables


def _record(run_id: str | None = None, **kw: object) -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(
        run_id=run_id or new_run_id(),
        status="succeeded",
        started_at=now,
        finished_at=now,
        config={"title": "t"},
        **kw,
    )


def _targets(n: int, shift: float = 0.0) -> pd.DataFrame:
    """A valid ``targets`` table (radiovector.contracts) of ``n`` rows with scores shift, shift + 1, ..."""
    return contract("targets").example(n, score=[i + shift for i in range(n)]).to_pandas()


def test_commit_then_read_back(store_path: Path) -> None:
    store = ResultsStore(store_path)
    rid = store.commit_run(
        _record(tables={"targets": {"rows": 5, "key": ["tumour_type", "gene_key"]}}), {"targets": _targets(5)}
    )
    assert store.resolve_run_id("latest") == rid
    assert store.resolve_run_id(rid[:17]) == rid
    back = store.read("targets", rid).to_pandas()
    assert back.columns[0] == "run_id" and (back["run_id"] == rid).all()
    pd.testing.assert_frame_equal(back.drop(columns="run_id"), _targets(5))
    row = store.get_run(rid)
    assert row["status"] == "succeeded" and row["tables"]["targets"]["key"] == ["tumour_type", "gene_key"]


def test_run_ids_are_never_overwritten(store_path: Path) -> None:
    store = ResultsStore(store_path)
    record = _record()
    store.commit_run(record, {"targets": _targets(2)})
    with pytest.raises(StoreError, match="never overwritten"):
        store.commit_run(record, {"targets": _targets(2)})


def test_failed_run_needs_an_error() -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError):
        RunRecord(run_id="x", status="failed", started_at=now, finished_at=now, config={})


def test_unknown_run_gives_clear_error(store_path: Path) -> None:
    store = ResultsStore(store_path)
    with pytest.raises(RunNotFound, match="no runs yet"):
        store.resolve_run_id("latest")
    store.commit_run(_record(), {})
    with pytest.raises(RunNotFound, match="no run 'zzz'"):
        store.resolve_run_id("zzz")


def test_rows_of_uncommitted_runs_are_invisible_and_cleaned(store_path: Path) -> None:
    store = ResultsStore(store_path)
    good = store.commit_run(_record(), {"targets": _targets(3)})
    orphan = new_run_id()
    store._append("targets", _targets(4), orphan)
    assert store.read("targets").num_rows == 3
    assert store.sql("SELECT count(*) AS n FROM targets").to_pylist() == [{"n": 3}]
    assert store.clean_orphans(grace=timedelta(minutes=30)) == {}  # too recent: might still be committing
    with pytest.raises(StoreError, match="below the safe minimum"):
        store.clean_orphans(grace=timedelta(0))
    assert store.orphan_rows() == {"targets": 4}
    assert store.clean_orphans(grace=timedelta(0), force=True) == {"targets": 4}
    assert store.read("targets", good).num_rows == 3


def test_sql_aggregates_over_runs(store_path: Path) -> None:
    store = ResultsStore(store_path)
    for shift in (0.0, 10.0):
        store.commit_run(_record(), {"targets": _targets(4, shift)})
    rows = store.sql(
        "SELECT r.run_id, sum(t.score) AS s FROM targets t JOIN runs r USING (run_id) GROUP BY 1 ORDER BY s"
    ).to_pylist()
    assert [r["s"] for r in rows] == [6.0, 46.0]


def test_unwritable_store_is_reported(tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    with pytest.raises(StoreError, match="not writable"):
        ResultsStore(
            a_file / "store"
        ).check_writable()  # a path below a regular file: not writable, even as root
    if os.geteuid() != 0:  # permission bits do not stop root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(StoreError, match="not writable"):
            ResultsStore(locked / "store").check_writable()


def test_diff_tables_reports_added_removed_changed() -> None:
    a = pd.DataFrame({"gene": ["A", "B", "C"], "score": [1.0, 2.0, 3.0], "reason": ["x", "y", "z"]})
    b = pd.DataFrame({"gene": ["B", "C", "D"], "score": [2.0, 3.5, 4.0], "reason": ["y", "z!", "w"]})
    d = diff_tables(a, b, ["gene"])
    assert d.summary()["added"] == 1 and d.summary()["removed"] == 1 and d.summary()["changed"] == 1
    assert d.added["gene"].tolist() == ["D"] and d.removed["gene"].tolist() == ["A"]
    assert d.changed.iloc[0]["columns"] == ["reason", "score"]
    assert d.unchanged == 1 and d.changed_columns == {"reason": 1, "score": 1}
    assert diff_tables(a, a, ["gene"]).summary()["changed"] == 0


def test_diff_rejects_non_unique_key() -> None:
    a = pd.DataFrame({"k": [1, 1], "v": [1, 2]})
    with pytest.raises(StoreError, match="not unique"):
        diff_tables(a, a, ["k"])


def test_two_concurrent_commits_are_both_intact(store_path: Path) -> None:
    check_concurrent_commits(str(store_path), rows=20_000)


def test_sigkill_during_commit_leaves_only_complete_runs(store_path: Path) -> None:
    check_kill_mid_commit(str(store_path), rows=150_000, n_tables=12)


def test_compact_merges_files_and_changes_no_row(store_path: Path) -> None:
    store = ResultsStore(store_path)
    runs = {store.commit_run(_record(), {"targets": _targets(50, shift=float(k))}): float(k) for k in range(12)}
    before = {rid: store.read("targets", rid).to_pandas() for rid in runs}
    report = store.compact()
    assert report["targets"]["files_removed"] == 12 and report["targets"]["files_added"] == 1
    assert report["targets"]["files_vacuumed"] == 0  # within the retention period nothing is deleted
    for rid, frame in before.items():  # same rows, same order within each run
        pd.testing.assert_frame_equal(store.read("targets", rid).to_pandas(), frame)
    assert sorted(store.visible_run_ids()) == sorted(runs)
