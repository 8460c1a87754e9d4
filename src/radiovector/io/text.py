"""Read an input file's bytes once, safely, and number its records by the file's own lines.

Every reader of user files (CSV/TSV tables, SMILES, FASTA, SDF) goes through :func:`read_input_bytes` or
:func:`read_input_text`, so that a missing, empty, compressed-but-damaged, binary or non-UTF-8 file stops with one
:class:`~radiovector.errors.InputError` naming the file, what is wrong (with the line of the first bad byte) and how
to fix it, never a traceback from a parser.

:func:`record_lines` gives the line (header = line 1) on which each data record of a CSV/TSV file starts, as
pandas' C parser reads it: blank lines are skipped but counted, and a quoted field that spans lines counts all its
lines. This is the one place that numbers table rows; the rejects table reports these numbers.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import sys
from pathlib import Path

import numpy as np

from radiovector.errors import InputError

#: Compression suffixes the readers decompress (as pandas does for tables).
COMPRESSED = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}
_BOM = b"\xef\xbb\xbf"
_UTF8_HINT = (
    "save the file as UTF-8 text: e.g. `iconv -f latin1 -t utf-8 FILE > FILE.utf8` on the command line, or "
    "'CSV UTF-8' in a spreadsheet's Save As"
)


def _where(data: bytes, pos: int) -> str:
    line = data.count(b"\n", 0, pos) + 1
    column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"line {line}, byte {column} of the line"


def read_input_bytes(path: str | Path, what: str = "input file", formats: str = "") -> bytes:
    """The bytes of the text file ``path`` (``.gz``, ``.bz2``, ``.xz`` decompressed; a UTF-8 byte-order mark
    dropped), checked to be non-empty UTF-8 text without NUL bytes.

    ``what`` names the file in messages (e.g. "candidate file"); ``formats`` says what the file should be (the
    hint of every error). Raises :class:`InputError` for a missing path, a directory, a damaged compressed file,
    an empty file, a binary file and text that is not UTF-8 (with the line of the first offending byte).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{what} not found: {path}",
            hint="check the path (relative paths start from the "
            "current directory, or in a config from the config file's directory)",
        )
    if not path.is_file():
        raise InputError(f"{what} is not a file: {path}", hint=formats or "give the path of a file")
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
        data = COMPRESSED[suffix](raw) if suffix in COMPRESSED else raw
    except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        raise InputError(
            f"cannot read {what} {path}: {type(exc).__name__}: {exc}",
            hint=f"the {suffix or 'file'} must be a complete, undamaged file"
            + (f" ({suffix} compression)" if suffix in COMPRESSED else "")
            + "; check that it is not still being written or was truncated in transfer",
        ) from exc
    return check_text(data, path, what, formats)


