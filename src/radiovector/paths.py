"""Where the workflow, schemas and bundled example data live.

RadioVector is used from a checkout of its repository (the Snakemake workflow, rules and schemas live beside
the package, as in the Snakemake workflow catalog). ``RADIOVECTOR_HOME`` overrides the location.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from radiovector.errors import RadioVectorError


def _is_project_root(path: Path) -> bool:
    return (path / "workflow" / "Snakefile").is_file() and (path / "config" / "schemas").is_dir()


@cache
def project_root() -> Path:
    """The repository root holding workflow/, rules/, config/ (``RADIOVECTOR_HOME`` overrides)."""
    env = os.environ.get("RADIOVECTOR_HOME")
    if env:
        root = Path(env).resolve()
        if not _is_project_root(root):
            raise RadioVectorError(
                f"RADIOVECTOR_HOME={env} does not contain workflow/Snakefile and config/schemas/",
                hint="point RADIOVECTOR_HOME at a checkout of the radiovector repository",
            )
        return root
    candidates = [Path(__file__).resolve().parents[2], *Path.cwd().resolve().parents, Path.cwd().resolve()]
    for candidate in candidates:
        if _is_project_root(candidate):
            return candidate
    raise RadioVectorError(
        "cannot find the RadioVector workflow (workflow/Snakefile)",
        hint="run from a checkout of the repository installed with `pip install -e .`, or set RADIOVECTOR_HOME",
    )


def schema_dir() -> Path:
    """Directory of the JSON schemas (YAML) for the config and every input table."""
    return project_root() / "config" / "schemas"


def snakefile() -> Path:
    return project_root() / "workflow" / "Snakefile"


def default_config() -> Path:
    return project_root() / "config" / "config.yaml"
