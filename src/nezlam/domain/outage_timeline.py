"""The coordinator's next 24 hours of scheduled outages (issue 12), pure: for each queue that
has points, its outages and how many of its points are open, on standby and on a generator;
and where the whole of a locality will have no open point with power — with the standby points
there that would have power then, which are the ones to ask to open.

A point has power at a moment unless a *definite* outage of its queue is on then and it has no
generator (a generator reported as its power, or fuel). A point without a queue is counted as
having power: nothing says otherwise, and the page says that it does so. Possible outages are
shown, but nobody is sent to open on a possibility.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from nezlam.domain.outages import Kind, Outage, clipped, merged, queue_order
from nezlam.domain.vocabulary import Power, ShownStatus

Queue = tuple[str, str]  # (power company region, queue)
Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class TimelinePoint:
    id: str
    locality: str
    shown: ShownStatus  # after the freshness rule: a stale "open" is not open
    queue: Queue | None
    generator: bool


@dataclass(frozen=True)
class QueueRow:
    queue: Queue
    outages: tuple[Outage, ...]  # clipped to the window, merged, in time order
    open: int
    standby: int
    generator: int  # of its points, those that run on a generator
    points: int


@dataclass(frozen=True)
class DarkSpell:
    """A time when no open point of `locality` has power (`open_points` 0: none is open)."""

    locality: str
    start: datetime
    end: datetime
    open_points: int
    ready: tuple[str, ...]  # standby points of the locality with power all through the spell


def runs_on_generator(power: str | None, fuel_litres: float | None) -> bool:
    """Whether a point keeps its power through an outage: a generator reported as its power,
    or fuel reported for one."""
    return power == Power.GENERATOR or (fuel_litres or 0) > 0


def inside(outages: Iterable[Outage], start: datetime, end: datetime) -> tuple[Outage, ...]:
    """The outages' parts inside [start, end), merged, in time order."""
    return merged(clipped(outages, start, end))


def queue_rows(
    points: Sequence[TimelinePoint],
    outages: Mapping[Queue, Sequence[Outage]],
    start: datetime,
    end: datetime,
) -> list[QueueRow]:
    """One row per queue that has points, in region and queue order."""
    by_queue: dict[Queue, list[TimelinePoint]] = {}
    for point in points:
        if point.queue is not None:
            by_queue.setdefault(point.queue, []).append(point)
    return [
        QueueRow(
            queue,
            inside(outages.get(queue, ()), start, end),
            open=sum(p.shown == ShownStatus.OPEN for p in members),
            standby=sum(p.shown == ShownStatus.STANDBY for p in members),
            generator=sum(p.generator for p in members),
            points=len(members),
        )
        for queue, members in sorted(by_queue.items(), key=lambda item: queue_key(item[0]))
    ]


def queue_key(queue: Queue) -> tuple[str, tuple[tuple[int, ...], str]]:
    region, number = queue
    return region, queue_order(number)


def without_power(
    point: TimelinePoint, outages: Mapping[Queue, Sequence[Outage]], start: datetime, end: datetime
) -> list[Span]:
    """When the point has no power within [start, end), in time order."""
    if point.generator or point.queue is None:
        return []
    definite = inside(outages.get(point.queue, ()), start, end)
    return [(o.start, o.end) for o in definite if o.kind is Kind.DEFINITE]


def intersection(first: list[Span], second: list[Span]) -> list[Span]:
    """Pure: the times in both lists of disjoint, ordered spans."""
    both, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        low, high = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if low < high:
            both.append((low, high))
        if first[i][1] <= second[j][1]:
            i += 1
        else:
            j += 1
    return both


def dark_spells(
    points: Sequence[TimelinePoint],
    outages: Mapping[Queue, Sequence[Outage]],
    start: datetime,
    end: datetime,
) -> list[DarkSpell]:
    """Each time within [start, end) when a locality with open or standby points has no open
    point with power, by time and then locality."""
    by_locality: dict[str, list[TimelinePoint]] = {}
    for point in points:
        if point.shown in (ShownStatus.OPEN, ShownStatus.STANDBY):
            by_locality.setdefault(point.locality, []).append(point)
    spells = []
    for locality, members in by_locality.items():
        opened = [p for p in members if p.shown == ShownStatus.OPEN]
        dark = [(start, end)]
        for point in opened:
            dark = intersection(dark, without_power(point, outages, start, end))
        for low, high in dark:
            ready = tuple(
                p.id
                for p in members
                if p.shown == ShownStatus.STANDBY
                and not intersection([(low, high)], without_power(p, outages, start, end))
            )
            spells.append(DarkSpell(locality, low, high, len(opened), ready))
    return sorted(spells, key=lambda s: (s.start, s.locality))
