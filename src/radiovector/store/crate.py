"""Share runs between laboratories: export a run as a Workflow Run RO-Crate zip, verify and import one.

Crate layout (see docs/sharing.md)::

    ro-crate-metadata.json        RO-Crate 1.1 metadata (Workflow Run Crate / Provenance Run Crate profiles)
    radiovector-run.json          the run's `runs` row (provenance record) and the crate format version
    config/config.resolved.yaml   the resolved config of the run
    tables/<name>.parquet         every result table of the run (inputs, rejects, stage tables)
    inputs/<input>/<file>         the input files (left out with include_inputs=False: checksums only)
    manifest-sha256.txt           sha256 of every file above, ro-crate-metadata.json included
    signature-ed25519.json        Ed25519 signature over the manifest (radiovector.store.signing), if signed

:func:`import_run` checks the zip, the manifest, every checksum, the signature and the trust in its signer, and
inspects every table's Parquet metadata against the import limits before it reads a table or writes anything; the
imported run keeps its run id and provenance and records where it came from and who signed it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from radiovector.contracts import ContractError, contract, contracts
from radiovector.errors import StoreError
from radiovector.io.tables import sha256_file, sha256_stream
from radiovector.store.delta import STORE_COLUMNS, ResultsStore
from radiovector.store.limits import ImportLimits
from radiovector.store.records import RUN_STATUSES, RUNS_SCHEMA, _user, validate_run_id
from radiovector.store.signing import (
    SIGNATURE_FILE,
    BadSignature,
    Keyring,
    SignatureCheck,
    SigningKey,
    check_signature,
    config_dir,
    sign_crate,
)

#: Bumped when the crate layout changes incompatibly; import refuses newer formats. 2: the crate may carry
#: signature-ed25519.json (outside the manifest, which it signs).
CRATE_FORMAT = 2
RUN_FILE = "radiovector-run.json"
MANIFEST = "manifest-sha256.txt"
SIGNATURE = SIGNATURE_FILE
METADATA = "ro-crate-metadata.json"
CONFIG_FILE = "config/config.resolved.yaml"
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/ro/wfrun/provenance/0.5": "Provenance Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}
#: Stages of the workflow, their rule file and the inputs they read (None: every input). The tables a stage
#: writes are those whose contract names the stage (radiovector.contracts).
STAGES: dict[str, dict[str, Any]] = {
    "ingest": {"rule": "rules/ingest.smk", "inputs": None},
    "targets": {
        "rule": "rules/targets.smk",
        "inputs": ["tumour_expression", "normal_expression", "surfaceome", "cspa"],
    },
    "candidates": {"rule": "rules/candidates.smk", "inputs": ["candidates", "peptides"]},
    "design": {"rule": "rules/design.smk", "inputs": ["building_blocks"]},
    "pk": {"rule": "rules/pk.smk", "inputs": ["biodistribution"]},
    "dosimetry": {"rule": "rules/dosimetry.smk", "inputs": ["biodistribution"]},
    "dossier": {
        "rule": "rules/dossier.smk",
        "inputs": [
            "tumour_expression",
            "normal_expression",
            "surfaceome",
            "cspa",
            "candidates",
            "peptides",
            "biodistribution",
        ],
    },
}
_CHUNK = 1 << 20
#: The crate's JSON documents (metadata, run record, manifest, signature) are read whole: at most this large each.
MAX_DOCUMENT_BYTES = 64 << 20
#: At most this many files in a crate (the tables of a run and its input files are a few dozen).
MAX_FILES = 10_000


def stage_of(table: str) -> str:
    """The workflow stage that writes ``table``, from its contract."""
    return contract(table).stage


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ---------------------------------------------------------------------------------------------------- export
def export_run(
    store: ResultsStore,
    run_ref: str,
    path: str | os.PathLike[str],
    include_inputs: bool = True,
    exported_by: dict[str, Any] | None = None,
    key: SigningKey | str | None = "default",
    keyring: Keyring | None = None,
) -> dict[str, Any]:
    """Write run ``run_ref`` of ``store`` as a Workflow Run RO-Crate zip at ``path``; returns a summary.

    Input files are taken from the paths recorded with the run and must still have the recorded sha256
    (otherwise use ``include_inputs=False``, which records their checksums only). The zip appears at ``path``
    only when complete (written beside it, then renamed).

    The crate is signed with ``key``: a :class:`SigningKey`, or the name of a key in ``keyring`` (default: the
    keyring in :func:`radiovector.store.signing.config_dir`). The default name ``"default"`` signs only if that
    key exists (``signed_by`` in the summary is None otherwise); another name must exist; None leaves the crate
    unsigned (partners then refuse it unless they import with ``allow_unsigned``).
    """
    if isinstance(key, str):
        keyring = keyring or Keyring()
        key = keyring.signing_key(key) if key != "default" or keyring.has_key(key) else None
    run_id = store.resolve_run_id(run_ref)
    row = store.find_run(run_id)
    if row is None:  # resolved a moment ago: removed in between
        raise StoreError(f"run {run_id} disappeared from the store at {store.location} during export")
    inputs: dict[str, dict[str, Any]] = json.loads(row["inputs_json"] or "{}")
    tables_meta: dict[str, dict[str, Any]] = json.loads(row["tables_json"] or "{}")
    out = Path(path)
    if out.suffix.lower() != ".zip":
        raise StoreError(f"export file {out} must end in .zip", hint="e.g. -o run.zip")
    if out.parent and not out.parent.exists():
        raise StoreError(f"directory {out.parent} of the export file does not exist", hint="create it first")
    if include_inputs:
        _check_inputs_unchanged(inputs, run_id)
    exported_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="radiovector-export-", dir=out.parent) as tmp:
        staging = Path(tmp)
        files, input_ids = _stage_files(staging, store, row, include_inputs, exported_at, exported_by)
        crate = _describe_run(staging, files, input_ids, row, include_inputs, exported_at)
        signature = _write_zip(crate, staging, files, out, run_id, key)
    return {
        "run_id": run_id,
        "file": str(out),
        "size_bytes": out.stat().st_size,
        "sha256": sha256_file(out),
        "tables": {name: tables_meta[name].get("rows") for name in sorted(tables_meta)},
        "inputs_included": include_inputs,
        "files": len(files) + 2 + (signature is not None),
        "signed_by": None if signature is None else {k: signature[k] for k in ("key_name", "fingerprint")},
    }


def _check_inputs_unchanged(inputs: dict[str, dict[str, Any]], run_id: str) -> None:
    """Every input file of the run is still where it was, with the recorded sha256."""
    for name, spec in sorted(inputs.items()):
        source = Path(spec["path"])
        if not source.is_file():
            raise StoreError(
                f"input {name!r} of run {run_id} is no longer at {source}",
                hint="export with --no-inputs to send only the input checksums",
            )
        if sha256_file(source) != spec["sha256"]:
            raise StoreError(
                f"input {name!r} at {source} changed since run {run_id} (sha256 differs from the record)",
                hint="export with --no-inputs to send only the recorded checksums",
            )


def _stage_files(
    staging: Path,
    store: ResultsStore,
    row: dict[str, Any],
    include_inputs: bool,
    exported_at: datetime,
    exported_by: dict[str, Any] | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Write the crate's files into ``staging``: run record, resolved config, result tables (Parquet) and, if
    wanted, the input files. Returns (crate path -> properties with sha256 and size, input name -> crate path)."""
    run_id = row["run_id"]
    inputs: dict[str, dict[str, Any]] = json.loads(row["inputs_json"] or "{}")
    tables_meta: dict[str, dict[str, Any]] = json.loads(row["tables_json"] or "{}")
    files: dict[str, dict[str, Any]] = {}

    def stage_file(rel: str, properties: dict[str, Any]) -> None:
        full = staging / rel
        files[rel] = {**properties, "sha256": sha256_file(full), "contentSize": str(full.stat().st_size)}

    run_doc = {
        "format": "radiovector-run-crate",
        "crate_format": CRATE_FORMAT,
        "run": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()},
        "exported_at": exported_at.isoformat(),
        "exported_by": exported_by or {"user": _user(), "host": os.uname().nodename},
        "exported_from": store.location,
        "include_inputs": include_inputs,
    }
    (staging / RUN_FILE).write_text(json.dumps(run_doc, indent=1, sort_keys=True, default=_json_default))
    stage_file(RUN_FILE, {"name": "run record", "encodingFormat": "application/json"})
    (staging / "config").mkdir()
    (staging / CONFIG_FILE).write_text(yaml.safe_dump(json.loads(row["config_json"]), sort_keys=True))
    stage_file(CONFIG_FILE, {"name": "resolved config", "encodingFormat": "application/yaml"})

    (staging / "tables").mkdir()
    for name in sorted(tables_meta):
        table = store.read(name, run_id)
        rel = f"tables/{name}.parquet"
        pq.write_table(table, staging / rel, compression="zstd", use_dictionary=_repetitive(table))
        stage_file(
            rel,
            {
                "name": f"result table {name}",
                "encodingFormat": "application/vnd.apache.parquet",
                "description": contract(name).summary(table.num_rows),
            },
        )
    input_ids: dict[str, str] = {}
    for name, spec in sorted(inputs.items()):
        if include_inputs:
            rel = f"inputs/{name}/{Path(spec['path']).name}"
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(spec["path"], staging / rel)
            stage_file(rel, {"name": f"input {name}", "description": f"original path {spec['path']}"})
            if files[rel]["sha256"] != spec["sha256"]:
                raise StoreError(f"input {name!r} changed while it was being exported", hint="export again")
            input_ids[name] = rel
    return files, input_ids


