"""Visitor signals: counted per point and kind; several recent negative ones flag the point.

Nothing about the visitor is stored: rate limiting happens in memory at the web edge
(`nezlam.web.ratelimit`), which is also what makes each counted signal come from a distinct client.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nezlam.domain.vocabulary import NEGATIVE_SIGNALS, SignalKind
from nezlam.store import audit
from nezlam.store.db import next_change_seq
from nezlam.store.points import get_point
from nezlam.store.tables import VisitorSignal, utcnow


def add_signal(
    session: Session,
    point_id: str,
    kind: SignalKind,
    *,
    window: timedelta,
    threshold: int,
    now: datetime | None = None,
) -> bool:
    """Store the signal; return True when the point is flagged (now or already)."""
    now = now or utcnow()
    point = get_point(session, point_id, for_update=True)
    session.add(VisitorSignal(point_id=point_id, kind=str(kind), received_at=now))
    if kind not in NEGATIVE_SIGNALS:
        return point.flagged_at is not None
    since = now - window
    if point.verified_at is not None and point.verified_at > since:
        since = point.verified_at
    session.flush()
    negatives = session.execute(
        select(func.count())
        .select_from(VisitorSignal)
        .where(
            VisitorSignal.point_id == point_id,
            VisitorSignal.received_at > since,
            VisitorSignal.kind.in_([str(k) for k in NEGATIVE_SIGNALS]),
        )
    ).scalar_one()
    if negatives >= threshold and point.flagged_at is None:
        point.flagged_at = now
        audit.record(
            session,
            actor="visitors",
            actor_user_id=None,
            entity="point",
            entity_id=point_id,
            action="flag",
            before={"flagged_at": None},
            after={"flagged_at": now.isoformat(), "signals": int(negatives)},
            at=now,
        )
        point.change_seq = next_change_seq(session)
    return point.flagged_at is not None


def signal_counts(session: Session, point_id: str, since: datetime) -> dict[str, int]:
    """Signals per kind received after `since`, for coordinators."""
    rows = session.execute(
        select(VisitorSignal.kind, func.count())
        .where(VisitorSignal.point_id == point_id, VisitorSignal.received_at > since)
        .group_by(VisitorSignal.kind)
    )
    counts = {str(kind): 0 for kind in SignalKind}
    counts.update({kind: int(n) for kind, n in rows})
    return counts
