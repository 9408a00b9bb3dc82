"""Who sees a need, and how much of its point: a public point's needs with its address, a
protected (`locality_only`) point's with its locality only and without the operator's free-text
details, a hidden point's never — except for the coordinators of its region. Who answers for a
point (its operators, its region's coordinators, admins) manages its needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain import permissions
from nezlam.domain.errors import Forbidden
from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import Visibility
from nezlam.store.points import get_point, scope_of
from nezlam.store.tables import Need, Organisation, Pledge, Point, User


@dataclass(frozen=True)
class Viewer:
    """Who looks at needs: the principal, and the organisation they belong to, if any."""

    principal: Principal
    organisation_id: int | None = None

    @property
    def is_member(self) -> bool:
        return self.organisation_id is not None

    @property
    def may_see_board(self) -> bool:
        principal = self.principal
        return self.is_member or principal.is_admin or bool(principal.regions)


@dataclass
class PledgeLine:
    pledge: Pledge
    organisation: str | None


@dataclass
class NeedSummary:
    """A need with its point, its pledges, and what the viewer may learn of the point."""

    need: Need
    point: Point
    precision: str  # "exact": address and details shown; "locality": only the locality
    pledges: list[PledgeLine] = field(default_factory=list)

    def total(self, *statuses: str) -> float:
        return sum(
            line.pledge.quantity or 0 for line in self.pledges if line.pledge.status in statuses
        )

    @property
    def pledged(self) -> float:
        """Promised and not withdrawn, delivered included."""
        return self.total("pledged", "delivered")

    @property
    def delivered(self) -> float:
        return self.total("delivered")

    @property
    def remaining(self) -> float | None:
        if self.need.quantity is None:
            return None
        return max(self.need.quantity - self.pledged, 0.0)

    @property
    def details(self) -> str | None:
        """The operator's words may say where to bring things: not for a protected point."""
        return self.need.details if self.precision == "exact" else None

    @property
    def place(self) -> str:
        return (self.point.address if self.precision == "exact" else None) or self.point.locality


def public_precision(point: Point) -> str | None:
    """What anyone may learn of a point: all of a public one, the locality of a protected one."""
    return {Visibility.PUBLIC: "exact", Visibility.LOCALITY_ONLY: "locality"}.get(
        Visibility(point.visibility)
    )


def board_precision(viewer: Viewer, point: Point) -> str | None:
    """A coordinator sees all of their regions' points; an organisation member, the public view."""
    if viewer.principal.coordinates_region(point.region):
        return "exact"
    return public_precision(point) if viewer.is_member else None


def viewer_of(session: Session, principal: Principal) -> Viewer:
    organisation_id = session.execute(
        select(User.organisation_id).where(User.id == principal.user_id)
    ).scalar()
    return Viewer(principal, organisation_id)


def organisation_name(session: Session, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    return session.execute(
        select(Organisation.name).where(Organisation.id == organisation_id)
    ).scalar()


def answering_point(session: Session, point_id: str, principal: Principal) -> Point:
    """The point, if the principal answers for it (operators, coordinators, admins)."""
    point = get_point(session, point_id)
    if not permissions.can_report(principal, scope_of(point)):
        raise Forbidden("you may not manage this point's needs", field="point_id")
    return point
