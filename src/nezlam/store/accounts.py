"""Organisations, users, role grants and API tokens.

Passwords are hashed with argon2. API tokens are long random strings, so a plain SHA-256 is
enough at rest (no need for a slow hash) and lets a request find its token with one indexed read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from nezlam.domain.permissions import (
    Grant,
    OrganisationScope,
    PointScope,
    Principal,
    UserScope,
    can_give_point_to,
)
from nezlam.domain.points import (
    OrganisationCreate,
    OrganisationUpdate,
    RoleGrantCreate,
    UserCreate,
    UserUpdate,
)
from nezlam.domain.vocabulary import Role
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.points import organisation_id_for
from nezlam.store.tables import (
    ApiToken,
    Application,
    Organisation,
    Point,
    RoleGrant,
    User,
    utcnow,
)

TOKEN_PREFIX = "nzl_"
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

USER_FIELDS = ("username", "display_name", "organisation_id", "is_active")
GRANT_FIELDS = ("user_id", "role", "region", "point_id", "organisation_id")


def create_organisation(session: Session, data: OrganisationCreate, actor: Actor) -> Organisation:
    if session.execute(select(Organisation).where(Organisation.slug == data.slug)).scalar():
        raise Conflict(f"organisation {data.slug!r} already exists", field="slug")
    org = Organisation(slug=data.slug, name=data.name, kind=str(data.kind), phone=data.phone)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="organisation",
        entity_id=org.id,
        action="create",
        before=None,
        after={"slug": org.slug, "name": org.name, "kind": org.kind},
    )
    return org


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.execute(select(Organisation).order_by(Organisation.slug)).scalars())


def organisation_names_by_slug(session: Session) -> dict[str, str]:
    rows = session.execute(select(Organisation.slug, Organisation.name))
    return {slug: name for slug, name in rows}


def create_user(session: Session, data: UserCreate, actor: Actor) -> User:
    if session.execute(select(User).where(User.username == data.username)).scalar():
        raise Conflict(f"user {data.username!r} already exists", field="username")
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=_hasher.hash(data.password) if data.password else None,
        organisation_id=organisation_id_for(session, data.organisation),
        is_active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="user",
        entity_id=user.id,
        action="create",
        before=None,
        after=audit.snapshot(user, USER_FIELDS),
    )
    return user


def update_user(session: Session, user: User, data: UserUpdate, actor: Actor) -> User:
    before = audit.snapshot(user, USER_FIELDS)
    if "organisation" in data.model_fields_set:
        user.organisation_id = organisation_id_for(session, data.organisation)
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.is_active is not None:
        user.is_active = data.is_active
    if data.password:
        set_password(session, user, data.password, actor)
    after = audit.snapshot(user, USER_FIELDS)
    if after != before:
        audit.record(
            session,
            actor=actor,
            entity="user",
            entity_id=user.id,
            action="update",
            before=before,
            after=after,
        )
    return user


def update_organisation(
    session: Session, slug: str, data: OrganisationUpdate, actor: Actor
) -> Organisation:
    org = session.execute(select(Organisation).where(Organisation.slug == slug)).scalar()
    if org is None:
        raise NotFound(f"no organisation {slug!r}", field="slug")
    fields = ("name", "kind", "phone")
    before = audit.snapshot(org, fields)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name != "phone":
            raise Invalid("must not be null", field=name)
        setattr(org, name, str(value) if name == "kind" else value)
    audit.record(
        session,
        actor=actor,
        entity="organisation",
        entity_id=org.id,
        action="update",
        before=before,
        after=audit.snapshot(org, fields),
    )
    return org


def point_regions(session: Session, point_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(point_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Point.id, Point.region).where(Point.id.in_(wanted)))
    return {point_id: region for point_id, region in rows}


def organisation_scopes(
    session: Session, organisation_ids: Iterable[int]
) -> dict[int, OrganisationScope]:
    """Where each organisation works: the regions of its points (hidden ones too: an
    application's points are hidden until approved) and of its pending applications."""
    wanted = sorted(set(organisation_ids))
    if not wanted:
        return {}
    found: dict[int, set[str]] = {org_id: set() for org_id in wanted}
    points = select(Point.organisation_id, Point.region).where(Point.organisation_id.in_(wanted))
    pending = select(Application.organisation_id, Application.region).where(
        Application.organisation_id.in_(wanted), Application.status == "pending"
    )
    for org_id, region in [*session.execute(points.distinct()), *session.execute(pending)]:
        if org_id is not None:  # never: IN matches no null
            found[org_id].add(region)
    members = select(User.organisation_id).where(User.organisation_id.in_(wanted))
    operators = select(RoleGrant.organisation_id).where(RoleGrant.organisation_id.in_(wanted))
    peopled = {
        int(org_id)
        for org_id in session.execute(members.union(operators)).scalars()
        if org_id is not None  # never: IN matches no null
    }
    return {
        org_id: OrganisationScope(org_id, frozenset(regions), org_id in peopled)
        for org_id, regions in found.items()
    }


def organisation_scope(session: Session, slug: str) -> OrganisationScope | None:
    """The organisation named by `slug` and where it works; None if there is none."""
    org_id = session.execute(select(Organisation.id).where(Organisation.slug == slug)).scalar()
    return None if org_id is None else organisation_scopes(session, [int(org_id)])[int(org_id)]


def check_may_give_point_to(session: Session, principal: Principal, slug: str | None) -> None:
    """Forbidden, naming the field, unless `principal` may make the organisation `slug` run a
    point (see `permissions.can_give_point_to`); no organisation is always fine."""
    if slug is None:
        return
    organisation = organisation_scope(session, slug)
    if organisation is not None and not can_give_point_to(principal, organisation):
        raise Forbidden(
            "this organisation works beyond your regions; an admin may give it this point",
            field="organisation",
        )


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


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    return user


def set_password(session: Session, user: User, password: str, actor: Actor) -> None:
    if len(password) < 10:
        raise Invalid("must be at least 10 characters", field="password")
    user.password_hash = _hasher.hash(password)
    audit.record(
        session,
        actor=actor,
        entity="user",
        entity_id=user.id,
        action="set_password",
        before=None,
        after=None,
    )


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this password, or Unauthenticated (same error either way)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("wrong username or password") from None
    if user is None or not user.is_active or not user.password_hash:
        raise Unauthenticated("wrong username or password")
    return user


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, actor: Actor) -> tuple[str, ApiToken]:
    """Returns the token itself (shown once, never stored) and its row."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[: len(TOKEN_PREFIX) + 6],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="token",
        entity_id=row.id,
        action="create",
        before=None,
        after={"user_id": user.id, "name": name, "prefix": row.prefix},
    )
    return token, row


def revoke_token(
    session: Session, token_id: int, actor: Actor, now: datetime | None = None
) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}", field="token_id")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit.record(
            session,
            actor=actor,
            entity="token",
            entity_id=row.id,
            action="revoke",
            before={"revoked_at": None},
            after={"revoked_at": row.revoked_at.isoformat()},
        )
    return row


TOKEN_LOOKUP = (
    select(ApiToken.id, ApiToken.revoked_at, User.id, User.username, User.is_active)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def principal_for_token(session: Session, token: str) -> Principal:
    found = session.execute(TOKEN_LOOKUP, {"token_hash": hash_token(token)}).first()
    if found is None:
        raise Unauthenticated("unknown or revoked token")
    token_id, revoked_at, user_id, username, is_active = found
    if revoked_at is not None or not is_active:
        raise Unauthenticated("unknown or revoked token")
    return Principal(
        user_id=user_id, username=username, grants=grants_of(session, user_id), token_id=token_id
    )


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalars())
