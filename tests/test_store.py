"""The results store: commit protocol, visibility, crash safety, concurrency, SQL and diff."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

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
    return pd.DataFrame({"gene": [f"G{i}" for i in range(n)], "score": [i + shift for i in range(n)]})


def test_commit_then_read_back(store_path: Path) -> None:
    store = ResultsStore(store_path)
    rid = store.commit_run(
        _record(tables={"targets": {"rows": 5, "key": ["gene"]}}), {"targets": _targets(5)}
    )
    assert store.resolve_run_id("latest") == rid
    assert store.resolve_run_id(rid[:17]) == rid
    back = store.read("targets", rid).to_pandas()
    assert back.columns[0] == "run_id" and (back["run_id"] == rid).all()
    pd.testing.assert_frame_equal(back.drop(columns="run_id"), _targets(5))
    row = store.get_run(rid)
    assert row["status"] == "succeeded" and row["tables"]["targets"]["key"] == ["gene"]


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
    store._append("targets", _targets(4).assign(run_id=orphan)[["run_id", "gene", "score"]], orphan)
    assert store.read("targets").num_rows == 3
    assert store.sql("SELECT count(*) AS n FROM targets").to_pylist() == [{"n": 3}]
    assert store.clean_orphans(grace=timedelta(minutes=30)) == {}  # too recent: might still be committing
    assert store.clean_orphans(grace=timedelta(0)) == {"targets": 4}
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


_WORKER = textwrap.dedent(
    """
    import sys, pandas as pd
    from datetime import UTC, datetime
    from radiovector.store import ResultsStore, RunRecord
    store_path, run_id = sys.argv[1], sys.argv[2]
    rows, n_tables, start_at = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    import time
    while time.time() < start_at:
        time.sleep(0.001)
    frame = pd.DataFrame({"i": range(rows), "x": [float(i) for i in range(rows)], "tag": run_id})
    now = datetime.now(UTC)
    record = RunRecord(run_id=run_id, status="succeeded", started_at=now, finished_at=now, config={"w": run_id},
                       tables={f"t{k}": {"rows": rows, "key": ["i"]} for k in range(n_tables)})
    ResultsStore(store_path).commit_run(record, {f"t{k}": frame for k in range(n_tables)})
    """
)


def _spawn(store_path: Path, run_id: str, rows: int, n_tables: int, start_at: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(store_path), run_id, str(rows), str(n_tables), str(start_at)],
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_concurrent_commits_are_both_intact(store_path: Path) -> None:
    start_at = (
        time.time() + 3.0
    )  # both processes begin writing at the same moment, into a store with no tables
    ids = [f"20260101T000000Z-00000{k}" for k in (1, 2)]
    procs = [_spawn(store_path, rid, 20_000, 3, start_at) for rid in ids]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = ResultsStore(store_path)
    assert sorted(store.visible_run_ids()) == ids
    for rid in ids:
        for k in range(3):
            table = store.read(f"t{k}", rid).to_pandas()
            assert len(table) == 20_000 and (table["tag"] == rid).all()
            assert table["i"].tolist() == list(range(20_000))


def test_sigkill_during_commit_leaves_only_complete_runs(store_path: Path) -> None:
    store = ResultsStore(store_path)
    earlier = store.commit_run(_record(), {"t0": pd.DataFrame({"i": [1], "x": [1.0], "tag": ["e"]})})
    victim = "20260101T000000Z-dead00"
    proc = _spawn(store_path, victim, 400_000, 12, time.time())
    log = store_path / "t1" / "_delta_log"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if log.is_dir() and any(log.glob("*.json")):  # t0 and t1 of the victim are written, runs is not
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the worker finished before it could be killed"
    assert store.visible_run_ids() == [earlier]
    assert store.sql("SELECT DISTINCT run_id FROM t0").to_pylist() == [{"run_id": earlier}]
    assert store.read("t1").num_rows == 0
    # the next run commits normally, and the orphans are cleaned once stale
    after = store.commit_run(_record(), {"t0": pd.DataFrame({"i": [2], "x": [2.0], "tag": ["a"]})})
    assert sorted(store.visible_run_ids()) == sorted([earlier, after])
    cleaned = store.clean_orphans(grace=timedelta(0))
    assert cleaned.get("t0") == 400_000
    assert json.loads(json.dumps(cleaned))  # plain ints
