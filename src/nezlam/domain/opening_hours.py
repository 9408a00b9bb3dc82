"""OpenStreetMap `opening_hours` evaluated in a point's own timezone.

Parsing is done by opening-hours-py (a maintained Rust implementation of the OSM specification);
this module adds validation messages for our API and a cache, since the same few strings repeat
across thousands of points.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opening_hours import OpeningHours, ParserError, State

ALWAYS = "24/7"


class OpeningHoursError(ValueError):
    pass


@lru_cache(maxsize=4096)
def parse(expression: str, timezone: str) -> OpeningHours:
    try:
        return OpeningHours(expression, timezone=ZoneInfo(timezone), country="UA")
    except ParserError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "cannot parse"
        raise OpeningHoursError(f"not a valid opening_hours expression: {first_line}") from exc


def validate(expression: str, timezone: str = "Europe/Kyiv") -> str:
    """Return the expression stripped, or raise OpeningHoursError saying what is wrong."""
    text = expression.strip()
    if not text:
        raise OpeningHoursError("must not be empty")
    parse(text, timezone)
    return text


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OpeningHoursError(f"unknown IANA timezone {name!r}") from exc
    return name


def is_open(expression: str | None, timezone: str, when: datetime) -> bool | None:
    """Open at `when` (aware) by the point's hours; None when the point publishes no hours."""
    if not expression:
        return None
    hours = parse(expression, timezone)
    local = when.astimezone(ZoneInfo(timezone))
    return bool(hours.is_open(local))


def next_change(expression: str | None, timezone: str, when: datetime) -> datetime | None:
    """The next moment the open/closed state changes, as an aware datetime, or None if never."""
    if not expression:
        return None
    hours = parse(expression, timezone)
    moment = hours.next_change(when.astimezone(ZoneInfo(timezone)))
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment


# (expression, timezone) -> (open?, valid from, valid until), as POSIX seconds: the same few
# expressions repeat across thousands of points, and their state holds until their next change.
_windows: dict[tuple[str, str], tuple[bool, float, float]] = {}


def window(
    expression: str | None, timezone: str, when: datetime, stamp: float | None = None
) -> tuple[bool | None, float]:
    """(open at `when`, POSIX time of the next change or inf): `is_open` and `next_change`
    together, cached per expression until that next change. `stamp` is `when` as POSIX seconds,
    if the caller has it already."""
    if not expression:
        return None, math.inf
    stamp = when.timestamp() if stamp is None else stamp
    key = (expression, timezone)
    cached = _windows.get(key)
    if cached is not None and cached[1] <= stamp < cached[2]:
        return cached[0], cached[2]
    state = bool(is_open(expression, timezone, when))
    change = next_change(expression, timezone, when)
    until = change.timestamp() if change is not None else math.inf
    if len(_windows) > 10_000:
        _windows.clear()
    _windows[key] = (state, stamp, until)
    return state, until


def intervals_for_day(
    expression: str | None, timezone: str, day: datetime
) -> list[tuple[str, str]]:
    """Open intervals ('08:00', '20:00') on the local calendar day containing `day`."""
    if not expression:
        return []
    tz = ZoneInfo(timezone)
    local = day.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    result = []
    for begin, finish, state, _comment in parse(expression, timezone).intervals(start, end):
        if state == State.OPEN:
            result.append(
                (begin.strftime("%H:%M"), "24:00" if finish >= end else finish.strftime("%H:%M"))
            )
    return result


def open_intervals(
    expression: str | None, timezone: str, start: datetime, days: int = 3
) -> list[tuple[datetime, datetime]] | None:
    """The open intervals from `start` for `days` days, as aware datetimes (None: no hours).
    A page kept offline re-reads them to say "closed now" when the hours say so."""
    if not expression:
        return None
    local = start.astimezone(ZoneInfo(timezone))  # the library wants the point's own zone
    end = local + timedelta(days=days)
    return [
        (begin, finish)
        for begin, finish, state, _comment in parse(expression, timezone).intervals(local, end)
        if state == State.OPEN
    ]
