"""Interrupts of ``radiovector run`` and its Snakemake child (docs/store.md, "Interrupts").

* SIGINT (Ctrl-C) and SIGTERM raise :class:`Interrupted` in the CLI (SIGTERM would otherwise end Python at once,
  with no clean-up); the runner stops Snakemake, records the run as ``interrupted`` and exits 128 + signal.
* Snakemake runs in its own session (process group), so a terminal's Ctrl-C reaches only the CLI, which forwards
  one SIGINT to the whole group: Snakemake cancels its jobs and releases its lock; after a grace period the group
  is sent SIGTERM, then SIGKILL.
* ``kill -9`` of the CLI cannot be caught, so on Linux the child asks the kernel (``prctl(PR_SET_PDEATHSIG)``) to
  send it SIGINT when the CLI dies: Snakemake then stops exactly as on Ctrl-C and releases its lock. This is done
  in the child between fork and exec (it survives exec), and the child checks that the CLI is still alive after
  asking, so a CLI that died in between is not missed. A watchdog thread in the child would need our code inside
  Snakemake's process; a wrapper process would itself be a second orphan.
* A lock can still be left behind when Snakemake itself is killed with SIGKILL (or the machine goes down). The
  runner records the Snakemake process (pid, start time, host) next to Snakemake's lock directory; the next run
  removes the lock (``snakemake --unlock``) only when that process is gone, and refuses with a clear message
  while it still runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from radiovector.errors import RadioVectorError

#: Signals that interrupt a run.
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds Snakemake gets to stop after SIGINT (cancel jobs, release its lock) before SIGTERM, then SIGKILL.
GRACE_S = 30.0
_PR_SET_PDEATHSIG = 1
HOLDER_FILE = "radiovector-holder.json"


class Interrupted(BaseException):
    """The run was interrupted by a signal (a BaseException like KeyboardInterrupt: ``except Exception`` in
    library code does not swallow it)."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.message = message or f"interrupted by {self.name}; nothing committed to the store"
        super().__init__(self.message)

    @property
    def exit_code(self) -> int:
        """The shell convention for a process ended by this signal."""
        return 128 + self.signum


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def raising_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; elsewhere a no-op)."""
    if not _in_main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Within the block, SIGINT and SIGTERM are only noted (a commit in progress finishes); the list yielded holds
    the signals received. The caller decides what to do with them after the block."""
    pending: list[int] = []
    if not _in_main_thread():
        yield pending
        return
    previous = {s: signal.signal(s, lambda signum, frame: pending.append(signum)) for s in SIGNALS}
    try:
        yield pending
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGINT when this process dies (Linux ``PR_SET_PDEATHSIG``);
    None where that does not exist. Everything it needs is looked up here, before the fork."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    prctl = ctypes.CDLL(libc_name, use_errno=True).prctl
    parent = os.getpid()
    getppid, kill, getpid = os.getppid, os.kill, os.getpid

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
        if getppid() != parent:  # the parent died before the request took effect
            kill(getpid(), signal.SIGINT)

    return preexec


def stop_child(proc: subprocess.Popen, grace_s: float = GRACE_S) -> int:
    """Stop a child started in its own session: SIGINT to its process group, then SIGTERM, then SIGKILL, each
    after ``grace_s`` (SIGKILL after a tenth of it); returns its exit code."""
    for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, grace_s / 10), (signal.SIGKILL, grace_s)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait_s)
    return proc.wait()


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux: field 22 of /proc/PID/stat), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_path(workdir: Path) -> Path:
    return workdir / ".snakemake" / HOLDER_FILE


def record_holder(workdir: Path, pid: int) -> None:
    """Note which process holds (or is about to hold) Snakemake's lock in ``workdir``."""
    path = holder_path(workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"pid": pid, "start_time": _start_time(pid), "host": socket.gethostname(), "cli_pid": os.getpid()})
    )


def clear_holder(workdir: Path, pid: int) -> None:
    """Forget the holder record if it is still ``pid``'s."""
    path = holder_path(workdir)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()


def live_holder(workdir: Path) -> dict | None:
    """The recorded holder of ``workdir``'s lock if it may still run (on another host it is assumed to), else None."""
    try:
        holder = json.loads(holder_path(workdir).read_text())
    except (OSError, ValueError):
        return None
    if holder.get("host") != socket.gethostname():
        return holder
    pid = int(holder.get("pid", 0))
    if pid <= 0 or not _alive(pid):
        return None
    started = _start_time(pid)
    if started is not None and holder.get("start_time") is not None and started != holder["start_time"]:
        return None  # the pid was reused by another process
    return holder


def has_lock(workdir: Path) -> bool:
    locks = workdir / ".snakemake" / "locks"
    return locks.is_dir() and any(locks.glob("*.lock"))


def release_stale_lock(workdir: Path, unlock_command: list[str], cwd: Path) -> bool:
    """Remove Snakemake's lock in ``workdir`` if its recorded holder is gone; True if a lock was removed.

    Raises :class:`RadioVectorError` while the holder still runs. A lock without a holder record was not made by
    ``radiovector run`` and is left to Snakemake (which reports it)."""
    if not has_lock(workdir):
        return False
    holder = live_holder(workdir)
    if holder is not None:
        where = holder.get("host")
        raise RadioVectorError(
            f"another run is working in {workdir}: Snakemake process {holder.get('pid')} on {where} holds its lock",
            hint="wait for it to finish or stop it (Ctrl-C in its terminal, or kill -INT "
            f"{holder.get('cli_pid') or holder.get('pid')}); or use another workdir",
        )
    if not holder_path(workdir).is_file():
        return False
    result = subprocess.run(unlock_command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0 or has_lock(workdir):
        raise RadioVectorError(
            f"could not remove the stale Snakemake lock in {workdir}: {(result.stdout + result.stderr).strip()[-500:]}",
            hint=f"remove {workdir / '.snakemake' / 'locks'} by hand if no Snakemake runs there",
        )
    holder_path(workdir).unlink(missing_ok=True)
    return True
