"""A place typed as coordinates, read the way people mean it: with a decimal comma as Ukrainians
write them, and a latitude and longitude typed the wrong way round. The finder and the message
channels (an SMS "ТЕПЛО 50,45 30,52") read them alike."""

from __future__ import annotations

import re
from datetime import datetime

from nezlam.geo.spatial_index import Filters, SpatialIndex

# A number with a decimal point or a decimal comma ("50.4419", "50,4419"), then a separator
# (a semicolon, a comma, spaces) and another. "50,4419, 30,5133" is two numbers: a comma
# followed by digits belongs to its number, one followed by a space separates them.
_NUMBER = r"(-?\d{1,3}(?:[.,]\d+)?)°?"
COORDINATES = re.compile(rf"^\s*{_NUMBER}\s*(?:[;,]\s*|\s+){_NUMBER}\s*$")
# Nothing within this distance of the place typed, but points near the same numbers swapped:
# the person typed longitude first (as GeoJSON and some apps do).
REACH_M = 50_000.0


def typed_coordinates(text: str) -> tuple[float, float] | None:
    """(lat, lon) in degrees from "50.4419, 30.5133", "50,4419, 30,5133", "50,4419 30,5133" or
    "50.4419;30.5133"; None when the text is not two numbers (it is then an address)."""
    match = COORDINATES.match(text)
    if match is None:
        return None
    return float(match[1].replace(",", ".")), float(match[2].replace(",", "."))


def on_earth(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def swapped(
    index: SpatialIndex, lat: float, lon: float, now: datetime
) -> tuple[float, float] | None:
    """The same numbers the other way round, (lon, lat), when no point of any kind lies within
    REACH_M of (lat, lon) but one does of the swapped pair; otherwise None."""
    if not on_earth(lon, lat):
        return None
    if on_earth(lat, lon) and _has_point_near(index, lat, lon, now):
        return None
    return (lon, lat) if _has_point_near(index, lon, lat, now) else None


def _has_point_near(index: SpatialIndex, lat: float, lon: float, now: datetime) -> bool:
    _snap, hits = index.nearest(lat, lon, 1, Filters(), now, max_m=REACH_M)
    return bool(hits)


def coordinates_text(lat: float, lon: float) -> str:
    """As the finder suggests them back: "50.4419, 30.5133" (a point, not a comma)."""
    return f"{lat:.6g}, {lon:.6g}"
