"""A power company's outage schedule, as its published files give it: each day's plan per queue
(the definite outages, "fact"), and a weekly plan of possible ones ("preset") for the days the
day plans leave out. Any window of Kyiv days is read off it as outages per queue.

A day's plan for a queue, where there is one, is the schedule for that day and queue; the weekly
plan fills in only the days and queues no day plan covers. Of several revisions of a schedule
(the same company's files, published through the day), the newest says what each day it has is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from nezlam.domain.errors import Invalid
from nezlam.domain.outages import (
    DayPlan,
    Note,
    Outage,
    QueueSchedule,
    day_outages,
    merged,
    queue_order,
    window_days,
)

NEVER = datetime.min.replace(tzinfo=UTC)


class Schedule(Protocol):
    """What any outage schedule read from a file can say, whatever its format."""

    @property
    def source(self) -> str: ...

    @property
    def notes(self) -> tuple[Note, ...]: ...

    @property
    def updated_at(self) -> datetime | None:
        """When the file was made (UTC), where it says."""
        ...

    def queues(self) -> tuple[str, ...]: ...

    def first_day(self) -> date | None:
        """The day a look at the schedule starts from, when the file says (its "today")."""
        ...

    def timeline(self, first: date, days: int) -> dict[str, QueueSchedule]: ...


@dataclass(frozen=True)
class ProviderSchedule:
    region: str | None
    updated_at: datetime | None
    """When the file was made (UTC), as it says; None when it does not."""
    days: Mapping[date, Mapping[str, DayPlan]]
    """Kyiv day -> queue -> plan. A day published without a schedule maps to {}."""
    weekly: Mapping[str, Mapping[int, DayPlan]] = field(default_factory=dict)
    """Queue -> ISO weekday (Monday 1) -> plan of possible outages."""
    today: date | None = None
    source: str = ""
    notes: tuple[Note, ...] = ()

    def queues(self) -> tuple[str, ...]:
        names = {queue for plans in self.days.values() for queue in plans} | set(self.weekly)
        return tuple(sorted(names, key=queue_order))

    def first_day(self) -> date | None:
        return self.today or min(self.days, default=None)

    def plan(self, queue: str, day: date) -> DayPlan | None:
        """The queue's plan for the day, or None where the schedule has none."""
        published = self.days.get(day, {})
        if queue in published:
            return published[queue]
        return self.weekly.get(queue, {}).get(day.isoweekday())

    def timeline(self, first: date, days: int) -> dict[str, QueueSchedule]:
        """Each queue's outages over `days` Kyiv days from `first`, merged across midnight."""
        result = {}
        for queue in self.queues():
            outages: list[Outage] = []
            unscheduled = []
            for day in window_days(first, days):
                plan = self.plan(queue, day)
                if plan is None:
                    unscheduled.append(day)
                else:
                    outages.extend(day_outages(day, plan))
            result[queue] = QueueSchedule(queue, merged(outages), tuple(unscheduled))
        return result


def combined(revisions: Iterable[ProviderSchedule]) -> ProviderSchedule:
    """One schedule of a company's revisions: each day as the newest revision that has the day
    gives it, the weekly plan of the newest that has one. Revisions that say nothing of when
    they were made count as older than any that do; among equals, the later one given wins."""
    ordered = sorted(revisions, key=lambda r: r.updated_at or NEVER)
    if not ordered:
        raise ValueError("no revisions to combine")
    regions = {r.region for r in ordered if r.region}
    if len(regions) > 1:
        names = ", ".join(f"{r.source}: {r.region}" for r in ordered if r.region)
        raise Invalid(f"the files are schedules of different regions ({names})", field="region")
    days: dict[date, Mapping[str, DayPlan]] = {}
    weekly: Mapping[str, Mapping[int, DayPlan]] = {}
    for revision in ordered:
        days.update(revision.days)
        weekly = revision.weekly or weekly
    newest = ordered[-1]
    return ProviderSchedule(
        region=next(iter(regions), None),
        updated_at=newest.updated_at,
        days=dict(sorted(days.items())),
        weekly=weekly,
        today=newest.today,
        source=", ".join(r.source for r in ordered),
        notes=tuple(note for r in ordered for note in r.notes),
    )


@dataclass(frozen=True)
class Queues:
    """Schedules of different queues shown as one (a company's calendars, one per group)."""

    parts: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for part in self.parts:
            for queue in part.queues():
                if queue in seen:
                    problem = f"queue {queue} is in both {seen[queue]} and {part.source}"
                    raise Invalid(problem, field="queue")
                seen[queue] = part.source

    @property
    def source(self) -> str:
        return ", ".join(part.source for part in self.parts)

    @property
    def notes(self) -> tuple[Note, ...]:
        return tuple(note for part in self.parts for note in part.notes)

    @property
    def updated_at(self) -> datetime | None:
        return max((p.updated_at for p in self.parts if p.updated_at), default=None)

    def queues(self) -> tuple[str, ...]:
        return tuple(sorted((q for p in self.parts for q in p.queues()), key=queue_order))

    def first_day(self) -> date | None:
        return min((day for p in self.parts if (day := p.first_day())), default=None)

    def timeline(self, first: date, days: int) -> dict[str, QueueSchedule]:
        found = {q: s for part in self.parts for q, s in part.timeline(first, days).items()}
        return {queue: found[queue] for queue in self.queues()}
