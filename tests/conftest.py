"""Shared fixtures: paths to the repository, the example config, and a fresh store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
import yaml

from radiovector.cli import main
from radiovector.store.signing import Keyring

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO / "config" / "config.yaml"
#: The workflow tests' config: the example on small subsets (.test/derive.py), Snakemake catalog layout.
TEST_CONFIG = REPO / ".test" / "config" / "config.yaml"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


def write_config(tmp_path: Path, base: Path = EXAMPLE_CONFIG, **overrides: object) -> Path:
    """A copy of the ``base`` config (default: the example) with absolute input paths, a private workdir and
    ``overrides`` applied."""
    config = yaml.safe_load(base.read_text())
    config["inputs"] = {k: str((base.parent / v).resolve()) for k, v in config["inputs"].items()}
    config["workdir"] = str(tmp_path / "work")
    for key, value in overrides.items():
        config[key] = value
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def example_config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.delenv("RADIOVECTOR_STORE", raising=False)
    # keys and trusted keys of a fresh, empty configuration directory: no test reads or writes the user's own
    monkeypatch.setenv("RADIOVECTOR_CONFIG_DIR", str(tmp_path_factory.mktemp("radiovector-config")))
    os.environ.setdefault("COLUMNS", "200")


@pytest.fixture
def own_key() -> Keyring:
    """This test's laboratory: a signing key ``default`` in the test's configuration directory, trusted as
    ``"test lab"``, so crates it exports are signed and import as verified (the defaults stay strict)."""
    keyring = Keyring()
    key, _ = keyring.create_key()
    keyring.trust("test lab", key.public_key)
    return keyring


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the ``radiovector`` command line in-process: (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def command_app(*modules: object) -> typer.Typer:
    """A Typer app with the commands that the CLI ``modules`` register (``radiovector.cli.<stage>``); a root
    callback keeps each command a subcommand name, as in the real ``radiovector`` app."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    for module in modules:
        module.register(app)
    return app
