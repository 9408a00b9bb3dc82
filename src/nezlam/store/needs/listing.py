"""Reading needs: a point's own, the board of everything a viewer may see, the public list."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.orm import Session

from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import URGENCY_ORDER, Visibility
from nezlam.store.needs.visibility import (
    NeedSummary,
    PledgeLine,
    Viewer,
    answering_point,
    board_precision,
    public_precision,
)
from nezlam.store.tables import Need, Organisation, Pledge, Point

BOARD_LIMIT = 1000


def _with_pledges(session: Session, summaries: list[NeedSummary]) -> list[NeedSummary]:
    by_need = {s.need.id: s for s in summaries}
    if not by_need:
        return summaries
    rows = session.execute(
        select(Pledge, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Pledge.organisation_id)
        .where(Pledge.need_id.in_(list(by_need)))
        .order_by(Pledge.id)
    )
    for row, name in rows:
        by_need[row.need_id].pledges.append(PledgeLine(row, name))
    return summaries


def _open_needs(session: Session, *conditions: ColumnElement[bool]) -> list[tuple[Need, Point]]:
    """Open needs with their points: the most urgent first, then the longest waiting."""
    urgency = case({str(k): v for k, v in URGENCY_ORDER.items()}, value=Need.urgency, else_=9)
    query = (
        select(Need, Point)
        .join(Point, Point.id == Need.point_id)
        .where(Need.status == "open", *conditions)
        .order_by(urgency, Need.posted_at, Need.id)
        .limit(BOARD_LIMIT)
    )
    return [(need, point) for need, point in session.execute(query)]


def needs_of_point(session: Session, point_id: str, principal: Principal) -> list[NeedSummary]:
    """A point's open needs with every pledge, for whoever answers for the point."""
    answering_point(session, point_id, principal)
    rows = _open_needs(session, Need.point_id == point_id)
    return _with_pledges(session, [NeedSummary(n, p, "exact") for n, p in rows])


def board(session: Session, viewer: Viewer) -> list[NeedSummary]:
    """Every open need the viewer may see, most urgent first, then the oldest."""
    principal = viewer.principal
    conditions: list[ColumnElement[bool]] = []
    if not principal.is_admin:
        allowed: list[ColumnElement[bool]] = []
        if principal.regions:
            allowed.append(Point.region.in_(sorted(principal.regions)))
        if viewer.is_member:
            allowed.append(Point.visibility != str(Visibility.HIDDEN))
        if not allowed:
            return []
        conditions.append(or_(*allowed))
    summaries = []
    for need, point in _open_needs(session, *conditions):
        precision = board_precision(viewer, point)
        if precision is not None:
            summaries.append(NeedSummary(need, point, precision))
    return _with_pledges(session, summaries)


def public_needs(session: Session) -> list[NeedSummary]:
    """Open needs of public and protected points, as anyone may see them."""
    rows = _open_needs(session, Point.visibility != str(Visibility.HIDDEN))
    summaries = [NeedSummary(n, p, public_precision(p) or "locality") for n, p in rows]
    return _with_pledges(session, summaries)
