"""Who may do what: pure rules over a principal's role grants and a point's scope.

Operators act only on their points (named, or every point of their organisation); coordinators
only on points in their regions, and on the people and organisations that work wholly within
them; admins everywhere. Anonymous visitors may only send signals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nezlam.domain.vocabulary import Role


@dataclass(frozen=True)
class Grant:
    role: Role
    region: str | None = None
    point_id: str | None = None
    organisation_id: int | None = None


@dataclass(frozen=True)
class PointScope:
    """The facts about a point that decide who may touch it."""

    id: str
    region: str
    organisation_id: int | None


@dataclass(frozen=True)
class OrganisationScope:
    """Where an organisation works: the regions of its points and of its pending applications
    (empty for one that has neither yet)."""

    id: int
    regions: frozenset[str] = frozenset()
    has_people: bool = False  # members, or operators of all its points


@dataclass(frozen=True)
class UserScope:
    """The facts about a user that decide who may manage them: their roles, the region of each
    point those roles name, and every organisation they belong to or operate for."""

    user_id: int
    grants: tuple[Grant, ...] = ()
    organisation_id: int | None = None  # membership
    point_regions: Mapping[str, str] = field(default_factory=dict)
    organisations: Mapping[int, OrganisationScope] = field(default_factory=dict)


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    token_id: int | None = None

    @property
    def label(self) -> str:
        return f"token:{self.token_id}" if self.token_id else f"user:{self.username}"

    @property
    def is_admin(self) -> bool:
        return any(grant.role == Role.ADMIN for grant in self.grants)

    def coordinates_region(self, region: str) -> bool:
        return self.is_admin or any(
            grant.role == Role.COORDINATOR and grant.region == region for grant in self.grants
        )

    def operates(self, point: PointScope) -> bool:
        return any(
            grant.role == Role.OPERATOR
            and (
                grant.point_id == point.id
                or (
                    grant.organisation_id is not None
                    and grant.organisation_id == point.organisation_id
                )
            )
            for grant in self.grants
        )

    @property
    def regions(self) -> frozenset[str]:
        return frozenset(g.region for g in self.grants if g.role == Role.COORDINATOR and g.region)


def can_report(principal: Principal | None, point: PointScope) -> bool:
    """Send status reports and "still current" for a point."""
    if principal is None:
        return False
    return principal.coordinates_region(point.region) or principal.operates(point)


def can_edit_point(principal: Principal | None, point: PointScope) -> bool:
    """Change a point's details (services, hours, contacts, location)."""
    return can_report(principal, point)


def can_see_protected(principal: Principal | None, point: PointScope) -> bool:
    """See a locality-only point's exact address and coordinates."""
    return can_report(principal, point)


def can_change_visibility(principal: Principal | None, point: PointScope, region: str) -> bool:
    """Publish, hide or protect a point, or move it between regions: coordinators and admins."""
    if principal is None:
        return False
    return principal.coordinates_region(point.region) and principal.coordinates_region(region)


def can_create_point(principal: Principal | None, region: str) -> bool:
    return principal is not None and principal.coordinates_region(region)


def can_create_organisation(principal: Principal | None) -> bool:
    """Register a new organisation: coordinators and admins. A new one has no points yet, so it
    takes nothing over; who may manage it follows from where its points will be."""
    return principal is not None and (principal.is_admin or bool(principal.regions))


def can_manage_organisation(principal: Principal | None, organisation: OrganisationScope) -> bool:
    """Change an organisation, or add members to it: admins; a coordinator whose regions hold
    everything the organisation does (its points and its pending applications). An organisation
    that works nowhere yet, or also elsewhere, is not one coordinator's to change."""
    if principal is None:
        return False
    if principal.is_admin:
        return True
    return bool(organisation.regions) and organisation.regions <= principal.regions


def can_give_point_to(principal: Principal | None, organisation: OrganisationScope) -> bool:
    """Make an organisation run a point (creating or editing the point): admins; a coordinator,
    for an organisation they manage, or a new one with no points and nobody in it yet. Never
    one whose people live elsewhere or nowhere: the point would make them the coordinator's
    to manage."""
    if principal is None:
        return False
    if principal.is_admin or can_manage_organisation(principal, organisation):
        return True
    return bool(principal.regions) and not organisation.regions and not organisation.has_people


def can_create_user(
    principal: Principal | None,
    organisation: OrganisationScope | None = None,
    point: PointScope | None = None,
) -> bool:
    """Create a user: admins; a coordinator, as a member of an organisation they manage or as
    the operator of a point of their regions. A user tied to nothing would be no coordinator's
    to manage afterwards, so only admins create those."""
    if principal is None:
        return False
    if principal.is_admin:
        return True
    if organisation is None and point is None:
        return False
    if organisation is not None and not can_manage_organisation(principal, organisation):
        return False
    return point is None or principal.coordinates_region(point.region)


def _role_within(principal: Principal, target: UserScope, grant: Grant) -> bool:
    """Whether one role of `target` lies wholly within the principal's regions."""
    if grant.role != Role.OPERATOR:
        return False  # coordinators and admins are managed by admins
    if grant.point_id is not None:
        return target.point_regions.get(grant.point_id) in principal.regions
    organisation = target.organisations.get(grant.organisation_id or -1)
    return organisation is not None and can_manage_organisation(principal, organisation)


def can_manage_user(principal: Principal | None, target: UserScope) -> bool:
    """Change, deactivate or issue a reset link for another user: admins; a coordinator, when
    every role of the user and the user's organisation lie within the coordinator's regions.
    A user with neither role nor organisation is tied to no region: admins only."""
    if principal is None:
        return False
    if principal.is_admin:
        return True
    if not principal.regions or (not target.grants and target.organisation_id is None):
        return False
    if target.organisation_id is not None:
        membership = target.organisations.get(target.organisation_id)
        if membership is None or not can_manage_organisation(principal, membership):
            return False
    return all(_role_within(principal, target, grant) for grant in target.grants)


def works_in_regions(principal: Principal, target: UserScope) -> bool:
    """Whether an operator role or the organisation of `target` touches the principal's
    regions: the people a coordinator sees on the users screen."""
    regions = principal.regions

    def touches(grant: Grant) -> bool:
        if grant.role != Role.OPERATOR:
            return False
        if grant.point_id is not None:
            return target.point_regions.get(grant.point_id) in regions
        organisation = target.organisations.get(grant.organisation_id or -1)
        return organisation is not None and bool(organisation.regions & regions)

    membership = target.organisations.get(target.organisation_id or -1)
    return any(touches(g) for g in target.grants) or bool(
        membership is not None and membership.regions & regions
    )


def can_grant_to(
    principal: Principal | None, target: UserScope, grant: Grant, point: PointScope | None
) -> bool:
    """Give `target` a role: admins anything to anyone; a coordinator an operator role on a
    point of their regions, to someone who already works in them. Never to a user tied to no
    region: the role would make that account theirs to manage, i.e. to take over."""
    if principal is None or not can_grant(principal, grant, point):
        return False
    return principal.is_admin or works_in_regions(principal, target)


def can_grant(principal: Principal | None, grant: Grant, point: PointScope | None) -> bool:
    """Admins grant anything; a coordinator grants operator roles on points of their regions."""
    if principal is None:
        return False
    if principal.is_admin:
        return True
    if grant.role == Role.OPERATOR and grant.point_id and point is not None:
        return principal.coordinates_region(point.region)
    return False
