"""API tokens: long random strings, so a plain SHA-256 is enough at rest (no need for a slow
hash) and lets a request find its token with one indexed read."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import NotFound, Unauthenticated
from nezlam.domain.permissions import Principal
from nezlam.store import audit
from nezlam.store.accounts.roles import grants_of
from nezlam.store.actor import Actor
from nezlam.store.tables import ApiToken, User, utcnow

TOKEN_PREFIX = "nzl_"


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
