"""What the gazetteer knows of one address, street or named place, and how it is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from nezlam.domain.transliteration import transliterate


class PlaceKind(StrEnum):
    ADDRESS = "address"  # a building or entrance with a house number
    STREET = "street"  # a named street in one locality
    PLACE = "place"  # a city, village, suburb, square...


@dataclass(slots=True)
class PlaceRecord:
    """Positions are degrees WGS84. `names` holds the other names (name:uk, alt_name...)."""

    kind: PlaceKind
    lat: float
    lon: float
    name: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    housenumber: str | None = None
    street: str | None = None
    locality: str | None = None
    postcode: str | None = None
    place_type: str | None = None
    osm_id: str | None = None
    id: int | None = None  # the row's id once stored

    def __post_init__(self) -> None:
        self.kind = PlaceKind(self.kind)
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"position out of range: {self.lat}, {self.lon}")
        if self.kind is PlaceKind.ADDRESS and not self.housenumber:
            raise ValueError("an address needs a house number")
        if self.kind is not PlaceKind.ADDRESS and not self.name:
            raise ValueError(f"a {self.kind.value} needs a name")


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def address_line(street: str | None, housenumber: str | None) -> str:
    """The street and house number: "Städtle 38", but "вулиця Хрещатик, 22" as Ukrainians
    write it."""
    if not street:
        return housenumber or ""
    if not housenumber:
        return street
    joiner = ", " if _CYRILLIC.search(street) else " "
    return f"{street}{joiner}{housenumber}"


def label(record: PlaceRecord) -> str:
    """One line a resident recognises: "Städtle 38, Vaduz", "Triesenberg"."""
    if record.kind is PlaceKind.ADDRESS:
        head = address_line(record.street, record.housenumber)
        if record.name:  # a named building: "Landesmuseum, Städtle 43"
            head = f"{record.name}, {head}"
    else:
        head = record.name or ""
    if record.locality and record.locality != head:
        return f"{head}, {record.locality}"
    return head


def latin_label(record: PlaceRecord) -> str:
    """The label in Latin letters, for English pages: a name's own English form where the data
    has one ("Shevchenko Park"), otherwise the national transliteration ("vulytsia Khreshchatyk,
    22, Kyiv")."""
    english = record.names.get("name:en")
    if record.kind is PlaceKind.ADDRESS:
        head = transliterate(address_line(record.street, record.housenumber))
        if record.name:
            head = f"{english or transliterate(record.name)}, {head}"
    else:
        head = english or transliterate(record.name or "")
    locality = transliterate(record.locality) if record.locality else ""
    return f"{head}, {locality}" if locality and locality != head else head


def public(record: PlaceRecord, score: float) -> dict[str, Any]:
    """The shape the API returns for one result."""
    return {
        "label": label(record),
        "label_en": latin_label(record),
        "kind": record.kind.value,
        "name": record.name,
        "housenumber": record.housenumber,
        "street": record.street,
        "locality": record.locality,
        "postcode": record.postcode,
        "lat": round(record.lat, 7),
        "lon": round(record.lon, 7),
        "score": round(score, 1),
    }
