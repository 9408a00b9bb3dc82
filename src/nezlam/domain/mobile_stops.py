"""A mobile point's schedule of stops (issue 12), pure: a tent, a vehicle or one of the
railway's invincibility carriages stands at a place for a time window ("here today
10:00–18:00, tomorrow at the station 09:00–17:00"). Datetimes are aware UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

LONGEST_STOP = timedelta(days=7)
SHOWN_STOPS = 3  # on the point's page: the one under way and the next two


@dataclass(frozen=True, order=True)
class Stop:
    start: datetime
    end: datetime
    lat: float
    lon: float
    place: str | None = None
    id: int = 0


def window_problem(start: datetime, end: datetime) -> str | None:
    """Why a stop's window cannot be, or None."""
    if end <= start:
        return "a stop ends after it starts"
    if end - start > LONGEST_STOP:
        return f"a stop is at most {LONGEST_STOP.days} days long"
    return None


def ahead(stops: Iterable[Stop], now: datetime, limit: int = SHOWN_STOPS) -> list[Stop]:
    """The stop under way at `now` and those after it, in time order, at most `limit`."""
    return sorted(stop for stop in stops if stop.end > now)[:limit]


def current(stops: Iterable[Stop], now: datetime) -> Stop | None:
    """The stop under way at `now` (the earliest, if windows overlap)."""
    under_way = [stop for stop in stops if stop.start <= now < stop.end]
    return min(under_way, default=None)
