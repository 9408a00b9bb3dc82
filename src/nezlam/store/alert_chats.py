"""The chats the coordinators' notifications go to (a point turned full, closed, without power,
low on fuel): a coordinator's own chat (`user_id`: their regions, looked up when a point turns)
or a region's channel or group (`region`, None for every region). Queued in the report's own
transaction, as webhook deliveries are, as events the channel words when it sends them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import NotificationKind, Role
from nezlam.store import message_outbox
from nezlam.store.db import rows_matched
from nezlam.store.tables import AlertChat, RoleGrant, table_of

ALERTS = table_of(AlertChat)
GRANTS = table_of(RoleGrant)


def add(
    session: Session,
    channel: str,
    chat: str,
    region: str | None,
    language: str,
    user_id: int | None,
    now: datetime,
    kinds: list[str] | None = None,
) -> None:
    """Send alerts to `chat` (again: replaces what it had)."""
    session.execute(delete(ALERTS).where(ALERTS.c.channel == channel, ALERTS.c.chat == chat))
    session.add(
        AlertChat(
            channel=channel,
            chat=chat,
            user_id=user_id,
            region=region,
            kinds=kinds,
            language="en" if language == "en" else "uk",
            created_at=now,
        )
    )


def remove(session: Session, channel: str, chat: str) -> None:
    result = session.execute(
        delete(ALERTS).where(ALERTS.c.channel == channel, ALERTS.c.chat == chat)
    )
    if not rows_matched(result):
        raise NotFound(f"no alerts go to {chat}", field="chat")


def of_chat(session: Session, channel: str, chat: str) -> Any | None:
    """What alerts `chat` gets now (its row), or None."""
    return session.execute(
        select(ALERTS).where(ALERTS.c.channel == channel, ALERTS.c.chat == chat)
    ).first()


def may_change(principal: Principal, row: Any | None) -> bool:
    """Whether `principal` may change or stop a chat's alerts: anyone who may have alerts, for
    a chat with none; a coordinator's own chat, its owner; a region's, that region's
    coordinators; every region's, an admin. (An admin may change any.)"""
    if row is None or principal.is_admin:
        return True
    if row.user_id is not None:
        return bool(row.user_id == principal.user_id)
    return row.region is not None and principal.coordinates_region(row.region)


def wants(row: Any, region: str, kind: str, coordinated: dict[int, set[str | None]]) -> bool:
    """Whether an alert chat gets `kind` for a point in `region`: a coordinator's chat for the
    regions they coordinate (an admin's for all), a region's chat for its region."""
    if row.kinds is not None and kind not in row.kinds:
        return False
    if row.user_id is not None:
        regions = coordinated.get(row.user_id, set())
        return None in regions or region in regions
    return row.region in (None, region)


def coordinated_regions(session: Session, user_ids: set[int]) -> dict[int, set[str | None]]:
    """Each user's coordinator regions (None: an admin, everywhere)."""
    found: dict[int, set[str | None]] = {}
    if not user_ids:
        return found
    rows = session.execute(
        select(GRANTS.c.user_id, GRANTS.c.role, GRANTS.c.region).where(
            GRANTS.c.user_id.in_(user_ids), GRANTS.c.role.in_([Role.COORDINATOR, Role.ADMIN])
        )
    )
    for user_id, role, region in rows:
        found.setdefault(user_id, set()).add(None if role == Role.ADMIN else region)
    return found


def queue(
    session: Session,
    point: Any,
    kinds: Sequence[NotificationKind],
    now: datetime,
    more: Mapping[str, Any] | None = None,
) -> int:
    """Queue an alert per kind for every alert chat that wants it, with `more` in the event
    (an outage's start and end, for the channel's words); returns how many."""
    rows = session.execute(select(ALERTS)).all()
    if not rows:
        return 0
    coordinated = coordinated_regions(session, {r.user_id for r in rows if r.user_id is not None})
    queued = 0
    for kind in kinds:
        about = {"event": "alert", "kind": str(kind), "point_id": point.id, "names": point.name}
        about |= {"region": point.region, "locality": point.locality, **(more or {})}
        for row in rows:
            if wants(row, point.region, str(kind), coordinated):
                text = orjson.dumps({**about, "lang": row.language}).decode()
                message_outbox.enqueue(session, row.channel, row.chat, text, now)
                queued += 1
    return queued
