"""Placing a row that has an address but no coordinates, through the gazetteer (`nezlam places
import`): only a confident match on the house is taken, never a street's middle or a city's,
which would send people hundreds of metres or kilometres away."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nezlam.store.db import Database

# A house found by its street's exact or skeleton key scores 90 and more; a street without the
# house asked for scores 12 less, and a fuzzy name less again (see places/gazetteer.py).
MIN_SCORE = 90.0


@dataclass(frozen=True)
class Placed:
    lat: float
    lon: float
    label: str
    score: float


Geocoder = Callable[[str, str | None], Placed | None]
"""(address, locality or None) -> where the gazetteer puts it, or None."""


def query_for(address: str, locality: str | None) -> str:
    if locality and locality.casefold() not in address.casefold():
        return f"{address}, {locality}"
    return address


def gazetteer_geocoder(db: Database, min_score: float = MIN_SCORE) -> Geocoder:
    from nezlam.places.records import PlaceKind, label
    from nezlam.places.search import Gazetteer

    gazetteer = Gazetteer(db)

    def place(address: str, locality: str | None) -> Placed | None:
        hits = gazetteer.search(query_for(address, locality), limit=1)
        if not hits or hits[0].score < min_score or hits[0].record.kind is not PlaceKind.ADDRESS:
            return None
        record = hits[0].record
        return Placed(record.lat, record.lon, label(record), hits[0].score)

    return place
