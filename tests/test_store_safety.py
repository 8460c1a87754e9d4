"""The store under attack and fault (issue 18): atomic and idempotent commits and imports, run id rules, commit
order, read-only SQL, damaged Delta logs and safe orphan clean-up."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from test_crate import _commit

from radiovector.contracts import ContractError, contract
from radiovector.errors import StoreError
from radiovector.store import ResultsStore, RunRecord, new_run_id
from radiovector.store.crate import MANIFEST, METADATA, RUN_FILE, SIGNATURE, export_run, import_run
from radiovector.store.delta import DamagedStore
from radiovector.store.signing import Keyring, SigningKey, sign_crate

#: every crate here is signed by the test's own key, which it trusts (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("own_key")

RUN = "20260101T120000Z-aaaaaa"
TABLES = {"targets": 3, "candidates": 2, "pk_fits": 1, "inputs": 2, "rejects": 1}


@pytest.fixture
def crate(tmp_path: Path) -> Path:
    store = ResultsStore(tmp_path / "site-a")
    _commit(store, tmp_path, RUN)
    path = tmp_path / "run.zip"
    export_run(store, RUN, path)
    return path


def _record(run_id: str | None = None, started: datetime | None = None) -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(
        run_id=new_run_id() if run_id is None else run_id,
        status="succeeded",
        started_at=started or now,
        finished_at=started or now,
        config={"title": "t"},
    )


def _targets(n: int) -> pa.Table:
    return contract("targets").example(n)


def _one_copy(store: ResultsStore, run_id: str = RUN) -> None:
    """Exactly one visible copy of the imported run, in every reader, and no invisible leftovers."""
    assert store.visible_run_ids() == [run_id]
    assert len(store.runs()) == 1
    for name, rows in TABLES.items():
        assert store.read(name, run_id).num_rows == rows, name
        assert store.sql(f"SELECT count(*) AS n FROM {name}").to_pylist() == [{"n": rows}], name


# ------------------------------------------------------------------------------------------ atomic, idempotent
def test_import_that_fails_midway_and_is_retried_leaves_one_copy(
    crate: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultsStore(tmp_path / "site-b")
    real_append = ResultsStore._append
    calls: list[str] = []

    def failing_append(self: ResultsStore, name: str, *args: object, **kw: object) -> None:
        calls.append(name)
        if len(calls) == 3:
            raise StoreError("simulated failure after two tables")
        real_append(self, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ResultsStore, "_append", failing_append)
    with pytest.raises(StoreError, match="simulated failure"):
        import_run(store, crate)
    monkeypatch.setattr(ResultsStore, "_append", real_append)
    assert store.visible_run_ids() == [] and store.orphan_rows() == {}  # the failed attempt withdrew its rows
    import_run(store, crate)
    _one_copy(store)


def test_import_killed_midway_and_retried_leaves_one_visible_copy(
    crate: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if killed: the first attempt's rows stay behind (no withdrawal), yet the retry shows one copy, and the
    leftovers are cleaned once stale."""
    store = ResultsStore(tmp_path / "site-b")
    real_append = ResultsStore._append

    def dies_before_runs_row(self: ResultsStore, name: str, *args: object, **kw: object) -> None:
        if name == "runs":
            raise KeyboardInterrupt  # not an Exception: nothing is withdrawn, as after SIGKILL
        real_append(self, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ResultsStore, "_append", dies_before_runs_row)
    with pytest.raises(KeyboardInterrupt):
        import_run(store, crate)
    monkeypatch.setattr(ResultsStore, "_append", real_append)
    assert store.orphan_rows() == TABLES
    import_run(store, crate)
    _one_copy(store)
    assert store.clean_orphans(grace=timedelta(0), force=True) == TABLES
    _one_copy(store)
    assert store.orphan_rows() == {}


