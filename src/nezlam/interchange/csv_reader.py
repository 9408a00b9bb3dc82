"""Read points from CSV as Ukrainian spreadsheets write it: UTF-8 (with or without a byte-order
mark) or Windows-1251, separated by commas or, as Excel does in a Ukrainian locale, semicolons.

Row 1 is the first line after the header. A row of HXL hashtags (as our `hxl` export writes)
still counts as a row but yields nothing, and so do blank rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nezlam.domain.errors import Invalid

DELIMITERS = (",", ";", "\t")


def decode(data: bytes, encoding: str | None) -> str:
    """Text of `data`: in `encoding` if given, else UTF-8 when it decodes cleanly, else cp1251."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise Invalid(f"unknown encoding {encoding!r}", field="encoding") from exc
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise Invalid(
                f"the file is not valid {encoding} (byte {exc.start})", field="encoding"
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Every byte sequence decodes as cp1251 (except 0x98), so this is the last resort.
        return data.decode("cp1251", errors="replace")


def delimiter_of(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def is_hashtag_row(cells: list[str]) -> bool:
    filled = [cell.strip() for cell in cells if cell.strip()]
    return bool(filled) and all(cell.startswith("#") for cell in filled)


def read(source: bytes | Path, encoding: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    data = source.read_bytes() if isinstance(source, Path) else source
    text = decode(data, encoding)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(first_line))
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise Invalid(f"not readable as CSV: {exc}", field="file") from exc
    if len(set(header) - {""}) != len([name for name in header if name]):
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        raise Invalid(f"repeated column(s) {', '.join(repeated)}", field="header")
    try:
        for row, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells) or is_hashtag_row(cells):
                continue
            yield row, {name: cell for name, cell in zip(header, cells, strict=False) if name}
    except csv.Error as exc:
        raise Invalid(
            f"not readable as CSV near line {reader.line_num}: {exc}", field="file"
        ) from exc
