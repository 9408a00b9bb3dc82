"""Where the demo's points stand in Kyiv: the street nearest a position, a house beside it and
its number, and the streets and places of `demo_kyiv_map` as gazetteer records.

Positions are degrees WGS84 (lat, lon); distances along and beside a street are metres, on a
plane flat enough for a city.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nezlam.demo_kyiv_map import LANDMARK_ADDRESSES, PLACES, STREETS, Street
from nezlam.places.records import PlaceKind, PlaceRecord

M_PER_DEG = 111_320.0
HOUSE_SPACING_M = 22.0  # metres of street per house number on each side, roughly


def _xy(lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north of 50.45 N, 30.52 E: flat enough for a city."""
    return (lon - 30.52) * M_PER_DEG * math.cos(math.radians(50.45)), (lat - 50.45) * M_PER_DEG


def _latlon(x: float, y: float) -> tuple[float, float]:
    return 50.45 + y / M_PER_DEG, 30.52 + x / (M_PER_DEG * math.cos(math.radians(50.45)))


class OnStreet(NamedTuple):
    street: Street
    lat: float  # the nearest position on the street's line
    lon: float
    along_m: float  # from the street's first point
    off_m: float  # how far the given position was from the street
    segment: int  # which of the segments below


def _segments() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every street segment: start (x, y metres), vector, owning street, length before it."""
    starts, vectors, owners, before = [], [], [], []
    for index, street in enumerate(STREETS):
        walked = 0.0
        for a, b in zip(street.line, street.line[1:], strict=False):
            (ax, ay), (bx, by) = _xy(*a), _xy(*b)
            starts.append((ax, ay))
            vectors.append((bx - ax, by - ay))
            owners.append(index)
            before.append(walked)
            walked += math.hypot(bx - ax, by - ay)
    return np.array(starts), np.array(vectors), np.array(owners), np.array(before)


_STARTS, _VECTORS, _OWNERS, _BEFORE = _segments()


def nearest_street(lat: float, lon: float) -> OnStreet:
    """The demo street nearest to (lat, lon) in degrees, and the nearest position on it."""
    x, y = _xy(lat, lon)
    d = np.array([x, y]) - _STARTS
    length2 = np.einsum("ij,ij->i", _VECTORS, _VECTORS)
    t = np.clip(np.einsum("ij,ij->i", d, _VECTORS) / length2, 0.0, 1.0)
    foot = _STARTS + _VECTORS * t[:, None]
    gap = np.hypot(foot[:, 0] - x, foot[:, 1] - y)
    best = int(np.argmin(gap))
    along = float(_BEFORE[best] + t[best] * math.sqrt(length2[best]))
    flat, flon = _latlon(*foot[best])
    return OnStreet(STREETS[int(_OWNERS[best])], flat, flon, along, float(gap[best]), best)


def house_number(along_m: float, left: bool) -> str:
    """Odd numbers on one side, even on the other, growing along the street."""
    pair = int(along_m // (2 * HOUSE_SPACING_M))
    return str(2 * pair + (2 if left else 1))


def house_position(on: OnStreet, left: bool, setback_m: float) -> tuple[float, float]:
    """A building `setback_m` metres beside the street, on its left or right (seen along it)."""
    vx, vy = _VECTORS[on.segment]
    norm = math.hypot(vx, vy) or 1.0
    side = 1.0 if left else -1.0
    x, y = _xy(on.lat, on.lon)
    return _latlon(x - side * vy / norm * setback_m, y + side * vx / norm * setback_m)


def records(addresses: list[tuple[str, str, float, float]]) -> list[PlaceRecord]:
    """The streets and places of the map, and `addresses` (street, number, lat, lon), for the
    gazetteer."""
    return [*_street_records(), *_place_records(), *_address_records(addresses)]


def _street_records() -> list[PlaceRecord]:
    """Each street at the middle point of its line, under its old name too."""
    found = []
    for known in STREETS:
        middle = known.line[len(known.line) // 2]
        names = {"alt_name": known.old} if known.old else {}
        found.append(
            PlaceRecord(
                PlaceKind.STREET,
                middle[0],
                middle[1],
                name=known.name,
                names=names,
                locality="Київ",
            )
        )
    return found


def _place_records() -> list[PlaceRecord]:
    found = []
    for name, english, lat, lon, kind, other in PLACES:
        names = {key: value for key, value in (("name:en", english), ("alt_name", other)) if value}
        found.append(
            PlaceRecord(
                PlaceKind.PLACE, lat, lon, name=name, names=names, place_type=kind, locality="Київ"
            )
        )
    return found


def _address_records(addresses: list[tuple[str, str, float, float]]) -> list[PlaceRecord]:
    """The landmarks' addresses, with their names, then `addresses`."""
    found = []
    for street, number, lat, lon, name in LANDMARK_ADDRESSES:
        found.append(
            PlaceRecord(
                PlaceKind.ADDRESS,
                lat,
                lon,
                name=name,
                street=street,
                housenumber=number,
                locality="Київ",
            )
        )
    for street, number, lat, lon in addresses:
        found.append(
            PlaceRecord(
                PlaceKind.ADDRESS, lat, lon, street=street, housenumber=number, locality="Київ"
            )
        )
    return found