def test_concurrent_import_of_one_crate_leaves_one_copy(
    crate: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race made deterministic: a second importer passed the "not in the store yet" check before the first
    committed. It commits its runs row after the first, loses, withdraws its rows and says so."""
    store = ResultsStore(tmp_path / "site-b")
    import_run(store, crate)
    late = ResultsStore(tmp_path / "site-b")
    monkeypatch.setattr(late, "find_run", lambda run_id: None)
    with pytest.raises(StoreError, match="already in the store.*at the same moment"):
        import_run(late, crate)
    _one_copy(store)
    assert store.orphan_rows() == {}
    assert store.check()["ok"]


def test_loser_that_dies_before_withdrawing_is_never_seen(
    crate: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs rows with one id (the losing process died before withdrawing): readers see the earlier one only,
    `runs check` reports it, and clean-up withdraws the loser's rows."""
    store = ResultsStore(tmp_path / "site-b")
    import_run(store, crate)
    first = store.find_run(RUN)
    late = ResultsStore(tmp_path / "site-b")
    monkeypatch.setattr(late, "find_run", lambda run_id: None)
    monkeypatch.setattr(late, "_withdraw", lambda commit_id, names: None)
    with pytest.raises(StoreError, match="already in the store"):
        import_run(late, crate)
    raw = pq.read_table(tmp_path / "site-b" / "runs")  # both rows are really there
    assert raw["run_id"].to_pylist() == [RUN, RUN]
    _one_copy(store)
    assert store.find_run(RUN) == first and store.get_run("latest")["commit_id"] == first["commit_id"]
    report = store.check()
    assert not report["ok"] and report["duplicate_runs"] == {RUN: 2}
    assert store.clean_orphans(grace=timedelta(0), force=True) == {**TABLES, "runs": 1}
    assert store.check()["ok"]
    _one_copy(store)


_IMPORTER = """
import sys, time
from radiovector.store import ResultsStore
from radiovector.store.crate import import_run
from radiovector.errors import StoreError
store, crate, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start_at:
    time.sleep(0.001)
try:
    import_run(ResultsStore(store), crate)
except StoreError as exc:
    print(exc.message)
    sys.exit(3)
"""


def test_two_processes_importing_one_crate_at_once_leave_one_copy(crate: Path, tmp_path: Path) -> None:
    store = tmp_path / "site-b"
    start_at = time.time() + 4.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORTER, str(store), str(crate), str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 3], results
    assert all("already in the store" in out for code, out, _ in results if code == 3)
    _one_copy(ResultsStore(store))
    assert ResultsStore(store).orphan_rows() == {}


@pytest.mark.parametrize("bad", ["", "x", "20260101T120000Z-aaaaaa-evil", "20260101T120000Z-AAAAAA", "../20260101"])
def test_run_ids_are_validated_on_commit(store_path: Path, bad: str) -> None:
    with pytest.raises(StoreError, match="invalid run id"):
        ResultsStore(store_path).commit_run(_record(bad), {"targets": _targets(2)})
    assert not store_path.exists()


def _forge(src: Path, dst: Path, change: dict[str, bytes], sign_with: SigningKey | None = None) -> None:
    """A crate with members replaced and every checksum recomputed (manifest and metadata): its checksums verify.
    Its old signature is kept (and no longer matches), or, with ``sign_with``, replaced by a new signature over
    the forged files made with that key (a partner whose key is trusted, or an attacker's own key)."""
    with zipfile.ZipFile(src) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members.update(change)
    metadata = json.loads(members[METADATA])
    described = {e.get("@id") for e in metadata["@graph"]}
    metadata["@graph"] += [{"@id": n, "@type": "File"} for n in change if n not in described]
    for entity in metadata["@graph"]:
        if entity.get("@id") in members:
            entity["sha256"] = hashlib.sha256(members[entity["@id"]]).hexdigest()
    members[METADATA] = json.dumps(metadata).encode()
    members[MANIFEST] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted(members.items())
        if name not in (MANIFEST, SIGNATURE)
    ).encode()
    if sign_with is not None:
        files = [(n, hashlib.sha256(d).hexdigest(), len(d)) for n, d in members.items() if n != SIGNATURE]
        doc = json.loads(members[RUN_FILE])
        signature = sign_crate(sign_with, doc["run"].get("run_id"), doc.get("crate_format"), files)
        members[SIGNATURE] = json.dumps(signature).encode()
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _run_doc(crate: Path, **run: object) -> bytes:
    with zipfile.ZipFile(crate) as archive:
        doc = json.loads(archive.read(RUN_FILE))
    doc["run"].update(run)
    return json.dumps(doc).encode()


