"""What a resident typed into the finder, read the way they meant it: coordinates with a decimal
comma as Ukrainians write them, a latitude and longitude typed the wrong way round, alternatives
that are only a vaguer version of the match, and how many results to show.

Pure functions (the index is passed in), so the finder's handler stays a thin parse-and-render.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from nezlam.domain.transliteration import fold
from nezlam.geo.distance import haversine_m
from nezlam.geo.spatial_index import Filters, SpatialIndex

# A number with a decimal point or a decimal comma ("50.4419", "50,4419"), then a separator
# (a semicolon, a comma, spaces) and another. "50,4419, 30,5133" is two numbers: a comma
# followed by digits belongs to its number, one followed by a space separates them.
_NUMBER = r"(-?\d{1,3}(?:[.,]\d+)?)°?"
COORDINATES = re.compile(rf"^\s*{_NUMBER}\s*(?:[;,]\s*|\s+){_NUMBER}\s*$")
# Nothing within this distance of the place typed, but points near the same numbers swapped:
# the person typed longitude first (as GeoJSON and some apps do).
REACH_M = 50_000.0
RESULTS = 10  # cards on a results page at first; "show more" adds as many again
MAX_RESULTS = 50
SAME_PLACE_M = 1000.0


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


def distinct_alternatives(best: dict[str, Any], others: list[dict[str, Any]]) -> list[dict]:
    """The other gazetteer matches worth offering: not a vaguer or a more precise version of the
    chosen one at the same place ("вулиця Володимирська, Київ" beside "вулиця Володимирська,
    57, Київ"), and not the same label twice."""
    chosen = _words(best["label"])
    kept, seen = [], {best["label"]}
    for other in others:
        words = _words(other["label"])
        nested = words <= chosen or chosen <= words
        if (nested and _same_place(best, other)) or other["label"] in seen:
            continue
        seen.add(other["label"])
        kept.append(other)
    return kept


def _words(label: str) -> frozenset[str]:
    return frozenset(fold(label).split())


def _same_place(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """In the same town (or one is the town the other lies in), or within a kilometre."""
    if a.get("locality") and a.get("locality") in (b.get("locality"), b.get("name")):
        return True
    if b.get("locality") and b.get("locality") == a.get("name"):
        return True
    return float(haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])) <= SAME_PLACE_M


def results_wanted(params: QueryParams) -> int:
    """How many cards: `k` from the "show more" link, RESULTS at first, at most MAX_RESULTS."""
    try:
        asked = int(params.get("k", RESULTS))
    except ValueError:
        return RESULTS
    return max(RESULTS, min(MAX_RESULTS, asked))
