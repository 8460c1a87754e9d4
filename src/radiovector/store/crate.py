"""Share runs between laboratories: export a run as a Workflow Run RO-Crate zip, verify and import one.

Crate layout (see docs/sharing.md)::

    ro-crate-metadata.json        RO-Crate 1.1 metadata (Workflow Run Crate / Provenance Run Crate profiles)
    radiovector-run.json          the run's `runs` row (provenance record) and the crate format version
    config/config.resolved.yaml   the resolved config of the run
    tables/<name>.parquet         every result table of the run (inputs, rejects, stage tables)
    inputs/<input>/<file>         the input files (left out with include_inputs=False: checksums only)
    manifest-sha256.txt           sha256 of every file above, ro-crate-metadata.json included

:func:`import_run` checks the zip, the manifest and every checksum before it writes anything; the imported run
keeps its run id and provenance and records where it came from in ``runs.origin_json``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from radiovector.contracts import ContractError, contract, contracts
from radiovector.errors import StoreError
from radiovector.io.tables import sha256_file
from radiovector.store.delta import ResultsStore
from radiovector.store.records import RUN_STATUSES, RUNS_SCHEMA, _user, validate_run_id

#: Bumped when the crate layout changes incompatibly; import refuses newer formats.
CRATE_FORMAT = 1
RUN_FILE = "radiovector-run.json"
MANIFEST = "manifest-sha256.txt"
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
    "targets": {"rule": "rules/targets.smk",
                "inputs": ["tumour_expression", "normal_expression", "surfaceome", "cspa"]},
    "candidates": {"rule": "rules/candidates.smk", "inputs": ["candidates", "peptides"]},
    "design": {"rule": "rules/design.smk", "inputs": ["building_blocks"]},
    "pk": {"rule": "rules/pk.smk", "inputs": ["biodistribution"]},
    "dosimetry": {"rule": "rules/dosimetry.smk", "inputs": ["biodistribution"]},
    "dossier": {
        "rule": "rules/dossier.smk",
        "inputs": ["tumour_expression", "normal_expression", "surfaceome", "cspa", "candidates", "peptides",
                   "biodistribution"],
    },
}
_CHUNK = 1 << 20


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
) -> dict[str, Any]:
    """Write run ``run_ref`` of ``store`` as a Workflow Run RO-Crate zip at ``path``; returns a summary.

    Input files are taken from the paths recorded with the run and must still have the recorded sha256
    (otherwise use ``include_inputs=False``, which records their checksums only). The zip appears at ``path``
    only when complete (written beside it, then renamed).
    """
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
        _write_zip(crate, staging, files, out)
    return {
        "run_id": run_id,
        "file": str(out),
        "size_bytes": out.stat().st_size,
        "sha256": sha256_file(out),
        "tables": {name: tables_meta[name].get("rows") for name in sorted(tables_meta)},
        "inputs_included": include_inputs,
        "files": len(files) + 2,
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
        pq.write_table(table, staging / rel, compression="zstd")
        stage_file(rel, {"name": f"result table {name}", "encodingFormat": "application/vnd.apache.parquet",
                         "description": contract(name).summary(table.num_rows)})
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


def _describe_stages(crate: Any, entities: dict[str, Any], input_entities: dict[str, Any], row: dict[str, Any]
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


def _write_zip(crate: Any, staging: Path, files: dict[str, dict[str, Any]], out: Path) -> None:
    """Zip the crate, add manifest-sha256.txt (sha256 of every file, metadata included) and move it to ``out``."""
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
    os.replace(tmp_zip, out)


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


def verify_crate(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check a crate zip completely (zip integrity, layout, manifest, every sha256); return its run document.

    Raises :class:`StoreError` naming the file and the problem for a truncated, tampered or foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no such file: {path}", hint="give the path of a crate exported with `runs export`")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(path, f"not a readable zip file, or truncated ({exc})") from exc
    with archive:
        names = archive.namelist()
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
        files = {n for n in names if not n.endswith("/")} - {MANIFEST}
        if set(listed) != files:
            extra, missing = sorted(files - set(listed)), sorted(set(listed) - files)
            raise _refuse(path, f"files not in the manifest: {extra[:5]}; listed but missing: {missing[:5]}")
        for rel in sorted(listed):
            digest = hashlib.sha256()
            try:
                with archive.open(rel) as member:
                    while chunk := member.read(_CHUNK):
                        digest.update(chunk)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise _refuse(path, f"{rel} is corrupted ({exc})") from exc
            if digest.hexdigest() != listed[rel]:
                raise _refuse(path, f"checksum mismatch for {rel}: the file was modified after export")
        try:
            metadata = json.loads(archive.read(METADATA))
            run_doc = json.loads(archive.read(RUN_FILE))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _refuse(path, f"{METADATA} or {RUN_FILE} is not valid JSON") from exc
    if not isinstance(run_doc, dict) or run_doc.get("format") != "radiovector-run-crate":
        raise _refuse(path, f"{RUN_FILE} is not a RadioVector run record", hint="only `runs export` crates import")
    if run_doc.get("crate_format", 0) > CRATE_FORMAT:
        raise _refuse(
            path,
            f"crate format {run_doc.get('crate_format')} is newer than this version understands ({CRATE_FORMAT})",
            hint="upgrade radiovector",
        )
    graph = {e.get("@id"): e for e in metadata.get("@graph", []) if isinstance(e, dict)}
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
    return {**run_doc, "crate_sha256": sha256_file(path), "members": sorted(listed)}


#: Columns of a runs row that are facts of the store holding it, not of the run: set anew on import.
_STORE_LOCAL = ("commit_id", "committed_at")


def _runs_row(path: Path, run: dict[str, Any], origin: dict[str, Any]) -> pa.Table:
    """The crate's run record as a ``runs`` row of this store (store-local columns cleared, origin recorded)."""
    row = {name: run.get(name) for name in RUNS_SCHEMA.names if name not in _STORE_LOCAL}
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


