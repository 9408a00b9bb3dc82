"""Read points from GeoJSON (RFC 7946): a FeatureCollection, or a single Feature.

Row N is the Nth feature. A Point geometry gives `lat` and `lon` (GeoJSON stores them as
[lon, lat]); the properties are the other fields. A feature with another geometry (a Polygon
drawn around a building) is refused by name; one without any has no coordinates, which the
importer reports (or looks up by address).

Written, a table is a FeatureCollection of its features, with its members (a feed's
`generated_at`, `next_cursor`) before them, a batch of features at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from nezlam.domain.errors import Invalid
from nezlam.interchange.formats.interface import Reader, Table, Writer
from nezlam.interchange.json_document import load
from nezlam.interchange.record import Record


def records_of(document: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    features: object
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


def write_chunks(table: Table, batch: int = 500) -> Iterator[bytes]:
    """The bytes `orjson.dumps` would give for the whole collection, a batch at a time."""
    head = orjson.dumps({"type": "FeatureCollection", **table.members})
    yield head[:-1] + b',"features":['
    features = iter(table.features)
    separator = b""
    while part := list(itertools.islice(features, batch)):
        yield separator + b",".join(orjson.dumps(feature) for feature in part)
        separator = b","
    yield b"]}"


READER = Reader("geojson", ("geojson",), read, "feature")
WRITER = Writer("geojson", "geojson", "application/geo+json", write_chunks)
