"""Code fingerprints of the workflow scripts (radiovector.codehash): what each covers, and that editing a module
a stage imports reruns that stage and no other."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from rules_text import directive, rule_blocks

from radiovector.codehash import code_hash, code_versions, package_dir, scan_imports, script_closure

SCRIPTS = REPO / "scripts"
PKG = package_dir()


def _rel(closure_files: tuple[Path, ...]) -> set[str]:
    return {f.relative_to(PKG).as_posix() for f in closure_files}


def test_closure_follows_imports_transitively_and_lazily() -> None:
    files = _rel(script_closure(SCRIPTS / "score_candidates.py").files)
    # direct: scripting; through radiovector.io.tables: errors, paths; lazy inside main(): both stages
    assert {"scripting.py", "errors.py", "paths.py", "io/tables.py", "io/__init__.py", "__init__.py"} <= files
    assert {"candidates/stage.py", "peptides/stage.py", "peptides/notation.py"} <= files
    # data files of the packages touched
    assert {"candidates/data/compatibility.csv", "peptides/data/monomers.csv"} <= files
    # nothing the script cannot reach
    assert not any(f.startswith(("pk/", "targets/", "store/", "dosimetry/")) for f in files)


def test_third_party_imports_of_the_closure() -> None:
    third = script_closure(SCRIPTS / "score_candidates.py").third_party
    assert {"rdkit", "pandas", "peptides", "Bio"} <= third
    assert "radiovector" not in third and "json" not in third and "__future__" not in third


def _copy_tree(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "src" / "radiovector"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SCRIPTS, tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "scripts", src


@pytest.mark.parametrize(
    ("edited", "changed", "unchanged"),
    [
        ("io/tables.py", {"ingest.py", "fit_pk.py", "rank_targets.py", "score_candidates.py"}, {"dossier.py"}),
        ("errors.py", {"ingest.py", "dossier.py", "report.py", "manifest.py"}, set()),
        ("scripting.py", {"manifest.py", "compute_doses.py"}, set()),
        ("nuclides/data/theranostic_pairs.csv", {"dossier.py", "compute_doses.py"}, {"ingest.py", "report.py"}),
        ("peptides/stage.py", {"score_candidates.py"}, {"score_design.py", "ingest.py", "fit_pk.py"}),
    ],
)
def test_editing_an_imported_file_changes_only_its_stages(
    tmp_path: Path, edited: str, changed: set[str], unchanged: set[str]
) -> None:
    scripts, src = _copy_tree(tmp_path)
    before = code_versions(scripts, src)
    assert before == code_versions(SCRIPTS, PKG)  # the fingerprint does not depend on where the checkout lives
    with (src / edited).open("a") as handle:
        handle.write("\n# edited\n" if edited.endswith(".py") else "\n")
    after = code_versions(scripts, src)
    assert {name for name in before if before[name] != after[name]} >= changed
    assert all(before[name] == after[name] for name in unchanged)


def test_scan_resolves_relative_and_literal_dynamic_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "radiovector"
    (pkg / "sub" / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import helper\n")
    (pkg / "sub" / "helper.py").write_text("import numpy as np\nfrom ..other import thing\n")
    (pkg / "sub" / "data" / "table.csv").write_text("a,b\n")
    (pkg / "other.py").write_text(
        "def lazy():\n    from importlib import import_module\n    return import_module('radiovector.late')\n"
    )
    (pkg / "late.py").write_text("import yaml\n")
    (pkg / "unused.py").write_text("import torch\n")
    script = tmp_path / "script.py"
    script.write_text("import sys\nfrom radiovector.sub import helper\n")
    closure = script_closure(script, pkg)
    assert _rel_to(closure.files, pkg) == {
        "__init__.py", "sub/__init__.py", "sub/helper.py", "sub/data/table.csv", "other.py", "late.py"
    }
    assert closure.third_party == {"numpy", "yaml"}
    assert scan_imports(pkg / "sub" / "helper.py", "radiovector.sub.helper").modules == {"numpy", "radiovector.other"}
    first = code_hash(script, pkg)
    (pkg / "unused.py").write_text("import torch  # edited\n")
    assert code_hash(script, pkg) == first
    (pkg / "sub" / "data" / "table.csv").write_text("a,b\n1,2\n")
    assert code_hash(script, pkg) != first


def _rel_to(files: tuple[Path, ...], root: Path) -> set[str]:
    return {f.relative_to(root.resolve()).as_posix() for f in files}


def test_an_import_of_a_missing_library_module_is_an_error(tmp_path: Path) -> None:
    pkg = tmp_path / "radiovector"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text("import radiovector.nowhere\n")
    with pytest.raises(ValueError, match="radiovector.nowhere"):
        script_closure(script, pkg)


def test_every_rule_with_a_script_passes_that_scripts_code_version() -> None:
    blocks = rule_blocks()
    with_script = {name: body for name, body in blocks.items() if "script:" in body}
    assert {"ingest", "score_candidates", "fit_pk", "report", "manifest", "dossier"} <= set(with_script)
    for name, body in with_script.items():
        script = Path(directive(body, "script")).name
        assert f'code=CODE_VERSION["{script}"]' in body, f"rule {name} must pass code=CODE_VERSION[{script!r}]"


@pytest.mark.slow
def test_snakemake_reruns_a_stage_when_a_module_it_imports_changes(tmp_path: Path) -> None:
    """A dry run with --rerun-triggers params on a copy of the repository: editing errors.py (which the ingest
    script reaches only through radiovector.io.tables) makes ingest due; editing the dossier does not."""
    repo = tmp_path / "repo"
    for folder in ("workflow", "rules", "scripts", "config", "envs"):
        shutil.copytree(REPO / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PKG, repo / "src" / "radiovector", ignore=shutil.ignore_patterns("__pycache__"))
    bio = REPO / "resources" / "example" / "biodistribution.csv"
    config = tmp_path / "config.yaml"
    config.write_text(f"inputs:\n  biodistribution: {bio}\n")
    target = "ingest/biodistribution.parquet"

    def snakemake(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(repo / "workflow" / "Snakefile"),
             "--configfile", str(config), "--directory", str(tmp_path / "work"), "--cores", "1", *args, "--", target],
            capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    snakemake()
    dry = ("-n", "--rerun-triggers", "params")
    assert "Nothing to be done" in snakemake(*dry)
    with (repo / "src" / "radiovector" / "dossier" / "build.py").open("a") as handle:
        handle.write("\n# unrelated edit\n")
    assert "Nothing to be done" in snakemake(*dry)
    with (repo / "src" / "radiovector" / "errors.py").open("a") as handle:
        handle.write("\n# edited\n")
    out = snakemake(*dry)
    assert "rule ingest:" in out and "Params have changed" in out, out