def test_forged_crates_are_refused_before_any_write(crate: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(crate) as archive:
        targets = pq.read_table(io.BytesIO(archive.read("tables/targets.parquet")))
        tables_json = json.loads(json.loads(archive.read(RUN_FILE))["run"]["tables_json"])
    uncastable = targets.set_column(targets.schema.get_field_index("score"), "score", pa.array(["high"] * 3))
    buffer = io.BytesIO()
    pq.write_table(uncastable, buffer)
    cases = {
        "empty_id": ({RUN_FILE: _run_doc(crate, run_id="")}, "invalid run id"),
        "extending_id": ({RUN_FILE: _run_doc(crate, run_id=RUN + "0")}, "invalid run id"),
        "bad_status": ({RUN_FILE: _run_doc(crate, status="hacked")}, "invalid run record"),
        "bad_time": ({RUN_FILE: _run_doc(crate, started_at="yesterday")}, "invalid run record"),
        "bad_tables_json": ({RUN_FILE: _run_doc(crate, tables_json="{not json")}, "invalid run record"),
        "undeclared_table": (
            {
                RUN_FILE: _run_doc(crate, tables_json=json.dumps({**tables_json, "evil": {"rows": 3}})),
                "tables/evil.parquet": buffer.getvalue(),
            },
            "no contract declares",
        ),
        "uncastable_column": ({"tables/targets.parquet": buffer.getvalue()}, "cannot be read as float64"),
    }
    # the last table in name order fails its contract: no earlier table may have been written
    for name, (change, match) in cases.items():
        forged = tmp_path / f"{name}.zip"
        _forge(crate, forged, change, sign_with=Keyring().signing_key())  # signed by a trusted key, even
        target = ResultsStore(tmp_path / f"site-{name}")
        with pytest.raises((StoreError, ContractError), match=match) as info:
            import_run(target, forged)
        assert str(forged) in str(info.value), name
        assert not (tmp_path / f"site-{name}").exists(), f"{name}: something was written"


def test_latest_follows_commit_order_not_a_claimed_start_date(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "s")
    future = store.commit_run(_record("99991231T235959Z-999999", started=datetime(9999, 12, 31, tzinfo=UTC)), {})
    local = store.commit_run(_record(), {})
    assert store.resolve_run_id("latest") == local and store.resolve_run_id("latest~1") == future
    assert store.runs()["run_id"].tolist() == [future, local]
    assert store.resolve_run_id(local) == local  # exact ids first


def test_store_format_1_tables_stay_readable_and_evolve(tmp_path: Path) -> None:
    """A store written before commit ids: its runs read as before, new runs add the columns, old rows stay
    visible, and their orphans are still found."""
    from deltalake import write_deltalake

    from radiovector.store.records import RUNS_SCHEMA

    store = ResultsStore(tmp_path / "old")
    old = "20250101T000000Z-0000aa"
    row = _record(old).to_arrow()
    write_deltalake(store.table_uri("runs"), row.drop_columns(["commit_id", "committed_at"]), mode="append")
    for rid in (old, "20250101T000000Z-dead00"):  # a committed run, and one that crashed
        write_deltalake(
            store.table_uri("targets"), _targets(2).add_column(0, "run_id", pa.array([rid] * 2)), mode="append"
        )
    assert store.visible_run_ids() == [old] and store.read("targets").num_rows == 2
    new = store.commit_run(_record(), {"targets": _targets(3)})
    assert store.runs()["run_id"].tolist() == [old, new]
    assert store.read("targets", old).num_rows == 2 and store.read("targets", new).num_rows == 3
    assert store.sql("SELECT run_id, count(*) AS n FROM targets GROUP BY 1 ORDER BY 1").to_pylist() == [
        {"run_id": old, "n": 2},
        {"run_id": new, "n": 3},
    ]
    assert store.orphan_rows() == {"targets": 2}
    assert store.clean_orphans(timedelta(0), force=True) == {"targets": 2}
    assert store.read("targets").num_rows == 5 and RUNS_SCHEMA.names == store.read("runs").column_names


# ------------------------------------------------------------------------------------------ read-only SQL
@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "refused|disabled"),
        ("SELECT * FROM read_blob('/proc/self/environ')", "refused|disabled"),
        ("SELECT * FROM read_text('/etc/hostname')", "refused|disabled"),
        ("SELECT * FROM glob('/*')", "refused|disabled"),
        ("SELECT * FROM read_parquet('{store}/targets/*.parquet')", "refused|disabled"),
        ("SELECT * FROM delta_scan('{store}/targets')", "refused|disabled|not exist|Catalog"),
        ("COPY (SELECT 1) TO '{tmp}/out.csv'", "exactly one SELECT"),
        ("SELECT 1; COPY (SELECT 1) TO '{tmp}/out.csv'", "exactly one SELECT"),
        ("SELECT 1; SELECT 2", "exactly one SELECT"),
        ("ATTACH '{tmp}/x.db' AS x", "exactly one SELECT"),
        ("SET enable_external_access = true", "exactly one SELECT"),
        ("INSTALL httpfs", "exactly one SELECT"),
        ("LOAD httpfs", "exactly one SELECT"),
        ("PRAGMA version", "exactly one SELECT"),
        ("CREATE TABLE t AS SELECT 1", "exactly one SELECT"),
        ("SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')", "refused|disabled"),
        ("SELECT * FROM self", "SQL error"),  # no scans of Python variables
    ],
)
def test_sql_is_read_only(tmp_path: Path, query: str, match: str) -> None:
    store = ResultsStore(tmp_path / "s")
    store.commit_run(_record(), {"targets": _targets(2)})
    with pytest.raises(StoreError, match=match):
        store.sql(query.format(store=store.location, tmp=tmp_path))
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "x.db").exists()