def _repetitive(table: pa.Table) -> list[str]:
    """Columns worth dictionary-encoding in Parquet: those with at most half as many distinct values as rows.
    Others are written plain, which the import reads fast (it reads dictionary-encoded strings as dictionaries to
    measure their decoded size, and for a column of unique values that means building a dictionary)."""
    return [
        f.name
        for f in table.schema
        if table.num_rows and pc.count_distinct(table[f.name], mode="all").as_py() <= table.num_rows // 2
    ]


def _describe_run(
    staging: Path,
    files: dict[str, dict[str, Any]],
    input_ids: dict[str, str],
    row: dict[str, Any],
    include_inputs: bool,
    exported_at: datetime,
) -> Any:
    """The RO-Crate metadata of the staged files: profiles, the workflow and its software, one step and action per
    stage (inputs -> tables), the run action and its agent, and Snakemake's orchestration (Workflow Run Crate)."""
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    run_id = row["run_id"]
    inputs: dict[str, dict[str, Any]] = json.loads(row["inputs_json"] or "{}")
    versions: dict[str, str] = json.loads(row["versions_json"] or "{}")
    input_ids = dict(input_ids)
    crate = ROCrate()
    crate.name = f"RadioVector run {run_id}"
    crate.description = (
        f"Run {run_id} of the RadioVector workflow ({row['status']}): result tables as Parquet, the resolved "
        f"config, {'the input files' if include_inputs else 'the input checksums'} and the provenance of each "
        "stage. manifest-sha256.txt lists the sha256 of every file."
    )
    crate.root_dataset["identifier"] = run_id
    crate.root_dataset["datePublished"] = exported_at.isoformat()
    for profile, label in PROFILES.items():
        entity = crate.add(ContextEntity(crate, profile, properties={"@type": "CreativeWork", "name": label}))
        crate.root_dataset.append_to("conformsTo", entity)
    entities = {
        rel: crate.add_file(staging / rel, dest_path=rel, properties=dict(props)) for rel, props in files.items()
    }
    for name, spec in sorted(inputs.items()):
        if name not in input_ids:  # --no-inputs: a contextual entity with the checksum, no file
            input_ids[name] = f"#input-{name}"
            crate.add(
                ContextEntity(
                    crate,
                    input_ids[name],
                    properties={
                        "@type": "CreativeWork",
                        "name": f"input {name} (not included)",
                        "description": f"original path {spec['path']}",
                        "sha256": spec["sha256"],
                        "contentSize": str(spec.get("size_bytes")),
                    },
                )
            )

    language = crate.add(
        ContextEntity(
            crate,
            "https://w3id.org/workflowhub/workflow-ro-crate#snakemake",
            properties={
                "@type": "ComputerLanguage",
                "name": "Snakemake",
                "url": {"@id": "https://snakemake.readthedocs.io"},
                **({"version": row["snakemake_version"]} if row.get("snakemake_version") else {}),
            },
        )
    )
    workflow = crate.add(
        ContextEntity(
            crate,
            "#radiovector-workflow",
            properties={
                "@type": ["SoftwareSourceCode", "ComputationalWorkflow"],
                "name": "RadioVector workflow (workflow/Snakefile, rules/*.smk)",
                "version": row.get("radiovector_version"),
                "identifier": row.get("git_commit"),
                "programmingLanguage": language,
            },
        )
    )
    crate.mainEntity = workflow
    software = [
        crate.add(
            ContextEntity(
                crate,
                f"#software-{package}",
                properties={"@type": "SoftwareApplication", "name": package, "softwareVersion": version},
            )
        )
        for package, version in sorted(versions.items())
    ]
    workflow["softwareRequirements"] = software
    config_entity = entities[CONFIG_FILE]
    input_entities = {name: crate.get(ref) for name, ref in input_ids.items()}
    steps, actions = _describe_stages(crate, entities, input_entities, row)
    workflow["step"] = steps
    run_action = crate.add_action(
        workflow,
        identifier=f"#run-{run_id}",
        object=list(input_entities.values()) + [config_entity],
        result=[entities[rel] for rel in files if rel.startswith("tables/")],
        properties={
            "@type": "CreateAction",
            "name": f"RadioVector run {run_id}",
            "actionStatus": {
                "@id": "http://schema.org/CompletedActionStatus"
                if row["status"] == "succeeded"
                else "http://schema.org/FailedActionStatus"
            },
            "startTime": jsonable_time(row["started_at"]),
            "endTime": jsonable_time(row["finished_at"]),
            **({"error": row["error"]} if row.get("error") else {}),
            "agent": {"@id": f"#agent-{row.get('user')}"},
            "subjectOf": entities[RUN_FILE],
        },
    )
    crate.add(
        ContextEntity(
            crate,
            f"#agent-{row.get('user')}",
            properties={"@type": "Person", "name": f"{row.get('user')}@{row.get('host')}"},
        )
    )
    run_action["instrument"] = workflow
    engine = crate.add(
        ContextEntity(
            crate,
            "#snakemake",
            properties={
                "@type": "SoftwareApplication",
                "name": "Snakemake",
                "softwareVersion": row.get("snakemake_version"),
            },
        )
    )
    crate.add_action(
        engine,
        identifier="#orchestrate",
        object=[run_action],
        result=actions,
        properties={"@type": "OrganizeAction", "name": "Snakemake run of the RadioVector workflow"},
    )
    crate.root_dataset["mentions"] = [run_action]

    for entity in crate.get_entities():  # unknown values (no git commit, ...) are left out, not null
        for key in [k for k, v in entity._jsonld.items() if v is None]:
            del entity._jsonld[key]
    return crate


