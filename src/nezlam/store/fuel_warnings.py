"""Points about to reach their fuel reserve (issue 13): a point running on its generator whose
runway reaches the reserve within NEZLAM_FUEL_WARN_WITHIN is told to its coordinators (and its
operators, on their linked chats) once per fuel reading — before the litres are low, while a
truck can still come. A new reading (a delivery, a measurement) may warn again.

Several workers at once are safe: the points to warn are locked in id order (PostgreSQL) before
each looks for a warning already given since the reading, so the second waits and finds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.fuel_runway import Runway, point_runway, reserve_within
from nezlam.domain.point_view import iso
from nezlam.domain.reporting import field_time
from nezlam.domain.vocabulary import NotificationKind, Power
from nezlam.store import notifications
from nezlam.store.reports import lock_points
from nezlam.store.tables import Notification, Point

KIND = NotificationKind.FUEL_RESERVE


@dataclass(frozen=True)
class FuelWarning:
    point_id: str
    runway: Runway
    reading_at: datetime | None


def burning_points(session: Session) -> list[Point]:
    """The points on their generator with a known fuel level and consumption."""
    query = select(Point).where(
        Point.power == Power.GENERATOR.value,
        Point.fuel_litres.is_not(None),
        Point.fuel_use_lph.is_not(None),
    )
    return list(session.execute(query.order_by(Point.id)).scalars())


def due(points: list[Point], now: datetime, reserve: timedelta, within: timedelta) -> list[Point]:
    """Those of `points` that reach their reserve within `within` of `now`."""
    hours = within / timedelta(hours=1)
    return [p for p in points if reserve_within(point_runway(p, now, reserve), hours)]


def warned_since(session: Session, point_id: str, since: datetime | None) -> bool:
    query = select(Notification.id).where(
        Notification.point_id == point_id, Notification.kind == str(KIND)
    )
    if since is not None:
        query = query.where(Notification.at >= since)
    return session.execute(query.limit(1)).first() is not None


def warn_due(
    session: Session, now: datetime, reserve: timedelta, within: timedelta
) -> list[FuelWarning]:
    """Notify each point due and not warned since its last fuel reading; returns the warnings
    this run gave."""
    candidates = due(burning_points(session), now, reserve, within)
    lock_points(session, [p.id for p in candidates])
    rules = notifications.rules_of(session)
    hours = within / timedelta(hours=1)
    sent = []
    for point in candidates:
        session.refresh(point)  # as it is now that it is locked
        found = point_runway(point, now, reserve)
        reading_at = field_time(point.state_times or {}, "fuel_litres")
        if found is None or not reserve_within(found, hours):
            continue
        if warned_since(session, point.id, reading_at):
            continue
        more = {
            "litres_left": found.litres_left,
            "hours_left": round(found.hours_left, 2),
            "reserve_at": iso(found.reserve_at(now)),
            "empty_at": iso(found.empty_at(now)),
        }
        notifications.notify(session, point, [KIND], now, rules, more)
        sent.append(FuelWarning(point.id, found, reading_at))
    return sent
