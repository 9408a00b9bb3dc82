"""Visitor signals: counted per point and kind; several recent negative ones flag the point.

Nothing about the visitor is stored: rate limiting happens in memory at the web edge
(`nezlam.web.plumbing.ratelimit`), which is also what makes each counted signal come from a
distinct client: one negative signal per client and point in the window, whatever its kind
(`web.api.points.repeat_key`), so that no single visitor can flag a point alone.

A visitor may take a signal back for a few minutes (a mistaken tap). The table is append-only,
so that is a row of its own: kind "-full" with the received_at of the "full" it withdraws. A
signal with such a twin is not counted anywhere (`standing`), and the history keeps both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from nezlam.domain.vocabulary import NEGATIVE_SIGNALS, SignalKind
from nezlam.store import audit
from nezlam.store.actor import VISITORS
from nezlam.store.db import next_change_seq
from nezlam.store.points import get_point
from nezlam.store.tables import Point, VisitorSignal, utcnow

WITHDRAWN = "-"  # the prefix of a withdrawal's kind: "-full" takes back a "full"


def standing() -> ColumnElement[bool]:
    """The signals nobody took back: no withdrawal of the same point, kind and moment."""
    twin = aliased(VisitorSignal)
    return ~exists().where(
        twin.point_id == VisitorSignal.point_id,
        twin.received_at == VisitorSignal.received_at,
        twin.kind == literal(WITHDRAWN) + VisitorSignal.kind,
    )


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
    negatives = _standing_negatives(session, point_id, since)
    if negatives >= threshold and point.flagged_at is None:
        point.flagged_at = now
        audit.record(
            session,
            actor=VISITORS,
            entity="point",
            entity_id=point_id,
            action="flag",
            before={"flagged_at": None},
            after={"flagged_at": now.isoformat(), "signals": int(negatives)},
            at=now,
        )
        point.change_seq = next_change_seq(session)
    return point.flagged_at is not None


def _standing_negatives(session: Session, point_id: str, since: datetime) -> int:
    """How many negative signals the point received after `since` that nobody took back."""
    return int(
        session.execute(
            select(func.count())
            .select_from(VisitorSignal)
            .where(
                VisitorSignal.point_id == point_id,
                VisitorSignal.received_at > since,
                VisitorSignal.kind.in_([str(k) for k in NEGATIVE_SIGNALS]),
                standing(),
            )
        ).scalar_one()
    )


def signal_counts(session: Session, point_id: str, since: datetime) -> dict[str, int]:
    """Signals per kind received after `since` and not taken back: for coordinators, and
    (aggregated, nothing else) for residents on the point's page."""
    rows = session.execute(
        select(VisitorSignal.kind, func.count())
        .where(
            VisitorSignal.point_id == point_id,
            VisitorSignal.received_at > since,
            VisitorSignal.kind.in_([str(kind) for kind in SignalKind]),
            standing(),
        )
        .group_by(VisitorSignal.kind)
    )
    counts = {str(kind): 0 for kind in SignalKind}
    counts.update({kind: int(n) for kind, n in rows})
    return counts


def withdraw_signal(
    session: Session,
    point_id: str,
    kind: SignalKind,
    received_at: datetime,
    *,
    window: timedelta,
    threshold: int,
    now: datetime | None = None,
) -> bool:
    """Take back the signal of `kind` received at `received_at` (the caller has checked that
    it is this visitor's own: see web/signal_receipts.py). False when there is none standing.
    A flag that signal raised is lowered again if the others no longer reach `threshold`."""
    now = now or utcnow()
    point = get_point(session, point_id, for_update=True)
    original = session.execute(
        select(VisitorSignal.id).where(
            VisitorSignal.point_id == point_id,
            VisitorSignal.kind == str(kind),
            VisitorSignal.received_at == received_at,
            standing(),
        )
    ).first()
    if original is None:
        return False
    session.add(
        VisitorSignal(point_id=point_id, kind=WITHDRAWN + str(kind), received_at=received_at)
    )
    session.flush()
    if (
        kind in NEGATIVE_SIGNALS
        and point.flagged_at is not None
        and point.flagged_at >= received_at
    ):
        _lower_flag(session, point, window, threshold, now)
    return True


def _lower_flag(
    session: Session, point: Point, window: timedelta, threshold: int, now: datetime
) -> None:
    flagged_at = point.flagged_at
    if flagged_at is None:  # never: the caller lowers a flag that is up
        return
    since = max(now - window, point.verified_at or now - window)
    negatives = _standing_negatives(session, point.id, since)
    if negatives >= threshold:
        return
    audit.record(
        session,
        actor=VISITORS,
        entity="point",
        entity_id=point.id,
        action="unflag",
        before={"flagged_at": flagged_at.isoformat()},
        after={
            "flagged_at": None,
            "signals": int(negatives),
            "why": "a visitor took a signal back",
        },
        at=now,
    )
    point.flagged_at = None
    point.change_seq = next_change_seq(session)
