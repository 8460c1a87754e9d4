"""Results store on Delta Lake (delta-rs): one table per result kind, every row keyed by ``run_id``.

Commit protocol (see docs/store.md): every table is checked against its contract and the store's schema before
anything is written; each commit attempt gets a random ``commit_id`` that every row it writes carries; the result
tables are appended first, the run's row in ``runs`` last. A run is visible once its ``runs`` row exists, and only
the rows of its winning attempt are: rows of a failed, killed or concurrent attempt of the same run id never show.
When two attempts of one run id both commit a ``runs`` row, the one earlier in the Delta log wins and the other
withdraws its rows; readers pick the same winner. :meth:`ResultsStore.clean_orphans` later deletes the rows of
attempts that never became visible; :meth:`ResultsStore.check` reports damage.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, SchemaMismatchError, TableNotFoundError

from radiovector.contracts import contract
from radiovector.errors import StoreError, is_no_space
from radiovector.store.nospace import no_space_error, quiet_rust_panics
from radiovector.store.records import RUNS_SCHEMA, RunRecord, validate_run_id

RUNS = "runs"
#: Columns the store adds to every result table: the run and the commit attempt that wrote the row.
STORE_COLUMNS = ("run_id", "commit_id")
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_COMMIT_FILE = re.compile(r"^(\d{20})\.json$")
_COMMIT_ATTEMPTS = 20
#: Orphan rows younger than this are never deleted without ``force``: a commit writes its tables and its runs row
#: within seconds to minutes, so a younger orphan may belong to a commit still in progress.
MIN_CLEAN_GRACE = timedelta(minutes=10)


class RunNotFound(StoreError):
    """No committed run matches the given id."""


class DamagedStore(StoreError):
    """A table's Delta log is empty, truncated or unreadable: the store must be repaired before use."""


def damage_hint(name: str) -> str:
    return (
        f"nothing was changed. Copy the store first. Run `radiovector runs check` to see every problem. An empty or "
        f"truncated newest file in {name}/_delta_log lost the commit it held: move that file out of _delta_log "
        "(never delete data files) and the table reads as of the previous version; then re-import or rerun the run "
        "that commit held (`runs check` lists its invisible rows). Clean-up refuses to run while a log is damaged"
    )


def _is_uri(location: str) -> bool:
    return "://" in location


#: Storage option keys that may come from the environment for an S3 store (delta-rs reads the same names).
_AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ALLOW_HTTP",
)


def _aws_profile(name: str) -> dict[str, str]:
    """Keys, region and endpoint of a named profile in ~/.aws/credentials and ~/.aws/config (absent: empty)."""
    import configparser

    found: dict[str, str] = {}
    files = [
        (os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"), name if name == "default" else f"profile {name}"),
        (os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), name),
    ]
    for path, section in files:
        parser = configparser.ConfigParser()
        try:
            parser.read(Path(path).expanduser())
        except configparser.Error as exc:
            raise StoreError(f"cannot read the AWS profile file {path}: {exc}") from exc
        if parser.has_section(section):
            found.update({k.lower(): v.strip() for k, v in parser.items(section)})
    mapping = {
        "aws_access_key_id": "AWS_ACCESS_KEY_ID",
        "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
        "aws_session_token": "AWS_SESSION_TOKEN",
        "region": "AWS_REGION",
        "endpoint_url": "AWS_ENDPOINT_URL",
    }
    return {mapping[k]: v for k, v in found.items() if k in mapping and v}


def object_store_options(location: str, endpoint_url: str | None = None, profile: str | None = None) -> dict[str, str]:
    """Storage options for an object-store location, resolved the usual AWS way.

    Credentials and region come from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` /
    ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``); without keys in the environment, from the profile ``profile`` or
    ``$AWS_PROFILE`` (else ``default``) in ``~/.aws/credentials`` and ``~/.aws/config``. The endpoint of an
    S3-compatible server comes from ``endpoint_url``, else ``$AWS_ENDPOINT_URL_S3`` / ``$AWS_ENDPOINT_URL``, else
    the profile; an ``http://`` endpoint turns on ``AWS_ALLOW_HTTP``. Commits use conditional writes
    (``If-None-Match``: put-if-absent of the next log entry), which AWS S3, MinIO, R2 and SeaweedFS support.
    """
    if not location.startswith(("s3://", "s3a://")):
        return {}
    options: dict[str, str] = {}
    profile_name = profile or os.environ.get("AWS_PROFILE") or "default"
    from_profile = _aws_profile(profile_name)
    if profile and not from_profile:
        raise StoreError(
            f"AWS profile {profile!r} not found",
            hint="define it in ~/.aws/credentials (or $AWS_SHARED_CREDENTIALS_FILE), or use AWS_* variables",
        )
    if "AWS_ACCESS_KEY_ID" not in os.environ or profile:
        options.update(from_profile)
    elif from_profile.get("AWS_ENDPOINT_URL"):
        options["AWS_ENDPOINT_URL"] = from_profile["AWS_ENDPOINT_URL"]
    if not profile:
        options.update({k: os.environ[k] for k in _AWS_ENV if os.environ.get(k)})
        if "AWS_REGION" not in options and os.environ.get("AWS_DEFAULT_REGION"):
            options["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
    endpoint = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or options.get("AWS_ENDPOINT_URL")
    )
    if endpoint:
        options["AWS_ENDPOINT_URL"] = endpoint
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    options.setdefault("AWS_REGION", "us-east-1")
    options.setdefault("conditional_put", "etag")
    return options


