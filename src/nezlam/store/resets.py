"""One-time password reset links, handed over by a coordinator or an admin (we send nothing).

The link carries a long random token; only its SHA-256 is kept, so a copy of the database opens
no account. A link works once, for 24 hours; issuing a new one retires the user's earlier ones.
Setting the password ends every login session of that user (a stolen session dies with it).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Invalid, NotFound
from nezlam.store import accounts, audit
from nezlam.store.actor import Actor
from nezlam.store.db import rows_matched
from nezlam.store.tables import LoginSession, PasswordReset, User

LIFETIME = timedelta(hours=24)
MIN_PASSWORD = 10  # as accounts.set_password and UserCreate require
MAX_PASSWORD = 200  # as UserCreate: argon2 need not hash a page of text


class LinkRefused(NotFound):
    """The link cannot be used; `reason` is "unknown", "used", "expired" or "inactive"."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"this reset link is {reason}", field="token")
        self.reason = reason


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, user: User, actor: Actor, now: datetime) -> str:
    """A new reset link's token for `user` (to be shown once, never stored)."""
    session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            token_hash=_hash(token),
            user_id=user.id,
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    audit.record(
        session,
        actor=actor,
        entity="user",
        entity_id=user.id,
        action="issue_reset",
        before=None,
        after={"expires_at": (now + LIFETIME).isoformat()},
        at=now,
    )
    return token


def user_for(session: Session, token: str, now: datetime) -> User:
    """The user a usable link belongs to; LinkRefused says why it is not usable."""
    row = session.get(PasswordReset, _hash(token)) if token else None
    if row is None:
        raise LinkRefused("unknown")
    if row.used_at is not None:
        raise LinkRefused("used")
    if row.expires_at <= now:
        raise LinkRefused("expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LinkRefused("inactive")
    return user


def use(session: Session, token: str, password: str, now: datetime) -> User:
    """Set the password through the link, once: the link is spent in the same transaction (a
    conditional update, so two simultaneous uses cannot both succeed) and every login session
    of the user ends."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    user = user_for(session, token, now)
    spent = session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == _hash(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
    )
    if rows_matched(spent) != 1:
        raise LinkRefused("used")
    accounts.set_password(session, user, password, Actor(f"reset:{user.username}", user.id))
    end_sessions(session, user, now)
    return user


def end_sessions(session: Session, user: User, now: datetime) -> int:
    """End every login session of `user`; returns how many were still running."""
    ended = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return rows_matched(ended)