def _describe_stages(
    crate: Any, entities: dict[str, Any], input_entities: dict[str, Any], row: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    """One HowToStep and one CreateAction per workflow stage: the inputs it read and the tables it wrote."""
    from rocrate.model.contextentity import ContextEntity

    run_id = row["run_id"]
    inputs = json.loads(row["inputs_json"] or "{}")
    tables_meta = json.loads(row["tables_json"] or "{}")
    config_entity = entities[CONFIG_FILE]
    steps, actions = [], []
    by_stage: dict[str, list[str]] = {}
    for name in sorted(tables_meta):
        by_stage.setdefault(stage_of(name), []).append(name)
    for stage in sorted(by_stage, key=lambda s: (list(STAGES).index(s) if s in STAGES else 99, s)):
        spec = STAGES.get(stage, {"rule": None, "inputs": None})
        wanted = sorted(inputs) if spec["inputs"] is None else [n for n in spec["inputs"] if n in inputs]
        step = crate.add(
            ContextEntity(
                crate,
                f"#step-{stage}",
                properties={
                    "@type": "HowToStep",
                    "name": stage,
                    "description": f"workflow rule file {spec['rule']}" if spec["rule"] else "result tables",
                },
            )
        )
        steps.append(step)
        actions.append(
            crate.add_action(
                step,
                identifier=f"#run-{stage}",
                object=[input_entities[n] for n in wanted] + [config_entity],
                result=[entities[f"tables/{t}.parquet"] for t in by_stage[stage]],
                properties={
                    "@type": "CreateAction",
                    "name": f"stage {stage} of run {run_id}",
                    "endTime": jsonable_time(row["finished_at"]),
                },
            )
        )
    return steps, actions


def _write_zip(
    crate: Any, staging: Path, files: dict[str, dict[str, Any]], out: Path, run_id: str, key: SigningKey | None
) -> dict[str, Any] | None:
    """Zip the crate, add manifest-sha256.txt (sha256 of every file, metadata included), sign it with ``key`` (if
    given: signature-ed25519.json over every file's path, sha256 and size) and move it to ``out``. Returns the
    signature document or None."""
    tmp_zip = staging / "crate.zip.part"
    crate.write_zip(tmp_zip)
    with zipfile.ZipFile(tmp_zip) as archive:
        members = set(archive.namelist())
        metadata_sha = hashlib.sha256(archive.read(METADATA)).hexdigest()
    unexpected = members - set(files) - {METADATA}
    if unexpected:  # rocrate adds unlisted files from the source folder; there must be none
        raise StoreError(f"internal error: unexpected files in the crate: {sorted(unexpected)}")
    manifest = "".join(f"{sha}  {rel}\n" for rel, sha in sorted({**_shas(files), METADATA: metadata_sha}.items()))
    with zipfile.ZipFile(tmp_zip, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest)
    signature = None
    if key is not None:
        with zipfile.ZipFile(tmp_zip) as archive:
            digests = _digests(archive, _payload_members(archive.namelist()))
        signature = sign_crate(key, run_id, CRATE_FORMAT, digests)
        with zipfile.ZipFile(tmp_zip, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(SIGNATURE, json.dumps(signature, indent=1))
    os.replace(tmp_zip, out)
    return signature


def _payload_members(names: Iterable[str]) -> list[str]:
    """The members a signature covers: every file of the zip except the signature itself."""
    return sorted(n for n in names if not n.endswith("/") and n != SIGNATURE)


def _digests(archive: zipfile.ZipFile, names: Iterable[str]) -> list[tuple[str, str, int]]:
    """(name, sha256, size in bytes) of members ``names``, streamed (the size counted, not the header's claim)."""
    found = []
    for name in names:
        with archive.open(name) as member:
            found.append((name, *sha256_stream(member, _CHUNK)))
    return found


def _shas(files: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {rel: props["sha256"] for rel, props in files.items()}


def jsonable_time(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# ---------------------------------------------------------------------------------------------------- import
def _refuse(path: Path, problem: str, hint: str | None = None) -> StoreError:
    return StoreError(
        f"refusing to import {path}: {problem}",
        hint=hint or "ask the sender to export the run again (`radiovector runs export RUN -o FILE.zip`)",
    )


def _safe_member(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and "\\" not in name and name == str(pure)


def verify_crate(path: str | os.PathLike[str], limits: ImportLimits | None = None) -> dict[str, Any]:
    """Check a crate zip completely (zip integrity, layout, sizes, manifest, every sha256); return its run document
    with ``files`` ([path, sha256, size] of every file but the signature: what a signature covers),
    ``signature`` (the raw signature document, None if unsigned), ``crate_sha256`` and ``members``.

    Raises :class:`StoreError` naming the file and the problem for a truncated, tampered, oversized or foreign
    file. The signature itself is checked by :func:`import_run`.
    """
    limits = limits or ImportLimits()
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no such file: {path}", hint="give the path of a crate exported with `runs export`")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(path, f"not a readable zip file, or truncated ({exc})") from exc
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(names) > MAX_FILES:
            raise _refuse(path, f"the zip holds {len(names)} files, more than the {MAX_FILES} a run crate may hold")
        if len(names) != len(set(names)):
            raise _refuse(path, "the zip holds the same file name twice")
        bad = [n for n in names if not _safe_member(n)]
        if bad:
            raise _refuse(path, f"unsafe file names in the zip: {bad[:3]}")
        if METADATA not in names or RUN_FILE not in names:
            raise _refuse(
                path,
                f"not a RadioVector run crate (no {METADATA if METADATA not in names else RUN_FILE})",
                hint="only zips written by `radiovector runs export` can be imported",
            )
        if MANIFEST not in names:
            raise _refuse(path, f"the checksum manifest {MANIFEST} is missing")
        sizes = {info.filename: info.file_size for info in infos}
        unzipped = sum(sizes.values())
        if unzipped > limits.max_unzipped_bytes:  # zipfile never reads a member past its header's size
            raise _refuse(
                path,
                f"its files unzip to {unzipped / 2**20:.0f} MiB, more than the import limit of "
                f"{limits.max_unzipped_bytes / 2**20:.0f} MiB (nothing was read)",
                hint="if you expect a crate this large from a partner you trust, raise the limit "
                "(`runs import --max-unzipped-mib N`)",
            )
        oversized = [n for n in (MANIFEST, METADATA, RUN_FILE, SIGNATURE) if sizes.get(n, 0) > MAX_DOCUMENT_BYTES]
        if oversized:
            raise _refuse(path, f"{oversized[0]} is larger than {MAX_DOCUMENT_BYTES >> 20} MiB")
        try:
            manifest_text = archive.read(MANIFEST).decode()
            listed: dict[str, str] = {}
            for line in manifest_text.splitlines():
                sha, rel = line.split("  ", 1)
                if len(sha) != 64 or rel in listed:
                    raise ValueError(line)
                listed[rel] = sha
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _refuse(path, f"the checksum manifest {MANIFEST} is malformed or corrupted") from exc
        files = {n for n in names if not n.endswith("/")} - {MANIFEST, SIGNATURE}
        if set(listed) != files:
            extra, missing = sorted(files - set(listed)), sorted(set(listed) - files)
            raise _refuse(path, f"files not in the manifest: {extra[:5]}; listed but missing: {missing[:5]}")
        digests: list[tuple[str, str, int]] = []
        for rel in _payload_members(names):
            try:
                digests += _digests(archive, [rel])
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise _refuse(path, f"{rel} is corrupted ({exc})") from exc
            if rel in listed and digests[-1][1] != listed[rel]:
                raise _refuse(path, f"checksum mismatch for {rel}: the file was modified after export")
        try:
            metadata = json.loads(archive.read(METADATA))
            run_doc = json.loads(archive.read(RUN_FILE))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _refuse(path, f"{METADATA} or {RUN_FILE} is not valid JSON") from exc
        try:
            signature = archive.read(SIGNATURE) if SIGNATURE in names else None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise _refuse(path, f"{SIGNATURE} is corrupted ({exc})") from exc
    if not isinstance(run_doc, dict) or run_doc.get("format") != "radiovector-run-crate":
        raise _refuse(path, f"{RUN_FILE} is not a RadioVector run record", hint="only `runs export` crates import")
    crate_format = run_doc.get("crate_format", 0)
    if not isinstance(crate_format, int) or crate_format > CRATE_FORMAT:
        raise _refuse(
            path,
            f"crate format {crate_format!r} is newer than this version understands ({CRATE_FORMAT})",
            hint="upgrade radiovector",
        )
    if not isinstance(metadata, dict) or not isinstance(metadata.get("@graph"), list):
        raise _refuse(path, f"{METADATA} is not RO-Crate metadata (no @graph)")
    graph = {e.get("@id"): e for e in metadata["@graph"] if isinstance(e, dict)}
    for rel, sha in listed.items():
        if rel == METADATA:
            continue
        entity = graph.get(rel)
        if entity is None or entity.get("sha256") != sha:
            raise _refuse(path, f"{METADATA} does not describe {rel} with its checksum")
    run = run_doc.get("run")
    try:
        if not isinstance(run, dict):
            raise ValueError("no run record")
        tables = json.loads(run.get("tables_json") or "{}")
        if not isinstance(tables, dict):
            raise ValueError("tables_json is not an object")
    except (ValueError, TypeError) as exc:
        raise _refuse(path, f"{RUN_FILE} holds an invalid run record ({exc})") from exc
    for name in tables:
        if f"tables/{name}.parquet" not in listed:
            raise _refuse(path, f"result table {name!r} of the run record is missing from the crate")
    return {
        **run_doc,
        "crate_sha256": sha256_file(path),
        "members": sorted(listed),
        "files": digests,
        "signature": signature,
    }


#: Columns of a runs row that are facts of the store holding it, not of the run: set anew on import (a crate's
#: claim to them is ignored).
_STORE_LOCAL = ("commit_id", "committed_at", "signature_status", "signer_name", "signer_fingerprint")


def _runs_row(path: Path, run: dict[str, Any], origin: dict[str, Any], signed: SignatureCheck) -> pa.Table:
    """The crate's run record as a ``runs`` row of this store: store-local columns set here (the signer as this
    store's importer verified it), origin recorded. A field the runs contract does not declare is refused."""
    undeclared = sorted(k for k in run if k not in RUNS_SCHEMA.names)
    if undeclared:
        raise _refuse(
            path,
            f"{RUN_FILE} holds run fields no contract declares: {undeclared[:5]}",
            hint="a crate can only bring the columns this version of radiovector declares; upgrade if the "
            "sender's version is newer",
        )
    row = {name: run.get(name) for name in RUNS_SCHEMA.names if name not in _STORE_LOCAL}
    row.update(signature_status=signed.status, signer_name=signed.signer_name, signer_fingerprint=signed.fingerprint)
    try:
        for col in ("started_at", "finished_at"):
            if isinstance(row[col], str):
                row[col] = datetime.fromisoformat(row[col])
        if row["status"] not in RUN_STATUSES:
            raise ValueError(f"status {row['status']!r} is none of {RUN_STATUSES}")
        row["origin_json"] = json.dumps(origin, sort_keys=True)
        return pa.Table.from_pylist([row], schema=RUNS_SCHEMA)
    except (ValueError, TypeError, pa.ArrowException) as exc:
        raise _refuse(path, f"{RUN_FILE} holds an invalid run record ({exc})") from exc


def _is_text(typ: pa.DataType) -> bool:
    """A string or binary column, plain or dictionary-encoded (read dictionary-encoded on import)."""
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    return (
        pa.types.is_string(typ)
        or pa.types.is_large_string(typ)
        or pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
    )


def _fixed_width(typ: pa.DataType) -> int | None:
    """Bytes per value of a fixed-width Arrow type (bool: 1, rounding up its bit), None for variable width."""
    if _is_text(typ):
        return None
    try:
        return max(1, typ.bit_width // 8)
    except ValueError:
        return None


def _estimated_bytes(meta: pq.FileMetaData, schema: pa.Schema) -> int:
    """Decoded size of a Parquet file as Arrow data, from its metadata alone: rows x width for fixed-width
    columns, the uncompressed pages plus 4-byte offsets for strings (a lower bound for dictionary-encoded strings:
    the streaming read measures those), and a validity bit per value."""
    total = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            column = group.column(c)
            width = _fixed_width(schema.field(column.path_in_schema).type)
            rows = max(group.num_rows, 0)
            total += rows * width if width else column.total_uncompressed_size + 4 * rows
            total += rows // 8 + 1
    return total


def _decoded_bytes(batch: pa.RecordBatch) -> int:
    """Bytes ``batch`` takes once every dictionary column is decoded (the store writes plain columns)."""
    total = 0
    for column in batch.columns:
        if pa.types.is_dictionary(column.type):
            lengths = pc.binary_length(column.dictionary).take(column.indices)
            total += int(pc.sum(lengths).as_py() or 0) + 4 * len(column) + len(column) // 8 + 1
        else:
            total += column.nbytes
    return total


class _Table:
    """One table of a crate, extracted to a temporary file and inspected: its Parquet metadata only."""

    def __init__(self, path: Path, name: str, local: Path, recorded_rows: Any, limits: ImportLimits) -> None:
        where = f"tables/{name}.parquet"
        try:
            parquet = pq.ParquetFile(local)
            self.meta, self.schema = parquet.metadata, parquet.schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise _refuse(path, f"{where} is not a readable Parquet file ({exc})") from exc
        self.name, self.local, self.rows = name, local, self.meta.num_rows
        rows = recorded_rows if recorded_rows is not None else self.rows
        if self.rows != rows:
            raise _refuse(path, f"table {name} has {self.rows} rows, the run record says {rows!r}")
        if self.rows > limits.max_rows:
            raise _refuse(
                path,
                f"table {name} has {self.rows:,} rows, more than the import limit of {limits.max_rows:,} rows per "
                "table (refused from its Parquet metadata, before reading it)",
                hint="if you expect a run this large from a partner you trust, raise the limit "
                "(`runs import --max-rows N`)",
            )
        nested = [f.name for f in self.schema if pa.types.is_nested(f.type)]
        declared = [n for n in self.schema.names if n not in STORE_COLUMNS]
        try:
            if nested:
                raise ContractError(f"table {name!r} ({where}) has nested column(s) {nested}; tables are flat")
            contract(name).check_columns(declared, where)
        except ContractError as exc:
            raise _refuse(path, f"nothing was written: {exc.message}", hint=exc.hint) from exc
        self.estimate = _estimated_bytes(self.meta, self.schema)

    def stream(self, path: Path, limits: ImportLimits, used: int) -> tuple[pa.Table, int]:
        """The table, read in record batches (strings dictionary-encoded) while counting its rows and decoded
        bytes against the limits (``used``: bytes of the tables read before); returns it and the new total."""
        # strings that are dictionary-encoded in the file are read as dictionaries (their decoded size is measured,
        # not allocated); plain-encoded strings are physically present in the pages the metadata sized
        encoded = {
            self.meta.row_group(g).column(c).path_in_schema
            for g in range(self.meta.num_row_groups)
            for c in range(self.meta.num_columns)
            if self.meta.row_group(g).column(c).has_dictionary_page
        }
        strings = [f.name for f in self.schema if _is_text(f.type) and f.name in encoded]
        batches, rows = [], 0
        try:
            parquet = pq.ParquetFile(self.local, read_dictionary=strings)
            for batch in parquet.iter_batches(batch_size=65_536, use_threads=False):
                rows += batch.num_rows
                used += _decoded_bytes(batch)
                if rows > limits.max_rows or used > limits.max_bytes:
                    raise _refuse(
                        path,
                        f"table {self.name} grows past the import limits while being read ({rows:,} rows, the run's "
                        f"tables {used / 2**20:.0f} MiB decoded; limits {limits.max_rows:,} rows per table, "
                        f"{limits.max_bytes / 2**20:.0f} MiB): its Parquet metadata understates it; stopped reading",
                        hint="if you expect a run this large from a partner you trust, raise the limits "
                        "(`runs import --max-rows N --max-memory-mib N`)",
                    )
                batches.append(batch)
        except (pa.ArrowException, OSError) as exc:
            raise _refuse(path, f"tables/{self.name}.parquet is not a readable Parquet file ({exc})") from exc
        if rows != self.rows:
            raise _refuse(path, f"table {self.name} holds {rows} rows, its Parquet metadata says {self.rows}")
        if not batches:
            return self.schema.empty_table(), used
        return pa.Table.from_batches(batches, schema=batches[0].schema), used


def _read_tables(path: Path, run_id: str, run: dict[str, Any], limits: ImportLimits) -> dict[str, pa.Table]:
    """The result tables the crate's run record names, each declared by a contract, with the recorded row count,
    only declared columns and only rows of ``run_id``; refused before reading any table's data when the Parquet
    metadata shows a table over the limits, and while streaming when it turns out larger."""
    try:
        tables_meta = json.loads(run.get("tables_json") or "{}")
        if not isinstance(tables_meta, dict) or not all(isinstance(m, dict) for m in tables_meta.values()):
            raise ValueError("not an object of objects")
    except (ValueError, TypeError) as exc:
        raise _refuse(path, f"the run record's tables_json is invalid ({exc})") from exc
    undeclared = sorted(n for n in tables_meta if n not in contracts() or n == "runs")
    if undeclared:
        raise _refuse(
            path,
            f"the crate holds tables no contract declares: {undeclared[:5]}",
            hint="a crate can only bring the tables this version of radiovector declares",
        )
    tables: dict[str, pa.Table] = {}
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="radiovector-import-") as tmp:
        inspected: list[_Table] = []
        estimate = 0
        for name in sorted(tables_meta):  # every table's metadata first: refuse before reading any data
            member = f"tables/{name}.parquet"
            size = archive.getinfo(member).file_size
            if size > limits.max_bytes:
                raise _refuse(
                    path,
                    f"{member} is {size / 2**20:.0f} MiB, more than the import limit of "
                    f"{limits.max_bytes / 2**20:.0f} MiB",
                    hint="raise it with --max-memory-mib",
                )
            local = Path(tmp) / f"{name}.parquet"
            with archive.open(member) as source, local.open("wb") as target:
                shutil.copyfileobj(source, target, _CHUNK)
            table = _Table(path, name, local, tables_meta[name].get("rows"), limits)
            estimate += table.estimate
            if estimate > limits.max_bytes:
                raise _refuse(
                    path,
                    f"the run's tables take at least {estimate / 2**20:.0f} MiB in memory once decoded (by table "
                    f"{name}: {table.rows:,} rows), more than the import limit of {limits.max_bytes / 2**20:.0f} "
                    "MiB (refused from the Parquet metadata, before reading any table)",
                    hint="if you expect a run this large from a partner you trust, raise the limit "
                    "(`runs import --max-memory-mib N`)",
                )
            inspected.append(table)
        used = 0
        for table in inspected:
            data, used = table.stream(path, limits, used)
            if "run_id" in data.column_names:
                ids = pc.unique(data["run_id"].combine_chunks().cast(pa.string())).to_pylist()
                if ids and ids != [run_id]:
                    raise _refuse(path, f"table {table.name} holds rows of other runs: {ids[:3]}")
            tables[table.name] = data
    return tables


def _signature(path: Path, doc: dict[str, Any], keyring: Keyring, allow_unsigned: bool) -> SignatureCheck:
    """Check the crate's signature and the trust in its signer; refuse a bad signature always, an unsigned crate
    or an untrusted signer unless ``allow_unsigned``."""
    run = doc.get("run") or {}
    try:
        signed = check_signature(doc["signature"], run.get("run_id"), doc.get("crate_format"), doc["files"], keyring)
    except BadSignature as exc:
        raise _refuse(
            path,
            f"{exc.message}; it may have been tampered with",
            hint="ask the sender to export and send the run again; never import it with --allow-unsigned",
        ) from exc
    create = f"`radiovector keys create`{'' if keyring.home == config_dir() else ' --config-dir ' + str(keyring.home)}"
    if signed.status == "unsigned" and not allow_unsigned:
        raise _refuse(
            path,
            "the crate is not signed, so nothing shows who made it",
            hint=f"ask the sender to create a key ({create}), send you its public key file "
            "(`radiovector keys show -o KEY.pub`) and export the run again; trust their key with "
            "`radiovector keys trust KEY.pub --name NAME`. To import it anyway, unverified, use --allow-unsigned "
            "(the run then records that it was unsigned)",
        )
    if signed.status == "untrusted" and not allow_unsigned:
        raise _refuse(
            path,
            f"the crate is signed by a key you do not trust: {signed.fingerprint} (the sender calls it "
            f"{signed.key_name!r})",
            hint="compare the fingerprint with the sender by another channel (phone, in person); if it is theirs, "
            "trust their public key file with `radiovector keys trust KEY.pub --name NAME` (`radiovector keys "
            "list` shows whom you trust). To import it anyway, unverified, use --allow-unsigned (recorded as "
            "untrusted)",
        )
    return signed


def import_run(
    store: ResultsStore,
    path: str | os.PathLike[str],
    origin: dict[str, Any] | None = None,
    *,
    keyring: Keyring | None = None,
    allow_unsigned: bool = False,
    limits: ImportLimits | None = None,
) -> dict[str, Any]:
    """Verify the crate at ``path`` completely, then commit its run to ``store`` (never overwriting a run).

    Checked before anything is written: the zip and every checksum (:func:`verify_crate`), the Ed25519 signature
    over the crate's manifest and the trust in its signer (``keyring``: default the keyring in
    :func:`radiovector.store.signing.config_dir`), the run record, and every table's Parquet metadata against
    ``limits`` (then streamed within them) and its contract. A signature that does not verify is always refused;
    an unsigned crate or one signed by a key not in the trusted list only with ``allow_unsigned``, and the run
    then records ``signature_status`` ``unsigned`` or ``untrusted``.

    ``origin`` (e.g. institution, person) is recorded with the time of import, the crate's sha256, who exported
    it from where and the signature check, in ``runs.origin_json``; the signer's trusted name and fingerprint
    also in ``runs.signer_name`` / ``runs.signer_fingerprint``. Returns a summary.
    """
    path = Path(path)
    limits = limits or ImportLimits()
    keyring = keyring or Keyring()
    doc = verify_crate(path, limits)
    signed = _signature(path, doc, keyring, allow_unsigned)
    run = doc["run"]
    try:
        run_id = validate_run_id(run.get("run_id"))
    except StoreError as exc:
        raise _refuse(path, exc.message, hint=exc.hint) from exc
    if store.find_run(run_id) is not None:
        raise StoreError(
            f"run {run_id} from {path} is already in the store at {store.location}; runs are never overwritten",
            hint="nothing was written; `radiovector runs show " + run_id + "` shows the existing run",
        )
    exported_by = doc.get("exported_by") or {}
    record_origin: dict[str, Any] = {
        "institution": None,
        "person": exported_by.get("user"),
        **{k: v for k, v in (origin or {}).items() if v is not None},
        "imported_at": datetime.now(UTC).isoformat(),
        "imported_by": f"{_user()}@{os.uname().nodename}",
        "source_file": path.name,
        "crate_sha256": doc["crate_sha256"],
        "exported_at": doc.get("exported_at"),
        "exported_by": exported_by,
        "exported_from": doc.get("exported_from"),
        "inputs_included": doc.get("include_inputs"),
        "signature": signed.as_dict(),
    }
    previous = run.get("origin_json")
    if previous:
        try:
            record_origin["previous_origin"] = json.loads(previous)
        except (ValueError, TypeError) as exc:
            raise _refuse(path, f"{RUN_FILE} holds an invalid run record (origin_json: {exc})") from exc
    runs_row = _runs_row(path, run, record_origin, signed)
    tables = _read_tables(path, run_id, run, limits)
    try:  # commit_run checks every table against its contract and the store before its first write
        store.commit_run(runs_row, tables)
    except ContractError as exc:
        raise _refuse(path, f"nothing was written: {exc.message}", hint=exc.hint) from exc
    return {
        "run_id": run_id,
        "store": store.location,
        "tables": {name: t.num_rows for name, t in tables.items()},
        "origin": record_origin,
        "signature": signed.as_dict(),
    }
