"""Signed runs (issue 18, part 3): keys, signed crates, trust, and the attacks a crate can carry.

Each attack is reproduced on a real exported crate and must be refused before anything is written: a table edited
with every checksum recomputed, a signer nobody trusts, an unsigned crate, a tampered signature, a decompression
bomb (few bytes of Parquet that decode to gigabytes) and tables or columns outside the contracts.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from test_crate import _commit
from test_store_safety import _forge

from radiovector.errors import StoreError
from radiovector.store import ResultsStore
from radiovector.store.crate import RUN_FILE, SIGNATURE, ImportLimits, export_run, import_run
from radiovector.store.signing import Keyring, KeyringError, SigningKey

RUN = "20260101T120000Z-5a5a5a"


@pytest.fixture
def signed(own_key: Keyring, tmp_path: Path) -> tuple[ResultsStore, Path]:
    """A run of site A exported as a crate signed by the test's own (trusted) key."""
    store = ResultsStore(tmp_path / "site-a")
    _commit(store, tmp_path, RUN)
    crate = tmp_path / "run.zip"
    summary = export_run(store, RUN, crate)
    assert summary["signed_by"] == {"key_name": "default", "fingerprint": own_key.signing_key().fingerprint}
    return store, crate


def _member(crate: Path, name: str) -> bytes:
    with zipfile.ZipFile(crate) as archive:
        return archive.read(name)


def _refused(crate: Path, tmp_path: Path, match: str, **kw: object) -> StoreError:
    """Import ``crate`` into a fresh store: refused with ``match``, the crate named, nothing written."""
    target = tmp_path / f"site-{crate.stem}"
    with pytest.raises(StoreError, match=match) as info:
        import_run(ResultsStore(target), crate, **kw)  # type: ignore[arg-type]
    assert str(crate) in info.value.message
    assert not target.exists(), f"{crate.name}: something was written"
    return info.value


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _with_table(crate: Path, name: str, data: bytes, rows: int) -> dict[str, bytes]:
    """Members that add (or replace) table ``name`` in the crate, declared in its run record with ``rows``."""
    doc = json.loads(_member(crate, RUN_FILE))
    tables = json.loads(doc["run"]["tables_json"])
    tables[name] = {"rows": rows, "key": []}
    doc["run"]["tables_json"] = json.dumps(tables)
    return {RUN_FILE: json.dumps(doc).encode(), f"tables/{name}.parquet": data}


