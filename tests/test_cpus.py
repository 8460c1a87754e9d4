"""Cores available to the process: CPU affinity and the cgroup quota (radiovector.cpus)."""

from __future__ import annotations

import os

from radiovector.cpus import _quota, available_cores, resolve_jobs


def test_cgroup_v2_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert _quota(tmp_path) == 1.5
    assert available_cores(tmp_path) == min(2, len(os.sched_getaffinity(0)))
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _quota(tmp_path) is None
    assert available_cores(tmp_path) == len(os.sched_getaffinity(0))


def test_cgroup_v1_quota_and_explicit_jobs(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert available_cores(tmp_path) == 1
    assert resolve_jobs(3) == 3 and resolve_jobs(None) == available_cores() >= 1
