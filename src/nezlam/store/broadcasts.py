"""A coordinator's message to the chats that follow points in their region: a draft first (the
coordinator sees it as residents will, and how many chats it goes to), then queued when they
confirm — one outbox message per chat, in one transaction, so that a restart resumes the
broadcast where it stopped and sends no chat the same broadcast twice (beyond the outbox's own
at-least-once) — or cancelled.

Confirming is a conditional `UPDATE … WHERE status = 'draft'`: a second confirm (Telegram
repeating its webhook call, a double tap, two processes) queues nothing more, on SQLite and
PostgreSQL alike. Each queued message is an event (`{"event": "broadcast", "broadcast": id,
"lang", "region", "text"}`) the channel words when it sends it, in the chat's own language; the
id in it is what `progress` counts by, as no table says which messages a broadcast queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.store import audit, message_outbox, subscriptions
from nezlam.store.actor import Actor
from nezlam.store.db import rows_matched
from nezlam.store.tables import Broadcast, Point, table_of

BROADCASTS = table_of(Broadcast)
TEXT_MAX = 1000  # characters a coordinator may say in one broadcast
DRAFT, QUEUED, CANCELLED = "draft", "queued", "cancelled"


@dataclass(frozen=True)
class Decided:
    """A broadcast after a confirm or a cancel: its state, and whether this call changed it
    (False: it was queued or cancelled already, and nothing more was done)."""

    id: int
    region: str
    text: str
    status: str
    recipients: int
    changed: bool


def clean_text(text: str) -> str:
    """The words as sent: stripped, 1 to TEXT_MAX characters, no NUL (which PostgreSQL's text
    refuses and no chat shows)."""
    words = text.strip()
    if "\x00" in words:
        raise Invalid("a broadcast cannot contain a NUL character", field="text")
    if not 0 < len(words) <= TEXT_MAX:
        raise Invalid(f"a broadcast is 1 to {TEXT_MAX} characters", field="text")
    return words


def check_allowed(principal: Principal, region: str) -> None:
    """Only a coordinator of the region, or an admin, speaks to its followers."""
    if not principal.coordinates_region(region):
        raise Forbidden(f"only coordinators of {region} send it broadcasts", field="region")


def known_regions(session: Session) -> list[str]:
    """The regions there are points in: what a region named in a command is matched against."""
    return list(session.execute(select(Point.region).distinct().order_by(Point.region)).scalars())


def draft(
    session: Session, channel: str, region: str, text: str, principal: Principal, now: datetime
) -> Broadcast:
    """A draft of `text` to the chats following points in `region`; `recipients` is how many
    follow now (the number is counted again when it is confirmed)."""
    words = clean_text(text)
    region = region.strip()
    check_allowed(principal, region)
    broadcast = Broadcast(
        channel=channel,
        region=region,
        text=words,
        user_id=principal.user_id,
        status=DRAFT,
        recipients=len(subscriptions.region_chats(session, channel, region)),
        created_at=now,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def _own(session: Session, broadcast_id: int, principal: Principal) -> Broadcast:
    """The broadcast, if `principal` may decide it: its author, or an admin, while they may
    still speak to its region."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id}", field="broadcast")
    mine = broadcast.user_id == principal.user_id or principal.is_admin
    if not mine:
        raise Forbidden("only its author or an admin decides a broadcast", field="broadcast")
    check_allowed(principal, broadcast.region)
    return broadcast


def _decide(session: Session, broadcast_id: int, status: str, now: datetime) -> bool:
    """draft → `status`, only from a draft: of two calls at once, one wins."""
    values: dict[str, object] = {"status": status}
    if status == QUEUED:
        values["queued_at"] = now
    result = session.execute(
        update(BROADCASTS)
        .where(BROADCASTS.c.id == broadcast_id, BROADCASTS.c.status == DRAFT)
        .values(**values)
    )
    return rows_matched(result) == 1


