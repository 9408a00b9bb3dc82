"""The tables of the coordinators' workspace (issue 4, migration 0004): needs and pledges, call
claims, inspections and their follow-up tasks, applications to open points, notifications and the
webhooks told about them, password resets.

Import them from `nezlam.store.tables`, which imports this module: importing that one puts every
table on `Base.metadata`, those they refer to included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nezlam.store.table_base import Base, BigId, utcnow


class Need(Base):
    """What a point lacks, posted by whoever runs it: an item, how much, how urgently."""

    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_status_urgency", "status", "urgency"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(32))  # vocabulary.NeedItem
    details: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))  # vocabulary.Urgency
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, met, cancelled
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()


class Pledge(Base):
    """An organisation's promise to bring (part of) a need, and whether it arrived."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    quantity: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(
        String(16), default="pledged"
    )  # pledged, delivered, withdrawn
    pledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class CallClaim(Base):
    """A coordinator's claim on a stale point to call it. Unfinished claims lapse at
    `expires_at` and the point returns to the pool; a finished one records the call's outcome."""

    __tablename__ = "call_claims"
    __table_args__ = (Index("ix_call_claims_point_expires", "point_id", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))  # vocabulary.CallOutcome
    note: Mapped[str | None] = mapped_column(String(300))


class Inspection(Base):
    """A visit with the checklist: each item passed or failed. Passing sets the point's
    `verified_at`; each failed item becomes a follow-up task."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    inspector_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    results: Mapped[dict[str, Any]] = mapped_column()  # {"generator": true, "heating": false, ...}
    notes: Mapped[str | None] = mapped_column(String(1000))
    passed: Mapped[bool] = mapped_column(Boolean)


class FollowUpTask(Base):
    __tablename__ = "follow_up_tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE")
    )
    item: Mapped[str] = mapped_column(String(32))  # vocabulary.InspectionItem
    note: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    priority: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    due_at: Mapped[datetime | None] = mapped_column()
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Application(Base):
    """An organisation asking to open point(s) itself. Its points stay hidden from every public
    view until a coordinator of `region` approves the application."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_region_status", "region", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the applicant's account
    region: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(1000))
    point_ids: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/approved/rejected
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(String(500))


class Notification(Base):
    """Something coordinators must see: a point turned full, closed, without power or low on
    fuel. Written in the same transaction as the report that caused it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_region_at", "region", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # vocabulary.NotificationKind
    at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Webhook(Base):
    """A URL told about notifications, each POST signed with HMAC-SHA256 over its body."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(120))  # None: every region
    kinds: Mapped[list[str] | None] = mapped_column(JSON)  # None: every kind
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/delivered/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))


class PasswordReset(Base):
    """A one-time link a coordinator or admin hands to a user; only its SHA-256 is kept."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
