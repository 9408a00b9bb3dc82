"""Browsers signed in with a password: a random secret in a cookie, kept here only as a hash,
with a CSRF token that every write made with the cookie must repeat in a header."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Unauthenticated
from nezlam.domain.permissions import Principal
from nezlam.store import accounts
from nezlam.store.tables import LoginSession, User, utcnow

LIFETIME = timedelta(hours=12)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, user: User, now: datetime | None = None) -> tuple[str, str]:
    """A new login session for `user`: (the cookie's secret, the CSRF token)."""
    now = now or utcnow()
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        LoginSession(
            id_hash=_hash(secret),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return secret, csrf


def principal_for(
    session: Session, secret: str, now: datetime | None = None
) -> tuple[Principal, str]:
    """(who the cookie belongs to, the session's CSRF token), or Unauthenticated."""
    now = now or utcnow()
    found = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id_hash == _hash(secret))
    ).first()
    if found is None:
        raise Unauthenticated("not signed in")
    login, user = found
    if login.ended_at is not None or login.expires_at <= now or not user.is_active:
        raise Unauthenticated("the session has ended; sign in again")
    return accounts.principal_for(session, user), login.csrf_token


def end(session: Session, secret: str, now: datetime | None = None) -> None:
    session.execute(
        update(LoginSession)
        .where(LoginSession.id_hash == _hash(secret), LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
