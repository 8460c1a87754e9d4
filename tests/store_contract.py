"""Crash-safety and concurrency checks every store backend must pass (local path and S3), run by test_store.py
and test_s3.py against their own store location."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

from radiovector.contracts import contract, contracts
from radiovector.store import ResultsStore, RunRecord, new_run_id

_WORKER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from radiovector.contracts import contract
    from radiovector.store import ResultsStore, RunRecord
    location, run_id = sys.argv[1], sys.argv[2]
    rows, n_tables, start_at = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    names = sys.argv[6].split(",")[:n_tables]
    tables = {name: contract(name).example(rows) for name in names}
    while time.time() < start_at:
        time.sleep(0.001)
    now = datetime.now(UTC)
    record = RunRecord(run_id=run_id, status="succeeded", started_at=now, finished_at=now, config={"w": run_id},
                       tables={name: {"rows": rows, "key": list(contract(name).key)} for name in names})
    ResultsStore(location).commit_run(record, tables)
    """
)


#: The narrowest declared tables, in the order the committers write them (commit_run writes in name order).
TABLES = sorted(sorted(contracts(), key=lambda n: len(contract(n).columns))[:12])


def spawn_committer(location: str, run_id: str, rows: int, n_tables: int, start_at: float) -> subprocess.Popen:
    """A separate process that commits a run of the first ``n_tables`` of :data:`TABLES`, each a valid table of
    ``rows`` rows (:meth:`TableContract.example`), at ``start_at``."""
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, location, run_id, str(rows), str(n_tables), str(start_at), ",".join(TABLES)],
        stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )


def _record() -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(run_id=new_run_id(), status="succeeded", started_at=now, finished_at=now, config={})


def check_concurrent_commits(location: str, rows: int) -> None:
    """Two processes commit into a store without tables at the same instant: both runs end up intact."""
    start_at = time.time() + 3.0  # both processes begin writing at the same moment (after their imports)
    ids = [f"20260101T000000Z-00000{k}" for k in (1, 2)]
    procs = [spawn_committer(location, rid, rows, 3, start_at) for rid in ids]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    store = ResultsStore(location)
    assert sorted(store.visible_run_ids()) == ids
    for rid in ids:
        for name in TABLES[:3]:
            table = store.read(name, rid).to_pandas()
            first = contract(name).columns[0].name
            assert len(table) == rows and (table["run_id"] == rid).all()
            assert table[first].tolist() == contract(name).example(rows)[first].to_pylist()  # order kept
    assert store.sql(f"SELECT count(*) AS n FROM {TABLES[0]}").to_pylist() == [{"n": 2 * rows}]


def check_kill_mid_commit(location: str, rows: int, n_tables: int) -> None:
    """SIGKILL a process while it commits: only complete runs are visible, the next run commits, and the orphan
    rows are cleaned once stale."""
    store = ResultsStore(location)
    t0, t1 = TABLES[:2]
    earlier = store.commit_run(_record(), {t0: contract(t0).example(1)})
    victim = "20260101T000000Z-dead00"
    proc = spawn_committer(location, victim, rows, n_tables, time.time())
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if t1 in store.table_names():  # the victim's first two tables are committed, its runs row is not
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the worker finished before it could be killed"
    assert store.visible_run_ids() == [earlier]
    assert store.sql(f"SELECT DISTINCT run_id FROM {t0}").to_pylist() == [{"run_id": earlier}]
    assert store.read(t1).num_rows == 0
    after = store.commit_run(_record(), {t0: contract(t0).example(1)})
    assert sorted(store.visible_run_ids()) == sorted([earlier, after])
    assert store.clean_orphans(grace=timedelta(0), force=True).get(t0) == rows
    assert store.read(t0).num_rows == 2
