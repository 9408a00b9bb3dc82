"""Who may do what: pure rules over a principal's role grants and a point's scope.

Operators act only on their points (named, or every point of their organisation); coordinators
only on points in their regions; admins everywhere. Anonymous visitors may only send signals.
"""

from __future__ import annotations

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


def can_manage_organisations(principal: Principal | None) -> bool:
    return principal is not None and (principal.is_admin or bool(principal.regions))


def can_create_user(principal: Principal | None) -> bool:
    return principal is not None and (principal.is_admin or bool(principal.regions))


def can_manage_user(
    principal: Principal | None, target: tuple[Grant, ...], point_regions: dict[str, str]
) -> bool:
    """Change or deactivate another user: admins; a coordinator, for users whose every role is
    operating points in the coordinator's regions (or who have no role yet)."""
    if principal is None:
        return False
    if principal.is_admin:
        return True
    if not principal.regions:
        return False
    return all(
        grant.role == Role.OPERATOR
        and grant.point_id is not None
        and point_regions.get(grant.point_id) in principal.regions
        for grant in target
    )


def can_grant(principal: Principal | None, grant: Grant, point: PointScope | None) -> bool:
    """Admins grant anything; a coordinator grants operator roles on points of their regions."""
    if principal is None:
        return False
    if principal.is_admin:
        return True
    if grant.role == Role.OPERATOR and grant.point_id and point is not None:
        return principal.coordinates_region(point.region)
    return False