def test_sql_sees_only_committed_rows_and_allows_with_select(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ResultsStore(tmp_path / "s")
    good = store.commit_run(_record(), {"targets": _targets(2)})
    store._append("targets", _targets(5), "20260101T000000Z-0dead0")  # a crashed run's rows
    tables = (
        store.sql(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
        )
        .column("table_name")
        .to_pylist()
    )
    for name in tables:  # every relation reachable by name holds committed rows only
        if name != "runs":
            ids = store.sql(f'SELECT DISTINCT run_id FROM "{name}"').column("run_id").to_pylist()
            assert ids == [good], name
    assert store.sql("WITH t AS (SELECT * FROM targets) SELECT count(*) AS n FROM t").to_pylist() == [{"n": 2}]
    assert "commit_id" not in store.sql("SELECT * FROM targets").column_names
    code, _, err = run_cli(
        ["runs", "sql", "SELECT * FROM read_csv('/etc/passwd')", "--store", str(tmp_path / "s")], capsys
    )
    assert code == 1 and "Traceback" not in err and "root:" not in err


# ------------------------------------------------------------------------------------------ damage
def _newest_log(store: ResultsStore, table: str) -> Path:
    return sorted((Path(store.table_uri(table)) / "_delta_log").glob("*.json"))[-1]


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_damaged_runs_log_is_refused_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], crate: Path, damage: str
) -> None:
    location = tmp_path / "s"
    store = ResultsStore(location)
    store.commit_run(_record(), {"targets": _targets(2)})
    store.commit_run(_record(), {"targets": _targets(3)})
    log = _newest_log(store, "runs")
    log.write_bytes(b"" if damage == "empty" else log.read_bytes()[: log.stat().st_size // 2])
    fresh = ResultsStore(location)
    for call in (
        fresh.runs,
        lambda: fresh.read("targets"),
        lambda: fresh.sql("SELECT 1"),
        lambda: fresh.clean_orphans(timedelta(0), force=True),
        lambda: fresh.commit_run(_record(), {}),
        lambda: import_run(fresh, crate),
    ):
        with pytest.raises(DamagedStore, match="damaged|cannot read the Delta log") as info:
            call()
        assert "runs check" in str(info.value)
    assert pq.read_table(location / "targets").num_rows == 5  # clean-up deleted nothing
    for args in (["list"], ["show", "latest"], ["sql", "SELECT 1"], ["clean"], ["check"]):
        code, _, err = run_cli(["runs", *args, "--store", str(location)], capsys)
        assert code == 1 and "damaged" in err and "Traceback" not in err, args
    code, out, _ = run_cli(["runs", "check", "--store", str(location), "--json"], capsys)
    report = json.loads(out)
    assert code == 1 and not report["ok"] and report["tables"]["runs"]["problems"]
    log.rename(tmp_path / log.name)  # the recovery the hint describes: the lost commit's run becomes invisible
    assert len(ResultsStore(location).runs()) == 1 and ResultsStore(location).check()["ok"]


# ------------------------------------------------------------------------------------------ clean-up
def test_clean_with_a_short_grace_is_refused_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ResultsStore(tmp_path / "s")
    store._append("targets", _targets(4), "20260101T000000Z-0dead0")
    code, _, err = run_cli(["runs", "clean", "--grace-minutes", "0", "--store", str(tmp_path / "s")], capsys)
    assert code == 1 and "safe minimum" in err
    assert store.orphan_rows() == {"targets": 4}
    code, out, _ = run_cli(
        ["runs", "clean", "--grace-minutes", "0", "--force", "--json", "--store", str(tmp_path / "s")], capsys
    )
    assert code == 0 and json.loads(out) == {"deleted_rows": {"targets": 4}}


def test_a_forced_clean_during_a_commit_never_leaves_a_succeeded_run_with_empty_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runs clean --grace-minutes 0 --force` deletes a committing run's tables just before its runs row: the
    commit notices, withdraws the run and says so."""
    store = ResultsStore(tmp_path / "s")
    real_append = ResultsStore._append

    def clean_first(self: ResultsStore, name: str, *args: object, **kw: object) -> None:
        if name == "runs":
            assert ResultsStore(self.location).clean_orphans(timedelta(0), force=True) == {"targets": 3}
        real_append(self, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ResultsStore, "_append", clean_first)
    with pytest.raises(StoreError, match="deleted while it was being committed"):
        store.commit_run(_record(), {"targets": _targets(3)})
    assert store.visible_run_ids() == []


def test_orphan_age_counts_the_newest_write_of_the_attempt_in_any_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run still writing its later tables keeps its earlier ones, however long ago they were written."""
    store = ResultsStore(tmp_path / "s")
    attempt = "0" * 32
    store._append("targets", _targets(2), "20260101T000000Z-0busy0", attempt)
    store._append("candidates", contract("candidates").example(2), "20260101T000000Z-0busy0", attempt)
    real_history = __import__("deltalake").DeltaTable.history

    def history(self: object, limit: int | None = None) -> list[dict[str, object]]:
        entries = real_history(self, limit)
        if "targets" in str(self.table_uri):  # type: ignore[attr-defined]
            hour_ago = (time.time() - 3600) * 1000
            entries = [{**e, "timestamp": hour_ago} for e in entries]
        return entries

    monkeypatch.setattr("deltalake.DeltaTable.history", history)
    assert store.clean_orphans(timedelta(minutes=30)) == {}
    assert store.orphan_rows() == {"targets": 2, "candidates": 2}
