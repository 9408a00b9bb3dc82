"""What a chat bot keeps about a resident's chat, and nothing more: the language it chose, and
what it follows — one point, or any point within a radius of a place — so that it can be told
when a point opens or closes. `forget_chat` (the bot's /stop) deletes all of it, with any
message still waiting for that chat.

When a report turns a point open, or closes it, `queue_turn` (called in the report's own
transaction, as notifications are) queues one message per chat that follows it: an event, which
the channel puts into words when it sends it (store never words anything). Only plainly public
points are matched by area: a protected point's place is not told to anyone by how near it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Invalid, NotFound
from nezlam.domain.vocabulary import Visibility
from nezlam.geo.distance import haversine_m
from nezlam.store import message_outbox
from nezlam.store.db import rows_matched
from nezlam.store.tables import (
    AlertChat,
    ChannelLink,
    ChatSetting,
    Point,
    Subscription,
    table_of,
)

SUBSCRIPTIONS = table_of(Subscription)
SETTINGS = table_of(ChatSetting)
AREA_RADIUS_M = 2_000  # "points near me": a walk of half an hour
MAX_PER_CHAT = 20  # follows one chat may keep
SAME_PLACE_M = 300.0  # an area followed again this near replaces the earlier one
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Followed:
    """One follow, as the chat sees it: a point (`point_id`, its names) or an area."""

    id: int
    point_id: str | None
    names: dict[str, str] | None
    lat: float | None
    lon: float | None
    radius_m: int | None


def language_of(session: Session, channel: str, chat: str) -> str | None:
    return session.execute(
        select(SETTINGS.c.language).where(SETTINGS.c.channel == channel, SETTINGS.c.chat == chat)
    ).scalar_one_or_none()


def languages_stamp(session: Session, channel: str) -> tuple[int, int]:
    """(how many chats chose a language, the newest choice's id): what changes with any
    choice made or forgotten, read cheaply on every poll."""
    count, newest = session.execute(
        select(func.count(), func.coalesce(func.max(SETTINGS.c.id), 0)).where(
            SETTINGS.c.channel == channel
        )
    ).one()
    return int(count), int(newest)


def languages(session: Session, channel: str) -> dict[str, str]:
    """Every chat's language choice on `channel`."""
    rows = session.execute(
        select(SETTINGS.c.chat, SETTINGS.c.language).where(SETTINGS.c.channel == channel)
    )
    return {chat: language for chat, language in rows}


def set_language(session: Session, channel: str, chat: str, language: str, now: datetime) -> None:
    session.execute(delete(SETTINGS).where(SETTINGS.c.channel == channel, SETTINGS.c.chat == chat))
    session.add(ChatSetting(channel=channel, chat=chat, language=language, created_at=now))


def _room_for_one(session: Session, channel: str, chat: str) -> None:
    held = session.execute(
        select(func.count())
        .select_from(SUBSCRIPTIONS)
        .where(SUBSCRIPTIONS.c.channel == channel, SUBSCRIPTIONS.c.chat == chat)
    ).scalar_one()
    if held >= MAX_PER_CHAT:
        raise Invalid(f"a chat follows at most {MAX_PER_CHAT} points and areas", field="follow")


def follow_point(
    session: Session, channel: str, chat: str, point_id: str, language: str, now: datetime
) -> Point:
    """Follow one point (again: nothing new); NotFound for a point the public cannot see."""
    point = session.get(Point, point_id)
    if point is None or point.visibility == Visibility.HIDDEN or point.published_at is None:
        raise NotFound(f"no point {point_id!r}", field="point_id")
    mine = (SUBSCRIPTIONS.c.channel == channel, SUBSCRIPTIONS.c.chat == chat)
    if session.execute(
        select(SUBSCRIPTIONS.c.id).where(*mine, SUBSCRIPTIONS.c.point_id == point_id)
    ).first():
        return point
    _room_for_one(session, channel, chat)
    session.add(
        Subscription(
            channel=channel,
            chat=chat,
            language=language,
            point_id=point_id,
            region=point.region,
            created_at=now,
        )
    )
    return point


def follow_area(
    session: Session,
    channel: str,
    chat: str,
    where: tuple[float, float],
    region: str | None,
    language: str,
    now: datetime,
    radius_m: int = AREA_RADIUS_M,
) -> None:
    """Follow every point within `radius_m` of `where`; an area followed before within
    SAME_PLACE_M is replaced rather than doubled. `region`: that of the points near it."""
    lat, lon = where
    mine = (SUBSCRIPTIONS.c.channel == channel, SUBSCRIPTIONS.c.chat == chat)
    for row in session.execute(
        select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.lat, SUBSCRIPTIONS.c.lon).where(
            *mine, SUBSCRIPTIONS.c.lat.is_not(None)
        )
    ):
        if haversine_m(lat, lon, row.lat, row.lon) <= SAME_PLACE_M:
            session.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == row.id))
    _room_for_one(session, channel, chat)
    session.add(
        Subscription(
            channel=channel,
            chat=chat,
            language=language,
            lat=round(lat, 4),  # about 10 m: enough to tell what is near, no more
            lon=round(lon, 4),
            radius_m=radius_m,
            region=region,
            created_at=now,
        )
    )


