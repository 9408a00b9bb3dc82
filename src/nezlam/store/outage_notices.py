"""The warning job: tell each standby or open point whose queue's power goes off within the
lead, once per point and outage, through the notification rules and every channel they feed
(webhooks, the alert chats).

Once means once whoever runs it: the warning's row (point, outage start) is inserted first
with ON CONFLICT DO NOTHING, and only the transaction whose insert took it writes the
notification, in the same transaction. A second worker, a restart or a run a minute later
finds the row and says nothing; a run that fails leaves neither.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nezlam.domain.outage_warnings import WARNED_STATUSES, ScheduledPoint, Warning, due_warnings
from nezlam.domain.vocabulary import NotificationKind
from nezlam.store import emergency_shutdowns, notifications
from nezlam.store.outage_schedules import definite_starting
from nezlam.store.tables import OutageWarning, Point, table_of

WARNINGS = table_of(OutageWarning)


def scheduled_points(session: Session) -> dict[str, Point]:
    """The standby and open points that have a region and queue, by id."""
    rows = session.execute(
        select(Point).where(
            Point.status.in_(WARNED_STATUSES),
            Point.outage_region.is_not(None),
            Point.outage_queue.is_not(None),
        )
    ).scalars()
    return {point.id: point for point in rows}


def warn_due(session: Session, now: datetime, lead: timedelta) -> list[Warning]:
    """Queue a notification for each point whose outage is due and not yet warned of; returns
    the warnings this run sent."""
    points = scheduled_points(session)
    suspended = emergency_shutdowns.active(session)  # their schedules do not hold: no warning
    scheduled = [
        ScheduledPoint(p.id, p.status, str(p.outage_region), str(p.outage_queue))
        for p in points.values()
        if p.outage_region not in suspended
    ]
    outages = definite_starting(session, {(p.region, p.queue) for p in scheduled}, now, now + lead)
    sent = []
    for warning in due_warnings(scheduled, outages, now, lead):
        if claim(session, warning, now):
            more = {
                "outage_start": warning.outage.start.isoformat(),
                "outage_end": warning.outage.end.isoformat(),
                "outage_region": warning.region,
                "outage_queue": warning.queue,
            }
            point = points[warning.point_id]
            rules = notifications.rules_of(session)
            kinds = [NotificationKind.OUTAGE_SOON]
            notifications.notify(session, point, kinds, now, rules, more)
            sent.append(warning)
    return sent


def claim(session: Session, warning: Warning, now: datetime) -> bool:
    """Take the warning's row; False when another run has it already."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(WARNINGS)
        .values(
            point_id=warning.point_id,
            provider=warning.region,
            queue=warning.queue,
            starts_at=warning.outage.start,
            ends_at=warning.outage.end,
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["point_id", "starts_at"])
        .returning(WARNINGS.c.id)
    )
    return session.execute(statement).first() is not None
