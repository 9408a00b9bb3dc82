"""The import and export formats, one module each, and the one place they are registered.

A format module defines `READER` (an `interface.Reader`) or a writer, or both; listing it in
`MODULES` is all it takes for `nezlam import` to read it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import orjson

from nezlam.interchange import spreadsheet
from nezlam.interchange.formats import csv, geojson, json, kml
from nezlam.interchange.formats.interface import Reader
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


MODULES: tuple[ModuleType, ...] = (csv, geojson, json, kml)

READERS: dict[str, Reader] = {
    module.READER.name: module.READER for module in MODULES if hasattr(module, "READER")
}
