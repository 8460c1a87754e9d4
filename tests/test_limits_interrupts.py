"""Issue 18, part 6: inputs that crashed the process, interrupts and full disks.

* structure size limits: a 20,000-atom SMILES was a segmentation fault inside RDKit (rc 139, the whole run
  lost) and a 20,000-residue peptide ran for over 15 minutes; both must be rejects with the reason. Run in a
  subprocess, so that a crash fails the test instead of killing pytest;
* Ctrl-C / SIGTERM during ``radiovector run`` records the run as interrupted and stops Snakemake; ``kill -9`` of
  the CLI must not leave Snakemake running and holding the lock; a stale lock does not block the next run;
* a full disk gives one clear message, not a panic backtrace per thread.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, SHARED_DATA, TEST_CONFIG, run_cli, write_config
from rdkit import Chem

from radiovector.candidates.limits import (
    INCHI_MAX_ATOMS,
    MAX_HEAVY_ATOMS,
    PEPTIDE_MAX_HEAVY_ATOMS,
    SizeLimits,
    smiles_heavy_atoms,
)
from radiovector.errors import ConfigError
from radiovector.settings import resolve
from radiovector.settings.candidates import CandidatesSettings

ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "200"}


def _cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "radiovector", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout
    )


# --------------------------------------------------------------------------------------------- size limits


@pytest.mark.parametrize(
    "smiles",
    [
        "CCO",
        "c1ccccc1O",
        "[13CH3][2H]",
        "[Lu+3].[O-]C(=O)C",
        "ClCBr",
        "[H][H]",
        "[Hg]",
        "[nH]1cccc1",
        "C%12CC%12",
        "N[C@@H](C)C(=O)O",
        "[*:1]CC[*:2]",
        "CCO ethanol",
        "OP(=O)(O)O",
        "[se]1cccc1",
        "Brc1ccccc1I",
    ],
)
def test_smiles_atom_count_is_never_below_rdkits_heavy_atoms(smiles: str) -> None:
    mol = Chem.MolFromSmiles(smiles)
    dummies = sum(a.GetAtomicNum() == 0 for a in mol.GetAtoms())
    assert smiles_heavy_atoms(smiles) == mol.GetNumHeavyAtoms() + dummies


def test_default_limits_admit_every_real_structure_we_have() -> None:
    # the bundled examples and the ChEMBL Ki sets (MoleculeACE) in the shared data: far below the defaults
    largest = 0
    files = [
        REPO / "resources/example/candidates.csv",
        REPO / "resources/example/building_blocks.csv",
        *sorted((SHARED_DATA / "bioactivity").glob("*.csv.gz")),
    ]
    for path in files:
        if not path.is_file():
            continue
        for text in pd.read_csv(path)["smiles"].dropna().astype(str):
            assert SizeLimits().check_smiles(text) == "", (path, text)
            largest = max(largest, smiles_heavy_atoms(text))
    assert 0 < largest < MAX_HEAVY_ATOMS // 4
    assert MAX_HEAVY_ATOMS < PEPTIDE_MAX_HEAVY_ATOMS <= INCHI_MAX_ATOMS


def test_limits_are_configurable_and_capped_at_inchis_limit() -> None:
    cfg = resolve(CandidatesSettings, {"max_heavy_atoms": 50, "peptides": {"max_residues": 10}}, "candidates")
    assert cfg["max_heavy_atoms"] == 50 and cfg["peptides"]["max_residues"] == 10
    with pytest.raises(ConfigError, match="max_heavy_atoms"):
        resolve(CandidatesSettings, {"max_heavy_atoms": INCHI_MAX_ATOMS + 1}, "candidates")


def test_inchi_ceiling_is_what_rdkit_does() -> None:
    # beyond INCHI_MAX_ATOMS there is no InChIKey (the deduplication key), so no larger limit could help
    assert Chem.MolToInchiKey(Chem.MolFromSmiles("C" * INCHI_MAX_ATOMS))
    assert not Chem.MolToInchiKey(Chem.MolFromSmiles("C" * (INCHI_MAX_ATOMS + 1)))


def _chain_v3000(name: str, n: int) -> str:
    """An SDF record (V3000, no coordinates) of an n-carbon chain, written directly: RDKit's SDWriter would
    spend minutes on 2D coordinates."""
    atoms = "\n".join(f"M  V30 {i} C 0 0 0 0" for i in range(1, n + 1))
    bonds = "\n".join(f"M  V30 {i} 1 {i} {i + 1}" for i in range(1, n))
    return (
        f"{name}\n     RDKit          2D\n\n  0  0  0  0  0  0  0  0  0  0999 V3000\nM  V30 BEGIN CTAB\n"
        f"M  V30 COUNTS {n} {n - 1} 0 0 0\nM  V30 BEGIN ATOM\n{atoms}\nM  V30 END ATOM\nM  V30 BEGIN BOND\n"
        f"{bonds}\nM  V30 END BOND\nM  V30 END CTAB\nM  END\n$$$$\n"
    )


def test_huge_structures_are_rejects_not_crashes(tmp_path: Path) -> None:
    # 'C' * 20000 crashed RDKit's SMILES writer (rc 139); the branched one is short enough to pass the text
    # limit and is caught by the heavy-atom count; an SDF record is caught after reading, before its SMILES
    branched = "C(C)" * 2000  # 4000 atoms in 8000 characters
    (tmp_path / "in.csv").write_text(f"id,smiles\nok1,CCO\nchain,{'C' * 20000}\nbranched,{branched}\nok2,c1ccccc1O\n")
    (tmp_path / "in.sdf").write_text(_chain_v3000("small", 3) + _chain_v3000("big", 20000))  # crashed too
    for name in ("in.csv", "in.sdf"):
        result = _cli("score-candidates", name, "-o", f"out_{name}", "--no-plots", "--jobs", "1", cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        rejects = pd.read_parquet(tmp_path / f"out_{name}" / "rejects.parquet")
        cand = pd.read_parquet(tmp_path / f"out_{name}" / "candidates.parquet")
        if name == "in.csv":
            assert sorted(cand["candidate_id"]) == ["ok1", "ok2"]
            why = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
            assert why[3] == (  # rows are numbered by their line in the file (header = line 1)
                "chain: SMILES too long: 20000 characters, more than the limit of 10000 (setting max_smiles_length)"
            )
            assert why[4].startswith("branched: structure too large: 4000 heavy atoms, more than the limit of 500")
            assert rejects["value"].str.len().max() < 300  # an excerpt, with the length
        else:
            assert list(cand["candidate_id"]) == ["small"]
            small_lines = _chain_v3000("small", 3).count("\n")
            assert list(rejects["row_number"]) == [small_lines + 1]  # the title line of the second record
            assert "structure too large: 20000 heavy atoms" in rejects["reason"].iloc[0]


def test_huge_peptides_are_rejects_not_hangs(tmp_path: Path) -> None:
    # 'A' * 20000 ran for over 15 minutes (building is quadratic in the residues); deep nesting was a
    # RecursionError
    (tmp_path / "pep.csv").write_text(
        "id,sequence\np1,GAGA\nlong,"
        + "A" * 20000
        + "\nmany,"
        + "A" * 400
        + "\nnested,"
        + "K(" * 900
        + "A"
        + ")" * 900
        + "\n"
    )
    result = _cli("score-candidates", "pep.csv", "-o", "out", "--no-plots", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    cand = pd.read_parquet(tmp_path / "out" / "candidates.parquet")
    rejects = pd.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert list(cand["candidate_id"]) == ["p1"]
    why = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert why[3].startswith("long: sequence too long: 20000 characters, more than the limit of 2000")
    assert why[4] == (
        "many: peptide too large: 400 residues, more than the limit of 150 (setting candidates.peptides.max_residues)"
    )
    assert why[5].startswith("nested: ")


def test_design_building_block_above_the_ceiling_is_a_clear_error() -> None:
    from radiovector.candidates.enumerate import load_blocks
    from radiovector.errors import InputError

    blocks = pd.DataFrame(
        {
            "id": ["v", "l", "c"],
            "role": ["vector", "linker", "chelator"],
            "smiles": ["[*:1]" + "C" * 5000, "[*:1]CC[*:2]", "[*:2]C(=O)O"],
        }
    )
    with pytest.raises(InputError, match=r"line 2 \(v\).*structure too large: 5001 heavy atoms"):
        load_blocks(blocks)


# --------------------------------------------------------------------------------------------- interrupts


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_run(tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    """`radiovector run` on the test config, returned once Snakemake holds its lock in the workdir."""
    config = write_config(tmp_path, TEST_CONFIG)
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "radiovector", "run", "--config", str(config), "--store", str(store), "--cores", "1"],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    locks = tmp_path / "work" / ".snakemake" / "locks"
    deadline = time.monotonic() + 300
    while not (locks.is_dir() and any(locks.glob("*.lock"))):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"Snakemake never took its lock: {proc.communicate()[1][-2000:]}")
        time.sleep(0.2)
    return proc, store, tmp_path / "work"


def _snakemake_pid(cli_pid: int) -> int:
    kids = [p for p in _children(cli_pid) if "snakemake" in Path(f"/proc/{p}/cmdline").read_text()]
    assert len(kids) == 1, kids
    return kids[0]


def _wait_gone(pid: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(pid)


@pytest.mark.slow  # starts the workflow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_records_the_run_and_stops_snakemake(tmp_path: Path, sig: signal.Signals) -> None:
    from radiovector.store import ResultsStore

    proc, store, workdir = _start_run(tmp_path)
    child = _snakemake_pid(proc.pid)
    proc.send_signal(sig)  # a terminal's Ctrl-C reaches the CLI only: Snakemake is in its own session
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err[-2000:]
    assert f"interrupted by {sig.name}" in err and "recorded in" in err and "no result tables committed" in err
    assert "Traceback" not in err
    assert _wait_gone(child, 5)
    assert not any((workdir / ".snakemake" / "locks").glob("*.lock"))
    runs = ResultsStore(str(store)).runs()
    assert list(runs["status"]) == ["interrupted"]
    assert runs["error"].iloc[0].startswith(f"interrupted by {sig.name} while the workflow ran")


@pytest.mark.slow  # starts the workflow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_kill_9_of_the_cli_takes_snakemake_with_it_and_leaves_no_lock(tmp_path: Path) -> None:
    proc, _, workdir = _start_run(tmp_path)
    child = _snakemake_pid(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    assert _wait_gone(child, 60), "Snakemake survived kill -9 of the CLI"
    assert not any((workdir / ".snakemake" / "locks").glob("*.lock"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_stale_lock_is_removed_only_when_its_holder_is_gone(tmp_path: Path) -> None:
    from radiovector.errors import RadioVectorError
    from radiovector.interrupts import has_lock, record_holder, release_stale_lock
    from radiovector.runner import snakemake_command

    config = write_config(tmp_path, TEST_CONFIG)
    workdir = tmp_path / "work"
    locks = workdir / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    unlock = snakemake_command(config, workdir, 1, ["--unlock", "--quiet"])
    # a live holder (a sleeping process): refused, lock kept
    holder = subprocess.Popen(["sleep", "60"])
    try:
        (locks / "0.input.lock").write_text(str(workdir / "x") + "\n")
        record_holder(workdir, holder.pid)
        with pytest.raises(RadioVectorError, match=f"Snakemake process {holder.pid}.*holds its lock"):
            release_stale_lock(workdir, unlock, REPO)
        assert has_lock(workdir)
    finally:
        holder.kill()
        holder.wait()
    # Snakemake killed with SIGKILL while holding its lock (a stand-in that takes the lock and kills itself):
    # run_snakemake keeps the holder record, and the next run removes the lock because the holder is gone
    from radiovector.interrupts import holder_path
    from radiovector.runner import run_snakemake

    (locks / "0.input.lock").unlink()
    take_lock_and_die = (
        f"import os, pathlib; pathlib.Path({str(locks / '0.input.lock')!r}).write_text('x'); os.kill(os.getpid(), 9)"
    )
    code, _ = run_snakemake([sys.executable, "-c", take_lock_and_die], tmp_path / "log.txt", workdir=workdir)
    assert code == -9 and has_lock(workdir) and holder_path(workdir).is_file()
    assert release_stale_lock(workdir, unlock, REPO)
    assert not has_lock(workdir) and not holder_path(workdir).is_file()
    # a lock that was there before our Snakemake started is not ours: its record is not kept
    (locks / "0.input.lock").parent.mkdir(parents=True, exist_ok=True)
    (locks / "0.input.lock").write_text("x\n")
    code, _ = run_snakemake([sys.executable, "-c", "raise SystemExit(1)"], tmp_path / "log.txt", workdir=workdir)
    assert code == 1 and not holder_path(workdir).is_file()
    assert not release_stale_lock(workdir, unlock, REPO) and has_lock(workdir)


def test_interrupted_is_a_status_the_store_and_crates_accept() -> None:
    from datetime import UTC, datetime

    from radiovector.store.records import RUN_STATUSES, RunRecord

    assert "interrupted" in RUN_STATUSES
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="must carry its error"):
        RunRecord(run_id="20260101T000000Z-abcdef", status="interrupted", started_at=now, finished_at=now, config={})
    json.dumps(
        RunRecord(
            run_id="20260101T000000Z-abcdef",
            status="interrupted",
            error="interrupted by SIGINT",
            started_at=now,
            finished_at=now,
            config={},
        ).to_row(),
        default=str,
    )


# --------------------------------------------------------------------------------------------- full disk


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 2 MiB tmpfs (needs root: mount); skipped where it cannot be mounted."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _big_run_crate(tmp_path: Path, rows: int = 150_000) -> Path:
    """A crate of one run with a rejects table of random hex text (about 5 MB of Parquet)."""
    from datetime import UTC, datetime

    from radiovector.store import ResultsStore, RunRecord, new_run_id
    from radiovector.store.crate import export_run

    store = ResultsStore(str(tmp_path / "source"))
    values = [os.urandom(16).hex() for _ in range(rows)]
    rejects = pd.DataFrame(
        {
            "input": "candidates",
            "source": "x.csv",
            "row_number": range(1, rows + 1),
            "column": "smiles",
            "value": values,
            "reason": "bad",
        }
    )
    now = datetime.now(UTC)
    run_id = store.commit_run(
        RunRecord(
            run_id=new_run_id(),
            status="succeeded",
            started_at=now,
            finished_at=now,
            config={},
            tables={"rejects": {"rows": rows, "key": ["input", "source", "row_number", "column"]}},
        ),
        {"rejects": rejects},
    )
    export_run(store, run_id, tmp_path / "run.zip", include_inputs=False)
    return tmp_path / "run.zip"


def test_full_disk_is_one_message_without_panics(tmp_path: Path, full_disk: Path) -> None:
    # before: 20 attempts, each with a Rust panic and its backtrace on stderr, then the message
    crate = _big_run_crate(tmp_path)
    store = full_disk / "store"
    result = subprocess.run(
        [sys.executable, "-m", "radiovector", "runs", "import", str(crate), "--store", str(store), "--allow-unsigned"],
        env={**ENV, "RUST_BACKTRACE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1
    err = result.stderr
    assert "panicked" not in err and "backtrace" not in err and "Traceback" not in err, err
    assert f"no space left on the device of the results store {store} while writing table 'rejects'" in err
    assert "it needs about" in err and "are free there" in err
    assert len(err.strip().splitlines()) <= 6, err
    # nothing of the run is visible in the store
    from radiovector.store import ResultsStore

    assert ResultsStore(str(store)).runs().empty


def test_full_disk_while_writing_tables_names_the_file(
    tmp_path: Path, full_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open(full_disk / "filler", "wb") as filler, pytest.raises(OSError):  # fill the disk to the last byte
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    (tmp_path / "in.csv").write_text("id,smiles\nok1,CCO\n")
    code, _, err = run_cli(
        ["score-candidates", str(tmp_path / "in.csv"), "-o", str(full_disk / "out"), "--no-plots"], capsys
    )
    assert code == 1
    assert f"no space left on device writing {full_disk / 'out'}" in err and "No space left on device" in err


def test_panic_messages_are_dropped_and_the_rest_kept() -> None:
    from radiovector.store.nospace import drop_panics

    captured = (
        "warning: kept\n\nthread 'tokio-rt-worker' (16326) panicked at /x/object_store-0.13.2/src/buffered.rs"
        ":369:41:\nAlready shut down\nstack backtrace:\n   0: frame\nnote: Some details are omitted, run "
        "with `RUST_BACKTRACE=full` for a verbose backtrace.\nalso kept\n"
    )
    kept, dropped = drop_panics(captured)
    assert kept == "warning: kept\nalso kept\n"
    assert dropped.startswith("thread 'tokio-rt-worker' (16326) panicked") and "Already shut down" in dropped


def test_design_conjugates_above_the_limit_are_the_same_rejects_bounded_and_exhaustive() -> None:
    from radiovector.candidates.design import bound_chunk, score_chunk
    from radiovector.candidates.enumerate import load_blocks

    space = load_blocks(pd.read_csv(REPO / "resources" / "example" / "building_blocks.csv"))
    params = {"building_blocks": "x", "nuclides": ["Lu-177"], "alerts": False, "qed_sa": False, "max_heavy_atoms": 75}
    bounds, bounded_rejects, _ = bound_chunk(space, 0, len(space), params)
    kept, exhaustive_rejects, counts = score_chunk(space, 0, len(space), params)
    too_large = bounded_rejects[bounded_rejects["reason"].str.contains("structure too large")]
    assert 0 < len(too_large) < len(space)  # the limit splits the example space
    assert len(bounds) + len(bounded_rejects) == len(space)
    pairs = sorted(zip(bounded_rejects["value"], bounded_rejects["reason"], strict=True))
    assert pairs == sorted(zip(exhaustive_rejects["value"], exhaustive_rejects["reason"], strict=True))