def chat_languages(session: Session, channel: str, region: str) -> dict[str, str]:
    """Each chat following something in `region`, once, with the language to write to it in:
    the one it chose (/lang), else that of its newest follow there."""
    subs, settings = subscriptions.SUBSCRIPTIONS, subscriptions.SETTINGS
    rows = session.execute(
        select(subs.c.chat, subs.c.language, settings.c.language.label("chosen"))
        .outerjoin(
            settings, and_(settings.c.channel == subs.c.channel, settings.c.chat == subs.c.chat)
        )
        .where(subs.c.channel == channel, subs.c.region == region)
        .order_by(subs.c.chat, subs.c.id)
    )
    return {row.chat: row.chosen or row.language for row in rows}  # the newest follow last


def payload(broadcast_id: int, lang: str, region: str, text: str) -> str:
    """One chat's message, as the channel words it when it sends it (telegram.message_of)."""
    about = {"event": "broadcast", "broadcast": broadcast_id, "lang": lang}
    return orjson.dumps({**about, "region": region, "text": text}).decode()


def confirm(session: Session, broadcast_id: int, principal: Principal, now: datetime) -> Decided:
    """Queue the draft: one BULK message per chat following points in its region now."""
    broadcast = _own(session, broadcast_id, principal)
    if not _decide(session, broadcast_id, QUEUED, now):
        session.refresh(broadcast)
        return decided(broadcast, changed=False)
    region, text = broadcast.region, broadcast.text
    chats = chat_languages(session, broadcast.channel, region)
    messages = [(chat, payload(broadcast_id, lang, region, text)) for chat, lang in chats.items()]
    queued = message_outbox.enqueue_many(session, broadcast.channel, messages, now)
    session.execute(
        update(BROADCASTS).where(BROADCASTS.c.id == broadcast_id).values(recipients=queued)
    )
    session.refresh(broadcast)
    audit.record(
        session,
        actor=Actor.of(principal),
        entity="broadcast",
        entity_id=broadcast_id,
        action="queue",
        before=None,
        after={"channel": broadcast.channel, "region": region, "text": text, "recipients": queued},
        at=now,
    )
    return decided(broadcast, changed=True)


def cancel(session: Session, broadcast_id: int, principal: Principal, now: datetime) -> Decided:
    """Drop the draft; one already queued is not taken back (changed False)."""
    broadcast = _own(session, broadcast_id, principal)
    changed = _decide(session, broadcast_id, CANCELLED, now)
    session.refresh(broadcast)
    if changed:
        audit.record(
            session,
            actor=Actor.of(principal),
            entity="broadcast",
            entity_id=broadcast_id,
            action="cancel",
            before={"status": DRAFT},
            after={"status": CANCELLED},
            at=now,
        )
    return decided(broadcast, changed)


def decided(broadcast: Broadcast, changed: bool) -> Decided:
    return Decided(
        broadcast.id,
        broadcast.region,
        broadcast.text,
        broadcast.status,
        broadcast.recipients,
        changed,
    )


def status_of(session: Session, broadcast_id: int, principal: Principal) -> Decided:
    """A broadcast as it is, for someone who may speak to its region."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id}", field="broadcast")
    check_allowed(principal, broadcast.region)
    return decided(broadcast, changed=False)


def progress(session: Session, broadcast_id: int) -> int:
    """How many of a broadcast's messages still wait (delivered and given-up ones are deleted
    from the outbox). A scan of the outbox by the id in each message's JSON: for a coordinator
    asking now and then, never on a hot path."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id}", field="broadcast")
    messages = message_outbox.MESSAGES
    marker = f'%"broadcast":{int(broadcast_id)},%'  # payload puts "lang" after it: the comma
    count = (
        select(func.count())
        .select_from(messages)
        .where(messages.c.channel == broadcast.channel, messages.c.text.like(marker))
    )
    return int(session.execute(count).scalar_one())
