"""Run the Snakemake workflow for a config and commit the outcome to the results store.

``radiovector run`` = validate config -> clean stale orphans -> snakemake (incremental: only what changed
reruns) -> read the run manifest -> commit result tables, inputs and rejects -> commit the ``runs`` row.
A workflow failure is committed as a ``failed`` run carrying the error, with no result tables; an interrupt
(Ctrl-C, SIGTERM) while the workflow runs stops Snakemake and commits an ``interrupted`` run, with no result tables
(see :mod:`radiovector.interrupts`; an interrupt during the commit lets the commit finish).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from radiovector import interrupts
from radiovector.config import load_config
from radiovector.contracts import conform, contract, read_table
from radiovector.errors import RadioVectorError
from radiovector.interrupts import Interrupted
from radiovector.io.tables import rejects_frame as rejects_frame_of
from radiovector.paths import project_root, snakefile
from radiovector.scripting import ERROR_MARK
from radiovector.store import ResultsStore, RunRecord, new_run_id
from radiovector.store.records import git_state

_PROGRESS = re.compile(r"(\d+) of (\d+) steps \((\d+)%\) done")


@dataclass
class RunOutcome:
    run_id: str
    status: str
    report_path: Path | None
    tables: dict[str, dict[str, Any]]
    inputs: dict[str, dict[str, Any]]
    error: str | None = None


def snakemake_command(config_file: Path, workdir: Path, cores: int, extra_args: Sequence[str] = ()) -> list[str]:
    """The Snakemake command line `radiovector run` executes."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(snakefile()),
        "--directory",
        str(workdir),
        "--configfile",
        str(config_file),
        "--cores",
        str(cores),
        "--rerun-incomplete",
        "--printshellcmds",
        *extra_args,
    ]


def _user_error_from_log(lines: Sequence[str]) -> str | None:
    """The first user-facing error a workflow script reported (see radiovector.scripting)."""
    for line in lines:
        if ERROR_MARK in line:
            payload = line.split(ERROR_MARK, 1)[1].strip()
            try:
                data = json.loads(payload)
            except json.JSONDecodeError:
                return payload
            return data["message"] + (f"\n  hint: {data['hint']}" if data.get("hint") else "")
    return None


def run_snakemake(
    command: Sequence[str],
    log_path: Path,
    on_progress: Callable[[int, int], None] | None = None,
    workdir: Path | None = None,
) -> tuple[int, list[str]]:
    """Run Snakemake, teeing its output to ``log_path`` and reporting 'N of M steps' progress.

    Snakemake runs in its own session and dies with this process (:mod:`radiovector.interrupts`); with
    ``workdir`` its pid is recorded as the holder of the workdir's lock. Any exception here (an
    :class:`~radiovector.interrupts.Interrupted` above all) stops Snakemake before it propagates."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    locked_before = workdir is not None and interrupts.has_lock(workdir)  # someone else's: Snakemake will say so
    with (
        open(log_path, "w") as log,
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=project_root(),
            bufsize=1,
            start_new_session=True,
            preexec_fn=interrupts.die_with_parent(),
        ) as proc,
    ):
        if proc.stdout is None:  # stdout=PIPE always gives a stream
            raise RuntimeError("snakemake subprocess has no stdout pipe")
        if workdir is not None:
            interrupts.record_holder(workdir, proc.pid)
        try:
            for line in proc.stdout:
                log.write(line)
                lines.append(line.rstrip("\n"))
                match = _PROGRESS.search(line)
                if match and on_progress:
                    on_progress(int(match.group(1)), int(match.group(2)))
            returncode = proc.wait()
        except BaseException:
            with interrupts.deferred_signals():  # a second Ctrl-C must not leave Snakemake running
                drain = threading.Thread(target=_drain, args=(proc.stdout, log), daemon=True)
                drain.start()  # Snakemake's last words go to the log; a pipe kept open cannot block us
                interrupts.stop_child(proc)
                drain.join(timeout=5)
            raise
        finally:
            # the record stays while a lock Snakemake took is left (it was killed): the next run removes that lock
            if workdir is not None and proc.poll() is not None and (locked_before or not interrupts.has_lock(workdir)):
                interrupts.clear_holder(workdir, proc.pid)
    return returncode, lines


def _drain(stream, log) -> None:
    """Copy what is left in ``stream`` to ``log`` (best effort: the log may be closed meanwhile)."""
    try:
        for line in stream:
            log.write(line)
    except (OSError, ValueError):
        pass


def collect_tables(manifest: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Any]]]:
    """Result tables named in the manifest, plus the ``inputs`` and ``rejects`` tables, each checked against its
    contract; with keys (from the contracts) and row counts."""
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in sorted(manifest["tables"].items()):
        tables[name] = read_table(name, spec["path"])
    inputs = pd.DataFrame(
        [
            {
                k: s[k]
                for k in (
                    "input",
                    "path",
                    "sha256",
                    "size_bytes",
                    "schema",
                    "rows_in",
                    "rows_accepted",
                    "rows_rejected",
                )
            }
            for _, s in sorted(manifest["inputs"].items())
        ]
    )
    rejects = [read_table("rejects", p) for p in manifest["rejects"]]
    rejects_frame = pd.concat(rejects, ignore_index=True) if rejects else rejects_frame_of()
    for row in inputs.itertuples():
        if row.rows_in != row.rows_accepted + row.rows_rejected:
            raise RadioVectorError(f"internal error: input {row.input} lost rows during ingestion")
    tables["inputs"] = inputs
    tables["rejects"] = conform("rejects", rejects_frame, source="rejects of all stages").to_pandas()
    meta = {name: {"rows": len(frame), "key": list(contract(name).key)} for name, frame in sorted(tables.items())}
    return tables, meta


def run_pipeline(
    config_path: Path,
    store: ResultsStore,
    cores: int = 2,
    extra_args: Sequence[str] = (),
    on_progress: Callable[[int, int], None] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run the workflow on ``config_path`` and commit the run to ``store``; see the module docstring.

    SIGINT and SIGTERM raise :class:`~radiovector.interrupts.Interrupted` (its message says what was committed)."""
    with interrupts.raising_on_signals():
        return _run_pipeline(config_path, store, cores, extra_args, on_progress, on_status)


