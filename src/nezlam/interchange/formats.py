"""The small interfaces every import and export format implements, and their registries."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from nezlam.interchange import csv_reader, geojson_reader, json_reader, spreadsheet
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


Record = dict[str, Any]


@dataclass(frozen=True)
class Importer:
    name: str
    suffixes: tuple[str, ...]
    read: Callable[[bytes | Path, str | None], Iterator[tuple[int, Record]]]
    """read(file or its bytes, encoding or None to detect) -> (row number, raw record)

    Row numbers are 1-based and count records as a person sees them: CSV row 1 is the line after
    the header, JSON row 1 is the first object, GeoJSON row 1 the first feature."""


IMPORTERS: dict[str, Importer] = {
    importer.name: importer
    for importer in (
        Importer("csv", ("csv", "txt", "hxl"), csv_reader.read),
        Importer("geojson", ("geojson",), geojson_reader.read),
        Importer("json", ("json",), json_reader.read),
    )
}
