"""Read points from KML and KMZ (a zipped KML), as Google My Maps exports them: how Ukrainian
cities and oblasts publish their maps of shelters and points.

Row N is the Nth placemark in the document. A placemark's Point gives `lat` and `lon` (KML
writes "lon,lat[,alt]"); its name and description give the name, address, phone, capacity and
notes (see placemark_text.py); ExtendedData values named like a point field (`capacity`,
`phone`, `category`, ...) are read as that field. The folder a placemark is in is its layer.
A placemark without a Point has no coordinates — the importer refuses it, or places it by its
address with --geocode — and one with another geometry (a Polygon) is refused by name.

KML from the internet is untrusted: it is parsed with defusedxml, which refuses entity
declarations (a "billion laughs" file would expand to gigabytes), external entities (reading
local files) and DTDs, and a KMZ is unpacked with a cap on its size (a zip bomb).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from nezlam.domain.errors import Invalid
from nezlam.interchange import placemark_text
from nezlam.interchange.formats.interface import Reader
from nezlam.interchange.mapping import SIMPLE_FIELDS
from nezlam.interchange.record import Record

MAX_KML_BYTES = 200 << 20  # unpacked; a shelter map of a whole oblast is well under 5 MB
LABEL_MAX = 60


def read(source: bytes | Path, encoding: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Placemarks as records; `encoding` is not used (an XML file declares its own)."""
    with _kml_stream(source) as stream:
        try:
            yield from _placemarks(stream)
        except ParseError as exc:
            raise Invalid(f"not readable as KML: {exc}", field="file") from exc
        except DefusedXmlException as exc:
            raise Invalid(
                f"refused: the KML declares entities or a DTD, which a map never needs ({exc})",
                field="file",
            ) from exc


class _Capped(io.RawIOBase):
    """A stream that refuses to give more than `limit` bytes."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self.inner, self.left = inner, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(min(len(buffer), self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise Invalid(f"the KML is larger than {MAX_KML_BYTES >> 20} MB unpacked", field="file")
        buffer[: len(data)] = data
        return len(data)


@contextmanager
def _kml_stream(source: bytes | Path) -> Iterator[IO[bytes]]:
    """The KML bytes of a .kml, or of the main document (doc.kml) of a .kmz."""
    try:
        raw: IO[bytes] = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    except OSError as exc:
        raise Invalid(f"cannot read {source!s}: {exc.strerror}", field="file") from exc
    with raw:
        zipped = raw.read(4) == b"PK\x03\x04"
        raw.seek(0)
        if not zipped:
            yield raw
            return
        try:
            archive = zipfile.ZipFile(raw)
        except zipfile.BadZipFile as exc:
            raise Invalid(f"not readable as KMZ (zip): {exc}", field="file") from exc
        with archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
            if not names:
                raise Invalid("the KMZ holds no .kml document", field="file")
            with archive.open("doc.kml" if "doc.kml" in names else names[0]) as inner:
                yield io.BufferedReader(_Capped(inner, MAX_KML_BYTES))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _placemarks(stream: IO[bytes]) -> Iterator[tuple[int, Record]]:
    folders: list[str | None] = []
    number = 0
    for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = _local(element.tag)
        if event == "start":
            if tag == "Folder":
                folders.append(None)
            continue
        if tag == "name" and folders and folders[-1] is None:
            folders[-1] = placemark_text.clean(element.text).replace("\n", " ")
        elif tag == "Folder":
            folders.pop()
            element.clear()
        elif tag == "Placemark":
            number += 1
            layer = next((name for name in reversed(folders) if name), None)
            yield number, record_of(element, layer)
            element.clear()  # a placemark at a time in memory, however large the map


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _text(element: Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None


def record_of(placemark: Element, layer: str | None = None) -> Record:
    described = placemark_text.describe(_text(placemark, "name"), _text(placemark, "description"))
    fields: dict[str, Any] = {
        key: value
        for key, value in (
            ("name", described.name),
            ("address", described.address),
            ("phone", described.phone),
            ("capacity", described.capacity),
            ("notes", described.notes),
        )
        if value is not None
    }
    fields.update(extended_data(placemark))
    problems = position(placemark, fields)
    label = placemark_text.clean(_text(placemark, "name")).replace("\n", " ")[:LABEL_MAX]
    record = Record(fields, problems=problems, label=label or described.address, layer=layer)
    record.warnings = tuple(described.warnings)
    return record


def extended_data(placemark: Element) -> dict[str, str]:
    """<ExtendedData><Data name="capacity"><value>40</value></Data>: the values named like a
    point field."""
    data = _child(placemark, "ExtendedData")
    found = {}
    for item in data if data is not None else ():
        name = (item.get("name") or "").strip()
        if _local(item.tag) == "Data" and name in SIMPLE_FIELDS:
            value = _text(item, "value")
            if value and value.strip():
                found[name] = value.strip()
    return found


def position(placemark: Element, fields: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Put a Point's lat and lon into `fields`; the problems of another geometry."""
    geometry = next(
        (c for c in placemark.iter() if _local(c.tag) in GEOMETRIES and c is not placemark), None
    )
    if geometry is None:
        return ()
    kind = _local(geometry.tag)
    if kind == "MultiGeometry":
        geometry = next((c for c in geometry.iter() if _local(c.tag) == "Point"), geometry)
        kind = _local(geometry.tag)
    if kind != "Point":
        return (("geometry", f"geometry must be a Point, not a {kind}"),)
    text = " ".join((_text(geometry, "coordinates") or "").split())
    parts = text.split(" ")[0].split(",") if text else []
    if len(parts) < 2:
        return ()
    fields["lon"], fields["lat"] = parts[0], parts[1]
    return ()


GEOMETRIES = frozenset({"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track"})


READER = Reader("kml", ("kml", "kmz"), read, "placemark", layered=True)
