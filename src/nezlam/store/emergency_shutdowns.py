"""Emergency shutdowns (issue 12): when the grid is hit, a power company suspends its schedules
and cuts power wherever it must. A coordinator (or `nezlam outages emergency start`) declares
it for the company's region; every standby and open point that follows that company's schedule
is told at once through the notification rules and every channel they feed, the residents'
pages say the schedule does not hold, and the outage warner stops warning by it. Ending it
puts the schedule back.

Both are audited. At most one is open per provider: declaring again while one is open is
refused, and two declaring at the same moment make one (a partial unique index).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Invalid, NotFound
from nezlam.domain.outage_warnings import WARNED_STATUSES
from nezlam.domain.points import OUTAGE_REGION_PATTERN
from nezlam.domain.vocabulary import NotificationKind
from nezlam.store import audit, notifications
from nezlam.store.actor import Actor
from nezlam.store.tables import EmergencyShutdown, Point

NOTE_MAX = 500


def active(session: Session) -> dict[str, EmergencyShutdown]:
    """The emergencies not yet ended, by provider."""
    rows = session.execute(select(EmergencyShutdown).where(EmergencyShutdown.ended_at.is_(None)))
    return {row.provider: row for row in rows.scalars()}


def declare(
    session: Session, provider: str, actor: Actor, now: datetime, note: str | None = None
) -> tuple[EmergencyShutdown, list[str]]:
    """Declare emergency shutdowns in `provider`'s region and tell each standby or open point
    that follows its schedule; returns the emergency and the points told."""
    provider = checked_provider(provider)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise Invalid(f"a note is at most {NOTE_MAX} characters", field="note")
    if provider in active(session):
        raise Conflict(f"emergency shutdowns in {provider} are already declared", field="provider")
    row = EmergencyShutdown(provider=provider, started_at=now, started_by=actor.label, note=note)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:  # declared by someone else in the same moment
        raise Conflict(
            f"emergency shutdowns in {provider} are already declared", field="provider"
        ) from exc
    after = {"provider": provider, "started_at": now.isoformat(), "note": note}
    audit.record(
        session, actor=actor, entity="emergency_shutdown", entity_id=row.id, action="declare",
        before=None, after=after, at=now,
    )  # fmt: skip
    return row, tell_points(session, row, now)


def tell_points(session: Session, row: EmergencyShutdown, now: datetime) -> list[str]:
    points = session.execute(
        select(Point)
        .where(Point.outage_region == row.provider, Point.status.in_(WARNED_STATUSES))
        .order_by(Point.id)
    ).scalars()
    rules = notifications.rules_of(session)
    more = {"outage_region": row.provider, "emergency_since": now.isoformat(), "note": row.note}
    told = []
    for point in points:
        kinds = [NotificationKind.EMERGENCY_SHUTDOWN]
        notifications.notify(session, point, kinds, now, rules, more)
        told.append(point.id)
    return told


def end(session: Session, provider: str, actor: Actor, now: datetime) -> EmergencyShutdown:
    """End the emergency in `provider`'s region: its schedule holds again."""
    provider = checked_provider(provider)
    row = active(session).get(provider)
    if row is None:
        raise NotFound(f"no emergency shutdowns declared in {provider}", field="provider")
    row.ended_at, row.ended_by = now, actor.label
    audit.record(
        session, actor=actor, entity="emergency_shutdown", entity_id=row.id, action="end",
        before={"ended_at": None}, after={"ended_at": now.isoformat()}, at=now,
    )  # fmt: skip
    return row


def checked_provider(provider: str) -> str:
    provider = provider.strip().lower()
    if not re.match(OUTAGE_REGION_PATTERN, provider) or len(provider) > 64:
        raise Invalid("a power company's region id, e.g. vinnytsia", field="provider")
    return provider
