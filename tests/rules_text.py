"""The rules of rules/*.smk as text: name -> body, and the script and conda environment each one names."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rule_blocks(rules_dir: Path = REPO / "rules") -> dict[str, str]:
    """Rule name -> the text of its definition, for every rule in ``rules_dir/*.smk``."""
    blocks: dict[str, str] = {}
    for path in sorted(rules_dir.glob("*.smk")):
        parts = re.split(r"^\s*rule (\w+):\s*$", path.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            blocks[name] = body
    return blocks


def directive(body: str, name: str) -> str | None:
    """The quoted path given to a one-line directive (``script:``, ``conda:``) in a rule body, or None."""
    found = re.search(rf'^\s*{name}:\s*\n\s*"([^"]+)"', body, flags=re.M)
    return found.group(1) if found else None