def describe_store_error(location: str, exc: BaseException) -> StoreError:
    """A clear StoreError for a failed object-store (or file) operation: credentials, bucket, endpoint."""
    message = str(exc)
    text = message.lower()
    first_line = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    if any(
        s in text
        for s in (
            "invalidaccesskeyid",
            "signaturedoesnotmatch",
            "accessdenied",
            "access denied",
            "403 forbidden",
            "lacked the necessary privileges",
            "invalidtoken",
            "expiredtoken",
        )
    ):
        return StoreError(
            f"the object store refused the credentials for {location} (access denied)",
            hint="check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and --endpoint-url / "
            "AWS_ENDPOINT_URL; the key needs read, write and list rights on the bucket",
        )
    if "nosuchbucket" in text or "404 not found" in text:
        bucket = location.split("://", 1)[1].split("/", 1)[0]
        return StoreError(
            f"bucket {bucket!r} of the store {location} does not exist",
            hint="create the bucket first (e.g. `aws s3 mb s3://BUCKET --endpoint-url ...`), or fix the URI",
        )
    if any(s in text for s in ("error sending request", "connect", "dns error", "timed out")):
        return StoreError(
            f"cannot reach the object store for {location}: {first_line}",
            hint="check --endpoint-url / AWS_ENDPOINT_URL (scheme, host and port) and that the server is up",
        )
    return StoreError(f"results store {location}: {first_line}")