def _run_pipeline(
    config_path: Path,
    store: ResultsStore,
    cores: int,
    extra_args: Sequence[str],
    on_progress: Callable[[int, int], None] | None,
    on_status: Callable[[str], None] | None,
) -> RunOutcome:
    status = on_status or (lambda message: None)
    config = load_config(config_path)
    store.check_writable()
    cleaned = store.clean_orphans()
    if cleaned:
        status(f"cleaned rows of incomplete earlier runs: {cleaned}")
    run_id = new_run_id()
    started = datetime.now(UTC)
    workdir = Path(config["workdir"]).expanduser().resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    resolved_config = workdir / "config.resolved.yaml"
    resolved_config.write_text(yaml.safe_dump(config, sort_keys=False))  # key order is meaning (organ panel)
    commit, dirty = git_state(project_root())
    if interrupts.release_stale_lock(
        workdir, snakemake_command(resolved_config, workdir, 1, ["--unlock", "--quiet"]), project_root()
    ):
        status(f"removed the stale Snakemake lock of a killed earlier run in {workdir}")
    status(f"run {run_id}: running the workflow in {workdir}")
    log_path = workdir / "logs" / "runs" / f"{run_id}.snakemake.log"

    def record_without_tables(outcome: str, error: str) -> None:
        """Commit the run record of a run that ends without results (failed or interrupted)."""
        record = RunRecord(run_id=run_id, status=outcome, error=error, started_at=started,
                           finished_at=datetime.now(UTC), config=config, git_commit=commit, git_dirty=dirty)
        with interrupts.deferred_signals():
            store.commit_run(record, {})

    try:
        code, lines = run_snakemake(
            snakemake_command(resolved_config, workdir, cores, extra_args), log_path, on_progress, workdir
        )
    except Interrupted as exc:
        record_without_tables(
            "interrupted", f"interrupted by {exc.name} while the workflow ran; Snakemake was stopped (log: {log_path})"
        )
        raise Interrupted(
            exc.signum,
            f"run {run_id} interrupted by {exc.name}: Snakemake stopped; recorded in {store.location} as "
            "interrupted, no result tables committed",
        ) from None
    if code != 0:
        error = _user_error_from_log(lines) or "\n".join(lines[-25:])
        record_without_tables("failed", error)
        return RunOutcome(run_id, "failed", None, {}, {}, error=error)
    manifest = json.loads((workdir / "manifest.json").read_text())
    tables, meta = collect_tables(manifest)
    report_src = workdir / "report" / "index.html"
    report_path = None
    if report_src.is_file():
        report_path = workdir.parent / "reports" / f"{run_id}.html"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report_src, report_path)
    status(f"run {run_id}: committing {sum(m['rows'] for m in meta.values())} rows to {store.location}")
    record = RunRecord(
        run_id=run_id,
        status="succeeded",
        started_at=started,
        finished_at=datetime.now(UTC),
        config=config,
        inputs={
            name: {k: s[k] for k in ("path", "sha256", "size_bytes", "rows_in", "rows_accepted", "rows_rejected")}
            for name, s in manifest["inputs"].items()
        },
        tables=meta,
        git_commit=commit,
        git_dirty=dirty,
        report_path=str(report_path) if report_path else None,
    )
    with interrupts.deferred_signals() as pending:  # the commit is atomic and short: let it finish
        store.commit_run(record, tables)
    if pending:
        raise Interrupted(
            pending[0],
            f"interrupted by {signal.Signals(pending[0]).name} after run {run_id} was committed "
            f"(succeeded) to {store.location}",
        )
    return RunOutcome(run_id, "succeeded", report_path, meta, record.inputs)
