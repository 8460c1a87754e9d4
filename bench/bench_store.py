"""Benchmarks for the foundation (issue 2). Prints figures; run: python bench/bench_store.py

1. committing a run with 1,000,000 result rows (target < 10 s); baseline: the same table written once with
   pyarrow.parquet (no Delta log, no run_id, no commit protocol);
   1b. committing small runs (12 tables of 100 rows) into a store that already holds 20 runs: the per-commit
   overhead of the commit protocol's checks (log health, contract and schema checks, read-back of the runs row,
   row counts); baseline: the same 12 tables written with pyarrow.parquet;
2. `runs sql` aggregating over 100 stored runs (target < 1 s, from a cold start: open store + query); baseline:
   DuckDB over the same rows held in memory as one Arrow table;
3. `snakemake -n` on the default config (target < 3 s); baseline: `snakemake --version` (interpreter and import
   start-up that any Snakemake call pays).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from radiovector.contracts import contract
from radiovector.store import ResultsStore, RunRecord, new_run_id

REPO = Path(__file__).resolve().parents[1]


def result_table(rows: int, seed: int = 0) -> pa.Table:
    """A valid ``targets`` table (radiovector.contracts) with random tumour types, scores and levels."""
    rng = np.random.default_rng(seed)
    return contract("targets").example(
        rows,
        tumour_type=rng.choice(["PRAD", "PCPG", "PAAD", "BRCA"], rows),
        score=rng.random(rows),
        tumour_median_tpm=rng.lognormal(2, 1, rows),
    )


def record() -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(run_id=new_run_id(), status="succeeded", started_at=now, finished_at=now, config={})


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_commit(tmp: Path) -> None:
    table = result_table(1_000_000)
    baseline = timed(lambda: pq.write_table(table, tmp / "plain.parquet"))
    store = ResultsStore(tmp / "commit-store")
    store.commit_run(record(), {"targets": table.slice(0, 10)})  # table exists, as in a used store
    figure = timed(lambda: store.commit_run(record(), {"targets": table}))
    print(f"commit 1,000,000 rows: {figure:.2f} s (target < 10 s); plain parquet write {baseline:.2f} s; "
          f"ratio {figure / baseline:.1f}x")


def bench_small_commits(tmp: Path, runs: int = 20) -> None:
    from radiovector.contracts import contracts

    names = sorted(sorted(contracts(), key=lambda n: len(contract(n).columns))[:13])
    names = [n for n in names if n != "runs"][:12]
    tables = {name: contract(name).example(100) for name in names}
    store = ResultsStore(tmp / "small-store")
    for _ in range(runs):
        store.commit_run(record(), tables)
    figures = sorted(timed(lambda: ResultsStore(tmp / "small-store").commit_run(record(), tables)) for _ in range(5))
    base = timed(lambda: [pq.write_table(t, tmp / f"{n}.parquet") for n, t in tables.items()])
    print(f"commit a small run (12 tables x 100 rows, store with {runs} runs): median {figures[2] * 1000:.0f} ms; "
          f"plain parquet writes {base * 1000:.0f} ms; ratio {figures[2] / base:.0f}x")


def bench_sql(tmp: Path) -> None:
    store = ResultsStore(tmp / "sql-store")
    tables = []
    for i in range(100):
        table = result_table(2_000, seed=i)
        rec = record()
        store.commit_run(rec, {"targets": table})
        tables.append(table.add_column(0, "run_id", pa.array([rec.run_id] * table.num_rows)))
    query = ("SELECT run_id, tumour_type, avg(score) AS mean_score, max(tumour_median_tpm) AS top "
             "FROM targets GROUP BY ALL ORDER BY run_id, tumour_type")
    cold = timed(lambda: ResultsStore(tmp / "sql-store").sql(query))
    proc_start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "radiovector", "runs", "sql", query, "--store", str(tmp / "sql-store"),
                    "--json"], check=True, capture_output=True)
    cli = time.perf_counter() - proc_start
    memory = pa.concat_tables(tables)
    con = duckdb.connect()
    con.register("targets", memory)
    baseline = timed(lambda: con.sql(query).to_arrow_table())
    print(f"runs sql over 100 runs (200,000 rows): {cold:.3f} s in-process, {cli:.2f} s as a CLI call "
          f"(target < 1 s); in-memory DuckDB baseline {baseline:.3f} s; ratio {cold / baseline:.1f}x")
    ResultsStore(tmp / "sql-store").compact()
    compacted = timed(lambda: ResultsStore(tmp / "sql-store").sql(query))
    print(f"  after `runs compact` (one file per table): {compacted:.3f} s in-process; "
          f"ratio {compacted / baseline:.1f}x")


def bench_dry_run(tmp: Path) -> None:
    def snakemake(*args: str) -> float:
        return timed(lambda: subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=REPO, check=True,
                                            capture_output=True))

    baseline = min(snakemake("--version") for _ in range(3))
    figure = min(snakemake("-n", "--directory", str(tmp / "dry")) for _ in range(3))
    print(f"snakemake -n on the default config: {figure:.2f} s (target < 3 s); snakemake --version {baseline:.2f} s; "
          f"ratio {figure / baseline:.1f}x")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bench_commit(tmp)
        bench_small_commits(tmp)
        bench_sql(tmp)
        bench_dry_run(tmp)
