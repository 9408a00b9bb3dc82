"""Read points from GeoJSON (RFC 7946): a FeatureCollection, or a single Feature.

Row N is the Nth feature. A Point geometry gives `lat` and `lon` (GeoJSON stores them as
[lon, lat]); the properties are the other fields. A feature with another geometry, or none,
has no coordinates here, and validation says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nezlam.domain.errors import Invalid
from nezlam.interchange.json_document import load


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


def record_of(feature: dict[str, Any]) -> dict[str, Any]:
    properties = feature.get("properties") or {}
    record = dict(properties) if isinstance(properties, dict) else {}
    geometry = feature.get("geometry")
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) >= 2:
            record["lon"], record["lat"] = coordinates[0], coordinates[1]
    return record


def read(source: bytes | Path, encoding: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    yield from records_of(load(source, encoding))
