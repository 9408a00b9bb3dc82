"""Read points from GeoJSON (RFC 7946): a FeatureCollection, or a single Feature.

Row N is the Nth feature. A Point geometry gives `lat` and `lon` (GeoJSON stores them as
[lon, lat]); the properties are the other fields. A feature with another geometry (a Polygon
drawn around a building) is refused by name; one without any has no coordinates, which the
importer reports (or looks up by address).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nezlam.domain.errors import Invalid
from nezlam.interchange.formats.interface import Reader
from nezlam.interchange.json_document import load
from nezlam.interchange.record import Record


def records_of(document: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise Invalid("a FeatureCollection needs a list of features", field="features")
    else:
        raise Invalid("GeoJSON must be a FeatureCollection or a Feature", field="type")
    for row, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise Invalid(f"feature {row} is not an object", field="features")
        yield row, record_of(feature)


def record_of(feature: dict[str, Any]) -> Record:
    properties = feature.get("properties") or {}
    record = Record(dict(properties) if isinstance(properties, dict) else {})
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Point":
        coordinates = geometry.get("coordinates") or []  # type: ignore[union-attr]
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            record["lon"], record["lat"] = coordinates[0], coordinates[1]
        else:
            record.problems = (("geometry", "a Point needs [lon, lat] coordinates"),)
    elif kind is not None:
        record.problems = (("geometry", f"geometry must be a Point, not a {kind}"),)
    return record


def read(source: bytes | Path, encoding: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    yield from records_of(load(source, encoding))


READER = Reader("geojson", ("geojson",), read, "feature")
