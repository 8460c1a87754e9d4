"""The decompression bomb of issue 18 at full size: a ~1.7 MB crate of constant rows that decodes to gigabytes.

Builds a real signed crate (a small run exported by `export_run`) with an added `pk_curves` table of N identical
rows (default 40,000,000: about 1.8 MB of Parquet, 4.4 GB as Arrow data), then imports it in a fresh process with
the default limits and with the row limit raised above N (so the memory limit must catch it), and prints for each:
the outcome, the time, and the peak of Arrow's memory pool and the process's peak resident memory. Baseline in
the same run: the same process importing the crate's own small run (peak memory of an ordinary import).

    python bench/bench_import_limits.py [--rows 40000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_crate import _commit  # noqa: E402
from test_crate_signing import RUN, _bomb, _with_table  # noqa: E402
from test_store_safety import _forge  # noqa: E402

from radiovector.store import ResultsStore  # noqa: E402
from radiovector.store.crate import export_run  # noqa: E402
from radiovector.store.signing import Keyring  # noqa: E402

_IMPORT = """
import json, resource, sys, time
import pyarrow as pa
from radiovector.store import ResultsStore
from radiovector.store.crate import ImportLimits, import_run
from radiovector.errors import StoreError
limits = ImportLimits(**json.loads(sys.argv[3]))
start = time.perf_counter()
try:
    import_run(ResultsStore(sys.argv[1]), sys.argv[2], limits=limits)
    outcome = "imported"
except StoreError as exc:
    outcome = exc.message.split(": ", 1)[1]
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start,
                  "arrow_peak_mb": pa.default_memory_pool().max_memory() / 1e6,
                  "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}))
"""


def run_import(store: Path, crate: Path, limits: dict[str, int]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(store), str(crate), json.dumps(limits)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bomb-") as tmp:
        tmp_path = Path(tmp)
        os.environ["RADIOVECTOR_CONFIG_DIR"] = str(tmp_path / "config")
        keyring = Keyring()
        key, _ = keyring.create_key()
        keyring.trust("bench", key.public_key)
        store = ResultsStore(tmp_path / "a")
        _commit(store, tmp_path, RUN)
        crate = tmp_path / "run.zip"
        export_run(store, RUN, crate)

        start = time.perf_counter()
        chunk = _bomb(1_000_000)
        parquet = tmp_path / "pk_curves.parquet"
        with pq.ParquetWriter(parquet, chunk.schema, compression="zstd") as writer:
            for _ in range(args.rows // chunk.num_rows):
                writer.write_table(chunk)
        rows = pq.ParquetFile(parquet).metadata.num_rows
        decoded_gb = chunk.nbytes * rows / chunk.num_rows / 1e9
        bomb = tmp_path / "bomb.zip"
        _forge(crate, bomb, _with_table(crate, "pk_curves", parquet.read_bytes(), rows), sign_with=key)
        print(
            f"bomb: {rows:,} constant pk_curves rows; crate {bomb.stat().st_size / 1e6:.2f} MB, "
            f"{decoded_gb:.1f} GB as Arrow data (built in {time.perf_counter() - start:.1f} s)"
        )

        baseline = run_import(tmp_path / "baseline", crate, {})
        print(f"baseline, the crate's own small run: {baseline}")
        for label, limits in (
            ("default limits", {}),
            ("row limit raised above the bomb", {"max_rows": rows + 1}),
        ):
            result = run_import(tmp_path / f"store-{len(label)}", bomb, limits)
            print(f"{label}: {result}")


if __name__ == "__main__":
    main()
