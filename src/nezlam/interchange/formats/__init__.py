"""The import and export formats, one module each, and the one place they are registered.

A format module defines `READER` (an `interface.Reader`), `WRITER` (an `interface.Writer`), or
both. Listing it in `MODULES` is all it takes: `nezlam import` reads what `READERS` holds, and
the public feeds, `nezlam export` and the coordinator's exports write through `WRITERS` (which
of them each offers is its own choice: see `exporter.FEED_FORMATS` and
`web/coordinate_exports.py`).
"""

from __future__ import annotations

from types import ModuleType

from nezlam.interchange.formats import csv, geojson, hxl, json, kml, xlsx
from nezlam.interchange.formats.interface import Reader, Writer

MODULES: tuple[ModuleType, ...] = (csv, geojson, json, kml, hxl, xlsx)

READERS: dict[str, Reader] = {
    module.READER.name: module.READER for module in MODULES if hasattr(module, "READER")
}
WRITERS: dict[str, Writer] = {
    module.WRITER.name: module.WRITER for module in MODULES if hasattr(module, "WRITER")
}
