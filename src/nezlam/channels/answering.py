"""The answers a message channel gives a resident, as true as the finder's: the same index, the
same "really open" filter (reported open, confirmed within the freshness limit, and open by its
hours now), the same walking-or-straight-line distance and the same order (reading.answers).

A channel turns a `Found` into its own words (channels/sms_words.py for SMS); what is found is
decided here once, for every channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nezlam.channels.asking import Nearest
from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.geo.walking import Walking
from nezlam.reading import answers, typed_place
from nezlam.reading.point_public import Asker, PointPublic, point_public
from nezlam.store.db import Database

NEAREST = 3  # points in a message's answer
# No point farther than this is offered by message: a location in the sea, or a city without
# points, gets "none open nearby" rather than a point a day's drive away.
REACH_M = 50_000.0


@dataclass(frozen=True)
class Directory:
    """What a channel answers from: the worker's in-memory index, its street network (asked
    for each answer: it is reloaded when `nezlam streets import` replaces it), the database
    (for the gazetteer of addresses and places) and the clock."""

    index: SpatialIndex
    walking: Callable[[], Walking | None]
    db: Database
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class Found:
    """A nearest answer: the place understood (a gazetteer label, the coordinates typed, or
    None for a shared location), the points, and why there are none when there are none:
    "need_place" (nothing said where), "no_place" (the gazetteer knows no such place),
    "off_earth" (coordinates outside the Earth) or "none_open" (no open point with those
    services)."""

    place: str | None
    points: list[PointPublic] = field(default_factory=list)
    problem: str | None = None
    services: tuple[str, ...] = ()


def really_open(services: tuple[str, ...]) -> Filters:
    """The finder's first visit: open now, by the freshness rule and by the hours."""
    return Filters.build(services=services, statuses=["open"], open_now=True)


def nearest_open(
    directory: Directory,
    asked: Nearest,
    lang: str,
    location: tuple[float, float] | None = None,
    k: int = NEAREST,
) -> Found:
    """The k nearest really-open points with the services asked for, near the shared
    `location`, else near the place typed."""
    where, label, problem = locate(directory, asked.place, location, lang)
    if where is None:
        return Found(label, problem=problem, services=asked.services)
    asker = Asker(lang, directory.clock(), where)
    filters = really_open(asked.services)
    walking = directory.walking()
    answer = answers.nearest(
        directory.index, walking, asker, k, filters, max_m=REACH_M, on_foot=True
    )
    problem = None if answer.points else "none_open"
    return Found(label, answer.points, problem, asked.services)


def locate(
    directory: Directory, place: str, location: tuple[float, float] | None, lang: str
) -> tuple[tuple[float, float] | None, str | None, str | None]:
    """(where, its label, the problem): a shared location first, then coordinates typed (read
    as the finder reads them, also the wrong way round), then the gazetteer's best match."""
    if location is not None:
        return (
            (location, None, None) if typed_place.on_earth(*location) else (None, None, "off_earth")
        )
    if not place:
        return None, None, "need_place"
    typed = typed_place.typed_coordinates(place)
    if typed is not None:
        turned = typed_place.swapped(directory.index, typed[0], typed[1], directory.clock())
        typed = turned or typed
        if not typed_place.on_earth(*typed):
            return None, place, "off_earth"
        return typed, typed_place.coordinates_text(*typed), None
    return gazetteer_place(directory, place, lang)


def gazetteer_place(
    directory: Directory, place: str, lang: str
) -> tuple[tuple[float, float] | None, str | None, str | None]:
    """The gazetteer's best match for what was typed, as the finder takes it."""
    try:
        from nezlam.places import search
    except ImportError:  # the places extra is not installed
        return None, place, "no_place"
    found = search.search_places(directory.db, place, limit=1)
    if not found:
        return None, place, "no_place"
    best = found[0]
    label = str(best.get("label_en") or best["label"]) if lang == "en" else str(best["label"])
    return (float(best["lat"]), float(best["lon"])), label, None


def one_point(directory: Directory, point_id: str, lang: str) -> PointPublic | None:
    """A point as its public page shows it now; None when there is none (or it is hidden)."""
    snapshot = directory.index.snapshot
    row = snapshot.position.get(point_id)
    if row is None:
        return None
    index = directory.index
    return point_public(
        snapshot.views[row],
        Asker(lang, directory.clock()),
        timedelta(seconds=index.stale_after),
        timedelta(seconds=index.no_response_after),
    )
