"""One-time codes that link a staff member's chat to their account: shown in the workspace,
sent to the bot (`/start CODE`, or the t.me link that sends it), spent on first use.

A code is 8 characters of Crockford's base32 (no I, L, O or U), short enough to type from a
phone screen; typed in lower case, with spaces or dashes, or with O for 0 and I or L for 1, it
still counts. Only its SHA-256 is kept, so a copy of the database links no chat. A code works
once, for `TTL` (15 minutes); issuing a new one retires the user's earlier codes on the channel.
32^8 codes (about 10^12) in 15 minutes leave guessing to the bot's per-chat limits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Invalid
from nezlam.store import channel_links
from nezlam.store.actor import Actor
from nezlam.store.db import rows_matched
from nezlam.store.tables import LinkCode, User

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 8
TTL = timedelta(minutes=15)
# How people mistype a code: what Crockford's base32 reads each as, and what it leaves out.
READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "-": None, "\u00a0": None})


class CodeRefused(Invalid):
    """The code links nothing; `reason` is "unknown" (never issued, mistyped, replaced or
    already used), "expired" or "inactive" (its account was deactivated)."""

    MESSAGES = {
        "unknown": "this code is not known or was already used: show a new code in the workspace",
        "expired": "this code has expired: show a new code in the workspace",
        "inactive": "the account of this code is deactivated",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES[reason], field="code")
        self.reason = reason


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalised(typed: str) -> str:
    """A code as issued, from the ways people type it ("k7m2 qx9d", "K7M2-QX9D")."""
    return typed.strip().upper().translate(READ_AS)


def issue(session: Session, user_id: int, channel: str, now: datetime, ttl: timedelta = TTL) -> str:
    """A new code for the user on `channel` (to be shown once, never stored); the user's earlier
    codes for the channel stop working, and codes expired for anyone are cleared away."""
    session.execute(
        delete(LinkCode).where(
            (LinkCode.expires_at <= now)
            | ((LinkCode.user_id == user_id) & (LinkCode.channel == channel))
        )
    )
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    session.add(
        LinkCode(
            code_hash=_hash(code),
            user_id=user_id,
            channel=channel,
            expires_at=now + ttl,
            created_at=now,
        )
    )
    return code


def redeem(session: Session, channel: str, code: str, address: str, now: datetime) -> str:
    """Link `address` on `channel` to the account the code was issued for, spending the code;
    returns the account's username. CodeRefused (an Invalid naming "code") says why not; an
    address linked to another account is a Conflict, and the code stays usable."""
    typed = normalised(code)
    if len(typed) != LENGTH or any(char not in ALPHABET for char in typed):
        raise CodeRefused("unknown")
    digest = _hash(typed)
    found = waiting_code(session, channel, digest)
    if found is None:
        raise CodeRefused("unknown")
    user_id, expires_at = found
    if expires_at <= now:
        raise CodeRefused("expired")
    # Spent here, in the transaction that links: of two redeeming at once, one deletes the row
    # and the other (PostgreSQL: after waiting for the first to commit) deletes nothing.
    spent = session.execute(
        delete(LinkCode).where(LinkCode.code_hash == digest, LinkCode.channel == channel)
    )
    if rows_matched(spent) != 1:
        raise CodeRefused("unknown")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise CodeRefused("inactive")
    themself = Actor(f"user:{user.username}", user_id=user.id)
    channel_links.link(session, user.username, channel, address, themself, now)
    return user.username


def waiting_code(session: Session, channel: str, digest: str) -> tuple[int, datetime] | None:
    """(the user, when it expires) of a code issued and not yet spent."""
    row = session.execute(
        select(LinkCode.user_id, LinkCode.expires_at).where(
            LinkCode.code_hash == digest, LinkCode.channel == channel
        )
    ).one_or_none()
    return None if row is None else (row.user_id, row.expires_at)
