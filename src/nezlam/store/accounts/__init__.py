"""Organisations, users, role grants and API tokens.

Passwords are hashed with argon2. API tokens are long random strings, so a plain SHA-256 is
enough at rest (no need for a slow hash) and lets a request find its token with one indexed read.

Users and their passwords are here; the other parts are `organisations` (and where each works),
`roles` (role grants, and the scopes the permission rules decide on) and `tokens` (API tokens).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Invalid, NotFound, Unauthenticated
from nezlam.domain.points import UserCreate, UserUpdate
from nezlam.store import audit
from nezlam.store.accounts.organisations import (
    check_may_give_point_to,
    create_organisation,
    free_slug,
    list_organisations,
    organisation_names_by_slug,
    organisation_scope,
    organisation_scopes,
    update_organisation,
)
from nezlam.store.accounts.roles import (
    GRANT_FIELDS,
    GRANTS_OF,
    grant_role,
    grant_scope,
    grants_of,
    point_regions,
    principal_for,
    revoke_role,
    user_scope,
    user_scopes,
)
from nezlam.store.accounts.tokens import (
    TOKEN_LOOKUP,
    TOKEN_PREFIX,
    create_token,
    hash_token,
    principal_for_token,
    revoke_token,
    tokens_of,
)
from nezlam.store.actor import Actor
from nezlam.store.points import organisation_id_for
from nezlam.store.tables import User

# Users and their passwords stay in this module: the hasher is looked up here at every call, so
# that a test may swap in a light one (monkeypatch.setattr(accounts, "_hasher", ...)).
_hasher = PasswordHasher()

# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

USER_FIELDS = ("username", "display_name", "organisation_id", "is_active")


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


__all__ = [
    "GRANTS_OF",
    "GRANT_FIELDS",
    "TOKEN_LOOKUP",
    "TOKEN_PREFIX",
    "USER_FIELDS",
    "authenticate",
    "check_may_give_point_to",
    "create_organisation",
    "create_token",
    "create_user",
    "free_slug",
    "get_user",
    "grant_role",
    "grant_scope",
    "grants_of",
    "hash_token",
    "list_organisations",
    "organisation_names_by_slug",
    "organisation_scope",
    "organisation_scopes",
    "point_regions",
    "principal_for",
    "principal_for_token",
    "revoke_role",
    "revoke_token",
    "set_password",
    "tokens_of",
    "update_organisation",
    "update_user",
    "user_scope",
    "user_scopes",
]
