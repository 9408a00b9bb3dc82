"""The visitor-signal inbox: points visitors spoke against (closed, full, no power) within the
last 48 hours, with what the point reported since — whom to call first. Signals hold nothing
about the visitor, so neither does this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nezlam.domain.vocabulary import NEGATIVE_SIGNALS
from nezlam.store.signals import standing
from nezlam.store.tables import Point, StatusReport, VisitorSignal

SIGNAL_INBOX_WINDOW = timedelta(hours=48)


@dataclass
class SignalGroup:
    """Visitors' negative signals about one point, and what happened since the first."""

    point: Point
    counts: dict[str, int] = field(default_factory=dict)
    first_at: datetime | None = None
    last_at: datetime | None = None
    reaction: StatusReport | None = None  # the first report after the first signal

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def negative_signals(
    session: Session, regions: list[str], since: datetime
) -> dict[str, SignalGroup]:
    """Negative signals received after `since` on points of `regions`, grouped per point.
    Signals hold nothing about the visitor, so neither does this."""
    rows = session.execute(
        select(
            Point,
            VisitorSignal.kind,
            func.count(),
            func.min(VisitorSignal.received_at),
            func.max(VisitorSignal.received_at),
        )
        .join(Point, Point.id == VisitorSignal.point_id)
        .where(
            Point.region.in_(regions),
            VisitorSignal.received_at > since,
            VisitorSignal.kind.in_([str(kind) for kind in NEGATIVE_SIGNALS]),
            standing(),  # not one a visitor took back
        )
        .group_by(Point.id, VisitorSignal.kind)
    )
    groups: dict[str, SignalGroup] = {}
    for point, kind, count, first, last in rows:
        group = groups.setdefault(point.id, SignalGroup(point))
        group.counts[kind] = int(count)
        group.first_at = min(first, group.first_at or first)
        group.last_at = max(last, group.last_at or last)
    return groups


def signal_inbox(
    session: Session, regions: list[str], now: datetime, window: timedelta = SIGNAL_INBOX_WINDOW
) -> list[SignalGroup]:
    """The inbox: points visitors spoke against within `window`, with the point's reaction;
    flagged and unanswered points first, then the most recent signal."""
    groups = negative_signals(session, regions, now - window)
    if groups:
        reports = session.execute(
            select(StatusReport)
            .where(StatusReport.point_id.in_(list(groups)), StatusReport.received_at > now - window)
            .order_by(StatusReport.received_at, StatusReport.id)
        ).scalars()
        for report in reports:
            group = groups[report.point_id]
            if group.reaction is None and group.first_at and report.received_at > group.first_at:
                group.reaction = report
    return sorted(
        groups.values(),
        key=lambda g: (
            g.point.flagged_at is None,
            g.reaction is not None,
            -(g.last_at or now).timestamp(),
        ),
    )
