"""Sharing runs: RO-Crate export, verification and import (round trip, tampering, foreign files, no overwrite)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from radiovector.contracts import contract
from radiovector.errors import StoreError
from radiovector.store import ResultsStore, RunRecord
from radiovector.store.crate import MANIFEST, METADATA, SIGNATURE, export_run, import_run, stage_of
from radiovector.store.signing import Keyring

#: every crate here is signed by the test's own key, which it trusts (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("own_key")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _table(name: str, **values: object) -> pd.DataFrame:
    rows = len(next(iter(values.values())))
    return contract(name).example(rows, **values).to_pandas()


def _commit(store: ResultsStore, tmp_path: Path, run_id: str, shift: float = 0.0) -> str:
    """A run with real input files, stage tables of three stages, inputs and rejects."""
    src = tmp_path / "inputs"
    src.mkdir(exist_ok=True)
    bio = src / "biodistribution.csv"
    bio.write_text("compound,organ,time_h,value\nA,kidney,1,2.5\nA,kidney,4,1.0\n")
    cand = src / "candidates.csv"
    cand.write_text("id,smiles\nc1,CCO\nc2,CCN\n")
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=len(store.visible_run_ids()))
    tables = {  # valid tables (radiovector.contracts) with some real values
        "targets": _table(
            "targets",
            tumour_type=["PRAD"] * 3,
            gene_key=["FOLH1", "KLK3", "STEAP1"],
            score=[0.9 + shift, 0.5, 0.25],
            reason=["a", "b", None],
        ),
        "candidates": _table("candidates", candidate_id=["c1", "c2"], mw=[46.07, 45.08], n_alerts=[0, 1]),
        "pk_fits": _table(
            "pk_fits", compound=["A"], radionuclide=["Lu-177"], organ=["kidney"], model=["mono"], aicc=[1.5]
        ),
        "inputs": _table(
            "inputs",
            input=["biodistribution", "candidates"],
            path=[str(bio), str(cand)],
            sha256=[_sha(bio), _sha(cand)],
            rows_in=[2, 2],
        ),
        "rejects": pd.DataFrame(
            {
                "input": ["candidates"],
                "source": [str(cand)],
                "row_number": [3],
                "column": ["smiles"],
                "value": ["X"],
                "reason": ["unparsable"],
            }
        ),
    }
    keys = {
        "targets": ["tumour_type", "gene_key"],
        "candidates": ["candidate_id"],
        "pk_fits": ["compound", "radionuclide", "organ", "model"],
        "inputs": ["input"],
        "rejects": ["input", "source", "row_number", "column"],
    }
    record = RunRecord(
        run_id=run_id,
        status="succeeded",
        started_at=start,
        finished_at=start + timedelta(seconds=42),
        config={"title": "crate test", "pk": {"n_bootstrap": 10}, "inputs": {"biodistribution": str(bio)}},
        inputs={
            name: {
                "path": str(p),
                "sha256": _sha(p),
                "size_bytes": p.stat().st_size,
                "rows_in": 2,
                "rows_accepted": 2,
                "rows_rejected": 0,
            }
            for name, p in (("biodistribution", bio), ("candidates", cand))
        },
        tables={name: {"rows": len(frame), "key": keys[name]} for name, frame in tables.items()},
        git_commit="0123456789abcdef0123456789abcdef01234567",
        git_dirty=False,
    )
    return store.commit_run(record, tables)


@pytest.fixture
def exported(tmp_path: Path) -> tuple[ResultsStore, str, Path]:
    store = ResultsStore(tmp_path / "site-a")
    run_id = _commit(store, tmp_path, "20260101T120000Z-aaaaaa")
    crate = tmp_path / "run.zip"
    export_run(store, run_id, crate)
    return store, run_id, crate


def test_round_trip_gives_identical_tables_and_records_the_origin(
    exported: tuple[ResultsStore, str, Path], tmp_path: Path
) -> None:
    source, run_id, crate = exported
    target = ResultsStore(tmp_path / "site-b")
    summary = import_run(target, crate, {"institution": "Lab B", "person": "A. Chemist"})
    assert summary["run_id"] == run_id
    assert target.table_names() == source.table_names()
    for name in source.table_names():
        if name != "runs":
            assert target.read(name, run_id).equals(source.read(name, run_id)), name
    a, b = source.find_run(run_id), target.find_run(run_id)
    assert a is not None and b is not None
    # facts of the store that holds the run, set at its import
    local = {"origin_json", "commit_id", "committed_at", "signature_status", "signer_name", "signer_fingerprint"}
    assert {k: v for k, v in a.items() if k not in local} == {k: v for k, v in b.items() if k not in local}
    assert b["commit_id"] != a["commit_id"] and b["committed_at"] > a["committed_at"]
    origin = target.get_run(run_id)["origin"]
    assert origin["institution"] == "Lab B" and origin["person"] == "A. Chemist"
    assert datetime.fromisoformat(origin["imported_at"]) <= datetime.now(UTC)
    assert origin["crate_sha256"] == _sha(crate) and origin["exported_from"] == source.location
    assert source.get_run(run_id)["origin"] is None
    fingerprint = Keyring().signing_key().fingerprint
    assert (b["signature_status"], b["signer_name"], b["signer_fingerprint"]) == ("verified", "test lab", fingerprint)
    assert origin["signature"]["status"] == "verified" and origin["signature"]["fingerprint"] == fingerprint
    assert a["signature_status"] is None  # computed there, not imported


def test_crate_layout_and_provenance(exported: tuple[ResultsStore, str, Path]) -> None:
    from rocrate.rocrate import ROCrate

    _, run_id, crate = exported
    with zipfile.ZipFile(crate) as archive:
        names = set(archive.namelist())
        manifest = dict(line.split("  ", 1)[::-1] for line in archive.read(MANIFEST).decode().splitlines())
        for name, sha in manifest.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == sha
    assert set(manifest) == names - {MANIFEST, SIGNATURE}  # the signature covers the manifest, so is not in it
    assert {
        "tables/targets.parquet",
        "tables/pk_fits.parquet",
        "config/config.resolved.yaml",
        "inputs/biodistribution/biodistribution.csv",
        "radiovector-run.json",
        METADATA,
    } <= names
    parsed = ROCrate(crate)  # the rocrate package reads it back
    assert parsed.root_dataset["identifier"] == run_id
    actions = {a["name"]: a for a in parsed.get_by_type("CreateAction")}
    stages = {"ingest", "targets", "candidates", "pk"}
    assert {f"stage {s} of run {run_id}" for s in stages} | {f"RadioVector run {run_id}"} == set(actions)
    pk = actions[f"stage pk of run {run_id}"]
    assert [e.id for e in pk["result"]] == ["tables/pk_fits.parquet"]
    assert "inputs/biodistribution/biodistribution.csv" in [e.id for e in pk["object"]]
    entity = parsed.dereference("tables/targets.parquet")
    assert entity["sha256"] == manifest["tables/targets.parquet"]
    versions = {e["name"]: e["softwareVersion"] for e in parsed.get_by_type("SoftwareApplication")}
    assert versions.get("pandas") == pd.__version__
    assert stage_of("pk_tia") == "pk" and stage_of("organ_expression") == "targets"


def test_no_inputs_keeps_only_checksums(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "a")
    run_id = _commit(store, tmp_path, "20260101T120000Z-bbbbbb")
    crate = tmp_path / "slim.zip"
    export_run(store, run_id, crate, include_inputs=False)
    with zipfile.ZipFile(crate) as archive:
        assert not [n for n in archive.namelist() if n.startswith("inputs/")]
        graph = {e["@id"]: e for e in json.loads(archive.read(METADATA))["@graph"]}
    assert graph["#input-biodistribution"]["sha256"] == _sha(tmp_path / "inputs" / "biodistribution.csv")
    import_run(ResultsStore(tmp_path / "b"), crate)


def test_export_refuses_inputs_changed_since_the_run(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "a")
    run_id = _commit(store, tmp_path, "20260101T120000Z-cccccc")
    (tmp_path / "inputs" / "candidates.csv").write_text("id,smiles\nc1,CCCC\n")
    with pytest.raises(StoreError, match="changed since run") as info:
        export_run(store, run_id, tmp_path / "x.zip")
    assert "--no-inputs" in str(info.value)
    assert not (tmp_path / "x.zip").exists()


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (bytes) or dropping (None) some members."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for info in a.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    b.writestr(info.filename, change[info.filename])
            else:
                b.writestr(info, a.read(info.filename))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def test_tampered_truncated_and_foreign_files_are_refused_before_writing(
    exported: tuple[ResultsStore, str, Path], tmp_path: Path
) -> None:
    _, _, crate = exported
    with zipfile.ZipFile(crate) as archive:
        parquet = archive.read("tables/targets.parquet")
        metadata = archive.read(METADATA)
        manifest = archive.read(MANIFEST).decode()
    cases: dict[str, tuple[Path, str]] = {}

    def case(name: str, match: str) -> Path:
        path = tmp_path / f"{name}.zip"
        cases[name] = (path, match)
        return path

    _rewrite(
        crate,
        case("tampered", "checksum mismatch for tables/targets.parquet"),
        {"tables/targets.parquet": _flip(parquet, len(parquet) // 2)},
    )
    # tampered consistently with the manifest, but not with the metadata
    new_sha = hashlib.sha256(_flip(parquet, 10)).hexdigest()
    old_sha = hashlib.sha256(parquet).hexdigest()
    _rewrite(
        crate,
        case("tampered_manifest", "does not describe tables/targets.parquet"),
        {"tables/targets.parquet": _flip(parquet, 10), MANIFEST: manifest.replace(old_sha, new_sha).encode()},
    )
    _rewrite(crate, case("extra_file", "files not in the manifest"), {})
    with zipfile.ZipFile(cases["extra_file"][0], "a") as archive:
        archive.writestr("tables/evil.parquet", b"x")
    _rewrite(crate, case("missing_member", "listed but missing"), {"tables/pk_fits.parquet": None})
    _rewrite(crate, case("no_manifest", "manifest"), {MANIFEST: None})
    _rewrite(
        crate,
        case("bad_metadata", "checksum mismatch for ro-crate-metadata.json"),
        {METADATA: metadata.replace(b"RadioVector run", b"RadioVector RUN")},
    )
    data = crate.read_bytes()
    case("truncated", "not a readable zip file, or truncated").write_bytes(data[: len(data) // 2])
    case("corrupted", "corrupted|checksum mismatch").write_bytes(_flip(data, 200))
    with zipfile.ZipFile(case("foreign", "not a RadioVector run crate"), "w") as archive:
        archive.writestr("hello.txt", "a zip from elsewhere")
    with zipfile.ZipFile(case("other_ro_crate", "not a RadioVector run crate"), "w") as archive:
        archive.writestr(METADATA, json.dumps({"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": []}))
    case("not_a_zip", "not a readable zip").write_text("id,smiles\n")
    target = ResultsStore(tmp_path / "site-b")
    for name, (path, match) in cases.items():
        with pytest.raises(StoreError, match=match) as info:
            import_run(target, path)
        assert str(path) in str(info.value), name
        assert not (tmp_path / "site-b").exists(), f"{name}: something was written"


def test_existing_run_is_never_overwritten(exported: tuple[ResultsStore, str, Path], tmp_path: Path) -> None:
    source, run_id, crate = exported
    with pytest.raises(StoreError, match="already in the store"):
        import_run(source, crate)
    assert source.read("targets", run_id).num_rows == 3 and source.visible_run_ids() == [run_id]


def test_cli_export_import_and_query_the_imported_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site_a, site_b = tmp_path / "a", tmp_path / "b"
    store_a = ResultsStore(site_a)
    first = _commit(store_a, tmp_path, "20260101T120000Z-111111")
    second = _commit(store_a, tmp_path, "20260101T120100Z-222222", shift=0.05)
    for rid in (first, second):
        code, out, err = run_cli(
            ["runs", "export", rid, "-o", str(tmp_path / f"{rid}.zip"), "--store", str(site_a), "--json"], capsys
        )
        assert code == 0, err
        assert json.loads(out)["sha256"] == _sha(tmp_path / f"{rid}.zip")
    code, out, err = run_cli(
        [
            "runs",
            "import",
            str(tmp_path / f"{first}.zip"),
            "--store",
            str(site_b),
            "--institution",
            "Lab A",
            "--person",
            "B. Informatician",
        ],
        capsys,
    )
    assert code == 0, err
    assert "imported run" in out and "all checksums verified" in out
    code, out, err = run_cli(
        ["runs", "import", str(tmp_path / f"{second}.zip"), "--store", str(site_b), "--json"], capsys
    )
    assert code == 0 and json.loads(out)["origin"]["institution"] is None
    code, out, _ = run_cli(["runs", "list", "--store", str(site_b), "--json"], capsys)
    assert [r["run_id"] for r in json.loads(out)] == [first, second]
    code, out, _ = run_cli(["runs", "show", first[:18], "--store", str(site_b), "--json"], capsys)
    shown = json.loads(out)
    assert shown["origin"]["institution"] == "Lab A" and shown["origin"]["person"] == "B. Informatician"
    code, out, _ = run_cli(["runs", "show", first, "--store", str(site_b)], capsys)
    assert code == 0 and "Lab A" in out
    code, out, _ = run_cli(
        [
            "runs",
            "sql",
            "SELECT run_id, count(*) AS n FROM targets GROUP BY run_id ORDER BY run_id",
            "--store",
            str(site_b),
            "--json",
        ],
        capsys,
    )
    assert json.loads(out) == [{"run_id": first, "n": 3}, {"run_id": second, "n": 3}]
    code, out, _ = run_cli(
        ["runs", "diff", first, second, "--table", "targets", "--store", str(site_b), "--json"], capsys
    )
    assert code == 0 and json.loads(out)["changed"] == 1
    # refusals: non-zero exit, one clear message, no traceback
    code, _, err = run_cli(["runs", "import", str(tmp_path / f"{first}.zip"), "--store", str(site_b)], capsys)
    assert code == 1 and "never overwritten" in err and "Traceback" not in err
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really")
    code, _, err = run_cli(["runs", "import", str(tmp_path / "junk.zip"), "--store", str(site_b)], capsys)
    assert code == 1 and "refusing to import" in err and "junk.zip" in err
    code, _, err = run_cli(["runs", "export", "nope", "-o", str(tmp_path / "n.zip"), "--store", str(site_a)], capsys)
    assert code == 1 and "no run 'nope'" in err


def test_row_order_survives_chunked_tables_and_the_round_trip(tmp_path: Path) -> None:
    import pyarrow as pa

    frame = contract("pk_curves").example(300_000)  # time_h = 0, 1, 2, ...
    chunked = pa.concat_tables([frame.slice(s, 10_000) for s in range(0, 300_000, 10_000)])
    store = ResultsStore(tmp_path / "a")
    now = datetime.now(UTC)
    record = RunRecord(
        run_id="20260101T000000Z-0a0de0",
        status="succeeded",
        started_at=now,
        finished_at=now,
        config={},
        tables={"pk_curves": {"rows": 300_000, "key": list(contract("pk_curves").key)}},
    )
    run_id = store.commit_run(record, {"pk_curves": chunked})
    assert store.read("pk_curves", run_id)["time_h"].to_pylist() == [float(i) for i in range(300_000)]
    export_run(store, run_id, tmp_path / "big.zip")
    other = ResultsStore(tmp_path / "b")
    import_run(other, tmp_path / "big.zip")
    assert other.read("pk_curves", run_id).equals(store.read("pk_curves", run_id))