def of_chat(session: Session, channel: str, chat: str) -> list[Followed]:
    rows = session.execute(
        select(SUBSCRIPTIONS, Point.name)
        .outerjoin(Point, Point.id == SUBSCRIPTIONS.c.point_id)
        .where(SUBSCRIPTIONS.c.channel == channel, SUBSCRIPTIONS.c.chat == chat)
        .order_by(SUBSCRIPTIONS.c.id)
    )
    return [Followed(r.id, r.point_id, r.name, r.lat, r.lon, r.radius_m) for r in rows]


def unfollow(session: Session, channel: str, chat: str, subscription_id: int) -> None:
    result = session.execute(
        delete(SUBSCRIPTIONS).where(
            SUBSCRIPTIONS.c.id == subscription_id,
            SUBSCRIPTIONS.c.channel == channel,
            SUBSCRIPTIONS.c.chat == chat,
        )
    )
    if not rows_matched(result):
        raise NotFound("no such follow in this chat", field="follow")


def forget_chat(session: Session, channel: str, chat: str, user: str | None = None) -> bool:
    """Delete everything kept about a chat: follows, language, alerts sent to it, messages
    waiting for it, and — when `user` (the Telegram account writing) is linked to a staff
    account — that link. True when a staff link was deleted."""
    for table, where in (
        (SUBSCRIPTIONS, and_(SUBSCRIPTIONS.c.channel == channel, SUBSCRIPTIONS.c.chat == chat)),
        (SETTINGS, and_(SETTINGS.c.channel == channel, SETTINGS.c.chat == chat)),
    ):
        session.execute(delete(table).where(where))
    alerts = table_of(AlertChat)
    session.execute(delete(alerts).where(alerts.c.channel == channel, alerts.c.chat == chat))
    message_outbox.forget_destination(session, channel, chat)
    if user is None:
        return False
    links = table_of(ChannelLink)
    result = session.execute(
        delete(links).where(links.c.channel == channel, links.c.address == user)
    )
    return bool(rows_matched(result))


def _near(lat: float, lon: float) -> Any:
    """Area follows whose circle may hold (lat, lon): a box as wide as the largest radius,
    which the index on (lat, lon) narrows; the exact distance is checked after."""
    dlat = AREA_RADIUS_M * 2 / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return and_(
        SUBSCRIPTIONS.c.lat.between(lat - dlat, lat + dlat),
        SUBSCRIPTIONS.c.lon.between(lon - dlon, lon + dlon),
    )


def followers(session: Session, point: Any) -> list[tuple[str, str, str]]:
    """(channel, chat, language) of each chat that follows `point`, each once."""
    who = SUBSCRIPTIONS.c.point_id == point.id
    public = point.visibility == Visibility.PUBLIC
    if public:
        who = or_(who, _near(point.lat, point.lon))
    rows = session.execute(select(SUBSCRIPTIONS).where(who).order_by(SUBSCRIPTIONS.c.id))
    found: dict[tuple[str, str], str] = {}
    for row in rows:
        outside = row.point_id is None and (
            haversine_m(point.lat, point.lon, row.lat, row.lon) > (row.radius_m or 0)
        )
        if outside:
            continue
        found.setdefault((row.channel, row.chat), row.language)
    return [(channel, chat, lang) for (channel, chat), lang in found.items()]


def queue_turn(session: Session, point: Any, event: str, at: datetime) -> int:
    """Queue "opened" or "closed" for every chat that follows `point` (its state after the
    report); returns how many. Sent after answers and alerts (message_outbox.BULK)."""
    chats = followers(session, point)
    by_channel: dict[str, list[tuple[str, str]]] = {}
    for channel, chat, lang in chats:
        payload = {"event": event, "lang": lang, "point_id": point.id, "names": point.name}
        by_channel.setdefault(channel, []).append((chat, orjson.dumps(payload).decode()))
    for channel, messages in by_channel.items():
        message_outbox.enqueue_many(session, channel, messages, at)
    return len(chats)


def region_chats(session: Session, channel: str, region: str) -> list[str]:
    """Each chat that follows a point or an area in `region`, once (a broadcast's list)."""
    return list(
        session.execute(
            select(SUBSCRIPTIONS.c.chat)
            .where(SUBSCRIPTIONS.c.channel == channel, SUBSCRIPTIONS.c.region == region)
            .distinct()
            .order_by(SUBSCRIPTIONS.c.chat)
        ).scalars()
    )
