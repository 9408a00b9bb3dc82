"""Browsers signed in with a password: a random secret in a cookie, kept here only as a hash,
with a CSRF token that every write made with the cookie must repeat in a header.

A session lasts while it is used, up to an absolute limit (`domain.login_lifetime`): `check`
only reads, and says when a use has earned a later end; `renew` writes it, at most once per
`LoginLifetime.slack`, with a conditional UPDATE that never revives a session that ended."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Unauthenticated
from nezlam.domain.login_lifetime import LoginLifetime
from nezlam.domain.permissions import Principal
from nezlam.store import accounts
from nezlam.store.db import rows_matched
from nezlam.store.tables import LoginSession, User, utcnow

DEFAULT_LIFETIME = LoginLifetime()


@dataclass(frozen=True)
class Login:
    """A session that is running: who it belongs to, its CSRF token, when it ends unless it is
    renewed, and the later end this use earned (None: no renewal due)."""

    principal: Principal
    csrf: str
    ends_at: datetime
    renew_to: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(
    session: Session,
    user: User,
    now: datetime | None = None,
    lifetime: LoginLifetime = DEFAULT_LIFETIME,
) -> tuple[str, str]:
    """A new login session for `user`: (the cookie's secret, the CSRF token)."""
    now = now or utcnow()
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        LoginSession(
            id_hash=_hash(secret),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=lifetime.first_expiry(now),
        )
    )
    return secret, csrf


def check(
    session: Session,
    secret: str,
    now: datetime | None = None,
    lifetime: LoginLifetime = DEFAULT_LIFETIME,
) -> Login:
    """The running session of the cookie's secret, or Unauthenticated: unknown, ended (signed
    out, the password reset), unused for too long, past the absolute limit, or its account
    deactivated. The roles are read afresh each time, so a role taken away is gone at once."""
    now = now or utcnow()
    found = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id_hash == _hash(secret))
    ).first()
    if found is None:
        raise Unauthenticated("not signed in")
    login, user = found
    ends_at = lifetime.ends_at(login.created_at, login.expires_at)
    if login.ended_at is not None or ends_at <= now or not user.is_active:
        raise Unauthenticated("the session has ended; sign in again")
    renew_to = lifetime.renewal(login.created_at, login.expires_at, now)
    return Login(accounts.principal_for(session, user), login.csrf_token, ends_at, renew_to)


def renew(session: Session, secret: str, until: datetime) -> bool:
    """Move a running session's end to `until`; False when it has ended meanwhile or another
    request renewed it as far already."""
    moved = session.execute(
        update(LoginSession)
        .where(
            LoginSession.id_hash == _hash(secret),
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at < until,
        )
        .values(expires_at=until)
    )
    return rows_matched(moved) == 1


def end(session: Session, secret: str, now: datetime | None = None) -> None:
    session.execute(
        update(LoginSession)
        .where(LoginSession.id_hash == _hash(secret), LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
