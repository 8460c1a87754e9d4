"""A full disk gives one clear message (docs/store.md, "Full disk").

When a write to a local store runs out of space, delta-rs raises ``DeltaError: ... No space left on device (os
error 28)``, and the worker threads of its object-store writer panic ("Already shut down"), each printing a Rust
panic message (with a backtrace when ``RUST_BACKTRACE`` is set) straight to file descriptor 2. The store used to
retry such a write 20 times: twenty backtraces before the message. Now a full disk is fatal at once
(:func:`radiovector.errors.is_no_space`, :func:`no_space_error`), and :func:`quiet_rust_panics` keeps the panic
text of a write off the terminal (it goes to the debug log), passing on everything else written to stderr
meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from radiovector.errors import StoreError

_LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_PANIC = re.compile(r"^thread '[^']*'(?: \(\d+\))? panicked at ")


def _free_bytes(path: Path) -> int | None:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def _size(nbytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def no_space_error(location: str, what: str, needed_bytes: int | None = None) -> StoreError:
    """The one message for a full disk: where, what was being written, how much it needs and how much is free."""
    need = f"; it needs about {_size(needed_bytes)} (in memory; on disk usually less)" if needed_bytes else ""
    free = None if "://" in location else _free_bytes(Path(location))
    have = f", {_size(free)} are free there" if free is not None else ""
    return StoreError(
        f"no space left on the device of the results store {location} while writing {what}{need}{have}",
        hint="free space on that disk, or give the store another location (--store PATH); nothing of this run "
        "became visible (rows already written are invisible and removed by a later run's clean-up)",
    )


def drop_panics(text: str) -> tuple[str, str]:
    """(``text`` without Rust panic messages and their backtraces, the panic text dropped)."""
    kept: list[str] = []
    dropped: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if _PANIC.match(line):
            skipping = True
            if kept and not kept[-1].strip():
                kept.pop()
        if skipping:
            dropped.append(line)
            if line.startswith("note: "):
                skipping = False
            continue
        kept.append(line)
    return "".join(kept), "".join(dropped)


@contextlib.contextmanager
def quiet_rust_panics() -> Iterator[None]:
    """Within the block, file descriptor 2 goes to a temporary file; afterwards, what was written there is passed
    on to stderr without Rust panic messages (those go to the debug log)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    with _LOCK, tempfile.TemporaryFile() as capture:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept, dropped = drop_panics(capture.read().decode("utf-8", errors="replace"))
            if dropped:
                _LOG.debug("Rust panic messages while writing the store:\n%s", dropped)
            if kept:
                os.write(2, kept.encode())
