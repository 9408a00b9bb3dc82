"""Read points from CSV as Ukrainian spreadsheets write it: UTF-8 (with or without a byte-order
mark) or Windows-1251, separated by commas or, as Excel does in a Ukrainian locale, semicolons.

The file is streamed: a row at a time, never the whole file in memory. A row is numbered by the
line it starts on, as a spreadsheet numbers it: the header is line 1, the first row line 2. A
row of HXL hashtags (as our `hxl` export writes) still counts as a line but yields nothing, and
so do blank lines. HXL files (a CSV with such a row) are read here too.

Written, a table is a header and a row per point, every text cell through the spreadsheet rule
(spreadsheet.py), a block of rows at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from nezlam.domain.errors import Invalid
from nezlam.interchange.formats.interface import Cell, Reader, Table, Writer
from nezlam.interchange.spreadsheet import csv_chunks, read_text

DELIMITERS = (",", ";", "\t")
BYTE_ORDER_MARK = "\ufeff".encode()
CHUNK = 1 << 20


def _binary(source: bytes | Path) -> IO[bytes]:
    if isinstance(source, Path):
        try:
            return source.open("rb")
        except OSError as exc:
            raise Invalid(f"cannot read {source}: {exc.strerror}", field="file") from exc
    return io.BytesIO(source)


def detect_encoding(source: bytes | Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8 (read in chunks), else cp1251."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _binary(source) as stream:
        try:
            while chunk := stream.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1251"
    return "utf-8-sig"


def checked_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise Invalid(f"unknown encoding {encoding!r}", field="encoding") from exc
    return "utf-8-sig" if name == "utf-8" else encoding


@contextmanager
def open_text(source: bytes | Path, encoding: str | None) -> Iterator[io.TextIOWrapper]:
    """The file as text, in the given encoding or the detected one."""
    encoding = checked_encoding(encoding) if encoding else detect_encoding(source)
    # cp1251 is the last resort: every byte but 0x98 decodes, so replace rather than fail.
    errors = "replace" if encoding == "cp1251" else "strict"
    with io.TextIOWrapper(_binary(source), encoding=encoding, errors=errors, newline="") as text:
        yield text


def delimiter_of(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def is_hashtag_row(cells: list[str]) -> bool:
    filled = [cell.strip() for cell in cells if cell.strip()]
    return bool(filled) and all(cell.startswith("#") for cell in filled)


def header_of(cells: list[str]) -> list[str]:
    header = [name.strip().lstrip("\ufeff") for name in cells]
    named = [name for name in header if name]
    if len(set(named)) != len(named):
        repeated = sorted({name for name in named if header.count(name) > 1})
        raise Invalid(f"repeated column(s) {', '.join(repeated)}", field="header")
    return header


def read(source: bytes | Path, encoding: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_text(source, encoding) as text:
        try:
            yield from _rows(text)
        except UnicodeDecodeError as exc:
            raise Invalid(
                f"the file is not valid {text.encoding} (byte {exc.start} of a block)",
                field="encoding",
            ) from exc


def _rows(text: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    first = text.readline()
    if not first:
        return
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter_of(first))
    try:
        header = header_of(next(reader))
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells) or is_hashtag_row(cells):
                continue
            # Our own exports put an apostrophe before formula-like text: take it back off.
            row = {name: read_text(cell) for name, cell in zip(header, cells, strict=False)}
            yield start, {name: cell for name, cell in row.items() if name}
    except csv.Error as exc:
        raise Invalid(
            f"not readable as CSV near line {reader.line_num}: {exc}", field="file"
        ) from exc


def estimate_rows(path: Path) -> int | None:
    """About how many rows the file holds (its lines less the header), for a progress bar:
    counting newlines costs milliseconds where parsing costs seconds."""
    lines = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                lines += chunk.count(b"\n")
    except OSError:
        return None
    return max(lines, 1)


def spreadsheet_chunks(rows: Iterable[Sequence[Cell]], byte_order_mark: bool) -> Iterator[bytes]:
    """Rows as UTF-8 CSV that no spreadsheet runs as formulas; the HXL writer's too."""
    if byte_order_mark:
        yield BYTE_ORDER_MARK
    for text in csv_chunks(rows):
        yield text.encode("utf-8")


def write_chunks(table: Table) -> Iterator[bytes]:
    return spreadsheet_chunks(
        itertools.chain([table.header()], table.rows()), table.byte_order_mark
    )


READER = Reader("csv", ("csv", "txt", "hxl"), read, "line", estimate=estimate_rows)
WRITER = Writer("csv", "csv", "text/csv; charset=utf-8", write_chunks)
