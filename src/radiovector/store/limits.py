"""What a crate import may read (:class:`ImportLimits`), apart from :mod:`radiovector.store.crate` so that the
command line can show the defaults without importing Delta Lake and DuckDB."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportLimits:
    """Bounds on what an import may read, checked before the data is read (see docs/sharing.md).

    ``max_rows``: rows per table (Parquet metadata, then counted while streaming). ``max_bytes``: the tables of
    the run held in memory together, as decoded Arrow data (estimated from the Parquet metadata before reading,
    then measured batch by batch while streaming; string columns are read dictionary-encoded and their decoded
    size computed from the dictionary, so a constant string repeated a million times is caught without being
    decoded). ``max_unzipped_bytes``: the sizes of all files of the crate together (zip headers, which
    :mod:`zipfile` enforces while reading), checked before any checksum is computed.
    """

    max_rows: int = 20_000_000
    max_bytes: int = 2 << 30
    max_unzipped_bytes: int = 16 << 30