# ---------------------------------------------------------------------------------------------------- keys
def test_keys_cli_creates_a_private_key_only_its_owner_reads_and_manages_trusted_partners(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "config"
    opt = ["--config-dir", str(home)]
    code, out, err = run_cli(["keys", "create", *opt, "--json"], capsys)
    assert code == 0, err
    created = json.loads(out)
    private = Path(created["private_key"])
    assert created["created"] and created["fingerprint"].startswith("SHA256:")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and stat.S_IMODE(private.parent.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in private.read_bytes()
    # again: the key is kept (partners trust it), never replaced
    code, out, _ = run_cli(["keys", "create", *opt, "--json"], capsys)
    assert code == 0 and json.loads(out) == {**created, "created": False}
    pub = tmp_path / "lab-a.pub"
    code, out, err = run_cli(["keys", "show", *opt, "-o", str(pub)], capsys)
    assert code == 0 and out.startswith("ssh-ed25519 AAAA") and created["fingerprint"] in err
    assert pub.read_text().strip() == out.strip()
    if shutil.which("ssh-keygen"):  # the fingerprint is the one OpenSSH prints for the same public key
        listed = subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True, check=True)
        assert listed.stdout.split()[1] == created["fingerprint"]

    partner = tmp_path / "partner"
    popt = ["--config-dir", str(partner)]
    code, out, err = run_cli(["keys", "trust", str(pub), "--name", "Lab A", *popt], capsys)
    assert code == 0 and created["fingerprint"] in out, err
    code, out, err = run_cli(["keys", "trust", str(pub), "--name", "Lab A", *popt], capsys)  # again: no change
    assert code == 0, err
    code, out, _ = run_cli(["keys", "list", *popt, "--json"], capsys)
    listed_keys = json.loads(out)
    assert listed_keys["own"] == [] and [(k["name"], k["fingerprint"]) for k in listed_keys["trusted"]] == [
        ("Lab A", created["fingerprint"])
    ]
    refusals = {
        "already trusted as 'Lab A'": ["keys", "trust", pub.read_text(), "--name", "Lab B"],  # the key line itself
        "a key named 'Lab A' is already trusted": [
            "keys",
            "trust",
            SigningKey.generate().public_line(),
            "--name",
            "Lab A",
        ],
        "not an Ed25519 public key": ["keys", "trust", str(private), "--name", "oops"],  # the private key file
        "invalid partner name": ["keys", "trust", str(pub), "--name", "../evil"],
        "no trusted key named 'Lab C'": ["keys", "untrust", "Lab C"],
        "no signing key 'default'": ["keys", "show"],
    }
    for match, args in refusals.items():
        code, _, err = run_cli([*args, *popt], capsys)
        assert code == 1 and match in err and "Traceback" not in err, (match, err)
    code, out, _ = run_cli(["keys", "untrust", "Lab A", *popt], capsys)
    assert code == 0 and "no longer trusting 'Lab A'" in out
    assert Keyring(partner).trusted() == {}


def test_a_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    keyring = Keyring(tmp_path)
    key, _ = keyring.create_key()
    assert key.path is not None
    key.path.chmod(0o644)
    with pytest.raises(KeyringError, match="readable by other users") as info:
        keyring.signing_key()
    assert "chmod 600" in str(info.value.hint)


# ---------------------------------------------------------------------------------------------------- attacks
def test_forged_crate_with_an_edited_table_and_recomputed_checksums_is_refused(
    signed: tuple[ResultsStore, Path], tmp_path: Path
) -> None:
    """The attack of issue 18: change a result, recompute every checksum (manifest and metadata). The checksums
    verify; the signature over them does not, and --allow-unsigned does not let it in either."""
    _, crate = signed
    targets = pq.read_table(io.BytesIO(_member(crate, "tables/targets.parquet")))
    better = targets.set_column(
        targets.schema.get_field_index("score"), "score", pa.array([0.99] * targets.num_rows, pa.float64())
    )
    doc = json.loads(_member(crate, RUN_FILE))
    doc["run"]["user"], doc["run"]["git_commit"] = "famous-lab", "f" * 40  # forged provenance too
    forged = tmp_path / "forged.zip"
    _forge(crate, forged, {"tables/targets.parquet": _parquet(better), RUN_FILE: json.dumps(doc).encode()})
    for allow in (False, True):
        error = _refused(forged, tmp_path, "signature does not match the crate's contents", allow_unsigned=allow)
        assert "never import it with --allow-unsigned" in str(error.hint)
    # the genuine crate imports, signed by the trusted key
    summary = import_run(ResultsStore(tmp_path / "site-b"), crate)
    assert summary["signature"]["status"] == "verified" and summary["signature"]["signer_name"] == "test lab"


def test_crate_signed_by_an_untrusted_key_is_refused_until_trusted(
    signed: tuple[ResultsStore, Path], tmp_path: Path
) -> None:
    source, crate = signed
    stranger = SigningKey.generate("mallory")
    # an attacker's forged crate, signed with the attacker's own key: the signature is valid, the signer unknown
    forged = tmp_path / "resigned.zip"
    _forge(crate, forged, {}, sign_with=stranger)
    error = _refused(forged, tmp_path, "signed by a key you do not trust")
    assert stranger.fingerprint in error.message and "'mallory'" in error.message
    assert "keys trust" in str(error.hint) and "--allow-unsigned" in str(error.hint)
    # with --allow-unsigned it imports, recorded as untrusted with the key's fingerprint and no trusted name
    target = ResultsStore(tmp_path / "site-b")
    import_run(target, forged, allow_unsigned=True)
    run = target.get_run(RUN)
    assert (run["signature_status"], run["signer_name"], run["signer_fingerprint"]) == (
        "untrusted",
        None,
        stranger.fingerprint,
    )
    assert run["origin"]["signature"]["key_name"] == "mallory"
    # a partner's key becomes trusted: its crates import as verified under the receiver's name for it
    partner = Keyring(tmp_path / "partner-home")
    export_run(source, RUN, tmp_path / "from-a.zip", key=Keyring().signing_key())
    _refused(tmp_path / "from-a.zip", tmp_path, "do not trust", keyring=partner)
    partner.trust("Lab A", Keyring().signing_key().public_line())
    other = ResultsStore(tmp_path / "site-c")
    assert import_run(other, tmp_path / "from-a.zip", keyring=partner)["signature"]["signer_name"] == "Lab A"
    assert other.find_run(RUN)["signer_name"] == "Lab A"  # type: ignore[index]


def test_unsigned_crate_is_refused_without_the_flag_and_recorded_as_unsigned_with_it(
    signed: tuple[ResultsStore, Path], tmp_path: Path
) -> None:
    source, signed_crate = signed
    unsigned = tmp_path / "unsigned.zip"
    assert export_run(source, RUN, unsigned, key=None)["signed_by"] is None
    assert SIGNATURE not in zipfile.ZipFile(unsigned).namelist()
    stripped = tmp_path / "stripped.zip"  # a signed crate with its signature removed is just unsigned
    with zipfile.ZipFile(signed_crate) as src, zipfile.ZipFile(stripped, "w") as dst:
        for info in src.infolist():
            if info.filename != SIGNATURE:
                dst.writestr(info, src.read(info.filename))
    for crate in (unsigned, stripped):
        error = _refused(crate, tmp_path, "the crate is not signed")
        assert "radiovector keys create" in str(error.hint) and "--allow-unsigned" in str(error.hint)
    target = ResultsStore(tmp_path / "site-b")
    summary = import_run(target, unsigned, allow_unsigned=True)
    assert summary["signature"]["status"] == "unsigned"
    run = target.get_run(RUN)
    assert (run["signature_status"], run["signer_name"], run["signer_fingerprint"]) == ("unsigned", None, None)
    assert run["origin"]["signature"]["status"] == "unsigned"
    rows = target.sql("SELECT run_id, signature_status FROM runs").to_pylist()
    assert rows == [{"run_id": RUN, "signature_status": "unsigned"}]


def test_tampered_signatures_are_refused_even_with_allow_unsigned(
    signed: tuple[ResultsStore, Path], tmp_path: Path, own_key: Keyring
) -> None:
    source, crate = signed
    signature = json.loads(_member(crate, SIGNATURE))
    raw = bytearray(base64.b64decode(signature["signature"]))
    raw[10] ^= 0x01
    other_key = SigningKey.generate("other")
    own_key.trust("other lab", other_key.public_key)  # even a trusted key cannot claim another's signature
    second = "20260101T130000Z-5b5b5b"
    _commit(source, tmp_path, second)
    export_run(source, second, tmp_path / "second.zip")  # same key, another run
    cases = {
        "flipped_bit": {**signature, "signature": base64.b64encode(bytes(raw)).decode()},
        "signature_of_another_crate": json.loads(_member(tmp_path / "second.zip", SIGNATURE)),
        "other_public_key": {**signature, "public_key": other_key.public_line(), "fingerprint": None},
        "later_signing_time": {**signature, "signed_at": "2030-01-01T00:00:00+00:00"},
        "not_base64": {**signature, "signature": "!!!"},
        "short_signature": {**signature, "signature": "AAAA"},
        "rsa_key_claimed": {**signature, "public_key": "ssh-rsa AAAAB3NzaC1yc2E x"},
        "wrong_fingerprint": {**signature, "fingerprint": other_key.fingerprint},
    }
    for name, doc in cases.items():
        tampered = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(crate) as src, zipfile.ZipFile(tampered, "w") as dst:
            for info in src.infolist():
                data = json.dumps(doc).encode() if info.filename == SIGNATURE else src.read(info.filename)
                dst.writestr(info.filename, data)
        _refused(tampered, tmp_path, "signature", allow_unsigned=True)
    garbage = tmp_path / "garbage.zip"
    with zipfile.ZipFile(crate) as src, zipfile.ZipFile(garbage, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, b"\xff{" if info.filename == SIGNATURE else src.read(info.filename))
    _refused(garbage, tmp_path, "signature file signature-ed25519.json is malformed", allow_unsigned=True)


def _bomb(rows: int) -> pa.Table:
    """``rows`` identical pk_curves rows: a few kB of Parquet (dictionary + run-length encoding, zstd)."""
    constant = {"compound": "A", "radionuclide": "Lu-177", "organ": "kidney", "model": "mono", "unit": "%ID/g"}
    columns = {name: pa.repeat(pa.scalar(value), rows) for name, value in constant.items()}
    columns |= {
        n: pa.repeat(pa.scalar(1.0), rows)
        for n in ("time_h", "fit_decay_corrected", "fit_low", "fit_high", "fit_activity")
    }
    return pa.table({"run_id": pa.repeat(pa.scalar(RUN), rows), **columns})


_MEASURE = """
import json, sys
import pyarrow as pa
from radiovector.store import ResultsStore
from radiovector.store.crate import ImportLimits, import_run
from radiovector.errors import StoreError
try:
    import_run(ResultsStore(sys.argv[1]), sys.argv[2], limits=ImportLimits(max_rows=int(sys.argv[3])))
    outcome = "imported"
except StoreError as exc:
    outcome = exc.message
print(json.dumps({"outcome": outcome, "peak_arrow_bytes": pa.default_memory_pool().max_memory()}))
"""


def test_decompression_bomb_is_refused_from_parquet_metadata_before_reading(
    signed: tuple[ResultsStore, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack of issue 18 (a 1.7 MB crate of constant rows took 3.5 GB) scaled down: 1,000,000 constant rows
    (about 80 MB decoded) in a few kB, signed by a trusted key, against limits lowered to match."""
    _, crate = signed
    rows = 1_000_000
    data = _parquet(_bomb(rows))
    assert len(data) < 100_000
    bomb = tmp_path / "bomb.zip"
    _forge(crate, bomb, _with_table(crate, "pk_curves", data, rows), sign_with=Keyring().signing_key())
    assert bomb.stat().st_size < 200_000

    def no_reading(*args: object, **kw: object) -> None:
        raise AssertionError("a table's data was read before the limits were checked")

    with monkeypatch.context() as patched:  # any read of table data fails the test
        patched.setattr(pq.ParquetFile, "iter_batches", no_reading)
        patched.setattr(pq.ParquetFile, "read", no_reading)
        error = _refused(
            bomb,
            tmp_path,
            "1,000,000 rows, more than the import limit of 100,000",
            limits=ImportLimits(max_rows=100_000),
        )
        assert "before reading it" in error.message and "--max-rows" in str(error.hint)
        error = _refused(bomb, tmp_path, "more than the import limit of 8 MiB", limits=ImportLimits(max_bytes=8 << 20))
        assert "before reading any table" in error.message and "--max-memory-mib" in str(error.hint)
    # in a fresh process: refused with Arrow's peak memory far below what decoding the bomb takes
    decoded = _bomb(rows).nbytes
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "site-m"), str(bomb), "100000"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    measured = json.loads(proc.stdout)
    assert "more than the import limit" in measured["outcome"], measured
    assert measured["peak_arrow_bytes"] < decoded / 10, (measured, decoded)
    assert not (tmp_path / "site-m").exists()


def test_constant_long_string_is_caught_while_streaming_without_decoding_it(
    signed: tuple[ResultsStore, Path], tmp_path: Path
) -> None:
    """A bomb the metadata cannot show: one 200 kB string repeated in 5,000 rows is a 1 GB column once decoded,
    but a dictionary page of 200 kB in Parquet. Strings are read dictionary-encoded and their decoded size is
    computed from the dictionary, so the import stops at the limit, having held only the dictionary."""
    _, crate = signed
    table = pq.read_table(io.BytesIO(_member(crate, "tables/targets.parquet")))
    rows = 5_000
    # written as a dictionary column without the Arrow schema: to a reader, an ordinary string column
    long_reason = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["x" * 200_000]))
    bomb_table = table.take(pa.array([0] * rows)).set_column(
        table.schema.get_field_index("reason"), "reason", long_reason
    )
    buffer = io.BytesIO()
    pq.write_table(bomb_table, buffer, compression="zstd", store_schema=False)
    data = buffer.getvalue()
    assert len(data) < 20_000 and pq.read_schema(io.BytesIO(data)).field("reason").type == pa.string()
    bomb = tmp_path / "strings.zip"
    _forge(crate, bomb, _with_table(crate, "targets", data, rows), sign_with=Keyring().signing_key())
    error = _refused(
        bomb, tmp_path, "grows past the import limits while being read", limits=ImportLimits(max_bytes=64 << 20)
    )
    assert "Parquet metadata understates it" in error.message


def test_crate_cannot_add_tables_columns_or_run_fields_outside_the_contracts(
    signed: tuple[ResultsStore, Path], tmp_path: Path
) -> None:
    """Even signed by a trusted partner, a crate can only bring what the contracts declare: refused before any
    write (issue 18: an extra table or column used to be merged into the store for all runs)."""
    _, crate = signed
    key = Keyring().signing_key()
    targets = pq.read_table(io.BytesIO(_member(crate, "tables/targets.parquet")))
    extra_column = targets.append_column("evil", pa.array(["x"] * targets.num_rows))
    doc = json.loads(_member(crate, RUN_FILE))
    cases = {
        "extra_column": ({"tables/targets.parquet": _parquet(extra_column)}, r"undeclared column\(s\) \['evil'\]"),
        "extra_table": (_with_table(crate, "evil", _parquet(targets), targets.num_rows), "no contract declares"),
        "runs_as_table": (_with_table(crate, "runs", _parquet(targets), targets.num_rows), "no contract declares"),
        "extra_run_field": (
            {RUN_FILE: json.dumps({**doc, "run": {**doc["run"], "evil": 1}}).encode()},
            "run fields no contract declares: \\['evil'\\]",
        ),
        "nested_column": (
            {"tables/targets.parquet": _parquet(targets.append_column("tags", pa.array([["a"]] * targets.num_rows)))},
            "nested column",
        ),
    }
    for name, (change, match) in cases.items():
        forged = tmp_path / f"{name}.zip"
        _forge(crate, forged, change, sign_with=key)
        _refused(forged, tmp_path, match)
    # a crate's claim about its own signer is ignored: the receiver records what it verified
    claimed = {**doc["run"], "signature_status": "verified", "signer_name": "Famous Lab", "signer_fingerprint": "x"}
    forged = tmp_path / "claims.zip"
    _forge(crate, forged, {RUN_FILE: json.dumps({**doc, "run": claimed}).encode()}, sign_with=SigningKey.generate())
    target = ResultsStore(tmp_path / "site-claims")
    import_run(target, forged, allow_unsigned=True)
    run = target.find_run(RUN)
    assert run is not None and (run["signature_status"], run["signer_name"]) == ("untrusted", None)


def test_a_store_without_the_signer_columns_gains_them_on_the_first_signed_import(
    signed: tuple[ResultsStore, Path], tmp_path: Path
) -> None:
    from deltalake import write_deltalake

    from radiovector.store.records import RUNS_SCHEMA, RunRecord

    _, crate = signed
    store = ResultsStore(tmp_path / "old")
    old = "20250101T000000Z-0000aa"
    then = datetime(2025, 1, 1, tzinfo=UTC)
    record = RunRecord(run_id=old, status="succeeded", started_at=then, finished_at=then, config={})
    before = record.to_arrow().drop_columns(["signature_status", "signer_name", "signer_fingerprint"])
    write_deltalake(store.table_uri("runs"), before, mode="append")
    assert store.find_run(old)["signer_name"] is None  # type: ignore[index]  # old stores still read
    import_run(store, crate)
    assert set(RUNS_SCHEMA.names) <= set(store.read("runs").column_names)
    rows = store.sql("SELECT run_id, signature_status, signer_name FROM runs ORDER BY run_id").to_pylist()
    assert rows == [
        {"run_id": old, "signature_status": None, "signer_name": None},
        {"run_id": RUN, "signature_status": "verified", "signer_name": "test lab"},
    ]


# ---------------------------------------------------------------------------------------------------- CLI
def test_cli_export_without_a_key_warns_and_import_refuses_until_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ResultsStore(tmp_path / "a")
    _commit(store, tmp_path, RUN)
    crate = tmp_path / "run.zip"
    common = ["--store", str(tmp_path / "a")]
    code, out, err = run_cli(["runs", "export", RUN, "-o", str(crate), *common], capsys)
    assert code == 0 and "NOT signed" in err and "radiovector keys create" in err and "unsigned" in out
    code, _, err = run_cli(["runs", "export", RUN, "-o", str(crate), "--key", "lab", *common], capsys)
    assert code == 1 and "no signing key 'lab'" in err and "keys create --name lab" in err
    code, _, err = run_cli(["runs", "import", str(crate), "--store", str(tmp_path / "b")], capsys)
    assert code == 1 and "not signed" in err and "Traceback" not in err and not (tmp_path / "b").exists()
    code, out, err = run_cli(["runs", "import", str(crate), "--store", str(tmp_path / "b"), "--allow-unsigned"], capsys)
    assert code == 0 and "UNSIGNED" in out, err
    code, out, _ = run_cli(["runs", "show", RUN, "--store", str(tmp_path / "b")], capsys)
    assert code == 0 and "signature at import: unsigned" in out
    # with a key: signed, and the receiver that trusts it records the signer
    code, out, err = run_cli(["keys", "create"], capsys)
    assert code == 0, err
    code, out, err = run_cli(["runs", "export", RUN, "-o", str(crate), *common, "--json"], capsys)
    assert code == 0 and json.loads(out)["signed_by"]["key_name"] == "default" and "NOT signed" not in err
    pub = tmp_path / "a.pub"
    assert run_cli(["keys", "show", "-o", str(pub)], capsys)[0] == 0
    assert run_cli(["keys", "trust", str(pub), "--name", "site A"], capsys)[0] == 0
    code, out, err = run_cli(["runs", "import", str(crate), "--store", str(tmp_path / "c")], capsys)
    assert code == 0 and "signed by 'site A'" in out, err
    code, _, err = run_cli(["runs", "import", str(crate), "--store", str(tmp_path / "d"), "--max-rows", "2"], capsys)
    assert code == 1 and "more than the import limit of 2 rows" in err
