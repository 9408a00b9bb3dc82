"""Which points to tell that their power goes off soon, and what an import changed.

A standby point must open within 2 hours when its district goes dark, so it is told when a
definite outage of its queue starts within the lead (NEZLAM_OUTAGE_LEAD, 2 h by default); an
open point is told too, that its own power goes off then. Possible outages tell no one: the
weekly plan would wake every point every day. Everything here is pure: the clock is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from nezlam.domain.outage_schedule import ProviderSchedule, Schedule
from nezlam.domain.outages import Kind, Outage, queue_order

WARNED_STATUSES = ("standby", "open")
CALENDAR_DAYS = 7
"""Days of a repeating calendar (or of a weekly plan alone) stored by one import."""


@dataclass(frozen=True)
class ScheduledPoint:
    """A point whose power follows a queue of a provider's schedule."""

    point_id: str
    status: str | None
    region: str
    queue: str


@dataclass(frozen=True)
class Warning:
    point_id: str
    status: str
    region: str
    queue: str
    outage: Outage


def due_warnings(
    points: Iterable[ScheduledPoint],
    outages: Mapping[tuple[str, str], Sequence[Outage]],
    now: datetime,
    lead: timedelta,
) -> list[Warning]:
    """For each standby or open point, the next definite outage of its (region, queue) that
    starts after `now` and at most `lead` later (2 h before it: due; 2 h 1 min before: not
    yet). An outage already under way is not warned of: it is too late to open in time, and a
    point that opened meanwhile knows."""
    found = []
    for point in points:
        if point.status not in WARNED_STATUSES:
            continue
        coming = [
            outage
            for outage in outages.get((point.region, point.queue), ())
            if outage.kind is Kind.DEFINITE and now < outage.start <= now + lead
        ]
        if coming:
            outage = min(coming)
            found.append(Warning(point.point_id, point.status, point.region, point.queue, outage))
    return found


def stored_window(schedule: Schedule, today: date) -> tuple[date, int]:
    """The Kyiv days an import keeps: a file's published days (from its own "today" where it
    says, so that yesterday's half of a snapshot is kept too), or a week from today for a
    repeating calendar or a weekly plan alone."""
    if isinstance(schedule, ProviderSchedule) and schedule.days:
        first = min(min(schedule.days), schedule.first_day() or today)
        last = max(schedule.days)
        return first, (last - first).days + 1
    return today, CALENDAR_DAYS


@dataclass(frozen=True)
class Changes:
    """What an import changed against the provider's previous one."""

    queues_added: tuple[str, ...] = ()
    queues_removed: tuple[str, ...] = ()
    added: dict[str, tuple[Outage, ...]] = field(default_factory=dict)
    removed: dict[str, tuple[Outage, ...]] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not (self.queues_added or self.queues_removed or self.added or self.removed)


def changes(
    before: Mapping[str, Iterable[Outage]] | None, after: Mapping[str, Iterable[Outage]]
) -> Changes:
    """Queues and outages in `after` and not in `before`, and the other way round; `before`
    None (the first import) has everything added."""
    old = {queue: set(found) for queue, found in (before or {}).items()}
    new = {queue: set(found) for queue, found in after.items()}
    names = sorted(old.keys() | new.keys(), key=queue_order)
    added = {q: tuple(sorted(new.get(q, set()) - old.get(q, set()))) for q in names}
    removed = {q: tuple(sorted(old.get(q, set()) - new.get(q, set()))) for q in names}
    return Changes(
        queues_added=tuple(q for q in names if q not in old),
        queues_removed=tuple(q for q in names if q not in new),
        added={q: found for q, found in added.items() if found},
        removed={q: found for q, found in removed.items() if found},
    )
