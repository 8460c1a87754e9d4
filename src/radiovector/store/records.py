"""The run record: one row of the ``runs`` table, written last when a run is committed."""

from __future__ import annotations

import getpass
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa

from radiovector.contracts import contract
from radiovector.errors import StoreError

#: Bumped when the layout of the store changes. 2: every row carries the ``commit_id`` of the commit attempt that
#: wrote it, and ``runs`` rows carry ``commit_id`` and ``committed_at`` (format-1 rows read as legacy rows).
STORE_FORMAT = 2

#: The project's run id format (see :func:`new_run_id`).
RUN_ID_PATTERN = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")

#: Packages whose versions are recorded with every run.
TRACKED_PACKAGES = (
    "radiovector",
    "snakemake",
    "rdkit",
    "biopython",
    "scikit-learn",
    "pandas",
    "pyarrow",
    "numpy",
    "scipy",
    "deltalake",
    "duckdb",
    "radioactivedecay",
    "icrp107-database",
    "matplotlib",
)

#: Arrow schema of the runs table (declared in radiovector.contracts).
RUNS_SCHEMA = contract("runs").store_schema([])


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC start time plus 6 random hex digits, e.g. ``20261127T163500Z-3f9a1c``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def validate_run_id(run_id: object) -> str:
    """``run_id`` if it has the project's format ``YYYYMMDDTHHMMSSZ-xxxxxx``, else :class:`StoreError`.

    Why: ids are addresses (prefixes resolve to runs) and file names (reports/{run_id}.html); an empty id, or one
    that extends a local id, would make runs unaddressable.
    """
    if not isinstance(run_id, str) or RUN_ID_PATTERN.fullmatch(run_id) is None:
        raise StoreError(
            f"invalid run id {run_id!r}",
            hint="run ids are YYYYMMDDTHHMMSSZ-xxxxxx (UTC start time, '-', 6 lower-case hex digits), "
            "as radiovector.store.new_run_id makes them",
        )
    return run_id


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results (absent ones are omitted)."""
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """(commit sha, dirty flag) of the pipeline checkout; (None, None) outside a git work tree."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


#: What a ``runs`` row's status may be: an interrupted run (Ctrl-C, SIGTERM) is recorded with no result tables.
RUN_STATUSES = ("succeeded", "failed", "interrupted")


@dataclass
class RunRecord:
    """Provenance of one run. ``tables`` maps each result table to its row count and key columns."""

    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime
    config: dict[str, Any]
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    versions: dict[str, str] = field(default_factory=package_versions)
    git_commit: str | None = None
    git_dirty: bool | None = None
    host: str = field(default_factory=socket.gethostname)
    user: str = field(default_factory=_user)
    command: str = field(default_factory=lambda: " ".join(sys.argv))
    report_path: str | None = None
    origin: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {RUN_STATUSES}, not {self.status!r}")
        if self.status != "succeeded" and not self.error:
            raise ValueError(f"a {self.status} run must carry its error message")

    def to_row(self) -> dict[str, Any]:
        import hashlib

        config_json = json.dumps(self.config, sort_keys=True, default=str)
        return {
            "run_id": self.run_id,
            "status": self.status,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": (self.finished_at - self.started_at).total_seconds(),
            "config_json": config_json,
            "config_sha256": hashlib.sha256(config_json.encode()).hexdigest(),
            "inputs_json": json.dumps(self.inputs, sort_keys=True),
            "tables_json": json.dumps(self.tables, sort_keys=True),
            "versions_json": json.dumps(self.versions, sort_keys=True),
            "python_version": platform.python_version(),
            "radiovector_version": self.versions.get("radiovector"),
            "snakemake_version": self.versions.get("snakemake"),
            "git_commit": self.git_commit,
            "git_dirty": self.git_dirty,
            "host": self.host,
            "user": self.user,
            "command": self.command,
            "report_path": self.report_path,
            "origin_json": json.dumps(self.origin, sort_keys=True) if self.origin else None,
            "store_format": STORE_FORMAT,
        }

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist([self.to_row()], schema=RUNS_SCHEMA)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
