"""The small interfaces every import and export format implements, and their registries."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(header_rows)
    writer.writerows(feature_to_row(f) for f in features)
    return out.getvalue().encode("utf-8")


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
