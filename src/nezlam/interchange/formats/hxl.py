"""HXL, the Humanitarian Exchange Language (https://hxlstandard.org/): CSV with a second row of
hashtags that says what each column is (`#loc+name+i_uk`, `#geo+lat`), so that OCHA's tools and
HDX read the file without a mapping. Only a table whose columns all have a hashtag can be
written so (the public table can). An HXL file is read by the CSV reader, which skips the
hashtag row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from nezlam.interchange.formats.csv import spreadsheet_chunks
from nezlam.interchange.formats.interface import Cell, Table, Writer


def write_chunks(table: Table) -> Iterator[bytes]:
    missing = [column.name for column in table.columns if not column.hxl]
    if missing:
        raise ValueError(f"no HXL hashtag for column(s) {', '.join(missing)}")
    top: list[Sequence[Cell]] = [table.header(), [column.hxl for column in table.columns]]
    rows = itertools.chain(top, table.rows())
    return spreadsheet_chunks(rows, table.byte_order_mark)


WRITER = Writer("hxl", "hxl.csv", "text/csv; charset=utf-8", write_chunks)
