"""XLSX, an Office Open XML workbook of one sheet: what a coordinator opens in Excel.

Text is always a string cell, never a formula or an error cell (openpyxl would guess those from
a leading `=` or `#`); text that is formula-like is also quote-prefixed, as the spreadsheet rule
(`spreadsheet.xlsx_text`) says. Numbers, booleans and empty cells are written as they are. The
workbook is written row by row (openpyxl's write-only mode keeps them in a temporary file) and
comes out whole at the end: a zip has its directory last.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from typing import Any

from nezlam.interchange.formats.interface import Table, Writer
from nezlam.interchange.spreadsheet import xlsx_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_chunks(table: Table) -> Iterator[bytes]:
    from openpyxl import Workbook  # imported on use: only this format needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.sheet)
    for row in itertools.chain([table.header()], table.rows()):
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    yield buffer.getvalue()


def _cell(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # numbers, booleans and empty cells: openpyxl types them right
    from openpyxl.cell import WriteOnlyCell

    text, quoted = xlsx_text(value)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # after the value: assigning it guesses a type again
    if quoted:
        cell.quotePrefix = True
    return cell


WRITER = Writer("xlsx", "xlsx", MEDIA_TYPE, write_chunks)
