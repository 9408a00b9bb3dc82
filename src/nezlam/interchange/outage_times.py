"""The times in outage-data-ua files, as the real files write them: `lastUpdated` as an ISO
string ("2025-12-06T23:44:43.095+02:00Z", an offset and a Z both) or as Unix seconds; days keyed
by the Unix time of their Kyiv midnight, or of their UTC midnight; days from the wrong year.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from nezlam.domain.errors import Invalid
from nezlam.domain.outages import KYIV, day_start

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MIDNIGHT_SLACK = timedelta(hours=3)
"""How far a day's key may be from its Kyiv midnight: its UTC midnight is 2 or 3 hours later."""
FAR_DAYS = 31
"""A day this far from the file's own date is suspected of being in the wrong year…"""
NEAR_DAYS = 7
"""…and put right when another year brings it this close."""

_STRAY_Z = re.compile(r"([+-]\d{2}:?\d{2})Z$")


def unix_time(value: object, field: str) -> datetime:
    """Unix seconds (a number, or digits in a string) as an aware UTC datetime."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{value!r} is not a time in Unix seconds", field=field)
    if not EARLIEST.timestamp() <= value < LATEST.timestamp():
        raise Invalid(f"{value!r} is not a time in Unix seconds between 2000 and 2100", field)
    return datetime.fromtimestamp(value, UTC)


def instant(value: object, field: str) -> datetime:
    """An ISO 8601 time or Unix seconds, as an aware UTC datetime. "…+02:00Z" is read by its
    offset: the files that write it say the same time in Kyiv words in `fact.update`. A time
    without an offset is Kyiv time."""
    if not isinstance(value, str) or value.strip().isdigit():
        return unix_time(value, field)
    text = _STRAY_Z.sub(r"\1", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(f"{value!r} is not an ISO 8601 time or Unix seconds", field) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=KYIV)
    at = parsed.astimezone(UTC)
    if not EARLIEST <= at < LATEST:
        raise Invalid(f"{value!r} is not a time between 2000 and 2100", field)
    return at


def kyiv_stamp(value: object, field: str) -> datetime:
    """'06.12.2025 23:44', Kyiv time (how `fact.update` is written), as UTC."""
    try:
        parsed = datetime.strptime(str(value).strip(), "%d.%m.%Y %H:%M")
    except ValueError as exc:
        raise Invalid(f"{value!r} is not a time like 06.12.2025 23:44", field) from exc
    return parsed.replace(tzinfo=KYIV).astimezone(UTC)


def day_of_key(key: object, field: str) -> date:
    """The Kyiv day a day's key (Unix seconds) stands for: the day whose Kyiv midnight is
    nearest, within three hours (a UTC midnight, or a midnight reckoned with last season's
    offset); any other time of day is refused."""
    at = unix_time(key, field).astimezone(KYIV)
    for day in (at.date(), at.date() + timedelta(days=1)):
        if abs(at - day_start(day)) <= MIDNIGHT_SLACK:
            return day
    raise Invalid(
        f"{key} is {at:%Y-%m-%d %H:%M} in Kyiv, not the start of a day (Kyiv or UTC midnight)",
        field,
    )


def right_year(day: date, reference: date | None) -> date:
    """The day in the year the file means: a day over FAR_DAYS from the file's own date that
    another year (that one's, or either side of it at New Year) brings within NEAR_DAYS of it
    is taken in that year; any other day is left as it is."""
    if reference is None or abs((day - reference).days) <= FAR_DAYS:
        return day
    for year in (reference.year, reference.year - 1, reference.year + 1):
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29 February
            continue
        if abs((candidate - reference).days) <= NEAR_DAYS:
            return candidate
    return day