def normalise_table(data: pa.Table | pd.DataFrame) -> pa.Table:
    """Arrow table with types Delta Lake accepts (null -> string, large/dictionary -> plain, tz-aware UTC)."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    fields, columns = [], []
    for fld, column in zip(table.schema, table.columns, strict=True):
        typ = fld.type
        if pa.types.is_null(typ):
            typ = pa.string()
        elif pa.types.is_dictionary(typ):
            typ = typ.value_type
        if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
            typ = pa.string()
        elif pa.types.is_timestamp(typ):
            typ = pa.timestamp("us", tz=typ.tz or "UTC")
        elif pa.types.is_large_binary(typ):
            typ = pa.binary()
        fields.append(pa.field(fld.name, typ))
        columns.append(column.cast(typ) if typ != fld.type else column)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def align_to_store(name: str, data: pa.Table | pd.DataFrame, stored: pa.Schema | None) -> tuple[pa.Table, list[str]]:
    """Table ``name`` of one run as the store keeps it, and the columns it adds to the store's table.

    The table is checked against its contract (radiovector.contracts): an undeclared table or column, a missing
    required column or a bad type is an error, never a silent schema merge. The store's table has every column
    the contract declares (optional ones filled with typed nulls where this run has none) plus the pattern
    columns (``ti_{organ}`` ...) any run has written, missing ones likewise null. Result tables also hold the
    store's own columns :data:`STORE_COLUMNS` (``run_id``, ``commit_id``; returned as nulls, the writer fills
    them). Schema evolution is explicit: columns the contract declares that the store's table lacks (a new
    nuclide column, a column added to the contract by a newer version, ``commit_id`` in a format-1 store) are
    returned and added to the store; a stored column the contract does not declare (renamed or removed) stops the
    commit.
    """
    spec = contract(name)
    own_run_id = "run_id" in spec.column_names  # the runs table declares it; result tables gain it here
    internal = () if own_run_id else STORE_COLUMNS
    table = normalise_table(data)
    table = table.drop_columns([n for n in internal if n in table.column_names])
    table = spec.conform(table)
    stored_all = [] if stored is None else list(stored.names)
    stored_names = [n for n in stored_all if n not in internal]
    undeclared = [n for n in stored_names if spec.spec(n) is None]
    if undeclared:
        raise StoreError(
            f"table {name!r} in the store has column(s) {undeclared} that its contract does not declare",
            hint="the store was written by another version of radiovector (a column was renamed or removed); "
            "write to a new store, or migrate the table",
        )
    schema = spec.store_schema(stored_names + table.column_names)
    fields = {f.name: f for f in schema}
    fields.update({n: pa.field(n, pa.string()) for n in internal})
    if stored is not None:
        for n in stored_all:
            if stored.field(n).type != fields[n].type:
                raise StoreError(
                    f"table {name!r} in the store keeps column {n!r} as {stored.field(n).type}, "
                    f"its contract as {fields[n].type}",
                    hint="write to a new store, or migrate the table",
                )
    first = stored_all if stored is not None else list(internal)
    order = first + [n for n in internal if n not in first] + [n for n in schema.names if n not in first]
    columns = [table[n] if n in table.column_names else pa.nulls(table.num_rows, fields[n].type) for n in order]
    out = pa.Table.from_arrays(columns, schema=pa.schema([fields[n] for n in order]))
    added = [] if stored is None else [n for n in order if n not in stored_all]
    return out, added


class ResultsStore:
    """A results store at a local path or object-store URI (``s3://bucket/prefix``).

    >>> store = ResultsStore("results/store")          # doctest: +SKIP
    >>> store.commit_run(record, {"targets": df})       # doctest: +SKIP
    """

    def __init__(
        self,
        location: str | os.PathLike[str],
        storage_options: Mapping[str, str] | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
    ):
        location = str(location)
        self.location = location.rstrip("/") if _is_uri(location) else str(Path(location).resolve())
        options = object_store_options(self.location, endpoint_url, profile) if _is_uri(self.location) else {}
        options.update(storage_options or {})
        self.storage_options = options or None
        self._log_checked: set[str] = set()  # tables whose Delta log this object has checked for damage

    @property
    def is_remote(self) -> bool:
        return _is_uri(self.location)

    def __repr__(self) -> str:
        return f"ResultsStore({self.location!r})"

    # ------------------------------------------------------------------ locations
    def table_uri(self, name: str) -> str:
        if not _TABLE_NAME.match(name):
            raise StoreError(
                f"invalid result table name {name!r}",
                hint="table names are lower-case letters, digits and underscores, starting with a letter",
            )
        return f"{self.location.rstrip('/')}/{name}"

    def _open(self, name: str, check_log: bool = True) -> DeltaTable | None:
        """The Delta table ``name`` (None if absent). Its log is checked for damage once per store object (and
        afresh before every commit and clean-up): an empty or unreadable log is a :class:`DamagedStore`, never
        a silently shorter table."""
        if check_log and name not in self._log_checked:
            self._check_log(name)
        try:
            return DeltaTable(self.table_uri(name), storage_options=self.storage_options)
        except TableNotFoundError:
            return None
        except (DeltaError, OSError) as exc:
            error = describe_store_error(self.location, exc) if self.is_remote else None
            if error is not None and not error.message.startswith("results store"):
                raise error from exc  # credentials, bucket or endpoint
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DamagedStore(
                f"cannot read the Delta log of table {name!r} in {self.location}: {first}", hint=damage_hint(name)
            ) from exc

    def _log_entries(self, name: str) -> list[tuple[str, int]]:
        """(file name, size in bytes) of every file in the ``_delta_log`` of table ``name`` (absent: none)."""
        if self.is_remote:
            from pyarrow.fs import FileType

            infos = self._list_remote(f"{name}/_delta_log")
            return [(i.base_name, int(i.size or 0)) for i in infos if i.type == FileType.File]
        log = Path(self.table_uri(name)) / "_delta_log"
        try:
            with os.scandir(log) as entries:
                return [(e.name, e.stat().st_size) for e in entries if e.is_file()]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot list {log}: {exc}") from exc

    def _read_log_file(self, name: str, file: str) -> bytes:
        if self.is_remote:
            from deltalake.fs import DeltaStorageHandler

            handler = DeltaStorageHandler(self.location, options=self.storage_options)
            with handler.open_input_file(f"{name}/_delta_log/{file}") as stream:
                return bytes(stream.read())
        return (Path(self.table_uri(name)) / "_delta_log" / file).read_bytes()

    def log_problems(self, name: str) -> list[str]:
        """Damage in the Delta log of table ``name``: empty commit, checkpoint or ``_last_checkpoint`` files, and a
        newest commit file that is not complete JSON (delta-rs reads an empty commit as "no change", so a 0-byte
        newest file would silently drop the run it held). Gaps and other damage surface when the table is opened.
        """
        entries = self._log_entries(name)
        problems = [
            f"{name}/_delta_log/{file} is empty (0 bytes)"
            for file, size in sorted(entries)
            if size == 0 and (_COMMIT_FILE.match(file) or ".checkpoint." in file or file == "_last_checkpoint")
        ]
        commits = sorted(file for file, size in entries if _COMMIT_FILE.match(file) and size > 0)
        if commits:
            newest = commits[-1]
            try:
                for line in self._read_log_file(name, newest).decode().splitlines():
                    if line.strip():
                        json.loads(line)
            except (ValueError, UnicodeDecodeError) as exc:
                problems.append(f"{name}/_delta_log/{newest} is truncated or not valid JSON ({exc})")
        return problems

    def _require_intact(self) -> None:
        """Check the log of every table afresh; :class:`DamagedStore` if one is damaged (before writes and deletes).
        A log that is damaged in another way (a gap) fails when the table is opened."""
        self._log_checked.clear()
        for name in self.table_names():
            self._check_log(name)

    def _check_log(self, name: str) -> None:
        """:class:`DamagedStore` if the Delta log of table ``name`` is damaged; else remember it was checked."""
        problems = self.log_problems(name)
        if problems:
            raise DamagedStore(
                f"the Delta log of table {name!r} in {self.location} is damaged: {'; '.join(problems[:3])}",
                hint=damage_hint(name),
            )
        self._log_checked.add(name)

    def table_names(self) -> list[str]:
        """Names of the tables that exist in the store (``runs`` first)."""
        if _is_uri(self.location):
            names = self._list_remote_tables()
        else:
            root = Path(self.location)
            names = sorted(p.name for p in root.iterdir() if (p / "_delta_log").is_dir()) if root.is_dir() else []
        return sorted(names, key=lambda n: (n != RUNS, n))

    def _list_remote(self, prefix: str = "") -> list[Any]:
        """Entries directly under ``prefix`` of the store, listed with delta-rs (same credentials/endpoint)."""
        from deltalake.fs import DeltaStorageHandler
        from pyarrow.fs import FileSelector

        try:
            handler = DeltaStorageHandler(self.location, options=self.storage_options)
            return handler.get_file_info_selector(FileSelector(prefix, allow_not_found=True, recursive=False))
        except (DeltaError, OSError) as exc:
            raise describe_store_error(self.location, exc) from exc

    def _list_remote_tables(self) -> list[str]:
        from pyarrow.fs import FileType

        names = []
        for info in self._list_remote():
            if (
                info.type == FileType.Directory
                and _TABLE_NAME.match(info.base_name)
                and any(child.base_name == "_delta_log" for child in self._list_remote(info.base_name))
            ):
                names.append(info.base_name)
        return names

    def check_writable(self) -> None:
        """Fail early, with a clear message, if the store cannot be written (object store: listed)."""
        if self.is_remote:
            self._list_remote()  # wrong credentials, a missing bucket or endpoint fail here, before any work
            return
        root = Path(self.location)
        probe_dir = root
        while not probe_dir.exists():
            probe_dir = probe_dir.parent
        if not probe_dir.is_dir() or not os.access(probe_dir, os.W_OK | os.X_OK):
            raise StoreError(
                f"results store {root} is not writable ({probe_dir} does not allow writing)",
                hint="choose another location with --store PATH, or fix the directory's permissions",
            )

    # ------------------------------------------------------------------ writing
    def _stored_schema(self, name: str) -> pa.Schema | None:
        table = self._open(name)
        return None if table is None else pa.schema(table.schema().to_arrow())

    def _append(
        self,
        name: str,
        data: pa.Table | pd.DataFrame,
        run_id: str,
        commit_id: str | None = None,
        handle: DeltaTable | None = None,
        aligned: tuple[pa.Schema | None, pa.Table, list[str]] | None = None,
    ) -> DeltaTable | None:
        """Append one table of run ``run_id`` as one Delta commit, retrying when another writer wins a race.

        Every row carries ``run_id`` and ``commit_id`` (the commit attempt; a fresh one if not given), and so does
        the Delta commit's metadata (for orphan ages). Each attempt aligns the table with the store's current
        schema (:func:`align_to_store`), so a column another writer added meanwhile is filled, not lost. The table
        is written as one record batch: delta-rs writes the batches of a multi-chunk table in parallel and does not
        keep their order, and the row order of a run's tables must be reproducible. ``handle`` is the table, already
        open (saves opening it again); returns it as of this commit. ``aligned``: (stored schema, table, added
        columns) from an earlier :func:`align_to_store` of ``data``, reused while the store's schema is the same.
        """
        commit_id = commit_id or uuid.uuid4().hex
        props = CommitProperties(
            custom_metadata={"radiovector_run_id": run_id, "radiovector_commit_id": commit_id},
            max_commit_retries=50,
        )
        last_error: Exception | None = None
        for attempt in range(_COMMIT_ATTEMPTS):
            if handle is None:
                handle = self._open(name)
            elif attempt:
                handle.update_incremental()  # another writer may have changed the schema
            stored = None if handle is None else pa.schema(handle.schema().to_arrow())
            if aligned is not None and aligned[0] == stored:
                table, added = aligned[1], aligned[2]
            else:
                table, added = align_to_store(name, data, stored)
            for column, value in (("run_id", run_id), ("commit_id", commit_id)):
                at = table.schema.get_field_index(column)
                table = table.set_column(at, column, pa.array([value] * table.num_rows, pa.string()))
            table = table.combine_chunks()
            try:
                with quiet_rust_panics():  # a failing write makes delta-rs' worker threads panic (nospace.py)
                    write_deltalake(
                        self.table_uri(name) if handle is None else handle,
                        table,
                        mode="append",
                        schema_mode="merge" if added else None,
                        storage_options=self.storage_options if handle is None else None,
                        commit_properties=props,
                    )
                return handle
            except SchemaMismatchError as exc:
                if attempt + 1 < _COMMIT_ATTEMPTS and self._stored_schema(name) != table.schema:
                    continue  # another writer changed the schema meanwhile: align again
                raise StoreError(
                    f"table {name!r} in the store has columns of another type than this run's: {exc}",
                    hint="a stage changed its output types; use a new store or migrate the table",
                ) from exc
            except (CommitFailedError, DeltaError, OSError) as exc:
                self._raise_if_fatal(exc, f"table {name!r} ({table.num_rows} rows)", table.nbytes)
                last_error = exc
                time.sleep(min(2.0, 0.05 * (2**attempt)) * (0.5 + random.random()))
        raise StoreError(f"could not commit table {name!r} after {_COMMIT_ATTEMPTS} attempts: {last_error}")

    def _raise_if_fatal(self, exc: Exception, what: str = "", nbytes: int | None = None) -> None:
        """Raise a clear StoreError for errors a retry cannot fix (a full disk, permissions, credentials, bucket,
        endpoint); ``what`` was being written, ``nbytes`` its size in memory."""
        if is_no_space(exc):
            raise no_space_error(self.location, what or "the store", nbytes) from exc
        message = str(exc)
        if isinstance(exc, PermissionError) or "Permission denied" in message:
            raise StoreError(
                f"cannot write to the results store at {self.location}: {message}",
                hint="choose a writable location with --store, or fix the permissions",
            ) from exc
        if self.is_remote and not isinstance(exc, CommitFailedError):
            error = describe_store_error(self.location, exc)
            if not error.message.startswith("results store"):  # credentials, bucket or endpoint
                raise error from exc

    def commit_run(self, record: RunRecord | pa.Table, tables: Mapping[str, pa.Table | pd.DataFrame]) -> str:
        """Write all result tables of a run, then its ``runs`` row, which makes the run visible; returns the run id.

        ``record`` is a :class:`RunRecord`, or a ready one-row ``runs`` table (an imported run keeps its original
        row). Before the first write: the run id has the project format, the run is not in the store yet, no
        table's log is damaged, and every table matches its contract and the store's schema. Every row gets the run
        id and a fresh ``commit_id``; the ``runs`` row also gets ``committed_at`` (this store's clock). After the
        ``runs`` row is committed, the run's ``runs`` rows are read back: if another attempt of the same run id
        committed earlier in the log (a concurrent import of one crate), this attempt withdraws its rows and raises,
        so the store holds exactly one copy. A failed attempt withdraws its rows (best effort; otherwise they stay
        invisible until :meth:`clean_orphans`).
        """
        runs_row = record.to_arrow() if isinstance(record, RunRecord) else normalise_table(record)
        if runs_row.num_rows != 1:
            raise StoreError(f"a run record is one row, not {runs_row.num_rows}")
        if "run_id" not in runs_row.column_names:
            raise StoreError("the run record has no run_id")
        run_id = validate_run_id(runs_row["run_id"][0].as_py())
        if RUNS in tables:
            raise StoreError("'runs' is reserved for run records; rename the result table")
        self.check_writable()
        self._require_intact()
        if self.find_run(run_id) is not None:
            raise StoreError(
                f"run {run_id} is already in the store at {self.location}; runs are never overwritten",
                hint=f"nothing was written; `radiovector runs show {run_id}` shows the existing run",
            )
        commit_id = uuid.uuid4().hex
        runs_row = _set_column(runs_row, "commit_id", pa.array([commit_id], pa.string()))
        runs_row = _set_column(runs_row, "committed_at", pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")))
        handles = {name: self._open(name) for name in [*sorted(tables), RUNS]}
        aligned: dict[str, tuple[pa.Schema | None, pa.Table, list[str]]] = {}
        for name, handle in handles.items():  # every table checked against its contract and the store first
            stored = None if handle is None else pa.schema(handle.schema().to_arrow())
            aligned[name] = (stored, *align_to_store(name, runs_row if name == RUNS else tables[name], stored))
        expected = {name: table.num_rows for name, (_, table, _) in aligned.items()}
        written: list[str] = []
        try:
            for name in [*sorted(tables), RUNS]:
                written.append(name)  # before the append: a failing append may still have committed
                data = runs_row if name == RUNS else tables[name]
                handles[name] = self._append(name, data, run_id, commit_id, handles[name], aligned[name])
        except Exception:
            self._withdraw(commit_id, written)
            raise
        if self._winning_commit(run_id, handles[RUNS]) != commit_id:
            self._withdraw(commit_id, written)
            raise StoreError(
                f"run {run_id} is already in the store at {self.location}: another process committed it at the same "
                "moment; this copy was withdrawn, so the store holds exactly one; runs are never overwritten",
                hint=f"nothing to do; `radiovector runs show {run_id}` shows the run",
            )
        lost = {
            n: (have, want)
            for n, want in expected.items()
            if (have := self._attempt_rows(n, commit_id, handles[n])) != want
            and (have := self._attempt_rows(n, commit_id, handles[n], exact=True)) != want
        }
        if lost:
            self._withdraw(commit_id, written)
            raise StoreError(
                f"rows of run {run_id} were deleted while it was being committed (rows found/written: {lost}); "
                "the run was withdrawn",
                hint="another process cleaned the store with `runs clean --force` meanwhile; commit the run again",
            )
        return run_id

    def _attempt_rows(self, name: str, commit_id: str, handle: DeltaTable | None = None, exact: bool = False) -> int:
        """Rows of table ``name`` written by commit attempt ``commit_id``, as of now.

        Counted from the Delta log's file statistics (each append writes files that hold one commit id), or with
        ``exact`` by reading the files (after a concurrent compaction merged files, or in a wide format-1 table
        without statistics for ``commit_id``).
        """
        if handle is None:
            handle = self._open(name)
        else:
            handle.update_incremental()
        if handle is None:
            return 0
        if exact:
            return int(_dataset(handle).count_rows(filter=pc.field("commit_id") == commit_id))
        actions = pa.table(handle.get_add_actions(flatten=True))
        low, high = "min.commit_id", "max.commit_id"
        if low not in actions.column_names or high not in actions.column_names:
            return 0
        mine = pc.and_(pc.equal(actions[low], commit_id), pc.equal(actions[high], commit_id))
        return int(pc.sum(actions.filter(mine)["num_records"]).as_py() or 0)

    def _withdraw(self, commit_id: str, names: Iterable[str]) -> None:
        """Delete the rows of commit attempt ``commit_id`` from tables ``names`` (best effort: rows left behind are
        invisible and :meth:`clean_orphans` removes them later)."""
        for name in names:
            try:
                self._delete(name, f"commit_id = {_sql_string(commit_id)}")
            except (StoreError, DeltaError, OSError):
                continue

    def _delete(self, name: str, predicate: str) -> int:
        """Delete the rows matching ``predicate`` from table ``name``, retrying on commit conflicts; rows deleted."""
        last_error: Exception | None = None
        for attempt in range(_COMMIT_ATTEMPTS):
            table = self._open(name)
            if table is None:
                return 0
            try:
                with quiet_rust_panics():
                    return int(table.delete(predicate).get("num_deleted_rows", 0))
            except (CommitFailedError, DeltaError, OSError) as exc:
                self._raise_if_fatal(exc, f"a delete in table {name!r}")
                last_error = exc
                time.sleep(min(2.0, 0.05 * (2**attempt)) * (0.5 + random.random()))
        raise StoreError(f"could not delete rows from table {name!r}: {last_error}")

    # ------------------------------------------------------------------ reading
    def _runs_table(self, run_id: str | None = None) -> pa.Table:
        """The committed runs rows (of ``run_id`` only, if given), one per run id (the winner of concurrent
        attempts). Rows of a format-1 store read with null ``commit_id`` and ``committed_at``."""
        table = self._open(RUNS)
        if table is None:
            return RUNS_SCHEMA.empty_table()
        rows = table.to_pyarrow_table(filters=None if run_id is None else [("run_id", "=", run_id)])
        for fld in RUNS_SCHEMA:
            if fld.name not in rows.column_names:
                rows = rows.append_column(fld, pa.nulls(rows.num_rows, fld.type))
        return _winners(table, rows.select(RUNS_SCHEMA.names).cast(RUNS_SCHEMA))

    def _winning_commit(self, run_id: str, table: DeltaTable | None = None) -> str | None:
        """The commit id of the ``runs`` row of ``run_id`` that readers see (the earliest in the log), read afresh."""
        if table is None:
            table = self._open(RUNS)
        else:
            table.update_incremental()
        if table is None:
            return None
        rows = table.to_pyarrow_table(
            columns=["run_id", "commit_id", "committed_at"], filters=[("run_id", "=", run_id)]
        )
        rows = _winners(table, rows)
        return rows["commit_id"][0].as_py() if rows.num_rows else None

    def runs(self) -> pd.DataFrame:
        """All committed runs, in the order this store committed them (``committed_at``; runs of a format-1
        store first, by start time). Not by ``started_at``: an imported run claims its own start time."""
        frame = self._runs_table().to_pandas()
        frame["__legacy"] = frame["committed_at"].isna()
        frame["__when"] = frame["committed_at"].fillna(frame["started_at"])
        frame = frame.sort_values(["__legacy", "__when", "run_id"], ascending=[False, True, True], kind="stable")
        return frame.drop(columns=["__legacy", "__when"]).reset_index(drop=True)

    def find_run(self, run_id: str) -> dict[str, Any] | None:
        """The committed ``runs`` row of exactly ``run_id``, or None."""
        rows = self._runs_table(run_id).to_pylist()
        return rows[0] if rows else None

    def resolve_run_id(self, ref: str) -> str:
        """Full run id for ``ref``: an exact id (always preferred), a unique prefix, ``latest`` or ``latest~N``
        (in commit order, see :meth:`runs`)."""
        runs = self.runs()
        if runs.empty:
            raise RunNotFound(f"the store at {self.location} has no runs yet", hint="run `radiovector run` first")
        ids = runs["run_id"].tolist()
        if ref in ids:
            return ref
        match = re.fullmatch(r"latest(?:~(\d+))?", ref)
        if match:
            back = int(match.group(1) or 0)
            if back >= len(ids):
                raise RunNotFound(f"{ref}: the store has only {len(ids)} run(s)")
            return ids[-1 - back]
        hits = [i for i in ids if ref and i.startswith(ref)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise RunNotFound(
                f"no run {ref!r} in the store at {self.location}",
                hint="`radiovector runs list` shows the run ids; a unique prefix or 'latest' also works",
            )
        raise RunNotFound(f"run id prefix {ref!r} is ambiguous: {hits[:5]}", hint="give more characters")

    def get_run(self, ref: str) -> dict[str, Any]:
        """The ``runs`` row of one run, with its JSON columns decoded."""
        run_id = self.resolve_run_id(ref)
        row = self.find_run(run_id)
        if row is None:  # resolved a moment ago: removed in between
            raise RunNotFound(f"run {run_id} disappeared from the store at {self.location} while being read")
        for col in ("config_json", "inputs_json", "tables_json", "versions_json", "origin_json"):
            value = row.pop(col)
            row[col.removesuffix("_json")] = json.loads(value) if value else None
        return row

    def visible_run_ids(self) -> list[str]:
        return self._runs_table()["run_id"].to_pylist()

    def read(self, name: str, run_id: str | None = None, columns: list[str] | None = None) -> pa.Table:
        """Rows of a table from committed runs (one run if ``run_id`` is given): only the rows of each run's
        winning commit attempt, without the store's ``commit_id`` column (unless asked for)."""
        table = self._open(name)
        if table is None:
            raise StoreError(f"the store has no table {name!r}", hint=f"tables in this store: {self.table_names()}")
        runs = self._runs_table()
        if run_id is not None:
            runs = runs.filter(pc.field("run_id") == run_id)
        if name == RUNS:
            return runs if columns is None else runs.select(columns)
        dataset = _dataset(table)
        wanted = columns or [n for n in dataset.schema.names if n != "commit_id"]
        return dataset.to_table(columns=wanted, filter=_visible(dataset.schema.names, runs, run_id))

    # ------------------------------------------------------------------ SQL
    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only DuckDB connection: one view per store table holding only committed rows.

        No file, network or extension access (``enable_external_access=false``, no extension autoload/-install, no
        scans of Python variables), configuration locked. The views are built on relations that already hold only
        committed rows (``runs`` deduplicated; result tables filtered to the winning commit of each run), so no raw
        scan of a Delta table is reachable.
        """
        con = duckdb.connect(
            config={
                "enable_external_access": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "python_enable_replacements": False,
            }
        )
        runs = self._runs_table()
        for name in self.table_names():
            if name == RUNS:
                con.register(RUNS, runs)
                continue
            table = self._open(name)
            if table is None:
                continue
            dataset = _dataset(table)
            committed = dataset.filter(_visible(dataset.schema.names, runs))
            con.register(f"__committed_{name}", committed)
            hide = " EXCLUDE (commit_id)" if "commit_id" in dataset.schema.names else ""
            con.execute(f'CREATE VIEW "{name}" AS SELECT *{hide} FROM "__committed_{name}"')
        con.execute("SET lock_configuration = true")
        return con

    def sql(self, query: str) -> pa.Table:
        """Run one read-only SQL query (a SELECT, or WITH ... SELECT; DuckDB dialect) over the committed rows of the
        store (:meth:`connect`). Anything else (several statements, COPY, ATTACH, SET, INSTALL, ...) and any file
        or network access is a :class:`StoreError`."""
        try:
            statements = duckdb.extract_statements(query)
        except duckdb.Error as exc:
            raise StoreError(f"SQL error: {exc}", hint="one SELECT statement, DuckDB dialect") from exc
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            kinds = [s.type.name for s in statements]
            raise StoreError(
                f"runs sql runs exactly one SELECT (or WITH ... SELECT) statement, not {kinds or 'nothing'}",
                hint="the store is read-only through SQL: no COPY, ATTACH, SET, INSTALL, LOAD, PRAGMA or several "
                "statements; export a run with `radiovector runs export`",
            )
        con = self.connect()
        try:
            relation = con.sql(statements[0].query)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.PermissionException as exc:
            raise StoreError(
                f"SQL refused: {exc}", hint="runs sql reads only the store's tables: no files, network or extensions"
            ) from exc
        except duckdb.Error as exc:
            raise StoreError(f"SQL error: {exc}", hint=f"tables you can query: {self.table_names()}") from exc
        finally:
            con.close()

    # ------------------------------------------------------------------ maintenance
    def compact(self, vacuum: bool = True) -> dict[str, dict[str, int]]:
        """Rewrite each table's small per-run files into few large ones (Delta OPTIMIZE), then, with ``vacuum``,
        delete files no longer referenced once older than Delta's default retention (7 days, so readers of older
        table versions are not broken). Rows, their order within a run and every run's visibility are unchanged.
        Returns files removed/added (and vacuumed) per table."""
        self._require_intact()
        report: dict[str, dict[str, int]] = {}
        for name in self.table_names():
            table = self._open(name)
            if table is None:  # listed a moment ago: removed in between
                raise StoreError(f"table {name!r} disappeared from the store at {self.location} during compaction")
            try:
                metrics = table.optimize.compact()
                removed = table.vacuum(dry_run=False) if vacuum else []
            except (DeltaError, OSError) as exc:
                raise StoreError(f"cannot compact table {name!r} in {self.location}: {exc}") from exc
            report[name] = {
                "files_removed": int(metrics.get("numFilesRemoved", 0)),
                "files_added": int(metrics.get("numFilesAdded", 0)),
                "files_vacuumed": len(removed),
            }
        return report

    def _invisible_attempts(self, runs: pa.Table) -> dict[str, dict[tuple[str, str | None], int]]:
        """Rows of commit attempts that are not visible, per table: {(run_id, commit_id): rows}. In ``runs``: the
        rows that lost to an earlier attempt of the same run id."""
        visible = set(zip(runs["run_id"].to_pylist(), runs["commit_id"].to_pylist(), strict=True))
        found: dict[str, dict[tuple[str, str | None], int]] = {}
        for name in self.table_names():
            table = self._open(name)
            if table is None:
                continue
            names = [n for n in ("run_id", "commit_id") if n in table.schema().to_arrow().names]
            ids = table.to_pyarrow_table(columns=names)
            if "commit_id" not in names:
                ids = ids.append_column("commit_id", pa.nulls(ids.num_rows, pa.string()))
            counts = ids.group_by(["run_id", "commit_id"], use_threads=False).aggregate([([], "count_all")])
            attempts = {
                (r, c): n
                for r, c, n in zip(
                    counts["run_id"].to_pylist(),
                    counts["commit_id"].to_pylist(),
                    counts["count_all"].to_pylist(),
                    strict=True,
                )
            }
            if name == RUNS:  # losers of a race whose process died before withdrawing them
                attempts = {a: n for a, n in attempts.items() if a[1] is not None}
            orphans = {a: n for a, n in attempts.items() if a not in visible}
            if orphans:
                found[name] = orphans
        return found

    def orphan_rows(self) -> dict[str, int]:
        """Rows per table that belong to no visible run (crashed, failed or concurrent losing commit attempts)."""
        attempts = self._invisible_attempts(self._runs_table())
        return {name: sum(counts.values()) for name, counts in attempts.items()}

    def clean_orphans(self, grace: timedelta = timedelta(minutes=30), force: bool = False) -> dict[str, int]:
        """Delete the rows of commit attempts that never became visible, once older than ``grace``; rows per table.

        Safe while other processes commit: an attempt's age is the time of its newest Delta commit in *any* table
        (a run still writing its later tables keeps its earlier ones), a grace below :data:`MIN_CLEAN_GRACE` is
        refused unless ``force``, visibility is read again right before each delete, and nothing is deleted while a
        table's log is damaged (its lost commit may be the runs row that made those rows visible).
        """
        if grace < MIN_CLEAN_GRACE and not force:
            raise StoreError(
                f"a grace period of {grace} is below the safe minimum of {MIN_CLEAN_GRACE}: rows of a run that is "
                "committing right now could be deleted",
                hint=f"use --grace-minutes {int(MIN_CLEAN_GRACE.total_seconds() // 60)} or more; --force only when "
                "no other process writes to this store",
            )
        self._require_intact()
        orphans = self._invisible_attempts(self._runs_table())
        if not orphans:
            return {}
        written_at = self._attempt_times()
        cutoff = datetime.now(UTC) - grace
        oldest = datetime.min.replace(tzinfo=UTC)
        deleted: dict[str, int] = {}
        for name in sorted(orphans, key=lambda n: n == RUNS):  # result rows first, losing runs rows last
            stale = [a for a in orphans[name] if written_at.get(a[1] or a[0], oldest) < cutoff]
            runs = self._runs_table()  # again: a run may have become visible meanwhile
            visible = set(zip(runs["run_id"].to_pylist(), runs["commit_id"].to_pylist(), strict=True))
            stale = [a for a in stale if a not in visible]
            if not stale:
                continue
            has_commit_id = "commit_id" in self._stored_schema(name).names  # type: ignore[union-attr]
            deleted[name] = self._delete(name, _attempts_predicate(stale, has_commit_id))
        return {k: v for k, v in deleted.items() if v}

    def _attempt_times(self) -> dict[str, datetime]:
        """Newest Delta commit time of each commit attempt (by commit id; format-1 writes by run id), over every
        table."""
        times: dict[str, datetime] = {}
        for name in self.table_names():
            table = self._open(name)
            if table is None:
                continue
            for entry in table.history():
                stamp = entry.get("timestamp")
                key = entry.get("radiovector_commit_id") or entry.get("radiovector_run_id")
                if key and stamp is not None:
                    when = datetime.fromtimestamp(stamp / 1000, UTC)
                    times[key] = max(times.get(key, when), when)
        return times

    def check(self) -> dict[str, Any]:
        """Health of the store: for every table its Delta version, log files, damage and rows of invisible commit
        attempts, and run ids with more than one ``runs`` row. ``ok`` is False on damage or duplicates (orphan
        rows alone are normal after a crash: ``runs clean`` removes them)."""
        report: dict[str, Any] = {"store": self.location, "tables": {}, "duplicate_runs": {}, "problems": []}
        readable = True
        for name in self.table_names():
            entry: dict[str, Any] = {
                "log_files": len(self._log_entries(name)),
                "version": None,
                "files": None,
                "orphan_rows": None,
                "problems": self.log_problems(name),
            }
            if not entry["problems"]:
                try:
                    table = self._open(name, check_log=False)
                    if table is not None:
                        entry["version"] = table.version()
                        entry["files"] = len(table.file_uris())
                except DamagedStore as exc:
                    entry["problems"].append(exc.message)
            readable = readable and not entry["problems"]
            report["problems"] += entry["problems"]
            report["tables"][name] = entry
        if readable and RUNS in report["tables"]:
            self._log_checked.update(report["tables"])
            raw = self._open(RUNS)
            ids = raw.to_pyarrow_table(columns=["run_id"])["run_id"] if raw is not None else pa.array([], pa.string())
            counts = pc.value_counts(ids).to_pylist()
            report["duplicate_runs"] = {c["values"]: c["counts"] for c in counts if c["counts"] > 1}
            if report["duplicate_runs"]:
                report["problems"].append(
                    f"run ids with more than one runs row (a concurrent commit that could not withdraw; readers see "
                    f"the earliest): {sorted(report['duplicate_runs'])[:5]}"
                )
            for name, rows in self.orphan_rows().items():
                report["tables"][name]["orphan_rows"] = rows
            for entry in report["tables"].values():
                entry["orphan_rows"] = entry["orphan_rows"] or 0
        report["ok"] = not report["problems"]
        return report


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    at = table.schema.get_field_index(name)
    field = pa.field(name, values.type)
    return table.set_column(at, field, values) if at >= 0 else table.append_column(field, values)


def _attempts_predicate(attempts: list[tuple[str, str | None]], has_commit_id: bool) -> str:
    """Delta delete predicate for the rows of commit attempts (run_id, commit_id); commit_id None: format-1 rows."""
    by_commit = [c for _, c in attempts if c is not None]
    legacy = [r for r, c in attempts if c is None]
    parts = []
    if by_commit:
        parts.append(f"commit_id IN ({', '.join(map(_sql_string, by_commit))})")
    if legacy:
        only_legacy = " AND commit_id IS NULL" if has_commit_id else ""
        parts.append(f"(run_id IN ({', '.join(map(_sql_string, legacy))}){only_legacy})")
    return " OR ".join(parts)


def _visible(names: list[str], runs: pa.Table, run_id: str | None = None) -> pc.Expression:
    """Filter for the rows of a result table (columns ``names``) that belong to the winning commit of a run in
    ``runs``; format-1 rows (no commit id) belong to a run whose ``runs`` row has none either."""
    commit_ids = [c for c in runs["commit_id"].to_pylist() if c is not None]
    legacy = [r for r, c in zip(runs["run_id"].to_pylist(), runs["commit_id"].to_pylist(), strict=True) if c is None]
    legacy_rows = pc.field("run_id").isin(pa.array(legacy, pa.string()))
    if "commit_id" in names:
        expr = pc.field("commit_id").isin(pa.array(commit_ids, pa.string()))
        if legacy:
            expr = expr | (pc.field("commit_id").is_null() & legacy_rows)
    else:
        expr = legacy_rows
    return expr if run_id is None else (pc.field("run_id") == run_id) & expr


def _dataset(table: DeltaTable) -> ds.Dataset:
    """The table as a pyarrow dataset, safe to filter on columns some files lack.

    delta-rs gives each file a guarantee built from its statistics; for a column the file does not have (written
    before a schema evolution: ``commit_id`` of format-1 rows, a new nuclide column) that guarantee compares with a
    null literal, and pyarrow then skips the whole file for any filter on that column, so old rows would vanish from
    ``commit_id IS NULL``. Such files are scanned without the guarantee (Parquet row-group statistics still prune).
    """
    dataset = table.to_pyarrow_dataset()
    fragments = list(dataset.get_fragments())
    if not any("null[" in str(f.partition_expression) for f in fragments):
        return dataset
    fixed = [
        f if "null[" not in str(f.partition_expression) else f.format.make_fragment(f.path, f.filesystem)
        for f in fragments
    ]
    return ds.FileSystemDataset(fixed, dataset.schema, dataset.format, fragments[0].filesystem)


def _winners(table: DeltaTable, rows: pa.Table) -> pa.Table:
    """``rows`` of the runs table with one row per run id: of several, the one committed earliest in the Delta log
    (ties and unknown versions: earliest ``committed_at``, then commit id). Writers and readers pick the same."""
    ids = rows["run_id"].to_pylist()
    if len(set(ids)) == len(ids):
        return rows
    version_of = {}
    for entry in table.history():
        commit_id, version = entry.get("radiovector_commit_id"), entry.get("version")
        if commit_id and version is not None and entry.get("operation") == "WRITE":
            version_of[commit_id] = min(version, version_of.get(commit_id, version))
    commit_ids = rows["commit_id"].to_pylist() if "commit_id" in rows.column_names else [None] * len(ids)
    committed = rows["committed_at"].to_pylist() if "committed_at" in rows.column_names else [None] * len(ids)
    latest = datetime.max.replace(tzinfo=UTC)
    order = sorted(
        range(len(ids)),
        key=lambda i: (version_of.get(commit_ids[i], float("inf")), committed[i] or latest, commit_ids[i] or "", i),
    )
    keep: dict[str, int] = {}
    for i in order:
        keep.setdefault(ids[i], i)
    return rows.take(sorted(keep.values()))
