"""Needs posted and closed by whoever answers for their point, the lock that makes changes to a
need take turns, and the audit record that every change to a need or a pledge goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import NEED_ITEMS, URGENCY_ORDER, Urgency
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.needs.visibility import answering_point
from nezlam.store.tables import Need, Pledge

NEED_FIELDS = ("point_id", "item", "quantity", "unit", "urgency", "details", "status", "closed_at")
PLEDGE_FIELDS = ("need_id", "organisation_id", "quantity", "note", "status", "delivered_at")
MAX_QUANTITY = 1_000_000.0
CLOSED_STATES = ("met", "cancelled")


@dataclass(frozen=True)
class NeedInput:
    """A need as posted; the web form checks it field by field first, `check` is the backstop."""

    item: str
    quantity: float
    urgency: str
    unit: str | None = None
    details: str | None = None

    def check(self) -> None:
        if self.item not in NEED_ITEMS:
            raise Invalid(f"unknown item {self.item!r}", field="item")
        if not 0 < self.quantity <= MAX_QUANTITY:
            raise Invalid(f"must be more than 0 and at most {MAX_QUANTITY:g}", field="quantity")
        if self.urgency not in URGENCY_ORDER:
            raise Invalid(f"unknown urgency {self.urgency!r}", field="urgency")
        if self.unit is not None and len(self.unit) > 16:
            raise Invalid("at most 16 characters", field="unit")
        if self.details is not None and len(self.details) > 300:
            raise Invalid("at most 300 characters", field="details")


def locked_need(session: Session, need_id: int) -> Need | None:
    """The need, its row locked until commit on PostgreSQL (SQLite has one writer at a time), and
    read afresh: closing it, pledging on it and delivering to it take turns, so two deliveries at
    once still add up to "met", and nothing is pledged on a need closed a moment before."""
    query = select(Need).where(Need.id == need_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def record_change(
    session: Session,
    actor: Actor,
    entity: str,
    row: Need | Pledge,
    action: str,
    before: dict[str, Any] | None,
    now: datetime,
) -> None:
    fields = NEED_FIELDS if entity == "need" else PLEDGE_FIELDS
    audit.record(
        session,
        actor=actor,
        entity=entity,
        entity_id=row.id,
        action=action,
        before=before,
        after=audit.snapshot(row, fields),
        at=now,
    )


def post_need(
    session: Session, point_id: str, data: NeedInput, principal: Principal, now: datetime
) -> Need:
    answering_point(session, point_id, principal)
    return add_need(session, point_id, data, Actor.of(principal), now)


def add_need(session: Session, point_id: str, data: NeedInput, actor: Actor, now: datetime) -> Need:
    data.check()
    need = Need(
        point_id=point_id,
        item=data.item,
        quantity=data.quantity,
        unit=data.unit if data.unit is not None else NEED_ITEMS[data.item]["unit"],
        urgency=str(Urgency(data.urgency)),
        details=data.details or None,
        status="open",
        posted_at=now,
        posted_by=actor.user_id,
    )
    session.add(need)
    session.flush()
    record_change(session, actor, "need", need, "create", None, now)
    return need


def close_need(
    session: Session, point_id: str, need_id: int, status: str, principal: Principal, now: datetime
) -> Need:
    """Met or cancelled, by whoever answers for the point."""
    if status not in CLOSED_STATES:
        raise Invalid(f"must be one of {', '.join(CLOSED_STATES)}", field="status")
    answering_point(session, point_id, principal)
    need = locked_need(session, need_id)
    if need is None or need.point_id != point_id:
        raise NotFound(f"no need {need_id} at this point", field="need")
    if need.status != "open":
        raise Conflict("this need is already closed", field="need")
    before = audit.snapshot(need, NEED_FIELDS)
    need.status, need.closed_at = status, now
    record_change(session, Actor.of(principal), "need", need, status, before, now)
    return need
