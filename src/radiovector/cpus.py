"""How many CPU cores this process may use: its CPU affinity (``os.sched_getaffinity``: taskset, SLURM, cpusets)
and the cgroup CPU quota of its container (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``),
whichever is smaller; at least 1. Commands that score structures use this unless ``--jobs`` says otherwise."""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _quota(root: Path = CGROUP) -> float | None:
    """CPUs allowed by the cgroup quota (fractional), or None when unlimited or unknown."""
    try:
        text = (root / "cpu.max").read_text().split()
        if text and text[0] != "max":
            return int(text[0]) / int(text[1])
    except (OSError, ValueError, IndexError, ZeroDivisionError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def available_cores(root: Path = CGROUP) -> int:
    """Cores available to this process (affinity and container quota; a fractional quota rounds up)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _quota(root)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def resolve_jobs(jobs: int | None) -> int:
    """``jobs`` if given (at least 1), else :func:`available_cores`."""
    return max(1, int(jobs)) if jobs else available_cores()


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes, forked where the platform can (the workers start without re-importing RDKit,
    pandas and the package, and inherit what the parent has already loaded)."""
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(max_workers=jobs,
                               mp_context=multiprocessing.get_context("fork" if "fork" in methods else None))