def check_text(data: bytes, path: str | Path, what: str = "input file", formats: str = "") -> bytes:
    """``data`` (the bytes of ``path``) without a UTF-8 byte-order mark, checked to be non-empty UTF-8 text
    without NUL bytes; else :class:`InputError` as :func:`read_input_bytes` describes."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        detail = (
            "only white space"
            if data
            else "no bytes" + (" once decompressed" if str(path).endswith(tuple(COMPRESSED)) else "")
        )
        raise InputError(
            f"{what} {path} is empty ({detail})",
            hint=formats or "check that it is the right file and was written completely",
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{what} {path} is UTF-16 text, not UTF-8", hint=_UTF8_HINT)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"{what} {path} is not a text file: it holds a NUL byte ({_where(data, nul)}); binary data such as a "
            "spreadsheet (.xlsx), a Parquet file without the .parquet suffix or a compressed file without its "
            "suffix cannot be read as text",
            hint=(formats + "; " if formats else "") + "export the data as CSV/TSV (UTF-8), or name the file "
            "by its format (.parquet, .gz)",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} {path} is not UTF-8 text: byte 0x{data[exc.start]:02x} at {_where(data, exc.start)} "
            "(latin-1/Windows-1252 files do this with accented letters such as é)",
            hint=_UTF8_HINT,
        ) from None
    return data


def check_text_head(path: str | Path, what: str = "input file", formats: str = "", size: int = 1 << 20) -> None:
    """:func:`read_input_bytes`'s checks on the first ``size`` bytes only (decompressed), for files too large to
    read twice (sample-level matrices): the same errors for a missing, empty, binary or non-UTF-8 file."""
    path = Path(path)
    if not path.is_file():
        read_input_bytes(path, what, formats)  # raises the not-found / not-a-file error
    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    try:
        with openers.get(path.suffix.lower(), open)(path, "rb") as handle:
            head = handle.read(size)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(
            f"cannot read {what} {path}: {type(exc).__name__}: {exc}", hint="the file must be complete and undamaged"
        ) from exc
    if len(head) == size:  # a multi-byte character cut at the end is not an error
        head = head[: len(head) - next((i for i in range(1, 4) if head[-i] & 0xC0 != 0x80), 0)]
    check_text(head, path, what, formats)


def read_input_text(path: str | Path, what: str = "input file", formats: str = "") -> str:
    """:func:`read_input_bytes` decoded: the checked text of ``path``."""
    return read_input_bytes(path, what, formats).decode("utf-8")


def read_csv_records(
    path: str | Path, what: str = "input table", formats: str = ""
) -> tuple[list[dict[str, str]], list[int]]:
    """The rows of a small CSV file as dicts by header name, and the line (header = line 1) on which each starts;
    over the checked text of :func:`read_input_text`, blank lines skipped but counted, fields of any length. For side
    files such as monomer libraries and reference lists; a malformed file is one :class:`InputError`."""
    text = read_input_text(path, what, formats)
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    rows, lines, header, previous = [], [], None, 0
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        for fields in reader:
            start, previous = previous + 1, reader.line_num
            if not fields or not any(f.strip() for f in fields):
                continue
            if header is None:
                header = [f.strip() for f in fields]
                continue
            rows.append(dict(zip(header, fields, strict=False)))
            lines.append(start)
    except csv.Error as exc:
        raise InputError(f"cannot read {what} {path}: {exc}", hint=formats or "give a CSV file with a header") from exc
    finally:
        csv.field_size_limit(limit)
    return rows, lines


#: Characters that make a line blank for pandas' C parser (``skip_blank_lines``), besides the separator.
_BLANK = b" \t\r"


def _is_blank(line: bytes, sep: bytes) -> bool:
    return not line.strip(bytes(c for c in _BLANK if bytes([c]) != sep))


def record_lines(data: bytes, sep: str, n_records: int, source: str = "") -> np.ndarray:
    """Line numbers (1-based; the header is the first non-blank line) on which the ``n_records`` data records
    of the CSV/TSV text ``data`` start, as ``pandas.read_csv(sep=sep, skip_blank_lines=True)`` reads them: blank
    lines (only spaces, tabs or carriage returns other than the separator) are skipped but counted, and a quoted
    field with line breaks counts every line it spans.

    Fast path: when every record is one line (the non-blank lines are the header plus ``n_records``), the
    numbers come from the line breaks alone; otherwise the records are re-read with :mod:`csv` (the same quoting
    rules). Raises :class:`InputError` when the two readers disagree on the number of records.
    """
    sep_b = sep.encode()
    buf = np.frombuffer(data, dtype=np.uint8)
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    if not lone_cr:
        breaks = np.flatnonzero(buf == 10)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(buf)]))
        if starts[-1] == len(buf):  # no line after the final line break
            starts, ends = starts[:-1], ends[:-1]
        blank = ends == starts
        blank_chars = np.frombuffer(bytes(c for c in _BLANK if bytes([c]) != sep_b), dtype=np.uint8)
        maybe = np.flatnonzero(~blank & np.isin(buf[np.minimum(starts, len(buf) - 1)], blank_chars))
        for i in maybe:  # lines that start with white space: blank only if nothing else follows
            blank[i] = _is_blank(data[starts[i] : ends[i]], sep_b)
        lines = np.flatnonzero(~blank) + 1
        if len(lines) == n_records + 1:
            return lines[1:].astype(np.int64)
    # records spanning lines (quoted line breaks) or old Mac line ends: the csv module follows the quoting
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep)
        found, previous = [], 0
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if not row or (len(row) == 1 and _is_blank(row[0].encode(), sep_b)):
                continue
            found.append(start)
    except csv.Error as exc:
        raise InputError(
            f"{source}: cannot split the file into records: {exc}",
            hint="quote fields that hold the separator, quotes or line breaks with double quotes",
        ) from exc
    finally:
        csv.field_size_limit(limit)
    if len(found) != n_records + 1:
        raise InputError(
            f"{source}: the table reader found {n_records} data records but the file's lines hold "
            f"{max(len(found) - 1, 0)}; the quoting is ambiguous",
            hint='quote fields that hold the separator, quotes or line breaks with double quotes ("" for a quote)',
        )
    return np.asarray(found[1:], dtype=np.int64)
