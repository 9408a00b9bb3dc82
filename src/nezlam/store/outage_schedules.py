"""Power companies' outage schedules in the database: an import replaces a provider's current
schedule in one transaction and keeps the earlier ones as its history (store/outage_tables.py).

The schedule is read and worked out into intervals before anything is written, so a file that
cannot be read writes nothing; and everything an import writes is in the caller's one
transaction, so it is stored whole or not at all. Two imports of one provider at the same
moment may both be left marked current (neither saw the other's row); the newest counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from nezlam.domain.outage_schedule import Schedule
from nezlam.domain.outage_warnings import Changes, changes, stored_window
from nezlam.domain.outages import Kind, Outage, clipped, day_start, kyiv_day, queue_order
from nezlam.store.tables import OutageImport, OutageInterval, table_of

IMPORTS = table_of(OutageImport)
INTERVALS = table_of(OutageInterval)


@dataclass(frozen=True)
class Imported:
    import_id: int
    provider: str
    queues: tuple[str, ...]
    intervals: int
    changes: Changes
    first_import: bool
    stored: bool = True
    """False when nothing changed: the previous import stays current and nothing is written,
    so that a schedule fetched every few minutes keeps a history of its changes only."""


def save_import(
    session: Session, provider: str, schedule: Schedule, source: str, now: datetime
) -> Imported:
    """Store `schedule` as `provider`'s current one; the previous current import stays as
    history. What changed is judged over the days this import covers; when nothing did,
    nothing is written."""
    first, days = stored_window(schedule, kyiv_day(now))
    start, end = day_start(first), day_start(first + timedelta(days=days))
    found = {queue: line.outages for queue, line in schedule.timeline(first, days).items()}
    previous = current_import_id(session, provider)
    before = None
    if previous is not None:
        before = {q: clipped(o, start, end) for q, o in outages_of(session, previous).items()}
    diff = changes(before, found)
    count = sum(len(outages) for outages in found.values())
    if previous is not None and diff.nothing:
        return Imported(previous, provider, tuple(found), count, diff, False, stored=False)
    import_id = insert_import(session, provider, schedule.updated_at, source, found, now)
    return Imported(import_id, provider, tuple(found), count, diff, previous is None)


def insert_import(
    session: Session,
    provider: str,
    updated_at: datetime | None,
    source: str,
    found: Mapping[str, Sequence[Outage]],
    now: datetime,
) -> int:
    """The provider's new current import and its outages; the one current before is past."""
    session.execute(
        update(IMPORTS)
        .where(IMPORTS.c.provider == provider, IMPORTS.c.current.is_(True))
        .values(current=False)
    )
    import_id = session.execute(
        insert(IMPORTS).returning(IMPORTS.c.id),
        {
            "provider": provider,
            "imported_at": now,
            "source_updated_at": updated_at,
            "source": source[:500],
            "queues": list(found),
            "current": True,
        },
    ).scalar_one()
    rows = [
        {"import_id": import_id, "queue": queue, "starts_at": o.start, "ends_at": o.end}
        | {"kind": o.kind.value}
        for queue, outages in found.items()
        for o in outages
    ]
    if rows:
        session.execute(insert(INTERVALS), rows)
    return int(import_id)


def current_import_id(session: Session, provider: str) -> int | None:
    """The provider's current import: the newest one marked current."""
    found = session.execute(
        select(IMPORTS.c.id)
        .where(IMPORTS.c.provider == provider, IMPORTS.c.current.is_(True))
        .order_by(IMPORTS.c.id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def outages_of(session: Session, import_id: int) -> dict[str, list[Outage]]:
    """An import's outages by queue, in time order; every queue it had, also one without."""
    queues = session.execute(select(IMPORTS.c.queues).where(IMPORTS.c.id == import_id)).scalar()
    result: dict[str, list[Outage]] = {queue: [] for queue in queues or ()}
    rows = session.execute(
        select(INTERVALS.c.queue, INTERVALS.c.starts_at, INTERVALS.c.ends_at, INTERVALS.c.kind)
        .where(INTERVALS.c.import_id == import_id)
        .order_by(INTERVALS.c.queue, INTERVALS.c.starts_at)
    )
    for queue, starts_at, ends_at, kind in rows:
        result.setdefault(queue, []).append(Outage(starts_at, ends_at, Kind(kind)))
    return result


def history(session: Session, provider: str) -> list[OutageImport]:
    """The provider's imports, newest first."""
    query = select(OutageImport).where(OutageImport.provider == provider)
    return list(session.execute(query.order_by(OutageImport.id.desc())).scalars())


def current_outages(
    session: Session, after: datetime, until: datetime
) -> dict[tuple[str, str], list[Outage]]:
    """Every outage, definite or possible, of every provider's current schedule that is on at
    some moment between `after` and `until`, by (provider, queue), in time order."""
    rows = session.execute(
        select(IMPORTS.c.provider, INTERVALS.c.queue, INTERVALS.c.starts_at, INTERVALS.c.ends_at,
               INTERVALS.c.kind)
        .join(IMPORTS, IMPORTS.c.id == INTERVALS.c.import_id)
        .where(
            IMPORTS.c.id.in_(_current_imports()),
            INTERVALS.c.ends_at > after,
            INTERVALS.c.starts_at < until,
        )
        .order_by(INTERVALS.c.starts_at)
    )  # fmt: skip
    found: dict[tuple[str, str], list[Outage]] = {}
    for provider, queue, starts_at, ends_at, kind in rows:
        found.setdefault((provider, queue), []).append(Outage(starts_at, ends_at, Kind(kind)))
    return found


def _current_imports(providers: set[str] | None = None) -> Select[tuple[int]]:
    """The id of each provider's current import (of `providers`, or of all)."""
    query = select(func.max(IMPORTS.c.id)).where(IMPORTS.c.current.is_(True))
    if providers is not None:
        query = query.where(IMPORTS.c.provider.in_(providers))
    return query.group_by(IMPORTS.c.provider)


def definite_starting(
    session: Session, keys: Iterable[tuple[str, str]], after: datetime, until: datetime
) -> dict[tuple[str, str], list[Outage]]:
    """The definite outages of the current schedules of (provider, queue) `keys` that start
    after `after` and no later than `until`."""
    wanted = set(keys)
    providers = {provider for provider, _queue in wanted}
    if not providers:
        return {}
    rows = session.execute(
        select(IMPORTS.c.provider, INTERVALS.c.queue, INTERVALS.c.starts_at, INTERVALS.c.ends_at)
        .join(IMPORTS, IMPORTS.c.id == INTERVALS.c.import_id)
        .where(
            IMPORTS.c.id.in_(_current_imports(providers)),
            INTERVALS.c.kind == Kind.DEFINITE.value,
            INTERVALS.c.starts_at > after,
            INTERVALS.c.starts_at <= until,
        )
    )
    found: dict[tuple[str, str], list[Outage]] = {}
    for provider, queue, starts_at, ends_at in rows:
        if (provider, queue) in wanted:
            found.setdefault((provider, queue), []).append(
                Outage(starts_at, ends_at, Kind.DEFINITE)
            )
    return found


def schedule_queues(session: Session) -> dict[str, list[str]]:
    """Each provider with a current schedule, and the queues that schedule has, in order."""
    rows = session.execute(
        select(IMPORTS.c.provider, IMPORTS.c.queues)
        .where(IMPORTS.c.id.in_(_current_imports()))
        .order_by(IMPORTS.c.provider)
    )
    return {provider: sorted(queues or (), key=queue_order) for provider, queues in rows}
