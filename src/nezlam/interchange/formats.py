"""The small interfaces every import and export format implements, and their registries."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from nezlam.interchange import csv_reader, geojson_reader, json_reader, kml_reader, spreadsheet
from nezlam.interchange.rows import COLUMN_NAMES, COLUMNS, feature_to_row


@dataclass(frozen=True)
class Exporter:
    name: str
    suffix: str
    media_type: str
    render: Callable[[list[dict[str, Any]], dict[str, Any]], bytes]
    """render(features, extra top-level members) -> bytes"""


def render_geojson(features: list[dict[str, Any]], extra: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", **extra, "features": features})


def _render_table(features: list[dict[str, Any]], header_rows: list[list[str]]) -> bytes:
    rows = itertools.chain(header_rows, (feature_to_row(f) for f in features))
    return spreadsheet.csv_text(rows).encode("utf-8")


def render_csv(features: list[dict[str, Any]], _extra: dict[str, Any]) -> bytes:
    return _render_table(features, [COLUMN_NAMES])


def render_hxl(features: list[dict[str, Any]], _extra: dict[str, Any]) -> bytes:
    """CSV with a second row of HXL hashtags (https://hxlstandard.org/)."""
    return _render_table(features, [COLUMN_NAMES, [tag for _name, tag in COLUMNS]])


EXPORTERS: dict[str, Exporter] = {
    exporter.name: exporter
    for exporter in (
        Exporter("geojson", "geojson", "application/geo+json", render_geojson),
        Exporter("csv", "csv", "text/csv; charset=utf-8", render_csv),
        Exporter("hxl", "hxl.csv", "text/csv; charset=utf-8", render_hxl),
    )
}


@dataclass(frozen=True)
class Importer:
    name: str
    suffixes: tuple[str, ...]
    read: Callable[[bytes | Path, str | None], Iterator[tuple[int, dict[str, Any]]]]
    """read(file or its bytes, encoding or None to detect) -> (row number, raw record), streamed

    Row numbers are 1-based and count records as a person sees them: the CSV line (the header
    is line 1), the Nth JSON object, GeoJSON feature or KML placemark."""
    row_word: str = "row"
    """What a row is called in messages: line, feature, item, placemark."""
    layered: bool = False
    """A map shows one place in several layers: a repeated place is merged, not refused."""
    estimate: Callable[[Path], int | None] | None = None
    """About how many records a file holds, cheaply, for a progress bar."""


IMPORTERS: dict[str, Importer] = {
    importer.name: importer
    for importer in (
        Importer(
            "csv", ("csv", "txt", "hxl"), csv_reader.read, "line", False, csv_reader.estimate_rows
        ),
        Importer("geojson", ("geojson",), geojson_reader.read, "feature"),
        Importer("json", ("json",), json_reader.read, "item"),
        Importer("kml", ("kml", "kmz"), kml_reader.read, "placemark", True),
    )
}
