"""Read an outage schedule in iCalendar form, as YASNO's Kyiv group calendars have it: one
calendar per group (queue), events `off` (a definite outage) and `maybe` (a possible one)
repeating weekly by RRULE, in Europe/Kyiv time (TZID).

The repetitions are worked out by recurring-ical-events over the window asked for, as RFC 5545
has them (a DTSTART that its own BYDAY leaves out still happens once, which the real calendars
rely on without meaning to), and the times by the zone each event names, so the clocks' change
in March and October needs nothing here. What cannot be read is refused naming the event (its
UID) and the property.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import recurring_ical_events  # type: ignore[import-untyped]
from icalendar import Calendar, Component, Event

from nezlam.domain.errors import Invalid
from nezlam.domain.outages import (
    KYIV,
    Kind,
    Note,
    Outage,
    QueueSchedule,
    clipped,
    day_start,
    merged,
    window_days,
)

KINDS = {"off": Kind.DEFINITE, "maybe": Kind.POSSIBLE}
_QUEUE_IN_NAME = re.compile(r"(\d+(?:\.\d+)?)$")
_SUFFIX = re.compile(r"\.[A-Za-z]+$")


@dataclass(frozen=True, eq=False)
class CalendarSchedule:
    """One queue's schedule as a calendar of repeating events."""

    queue: str
    query: Any
    """recurring_ical_events' query over the calendar."""
    begins: datetime | None
    """The first event's start (UTC): the days before it have no schedule."""
    source: str = ""
    notes: tuple[Note, ...] = field(default=())
    updated_at: datetime | None = None

    def queues(self) -> tuple[str, ...]:
        return (self.queue,)

    def first_day(self) -> date | None:
        return None

    def timeline(self, first: date, days: int) -> dict[str, QueueSchedule]:
        """The queue's outages over `days` Kyiv days from `first`, cut at the window's ends."""
        start, end = day_start(first), day_start(first + timedelta(days=days))
        try:
            occurrences = self.query.between(start, end)
        except (ValueError, KeyError) as exc:
            raise Invalid(f"cannot work out the events' repetitions: {exc}", "file") from exc
        outages = [outage_of(event) for event in occurrences]
        unscheduled = tuple(
            day
            for day in window_days(first, days)
            if self.begins is None or day_start(day + timedelta(days=1)) <= self.begins
        )
        found = clipped(merged(o for o in outages if o is not None), start, end)
        return {self.queue: QueueSchedule(self.queue, found, unscheduled)}


def queue_of_name(name: str) -> str:
    """The queue a calendar's file name gives: 'group-1.ics' is 1, 'kyiv-2.1.ics' is 2.1."""
    stem = _SUFFIX.sub("", Path(name).name)
    match = _QUEUE_IN_NAME.search(stem)
    return match[1] if match else stem


def read(source: bytes | Path, name: str = "", queue: str | None = None) -> CalendarSchedule:
    """The schedule in an iCalendar file, for `queue` (by default the one its name gives)."""
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise Invalid(f"not readable as iCalendar: {exc}", "file") from exc
    if not isinstance(calendar, Calendar):
        raise Invalid("not an iCalendar file: it holds no VCALENDAR", "file")
    events = calendar.walk("VEVENT")
    if not events:
        raise Invalid("the calendar holds no events", "file")
    starts = [event_start(event, number) for number, event in enumerate(events, 1)]
    try:
        query = recurring_ical_events.of(calendar)
    except (ValueError, KeyError) as exc:
        raise Invalid(f"cannot read the events' repetitions: {exc}", "file") from exc
    return CalendarSchedule(
        queue=queue or queue_of_name(name),
        query=query,
        begins=min(starts),
        source=name,
    )


def event_start(event: Component, number: int) -> datetime:
    """An event's first start (UTC), once it is known to be an outage that can be read."""
    where = f"event {event.get('UID') or number}"
    if event.errors:
        prop, problem = event.errors[0]
        raise Invalid(f"{prop}: {problem}", where)
    summary = str(event.get("SUMMARY", "")).strip()
    if summary.casefold() not in KINDS:
        raise Invalid(f"SUMMARY {summary!r} is neither `off` nor `maybe`", where)
    if "DTSTART" not in event:
        raise Invalid("it has no DTSTART", where)
    for prop in ("DTSTART", "DTEND"):
        value = event.get(prop)
        if value is None:
            continue
        zone, when = value.params.get("TZID"), getattr(value, "dt", None)
        if zone and isinstance(when, datetime) and when.tzinfo is None:
            raise Invalid(f"{prop}: the time zone {zone!r} is not one known here", where)
    if not isinstance(event, Event):
        raise Invalid("it is not a VEVENT", where)
    return moment(event.start)


def moment(value: date | datetime) -> datetime:
    """An iCalendar time as UTC: a date is its Kyiv midnight, a floating time Kyiv time."""
    if not isinstance(value, datetime):
        return day_start(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=KYIV)
    return value.astimezone(UTC)


def outage_of(event: Event) -> Outage | None:
    """An occurrence as an outage; one of another kind (checked on reading) is none."""
    kind = KINDS.get(str(event.get("SUMMARY", "")).strip().casefold())
    if kind is None:
        return None
    return Outage(moment(event.start), moment(event.end), kind)
