"""Power outages by queue ("черга 1.1" … "6.2"), as intervals of real time.

Ukraine's power companies publish their schedules in Kyiv wall-clock time, hour by hour or in
half hours; everything here is kept in UTC (aware datetimes), so that a day of 23 or 25 hours
(the last Sundays of March and October) and an outage across midnight need no special case
once read. An outage is *definite* (the schedule says the power is off) or *possible* (it may
be off: the weekly plan of possible outages, or a "maybe" slot).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
HALF_HOUR = timedelta(minutes=30)
SLOTS = 48
"""Half-hour slots in a day's plan: slot n is wall-clock n/2 hours after midnight."""


class Kind(enum.Enum):
    DEFINITE = "definite"
    POSSIBLE = "possible"


DayPlan = tuple[Kind | None, ...]
"""A day's 48 half-hour slots in Kyiv wall-clock time: the kind of outage in each, or None
where the power stays on."""

NO_OUTAGE: DayPlan = (None,) * SLOTS


@dataclass(frozen=True, order=True)
class Outage:
    start: datetime
    """UTC, aware."""
    end: datetime
    """UTC, aware; after start."""
    kind: Kind

    @property
    def possible(self) -> bool:
        return self.kind is Kind.POSSIBLE


@dataclass(frozen=True)
class Note:
    """Something a reader put right or left out, for the person who gave it the file."""

    text: str
    warning: bool = True


@dataclass(frozen=True)
class QueueSchedule:
    """One queue's outages over a window of Kyiv days, merged and in time order."""

    queue: str
    outages: tuple[Outage, ...]
    unscheduled: tuple[date, ...] = ()
    """Kyiv days of the window for which the queue has no published schedule."""


def day_start(day: date) -> datetime:
    """The instant (UTC) a Kyiv day begins. Midnight always exists in Kyiv: the clocks change
    at 03:00 and 04:00."""
    return datetime.combine(day, time(0), KYIV).astimezone(UTC)


def kyiv_day(instant: datetime) -> date:
    return instant.astimezone(KYIV).date()


def window_days(first: date, days: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(days)]


def day_outages(day: date, plan: Sequence[Kind | None]) -> tuple[Outage, ...]:
    """A day's plan as outages. The day is walked in real half hours, each given the slot of
    its wall-clock time: on the spring day the slots of 03:00-04:00 never happen, and on the
    autumn day those of 03:00-04:00 happen twice. A schedule never says which of the two
    03:00s it means, and a warning of an outage that might not come costs less than none."""
    if len(plan) != SLOTS:
        raise ValueError(f"a day's plan has {SLOTS} half-hour slots, not {len(plan)}")
    found = []
    at, end = day_start(day), day_start(day + timedelta(days=1))
    while at < end:
        local = at.astimezone(KYIV)
        kind = plan[local.hour * 2 + local.minute // 30]
        if kind is not None:
            found.append(Outage(at, at + HALF_HOUR, kind))
        at += HALF_HOUR
    return merged(found)


_RANK = {Kind.DEFINITE: 0, Kind.POSSIBLE: 1}


def merged(outages: Iterable[Outage]) -> tuple[Outage, ...]:
    """Outages of one kind that touch or overlap as one, across midnight too; where a definite
    outage overlaps a possible one, the definite one holds for the overlap."""
    changes: dict[datetime, list[int]] = {}
    for outage in outages:
        if outage.end > outage.start:
            changes.setdefault(outage.start, [0, 0])[_RANK[outage.kind]] += 1
            changes.setdefault(outage.end, [0, 0])[_RANK[outage.kind]] -= 1
    result: list[Outage] = []
    definite = possible = 0
    open_kind: Kind | None = None
    opened = datetime.min.replace(tzinfo=UTC)
    for at in sorted(changes):
        definite, possible = definite + changes[at][0], possible + changes[at][1]
        kind = Kind.DEFINITE if definite else Kind.POSSIBLE if possible else None
        if kind is not open_kind:
            if open_kind is not None:
                result.append(Outage(opened, at, open_kind))
            open_kind, opened = kind, at
    return tuple(result)


def clipped(outages: Iterable[Outage], start: datetime, end: datetime) -> tuple[Outage, ...]:
    """The parts of the outages between start and end."""
    return tuple(
        Outage(max(o.start, start), min(o.end, end), o.kind)
        for o in outages
        if o.end > start and o.start < end
    )


def next_outage(outages: Iterable[Outage], now: datetime, horizon: timedelta) -> Outage | None:
    """The outage under way at `now`, else the first to start within `horizon` of it."""
    ahead = [o for o in outages if o.end > now and o.start < now + horizon]
    return min(ahead, default=None)


def queue_order(queue: str) -> tuple[tuple[int, ...], str]:
    """'1.2' before '2.1' before '10.1'; a queue named otherwise after the numbered ones."""
    parts = queue.split(".")
    if all(part.isdigit() for part in parts):
        return tuple(int(part) for part in parts), ""
    return (1 << 30,), queue
