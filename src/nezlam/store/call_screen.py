"""What the call-queue screens show: the live claims of a region and who holds them, the calls
made lately, and each point's newest report (the rules of the queue are `store.calls`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from nezlam.store.calls import is_live
from nezlam.store.tables import CallClaim, Organisation, Point, StatusReport, User


@dataclass(frozen=True)
class ClaimView:
    claim: CallClaim
    point: Point
    username: str
    organisation_name: str | None = None
    organisation_phone: str | None = None


def _claims_query(regions: list[str]) -> Select[CallClaim, Point, str, str, str | None]:
    return (
        select(CallClaim, Point, User.username, Organisation.name, Organisation.phone)
        .join(Point, Point.id == CallClaim.point_id)
        .join(User, User.id == CallClaim.user_id)
        .outerjoin(Organisation, Organisation.id == Point.organisation_id)
        .where(Point.region.in_(regions))
    )


def live_claims(session: Session, regions: list[str], now: datetime) -> list[ClaimView]:
    """Every live claim on points of `regions`, soonest to lapse first."""
    query = _claims_query(regions).where(is_live(now)).order_by(CallClaim.expires_at, CallClaim.id)
    return [ClaimView(*row) for row in session.execute(query)]


def recent_calls(session: Session, regions: list[str], limit: int = 20) -> list[ClaimView]:
    """Finished calls on points of `regions`, newest first."""
    query = (
        _claims_query(regions)
        .where(CallClaim.finished_at.is_not(None))
        .order_by(CallClaim.finished_at.desc(), CallClaim.id.desc())
        .limit(limit)
    )
    return [ClaimView(*row) for row in session.execute(query)]


def last_reports(session: Session, point_ids: list[str]) -> dict[str, StatusReport]:
    """The newest report of each point."""
    newest = (
        select(func.max(StatusReport.id))
        .where(StatusReport.point_id.in_(point_ids))
        .group_by(StatusReport.point_id)
    )
    rows = session.execute(select(StatusReport).where(StatusReport.id.in_(newest))).scalars()
    return {report.point_id: report for report in rows}


def regions_with_points(session: Session) -> list[str]:
    """Every region some point is in (what an admin coordinates)."""
    return list(session.execute(select(Point.region).distinct().order_by(Point.region)).scalars())
