"""Every command in docs/tutorial.md runs, in order, in a fresh directory laid out like a clone."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

TUTORIAL = REPO / "docs" / "tutorial.md"
BLOCK = re.compile(r"```(bash|yaml)\n(.*?)```", re.S)


def tutorial_steps() -> list[tuple[str, str]]:
    """('file', 'NAME\\nCONTENT') for yaml blocks that start with '# file: NAME', ('cmd', line) for bash lines."""
    steps = []
    for kind, body in BLOCK.findall(TUTORIAL.read_text()):
        if kind == "yaml":
            first, _, rest = body.partition("\n")
            assert first.startswith("# file: "), f"yaml block without '# file:' line: {first}"
            steps.append(("file", first.removeprefix("# file: ").strip() + "\n" + rest))
        else:
            steps.extend(("cmd", line) for line in body.splitlines() if line.strip() and not line.startswith("#"))
    return steps


def test_tutorial_has_commands() -> None:
    commands = [s for kind, s in tutorial_steps() if kind == "cmd"]
    assert len(commands) >= 8 and all(c.startswith("radiovector ") for c in commands)


def test_every_tutorial_command_runs(tmp_path: Path) -> None:
    for name in ("resources", "config"):
        (tmp_path / name).symlink_to(REPO / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RADIOVECTOR_STORE", None)
    for kind, step in tutorial_steps():
        if kind == "file":
            name, _, content = step.partition("\n")
            (tmp_path / name).write_text(content)
            continue
        args = shlex.split(step)
        proc = subprocess.run([sys.executable, "-m", "radiovector", *args[1:]], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{step}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