def _read_tables(path: Path, run_id: str, run: dict[str, Any]) -> dict[str, pa.Table]:
    """The result tables the crate's run record names, each declared by a contract, with the recorded row count
    and only rows of ``run_id``."""
    try:
        tables_meta = json.loads(run.get("tables_json") or "{}")
        if not isinstance(tables_meta, dict) or not all(isinstance(m, dict) for m in tables_meta.values()):
            raise ValueError("not an object of objects")
    except (ValueError, TypeError) as exc:
        raise _refuse(path, f"the run record's tables_json is invalid ({exc})") from exc
    undeclared = sorted(n for n in tables_meta if n not in contracts() or n == "runs")
    if undeclared:
        raise _refuse(path, f"the crate holds tables no contract declares: {undeclared[:5]}",
                      hint="a crate can only bring the tables this version of radiovector declares")
    tables: dict[str, pa.Table] = {}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(tables_meta):
            try:
                data = pq.read_table(io.BytesIO(archive.read(f"tables/{name}.parquet")))
            except (pa.ArrowException, OSError) as exc:
                raise _refuse(path, f"tables/{name}.parquet is not a readable Parquet file ({exc})") from exc
            rows = tables_meta[name].get("rows", data.num_rows)
            if data.num_rows != rows:
                raise _refuse(path, f"table {name} has {data.num_rows} rows, the run record says {rows!r}")
            if "run_id" in data.column_names:
                ids = data["run_id"].unique().to_pylist()
                if ids and ids != [run_id]:
                    raise _refuse(path, f"table {name} holds rows of other runs: {ids[:3]}")
            tables[name] = data
    return tables


def import_run(
    store: ResultsStore, path: str | os.PathLike[str], origin: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Verify the crate at ``path`` completely, then commit its run to ``store`` (never overwriting a run).

    ``origin`` (e.g. institution, person) is recorded with the time of import, the crate's sha256 and who
    exported it from where, in ``runs.origin_json``. Returns a summary.
    """
    path = Path(path)
    doc = verify_crate(path)
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
    }
    previous = run.get("origin_json")
    if previous:
        record_origin["previous_origin"] = json.loads(previous)
    runs_row = _runs_row(path, run, record_origin)
    tables = _read_tables(path, run_id, run)
    try:  # commit_run checks every table against its contract and the store before its first write
        store.commit_run(runs_row, tables)
    except ContractError as exc:
        raise _refuse(path, f"nothing was written: {exc.message}", hint=exc.hint) from exc
    return {
        "run_id": run_id,
        "store": store.location,
        "tables": {name: t.num_rows for name, t in tables.items()},
        "origin": record_origin,
    }


