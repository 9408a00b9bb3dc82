"""The tables of the message channels (migrations 0007, 0008): the staff's addresses on a channel
linked to their accounts, the messages waiting to go out, and what a chat bot keeps: a chat's
language, subscriptions, one-time link codes, the chats alerts go to, broadcasts, and residents'
answers and comments after a visit.

Import them from `nezlam.store.tables`, which imports this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nezlam.store.table_base import Base, BigId, utcnow


class ChannelLink(Base):
    """A staff member's address on a channel (an SMS number in E.164, a chat id): what they
    send from it is theirs (store/channel_links.py). One account per address."""

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_channel_links_address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message waiting to go out through a channel; deleted once sent or given up
    (store/message_outbox.py)."""

    __tablename__ = "outbox_messages"
    # The order a claim takes them in (store/message_outbox.claim_due), id last: a broadcast's
    # rows share one due time, and without it PostgreSQL sorts the whole queue for each claim.
    __table_args__ = (
        Index("ix_outbox_messages_due", "channel", "priority", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    """The words (SMS), or the call to make as JSON (Telegram: text and buttons)."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """0 first (answers, alerts), then 1 (broadcasts, subscribers' notices): a broadcast to
    50,000 chats never holds up an answer someone is waiting for."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))


class ChatSetting(Base):
    """A chat's own choice of language (`/lang`): all a bot keeps about a resident's chat that
    is no subscription. Deleted by `/stop`."""

    __tablename__ = "chat_settings"
    __table_args__ = (UniqueConstraint("channel", "chat", name="uq_chat_settings_chat"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """A chat that asked to be told when a point opens or closes: one point (`point_id`), or
    any point within `radius_m` of a place (`lat`, `lon`; `region` is the region of the points
    near it, for a coordinator's broadcast). Only the chat and what the subscription needs;
    deleted by `/stop`."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_chat", "channel", "chat"),
        Index("ix_subscriptions_near", "lat", "lon"),
        Index("ix_subscriptions_region", "channel", "region"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="uk")
    point_id: Mapped[str | None] = mapped_column(
        ForeignKey("points.id", ondelete="CASCADE"), index=True
    )
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code shown in the workspace that links a chat to an account when the chat
    sends it (`/start CODE`); kept hashed, short-lived, used once."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertChat(Base):
    """A chat the coordinators' notifications (full, closed, no power, low fuel) go to: a
    coordinator's own chat (`user_id`, for the regions they coordinate) or a region's channel
    (`region`; None for every region). `kinds` None: every kind."""

    __tablename__ = "alert_chats"
    __table_args__ = (UniqueConstraint("channel", "chat", name="uq_alert_chats_chat"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    region: Mapped[str | None] = mapped_column(String(120))
    kinds: Mapped[list[str] | None] = mapped_column()
    language: Mapped[str] = mapped_column(String(8), default="uk")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """A coordinator's message to a region's subscribers: a draft until confirmed, then queued
    (one outbox message per chat, in one transaction), so a restart resumes it."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft, queued, cancelled
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column()


class VisitAnswer(Base):
    """A resident's four quick answers after a visit — was it open, warm, could they charge,
    was there internet (each yes, no or not said) — counted like visitor signals: nothing about
    who answered."""

    __tablename__ = "visit_answers"
    __table_args__ = (Index("ix_visit_answers_point_at", "point_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # "web", "telegram"
    was_open: Mapped[bool | None] = mapped_column(Boolean)
    warm: Mapped[bool | None] = mapped_column(Boolean)
    charged: Mapped[bool | None] = mapped_column(Boolean)
    internet: Mapped[bool | None] = mapped_column(Boolean)


class VisitComment(Base):
    """A resident's free words after a visit: waits for a coordinator of the point's region to
    publish or reject it (`status`: pending, published, rejected)."""

    __tablename__ = "visit_comments"
    __table_args__ = (Index("ix_visit_comments_status", "status", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="uk")
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column()
