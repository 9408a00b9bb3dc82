"""Messages waiting to go out through a message channel (an SMS answer through a gateway that does
not take answers inline, later a chat's broadcast): in the database, so that they survive a
restart and several processes never send one twice at once (the lease, as webhook deliveries
have it).

A message is deleted once it is delivered or given up: a resident's number and the words sent
to it are kept only while they wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from nezlam.store.db import rows_matched
from nezlam.store.tables import OutboxMessage, table_of

MESSAGES = table_of(OutboxMessage)


URGENT, BULK = 0, 1
"""Priorities: answers and alerts go before broadcasts and subscribers' notices."""


def enqueue(
    session: Session,
    channel: str,
    destination: str,
    text: str,
    now: datetime,
    priority: int = URGENT,
) -> int:
    """Queue one message; returns its id (the key the gateway dedupes on)."""
    message = OutboxMessage(
        channel=channel,
        destination=destination,
        text=text,
        priority=priority,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    session.flush()
    return message.id


def enqueue_many(
    session: Session,
    channel: str,
    messages: list[tuple[str, str]],
    now: datetime,
    priority: int = BULK,
) -> int:
    """Queue (destination, text) messages in one statement (a broadcast); returns how many."""
    if messages:
        rows = [
            {
                "channel": channel,
                "destination": destination,
                "text": text,
                "priority": priority,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for destination, text in messages
        ]
        session.execute(insert(MESSAGES), rows)
    return len(messages)


def forget_destination(session: Session, channel: str, destination: str) -> int:
    """Delete everything waiting for one destination (a chat that said /stop)."""
    result = session.execute(
        delete(MESSAGES).where(MESSAGES.c.channel == channel, MESSAGES.c.destination == destination)
    )
    return int(rows_matched(result))


def _due(channel: str, now: datetime) -> Any:
    return and_(
        MESSAGES.c.channel == channel,
        MESSAGES.c.next_attempt_at <= now,
        or_(MESSAGES.c.locked_until.is_(None), MESSAGES.c.locked_until <= now),
    )


def any_due(session: Session, channel: str, now: datetime) -> bool:
    return (
        session.execute(select(MESSAGES.c.id).where(_due(channel, now)).limit(1)).first()
        is not None
    )


def claim_due(
    session: Session, channel: str, now: datetime, lease: timedelta, limit: int
) -> list[Any]:
    """Take up to `limit` due messages of `channel` until `now + lease`, counting the attempt;
    returns them (id, attempts, locked_until, destination, text), oldest first."""
    ids = list(
        session.execute(
            select(MESSAGES.c.id)
            .where(_due(channel, now))
            .order_by(MESSAGES.c.priority, MESSAGES.c.next_attempt_at, MESSAGES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not ids:
        return []
    until = now + lease
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id.in_(ids))
        .values(locked_until=until, attempts=MESSAGES.c.attempts + 1)
    )
    return list(
        session.execute(
            select(
                MESSAGES.c.id,
                MESSAGES.c.attempts,
                MESSAGES.c.locked_until,
                MESSAGES.c.destination,
                MESSAGES.c.text,
            )
            .where(MESSAGES.c.id.in_(ids))
            .order_by(MESSAGES.c.id)
        )
    )


def finish(session: Session, message_id: int, lease: datetime) -> bool:
    """Delivered or given up: forget it, if the lease is still ours."""
    result = session.execute(
        delete(MESSAGES).where(MESSAGES.c.id == message_id, MESSAGES.c.locked_until == lease)
    )
    return bool(rows_matched(result))


def retry_at(
    session: Session, message_id: int, lease: datetime, when: datetime, error: str | None
) -> bool:
    """Try again at `when`, if the lease is still ours."""
    result = session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == message_id, MESSAGES.c.locked_until == lease)
        .values(next_attempt_at=when, locked_until=None, last_error=(error or "")[:300] or None)
    )
    return bool(rows_matched(result))


def waiting(session: Session, channel: str) -> int:
    """How many messages of the channel wait (health, tests)."""
    count = select(func.count()).select_from(MESSAGES).where(MESSAGES.c.channel == channel)
    return int(session.execute(count).scalar_one())
