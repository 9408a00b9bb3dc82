"""The two small interfaces every format implements: a `Reader` for `nezlam import`, a `Writer`
for the public feeds, `nezlam export` and the coordinator's exports.

A format is one module of this package that defines `READER`, `WRITER` or both; the package's
`__init__` registers it. Both are plain values (a name, what files they go with, and one
function), the way datasette's hooks are plain functions: nothing to subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Source = bytes | Path
"""What a reader reads: a file (streamed from disk) or its bytes."""
Records = Iterator[tuple[int, dict[str, Any]]]
Cell = str | int | float | bool | None
Feature = dict[str, Any]


@dataclass(frozen=True)
class Reader:
    name: str
    """What `--format` calls it."""
    suffixes: tuple[str, ...]
    """The file name endings it is chosen for when no format is given."""
    read: Callable[[Source, str | None], Records]
    """read(file or its bytes, encoding or None to detect) -> (row number, raw record), streamed:
    a reader holds a record at a time (or, for JSON, the parsed document), never a list of them.

    Row numbers are 1-based and count records as a person sees them: the CSV line (the header
    is line 1), the Nth JSON object, GeoJSON feature or KML placemark. A record is a dict of the
    file's own field names, or a `Record` that also carries what the reader saw wrong."""
    row_word: str = "row"
    """What a row is called in messages: line, feature, item, placemark."""
    layered: bool = False
    """A map shows one place in several layers: a repeated place is merged, not refused."""
    estimate: Callable[[Path], int | None] | None = None
    """About how many records a file holds, cheaply, for a progress bar."""


@dataclass(frozen=True)
class Column:
    name: str
    """The header cell."""
    hxl: str | None = None
    """Its HXL hashtag (https://hxlstandard.org/), for a table that may be written as HXL."""


@dataclass(frozen=True)
class Table:
    """What every writer writes: points as GeoJSON features (what a document format writes
    whole), and the columns and the row of cells each feature is (what a spreadsheet format
    writes). Whatever must be hidden is hidden before a Table is made: a writer writes it all."""

    features: Sequence[Feature]
    columns: Sequence[Column]
    row: Callable[[Feature], Sequence[Cell]]
    """One feature's cells, in the order of `columns`. Numbers stay numbers: a spreadsheet
    format must not take a longitude of -73.98 for a formula."""
    members: Mapping[str, Any] = field(default_factory=dict)
    """Top-level members beside the features (a feed's `generated_at`, `next_cursor`)."""
    sheet: str = "points"
    """The sheet's name, where a format has sheets."""
    byte_order_mark: bool = False
    """For people who open the file in Excel: a text format starts with a UTF-8 byte order
    mark, else Excel reads the Cyrillic as Windows-1251."""

    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def rows(self) -> Iterator[Sequence[Cell]]:
        return (self.row(feature) for feature in self.features)


@dataclass(frozen=True)
class Writer:
    name: str
    """What `--format` and the code call it."""
    suffix: str
    """The file name's ending ("hxl.csv"), and the feed's: /api/v1/feeds/points.<suffix>."""
    media_type: str
    chunks: Callable[[Table], Iterator[bytes]]
    """chunks(table) -> the file's bytes, a piece at a time (a block of rows, a batch of
    features), so that a caller writing to a file or a socket never holds the whole file."""

    def write(self, table: Table) -> bytes:
        """The whole file, for an answer that needs its length or its hash."""
        return b"".join(self.chunks(table))
