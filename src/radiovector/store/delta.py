"""Results store on Delta Lake (delta-rs): one table per result kind, every row keyed by ``run_id``.

Commit protocol (see docs/store.md): a run's result tables are appended first, each as one Delta commit
tagged with the run id; the run's row in ``runs`` is appended last. Readers only ever see rows whose run id
is in ``runs``, so a crash or kill mid-commit leaves nothing half-visible; :meth:`ResultsStore.clean_orphans`
later deletes the rows of runs that never reached ``runs``.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, SchemaMismatchError, TableNotFoundError

from radiovector.contracts import contract
from radiovector.errors import StoreError
from radiovector.store.records import RUNS_SCHEMA, RunRecord

RUNS = "runs"
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_COMMIT_ATTEMPTS = 20


class RunNotFound(StoreError):
    """No committed run matches the given id."""


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


def object_store_options(
    location: str, endpoint_url: str | None = None, profile: str | None = None
) -> dict[str, str]:
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
    columns (``ti_{organ}`` ...) any run has written, missing ones likewise null. Schema evolution is explicit:
    columns the contract declares that the store's table lacks (a new nuclide column, or a column added to the
    contract by a newer version) are returned and added to the store; a stored column the contract does not
    declare (renamed or removed) stops the commit.
    """
    spec = contract(name)
    own_run_id = "run_id" in spec.column_names  # the runs table declares it; result tables gain it here
    table = normalise_table(data)
    if "run_id" in table.column_names and not own_run_id:
        table = table.drop_columns(["run_id"])
    table = spec.conform(table)
    stored_names = [] if stored is None else [n for n in stored.names if n != "run_id" or own_run_id]
    undeclared = [n for n in stored_names if spec.spec(n) is None]
    if undeclared:
        raise StoreError(
            f"table {name!r} in the store has column(s) {undeclared} that its contract does not declare",
            hint="the store was written by another version of radiovector (a column was renamed or removed); "
            "write to a new store, or migrate the table",
        )
    schema = spec.store_schema(stored_names + table.column_names)
    order = stored_names + [n for n in schema.names if n not in stored_names]
    columns = [table[n] if n in table.column_names else pa.nulls(table.num_rows, schema.field(n).type)
               for n in order]
    fields = [schema.field(n) for n in order]
    if stored is not None:
        for f in fields:
            if f.name in stored.names and stored.field(f.name).type != f.type:
                raise StoreError(
                    f"table {name!r} in the store keeps column {f.name!r} as {stored.field(f.name).type}, "
                    f"its contract as {f.type}",
                    hint="write to a new store, or migrate the table",
                )
    out = pa.Table.from_arrays(columns, schema=pa.schema(fields))
    if not own_run_id:
        out = out.add_column(0, pa.field("run_id", pa.string()), pa.nulls(table.num_rows, pa.string()))
    added = [] if stored is None else [n for n in order if n not in stored_names]
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

    def _open(self, name: str) -> DeltaTable | None:
        try:
            return DeltaTable(self.table_uri(name), storage_options=self.storage_options)
        except TableNotFoundError:
            return None
        except (DeltaError, OSError) as exc:
            if self.is_remote:
                raise describe_store_error(self.location, exc) from exc
            raise StoreError(f"cannot open store table {self.table_uri(name)}: {exc}") from exc

    def table_names(self) -> list[str]:
        """Names of the tables that exist in the store (``runs`` first)."""
        if _is_uri(self.location):
            names = self._list_remote_tables()
        else:
            root = Path(self.location)
            names = (
                sorted(p.name for p in root.iterdir() if (p / "_delta_log").is_dir()) if root.is_dir() else []
            )
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

    def _append(self, name: str, data: pa.Table | pd.DataFrame, run_id: str) -> None:
        """Append one table of run ``run_id`` as one Delta commit, retrying when another writer wins a race.

        Each attempt aligns the table with the store's current schema (:func:`align_to_store`), so a column
        another writer added meanwhile is filled, not lost. The table is written as one record batch: delta-rs
        writes the batches of a multi-chunk table in parallel and does not keep their order, and the row order
        of a run's tables must be reproducible.
        """
        props = CommitProperties(custom_metadata={"radiovector_run_id": run_id}, max_commit_retries=50)
        last_error: Exception | None = None
        for attempt in range(_COMMIT_ATTEMPTS):
            table, added = align_to_store(name, data, self._stored_schema(name))
            at = table.schema.get_field_index("run_id")
            table = table.set_column(at, "run_id", pa.array([run_id] * table.num_rows, pa.string())).combine_chunks()
            try:
                write_deltalake(
                    self.table_uri(name),
                    table,
                    mode="append",
                    schema_mode="merge" if added else None,
                    storage_options=self.storage_options,
                    commit_properties=props,
                )
                return
            except SchemaMismatchError as exc:
                if attempt + 1 < _COMMIT_ATTEMPTS and self._stored_schema(name) != table.schema:
                    continue  # another writer changed the schema meanwhile: align again
                raise StoreError(
                    f"table {name!r} in the store has columns of another type than this run's: {exc}",
                    hint="a stage changed its output types; use a new store or migrate the table",
                ) from exc
            except (CommitFailedError, DeltaError, OSError) as exc:
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
                last_error = exc
                time.sleep(min(2.0, 0.05 * (2**attempt)) * (0.5 + random.random()))
        raise StoreError(f"could not commit table {name!r} after {_COMMIT_ATTEMPTS} attempts: {last_error}")

    def commit_run(self, record: RunRecord | pa.Table, tables: Mapping[str, pa.Table | pd.DataFrame]) -> str:
        """Write all result tables of a run, then its ``runs`` row, which makes the run visible.

        ``record`` is a :class:`RunRecord`, or a ready one-row ``runs`` table (an imported run keeps its
        original row). Every result table gains a leading ``run_id`` column. Returns the run id.
        """
        runs_row = record.to_arrow() if isinstance(record, RunRecord) else record.cast(RUNS_SCHEMA)
        if runs_row.num_rows != 1:
            raise StoreError(f"a run record is one row, not {runs_row.num_rows}")
        run_id = runs_row["run_id"][0].as_py()
        if RUNS in tables:
            raise StoreError("'runs' is reserved for run records; rename the result table")
        if self.find_run(run_id) is not None:
            raise StoreError(f"run {run_id} already exists in {self.location}; runs are never overwritten")
        self.check_writable()
        for name in sorted(tables):  # every table checked before anything is written
            align_to_store(name, tables[name], None)
        for name in sorted(tables):
            self._append(name, tables[name], run_id)
        self._append(RUNS, runs_row, run_id)
        return run_id

    # ------------------------------------------------------------------ reading
    def runs(self) -> pd.DataFrame:
        """All committed runs, oldest first."""
        table = self._open(RUNS)
        if table is None:
            return RUNS_SCHEMA.empty_table().to_pandas()
        frame = table.to_pyarrow_table().to_pandas()
        return frame.sort_values(["started_at", "run_id"], kind="stable").reset_index(drop=True)

    def find_run(self, run_id: str) -> dict[str, Any] | None:
        table = self._open(RUNS)
        if table is None:
            return None
        rows = table.to_pyarrow_table(filters=[("run_id", "=", run_id)]).to_pylist()
        return rows[0] if rows else None

    def resolve_run_id(self, ref: str) -> str:
        """Full run id for ``ref``: an exact id, a unique prefix, ``latest`` or ``latest~N``."""
        runs = self.runs()
        if runs.empty:
            raise RunNotFound(
                f"the store at {self.location} has no runs yet", hint="run `radiovector run` first"
            )
        ids = runs["run_id"].tolist()
        match = re.fullmatch(r"latest(?:~(\d+))?", ref)
        if match:
            back = int(match.group(1) or 0)
            if back >= len(ids):
                raise RunNotFound(f"{ref}: the store has only {len(ids)} run(s)")
            return ids[-1 - back]
        hits = [i for i in ids if i.startswith(ref)]
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
        table = self._open(RUNS)
        return [] if table is None else table.to_pyarrow_table(columns=["run_id"])["run_id"].to_pylist()

    def read(self, name: str, run_id: str | None = None, columns: list[str] | None = None) -> pa.Table:
        """Rows of a result table from committed runs (one run if ``run_id`` is given)."""
        table = self._open(name)
        if table is None:
            raise StoreError(
                f"the store has no table {name!r}", hint=f"tables in this store: {self.table_names()}"
            )
        if name == RUNS:
            result = table.to_pyarrow_table(columns=columns)
            return result if run_id is None else result.filter(pc.field("run_id") == run_id)
        if run_id is not None:
            return table.to_pyarrow_table(columns=columns, filters=[("run_id", "=", run_id)])
        dataset = table.to_pyarrow_dataset()
        visible = pa.array(self.visible_run_ids(), pa.string())
        return dataset.to_table(columns=columns, filter=pc.field("run_id").isin(visible))

    # ------------------------------------------------------------------ SQL
    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per store table, showing only committed runs."""
        con = duckdb.connect()
        for name in self.table_names():
            table = self._open(name)
            if table is None:
                continue
            con.register(f"__delta_{name}", table.to_pyarrow_dataset())
            if name == RUNS:
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "__delta_{name}"')
            else:
                con.execute(
                    f'CREATE VIEW "{name}" AS SELECT * FROM "__delta_{name}" '
                    f'WHERE run_id IN (SELECT run_id FROM "__delta_{RUNS}")'
                )
        return con

    def sql(self, query: str) -> pa.Table:
        """Run a SQL query (DuckDB dialect) over the store; every table is a view of committed runs."""
        con = self.connect()
        try:
            relation = con.sql(query)
            return relation.to_arrow_table() if relation is not None else pa.table({})
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
            report[name] = {"files_removed": int(metrics.get("numFilesRemoved", 0)),
                            "files_added": int(metrics.get("numFilesAdded", 0)), "files_vacuumed": len(removed)}
        return report

    def clean_orphans(self, grace: timedelta = timedelta(minutes=30)) -> dict[str, int]:
        """Delete rows of runs that never committed their ``runs`` row, once older than ``grace``.

        The age of an orphan comes from the Delta commit that wrote it (tagged with its run id), so rows of a
        run that is committing right now are never touched. Returns rows deleted per table.
        """
        visible = set(self.visible_run_ids())
        cutoff = datetime.now(UTC) - grace
        deleted: dict[str, int] = {}
        for name in self.table_names():
            if name == RUNS:
                continue
            table = self._open(name)
            if table is None:  # listed a moment ago: removed in between
                raise StoreError(f"table {name!r} disappeared from the store at {self.location} during clean-up")
            present = set(pc.unique(table.to_pyarrow_table(columns=["run_id"])["run_id"]).to_pylist())
            orphans = present - visible
            if not orphans:
                continue
            written_at = _commit_times_by_run(table.history())
            stale = sorted(r for r in orphans if written_at.get(r, datetime.min.replace(tzinfo=UTC)) < cutoff)
            if not stale:
                continue
            quoted = ", ".join("'" + r.replace("'", "''") + "'" for r in stale)
            metrics = table.delete(f"run_id IN ({quoted})")
            deleted[name] = int(metrics.get("num_deleted_rows", 0))
        return deleted


def _commit_times_by_run(history: Iterable[dict[str, Any]]) -> dict[str, datetime]:
    """Latest commit time per run id from Delta commit metadata."""
    times: dict[str, datetime] = {}
    for entry in history:
        run_id = entry.get("radiovector_run_id")
        stamp = entry.get("timestamp")
        if run_id and stamp is not None:
            when = datetime.fromtimestamp(stamp / 1000, UTC)
            times[run_id] = max(times.get(run_id, when), when)
    return times
