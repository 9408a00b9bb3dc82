"""Cells for the files people open in a spreadsheet (CSV, HXL CSV, XLSX), so that no text anyone
typed into Nezlam runs there as a formula.

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-` or `@` as a
formula, and some of them do after a leading tab or carriage return too; a point named
`=HYPERLINK("http://evil","click")` would be a live link in a coordinator's sheet, and
`+cmd|' /C calc'!A0` a DDE command (OWASP, "CSV injection"). Every CSV writer of the product
writes through `csv_text`, which puts an apostrophe before such text: the spreadsheet then shows
it as text, and the apostrophe tells a program reading the file what happened. XLSX has a cell
type for text, so `xlsx_bytes` writes every text cell as a string (never a formula cell) and
marks the risky ones with Excel's own quote prefix, which keeps them text even when edited.

Numbers stay numbers: only `str` values are ever touched, so a longitude of -73.98 or a count is
written as it is. The rule itself is `is_formula_like`, and nothing else decides it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XLSX cannot hold at all (XML 1.0 forbids these control characters); openpyxl refuses
# them, which would turn one odd name into a failed export.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula."""
    return text.startswith(FORMULA_STARTS)


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


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV (RFC 4180 quoting, CRLF line ends), every text cell through `safe_text`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_text(value) for value in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(sheet_name: str, rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as a one-sheet workbook. Text is always a string cell, never a formula or an error
    cell (openpyxl would guess those from a leading `=` or `#`); text that is formula-like is
    also quote-prefixed, as Excel marks what was typed after an apostrophe."""
    from openpyxl import Workbook  # imported on use: only this format needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # numbers, booleans and empty cells: openpyxl types them right
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=XML_ILLEGAL.sub("\ufffd", value))
    cell.data_type = "s"  # after the value: assigning it guesses a type again
    if is_formula_like(value):
        cell.quotePrefix = True
    return cell
