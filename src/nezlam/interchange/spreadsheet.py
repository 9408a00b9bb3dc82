"""Cells for the files people open in a spreadsheet (CSV, HXL CSV, XLSX), so that no text anyone
typed into Nezlam runs there as a formula.

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-` or `@` as a
formula, and some of them do after a leading tab or carriage return too; a point named
`=HYPERLINK("http://evil","click")` would be a live link in a coordinator's sheet, and
`+cmd|' /C calc'!A0` a DDE command (OWASP, "CSV injection"). Every CSV writer of the product
(the `csv` and `hxl` formats, and the coverage and siting tables) writes through `csv_chunks`,
which puts an apostrophe before such text: the spreadsheet then shows it as text, and the
apostrophe tells a program reading the file what happened. XLSX has a cell type for text, so
the `xlsx` format writes every text cell as a string (never a formula cell) and asks
`xlsx_text` whether to mark it with Excel's own quote prefix, which keeps it text even when
edited.

Numbers stay numbers: only `str` values are ever touched, so a longitude of -73.98 or a count is
written as it is. A telephone number in its international form ("+380 44 123 45 67": a plus,
then only digits, spaces, hyphens and brackets) is left as it is too: with no letter, quote,
`!` or `|` in it, no spreadsheet can make a call, a link or a command of it, and the machines
that read the feeds (aggregators, HDX) should get the number, not "'+380 …" (review M1's side
effect). The rule itself is `is_formula_like`, and nothing else decides it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XLSX cannot hold at all (XML 1.0 forbids these control characters); openpyxl refuses
# them, which would turn one odd name into a failed export.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# A plus, a digit, then digits, spaces, hyphens and brackets only: a telephone number.
PHONE_NUMBER = re.compile(r"\+[0-9][0-9 ()\-]{4,30}")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula that does anything: whatever
    starts as a formula does, except a telephone number (`PHONE_NUMBER`)."""
    return text.startswith(FORMULA_STARTS) and PHONE_NUMBER.fullmatch(text) is None


def safe_text(value: Any) -> Any:
    """A cell for CSV: text a spreadsheet would run as a formula gets an apostrophe before it;
    anything that is not text (a number, a boolean, None) is returned as it is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def read_text(value: str) -> str:
    """A cell as `safe_text` wrote it, read back: the apostrophe before formula-like text goes
    (a file we wrote, read by us, gives back exactly what was stored)."""
    if value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def csv_chunks(rows: Iterable[Sequence[Any]], batch: int = 1_000) -> Iterator[str]:
    """Rows as CSV (RFC 4180 quoting, CRLF line ends), every text cell through `safe_text`,
    `batch` rows at a time: a large file is never one string."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, row in enumerate(rows, start=1):
        writer.writerow([safe_text(value) for value in row])
        if number % batch == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue()


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as one CSV string (see `csv_chunks`)."""
    return "".join(csv_chunks(rows))


def xlsx_text(value: str) -> tuple[str, bool]:
    """What an XLSX string cell holds for `value` (characters XML cannot carry replaced), and
    whether it is quote-prefixed: text that is formula-like, as Excel marks what was typed
    after an apostrophe."""
    return XML_ILLEGAL.sub("\ufffd", value), is_formula_like(value)
