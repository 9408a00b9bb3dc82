"""Role grants (operator, coordinator, admin), and what the permission rules decide on: a
signed-in user's Principal, the scope of a grant and of a user."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Invalid, NotFound
from nezlam.domain.permissions import Grant, PointScope, Principal, UserScope
from nezlam.domain.points import RoleGrantCreate
from nezlam.domain.vocabulary import Role
from nezlam.store import audit
from nezlam.store.accounts.organisations import organisation_scopes
from nezlam.store.actor import Actor
from nezlam.store.points import organisation_id_for
from nezlam.store.tables import Point, RoleGrant, User, utcnow

GRANT_FIELDS = ("user_id", "role", "region", "point_id", "organisation_id")


def grant_role(session: Session, user: User, data: RoleGrantCreate, actor: Actor) -> RoleGrant:
    if data.point_id and session.get(Point, data.point_id) is None:
        raise Invalid(f"no point with id {data.point_id!r}", field="point_id")
    grant = RoleGrant(
        user_id=user.id,
        role=data.role,
        region=data.region,
        point_id=data.point_id,
        organisation_id=organisation_id_for(session, data.organisation),
        granted_at=utcnow(),
    )
    session.add(grant)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="role",
        entity_id=grant.id,
        action="grant",
        before=None,
        after=audit.snapshot(grant, GRANT_FIELDS),
    )
    return grant


def grant_scope(session: Session, grant_id: int) -> tuple[Grant, PointScope | None] | None:
    """A role grant and the point it names, as the permission rules see them; None if none."""
    row = session.get(RoleGrant, grant_id)
    if row is None:
        return None
    point = session.get(Point, row.point_id) if row.point_id else None
    grant = Grant(Role(row.role), row.region, row.point_id, row.organisation_id)
    return grant, (PointScope(point.id, point.region, point.organisation_id) if point else None)


def revoke_role(session: Session, grant_id: int, actor: Actor) -> None:
    grant = session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound(f"no role grant {grant_id}", field="grant_id")
    before = audit.snapshot(grant, GRANT_FIELDS)
    session.delete(grant)
    audit.record(
        session,
        actor=actor,
        entity="role",
        entity_id=grant_id,
        action="revoke",
        before=before,
        after=None,
    )


GRANTS_OF = select(
    RoleGrant.role, RoleGrant.region, RoleGrant.point_id, RoleGrant.organisation_id
).where(RoleGrant.user_id == bindparam("user_id"))


def grants_of(session: Session, user_id: int) -> tuple[Grant, ...]:
    rows = session.execute(GRANTS_OF, {"user_id": user_id})
    return tuple(
        Grant(role=Role(role), region=region, point_id=point_id, organisation_id=organisation_id)
        for role, region, point_id, organisation_id in rows
    )


def principal_for(session: Session, user: User, token_id: int | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        grants=grants_of(session, user.id),
        token_id=token_id,
    )


def point_regions(session: Session, point_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(point_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Point.id, Point.region).where(Point.id.in_(wanted)))
    return {point_id: region for point_id, region in rows}


def user_scopes(session: Session, members: Mapping[int, int | None]) -> dict[int, UserScope]:
    """The scope of each user of `members` (user id -> their organisation id), in four reads
    however many users: what `permissions.can_manage_user` decides on."""
    grants = {user_id: list[Grant]() for user_id in members}
    query = select(
        RoleGrant.user_id,
        RoleGrant.role,
        RoleGrant.region,
        RoleGrant.point_id,
        RoleGrant.organisation_id,
    ).where(RoleGrant.user_id.in_(sorted(members)))
    for user_id, role, region, point_id, org_id in session.execute(query.order_by(RoleGrant.id)):
        grants[user_id].append(Grant(Role(role), region, point_id, org_id))
    named = (g.point_id for held in grants.values() for g in held if g.point_id)
    regions = point_regions(session, named)
    org_ids = {g.organisation_id for held in grants.values() for g in held if g.organisation_id}
    organisations = organisation_scopes(
        session, org_ids | {org for org in members.values() if org is not None}
    )
    return {
        user_id: UserScope(user_id, tuple(grants[user_id]), org_id, regions, organisations)
        for user_id, org_id in members.items()
    }


def user_scope(session: Session, user: User) -> UserScope:
    return user_scopes(session, {user.id: user.organisation_id})[user.id]
