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
from zoneinfo import ZoneInfo

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
    where: tuple[float, float] | None = None
    """(lat, lon) the answer is centred on, when a place was understood."""


def really_open(services: tuple[str, ...]) -> Filters:
    """The finder's first visit: open now, by the freshness rule and by the hours."""
    return Filters.build(services=services, statuses=["open"], open_now=True)


@dataclass(frozen=True)
class Place:
    """Where an answer is centred, as understood: `where` (None, with the `problem`), its
    `label`, and whether it was `typed` as coordinates (which may be the wrong way round)."""

    where: tuple[float, float] | None
    label: str | None = None
    problem: str | None = None
    typed: bool = False


def nearest_open(
    directory: Directory,
    asked: Nearest,
    lang: str,
    location: tuple[float, float] | None = None,
    k: int = NEAREST,
) -> Found:
    """The k nearest really-open points with the services asked for, near the shared
    `location`, else near the place typed. Coordinates typed that find nothing are tried the
    other way round (longitude first, as some apps write them), as the finder offers."""
    place = locate(directory, asked.place, location, lang)
    if place.where is None:
        return Found(place.label, problem=place.problem, services=asked.services)
    points = search(directory, place.where, asked.services, lang, k)
    lat, lon = place.where
    if not points and place.typed and typed_place.on_earth(lon, lat):
        turned = search(directory, (lon, lat), asked.services, lang, k)
        if turned:
            label = typed_place.coordinates_text(lon, lat)
            return Found(label, turned, None, asked.services, (lon, lat))
    problem = None if points else "none_open"
    return Found(place.label, points, problem, asked.services, place.where)


def search(
    directory: Directory,
    where: tuple[float, float],
    services: tuple[str, ...],
    lang: str,
    k: int,
) -> list[PointPublic]:
    """The finder's search: on foot when streets are loaded, within REACH_M."""
    asker = Asker(lang, directory.clock(), where)
    answer = answers.nearest(
        directory.index,
        directory.walking(),
        asker,
        k,
        really_open(services),
        max_m=REACH_M,
        on_foot=True,
    )
    return answer.points


def locate(
    directory: Directory, place: str, location: tuple[float, float] | None, lang: str
) -> Place:
    """A shared location first, then coordinates typed (read as the finder reads them), then
    the gazetteer's best match."""
    if location is not None:
        return (
            Place(location) if typed_place.on_earth(*location) else Place(None, None, "off_earth")
        )
    if not place:
        return Place(None, None, "need_place")
    typed = typed_place.typed_coordinates(place)
    if typed is None:
        return gazetteer_place(directory, place, lang)
    if not typed_place.on_earth(*typed):
        if typed_place.on_earth(typed[1], typed[0]):
            typed = (typed[1], typed[0])
        else:
            return Place(None, place, "off_earth")
    return Place(typed, typed_place.coordinates_text(*typed), typed=True)


def gazetteer_place(directory: Directory, place: str, lang: str) -> Place:
    """The gazetteer's best match for what was typed, as the finder takes it."""
    try:
        from nezlam.places import search as gazetteer
    except ImportError:  # the places extra is not installed
        return Place(None, place, "no_place")
    found = gazetteer.search_places(directory.db, place, limit=1)
    if not found:
        return Place(None, place, "no_place")
    best = found[0]
    label = str(best.get("label_en") or best["label"]) if lang == "en" else str(best["label"])
    return Place((float(best["lat"]), float(best["lon"])), label)


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


def local_time(moment: datetime | None, timezone: str) -> str | None:
    """ "14:05": a moment on the wall clock of the point's zone (Kyiv's when the zone is
    unknown), as a message says when a point was confirmed or opens."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("Europe/Kyiv")
    return moment.astimezone(zone).strftime("%H:%M")
