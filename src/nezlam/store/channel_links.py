"""A person's address on a message channel (a phone number for SMS, a chat for Telegram) linked to
their Nezlam account, so that what they send there is theirs: an operator's "OPEN" by SMS is a
report by that operator, with their permissions, like one sent from the web.

Only staff are linked; a resident who writes is never looked up beyond this table and never
written anywhere. An address is linked to one account at a time.
"""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.store import accounts, audit
from nezlam.store.actor import Actor
from nezlam.store.db import rows_matched
from nezlam.store.tables import ChannelLink, User, table_of

LINKS = table_of(ChannelLink)
DEFAULT_REGION = "UA"  # a number typed without a country code is Ukrainian
ADDRESS_MAX = 64  # as channel_links.address holds (a Telegram user id has up to 20 digits)


def phone_number(typed: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 ("+380671234567") from the ways people type it ("067 123 45 67",
    "+380 (67) 123-45-67", "380671234567"); Invalid when it is no possible number."""
    try:
        parsed = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"{typed!r} is not a phone number", field="phone") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise Invalid(f"{typed!r} is not a possible phone number", field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def sender_address(channel: str, sender: str) -> str | None:
    """How a sender is kept in the links: an SMS sender as E.164; None for a sender that is no
    phone number (an alphanumeric sender id), which no one can be linked to."""
    if channel != "sms":
        return sender
    try:
        return phone_number(sender)
    except Invalid:
        return None


def principal_for_sender(session: Session, channel: str, sender: str) -> Principal | None:
    """The account a sender is linked to, with its grants; None for everyone else."""
    address = sender_address(channel, sender)
    if address is None:
        return None
    user = session.execute(
        select(User)
        .join(ChannelLink, ChannelLink.user_id == User.id)
        .where(ChannelLink.channel == channel, ChannelLink.address == address)
        .where(User.is_active.is_(True))
    ).scalar_one_or_none()
    return None if user is None else accounts.principal_for(session, user)


def link(
    session: Session, username: str, channel: str, address: str, actor: Actor, now: datetime
) -> str:
    """Link `address` on `channel` to the account; returns the address as kept."""
    user = accounts.get_user(session, username)
    kept = phone_number(address) if channel == "sms" else address.strip()
    if not 0 < len(kept) <= ADDRESS_MAX:
        raise Invalid(f"a chat is 1 to {ADDRESS_MAX} characters", field=field_of(channel))
    taken = session.execute(
        select(LINKS.c.user_id).where(LINKS.c.channel == channel, LINKS.c.address == kept)
    ).scalar_one_or_none()
    if taken is not None and taken != user.id:
        raise Conflict(f"{kept} is already linked to another account", field=field_of(channel))
    if taken is None:
        session.add(ChannelLink(user_id=user.id, channel=channel, address=kept, created_at=now))
        audit.record(
            session,
            actor=actor,
            entity="channel_link",
            entity_id=f"{channel}:{masked(kept)}",
            action="link",
            before=None,
            after={"user": username, "channel": channel},
            at=now,
        )
    return kept


def unlink(session: Session, channel: str, address: str, actor: Actor, now: datetime) -> None:
    kept = sender_address(channel, address) or address
    result = session.execute(
        delete(LINKS).where(LINKS.c.channel == channel, LINKS.c.address == kept)
    )
    if not rows_matched(result):
        raise NotFound(f"{kept} is not linked on {channel}", field=field_of(channel))
    audit.record(
        session,
        actor=actor,
        entity="channel_link",
        entity_id=f"{channel}:{masked(kept)}",
        action="unlink",
        before={"channel": channel},
        after=None,
        at=now,
    )


def unlink_of_user(
    session: Session, user_id: int, channel: str, address: str, actor: Actor, now: datetime
) -> None:
    """Unlink one of the user's own addresses (Forbidden for anyone else's, or one not linked):
    what the workspace's "Unlink" and the users page check before unlinking."""
    if sender_address(channel, address) not in links_of(session, user_id, channel):
        raise Forbidden(f"that address is not linked to this user on {channel}", field_of(channel))
    unlink(session, channel, address, actor, now)


def field_of(channel: str) -> str:
    """The field a refusal names: the phone number on SMS, the chat on a chat channel."""
    return "phone" if channel == "sms" else "chat"


def masked(address: str) -> str:
    """An address as the audit log names it: enough to tell two apart, not to dial
    ("+38067…567")."""
    return address if len(address) <= 8 else f"{address[:6]}…{address[-3:]}"


def links_of(session: Session, user_id: int, channel: str) -> list[str]:
    return list(
        session.execute(
            select(LINKS.c.address)
            .where(LINKS.c.user_id == user_id, LINKS.c.channel == channel)
            .order_by(LINKS.c.address)
        ).scalars()
    )


def addresses_by_user(session: Session, user_ids: list[int], channel: str) -> dict[int, list[str]]:
    """Each user's linked addresses on `channel`, in order (the users page shows them)."""
    found: dict[int, list[str]] = {}
    rows = session.execute(
        select(LINKS.c.user_id, LINKS.c.address)
        .where(LINKS.c.user_id.in_(user_ids), LINKS.c.channel == channel)
        .order_by(LINKS.c.address)
    )
    for user_id, address in rows:
        found.setdefault(user_id, []).append(address)
    return found
