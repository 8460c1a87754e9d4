"""envs/*.yaml list what their rules import: for each rule, the third-party top-level imports of its script and of
every library module the script reaches (radiovector.codehash) must be in the rule's conda environment, with the
version range pyproject.toml gives."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from rules_text import REPO, directive, rule_blocks

from radiovector.codehash import third_party_imports

#: Import names whose distribution is not installed here (or is named differently on conda-forge).
IMPORT_TO_DIST = {"Bio": "biopython", "sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow",
                  "icrp107_database": "icrp107-database", "pydantic_core": "pydantic"}  # pydantic brings its core
#: conda-forge packages that provide a PyPI distribution (pyproject name <- env name).
CONDA_ALIASES = {"matplotlib-base": "matplotlib"}
#: Imported from the host's Snakemake by the script preamble, not from the rule's environment.
HOST_PROVIDED = {"snakemake"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution(import_name: str) -> str:
    """The distribution (PyPI/conda-forge name) that provides the top-level module ``import_name``."""
    if import_name in IMPORT_TO_DIST:
        return IMPORT_TO_DIST[import_name]
    found = _installed().get(import_name)
    return normalise(found[0]) if found else normalise(import_name)


@cache
def _installed() -> dict[str, list[str]]:
    return packages_distributions()


@cache
def env_specs(path: Path) -> dict[str, str]:
    """Distribution name (normalised, conda aliases resolved) -> version spec, from a conda env file (conda and
    pip dependencies)."""
    specs: dict[str, str] = {}
    entries = list(yaml.safe_load(path.read_text())["dependencies"])
    for entry in entries:
        if isinstance(entry, dict):
            entries.extend(entry.get("pip", []))
            continue
        name, _, spec = entry.partition(" ")
        name = normalise(name)
        specs[CONDA_ALIASES.get(name, name)] = spec.replace(" ", "")
    return specs


def rules_with_env_and_script() -> list[tuple[str, Path, Path]]:
    rules = []
    for name, body in rule_blocks().items():
        script, env = directive(body, "script"), directive(body, "conda")
        assert env, f"rule {name} has no conda: environment"
        if script:
            rules.append((name, (REPO / "rules" / script).resolve(), (REPO / "rules" / env).resolve()))
    return rules


@pytest.mark.parametrize(("rule", "script", "env"), rules_with_env_and_script(), ids=lambda v: getattr(v, "name", v))
def test_rule_environment_lists_everything_its_script_imports(rule: str, script: Path, env: Path) -> None:
    listed = env_specs(env)
    needed = {distribution(name): name for name in third_party_imports(script) if name not in HOST_PROVIDED}
    missing = sorted(f"{dist} (import {name})" for dist, name in needed.items() if dist not in listed)
    assert not missing, f"rule {rule}: {env.relative_to(REPO)} lacks {', '.join(missing)} ({script.name} needs them)"


def test_environment_versions_match_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    ranges = {normalise(req.name): req.specifier for req in map(Requirement, project)}
    for env in sorted((REPO / "envs").glob("*.yaml")):
        for name, spec in env_specs(env).items():
            if name in ranges:
                assert SpecifierSet(spec) == ranges[name], (
                    f"{env.relative_to(REPO)}: {name} {spec!r}, pyproject.toml says {str(ranges[name])!r}")


def test_distribution_names() -> None:
    assert [distribution(n) for n in ("Bio", "sklearn", "yaml", "rdkit", "pandas")] == [
        "biopython", "scikit-learn", "pyyaml", "rdkit", "pandas"]
