"""Read points from JSON: a list of objects, or an object with a list under "points".
A GeoJSON document saved as .json is read as GeoJSON. Row N is the Nth object."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nezlam.domain.errors import Invalid
from nezlam.interchange.formats import geojson
from nezlam.interchange.formats.interface import Reader
from nezlam.interchange.json_document import load


def read(source: bytes | Path, encoding: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    document = load(source, encoding)
    if isinstance(document, dict) and document.get("type") in ("FeatureCollection", "Feature"):
        yield from geojson.records_of(document)
        return
    items = document.get("points") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise Invalid('JSON must be a list of objects or {"points": [...]}', field="file")
    for row, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Invalid(f"item {row} is not an object", field="file")
        yield row, item


READER = Reader("json", ("json",), read, "item")
