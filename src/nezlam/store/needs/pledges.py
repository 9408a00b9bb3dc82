"""Pledges: an organisation's members promise (part of) an open need they may see, mark it
delivered or take it back; once delivered pledges reach the quantity asked for, the need is met."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain import permissions
from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.needs.posting import (
    MAX_QUANTITY,
    NEED_FIELDS,
    PLEDGE_FIELDS,
    locked_need,
    record_change,
)
from nezlam.store.needs.visibility import Viewer, board_precision, viewer_of
from nezlam.store.points import get_point, scope_of
from nezlam.store.tables import Need, Pledge


def pledge(
    session: Session,
    need_id: int,
    quantity: float,
    note: str | None,
    principal: Principal,
    now: datetime,
) -> Pledge:
    """An organisation member promises (part of) an open need they can see."""
    viewer = viewer_of(session, principal)
    if not viewer.is_member:
        raise Forbidden("only members of an organisation can pledge", field="organisation")
    need = _visible_open_need(session, need_id, viewer)
    if not 0 < quantity <= MAX_QUANTITY:
        raise Invalid(f"must be more than 0 and at most {MAX_QUANTITY:g}", field="quantity")
    if note is not None and len(note) > 300:
        raise Invalid("at most 300 characters", field="note")
    return add_pledge(
        session, need, viewer.organisation_id, quantity, note, Actor.of(principal), now
    )


def add_pledge(
    session: Session,
    need: Need,
    organisation_id: int | None,
    quantity: float,
    note: str | None,
    actor: Actor,
    now: datetime,
) -> Pledge:
    row = Pledge(
        need_id=need.id,
        organisation_id=organisation_id,
        user_id=actor.user_id,
        quantity=quantity,
        note=note or None,
        status="pledged",
        pledged_at=now,
    )
    session.add(row)
    session.flush()
    record_change(session, actor, "pledge", row, "create", None, now)
    return row


def _visible_open_need(session: Session, need_id: int, viewer: Viewer) -> Need:
    need = locked_need(session, need_id)
    if need is None or board_precision(viewer, get_point(session, need.point_id)) is None:
        raise NotFound(f"no need {need_id}", field="need")
    if need.status != "open":
        raise Conflict("this need is already closed", field="need")
    return need


def _locked_pledge(session: Session, pledge_id: int) -> tuple[Need, Pledge]:
    """A pledge and its need, the need's row locked first (as every change to a need's
    pledges does), the pledge read fresh after the lock."""
    need_id = session.execute(select(Pledge.need_id).where(Pledge.id == pledge_id)).scalar()
    need = locked_need(session, need_id) if need_id is not None else None
    if need is None:
        raise NotFound(f"no pledge {pledge_id}", field="pledge")
    row = session.execute(
        select(Pledge).where(Pledge.id == pledge_id).execution_options(populate_existing=True)
    ).scalar_one()
    return need, row


def mark_delivered(session: Session, pledge_id: int, principal: Principal, now: datetime) -> Pledge:
    """The pledging organisation's members, or whoever answers for the point, say it arrived.
    Once delivered pledges reach the quantity asked for, the need is met."""
    need, row = _locked_pledge(session, pledge_id)
    point = get_point(session, need.point_id)
    viewer = viewer_of(session, principal)
    ours = viewer.is_member and viewer.organisation_id == row.organisation_id
    if not ours and not permissions.can_report(principal, scope_of(point)):
        raise Forbidden("you may not mark this pledge delivered", field="pledge")
    if row.status != "pledged":
        raise Conflict("this pledge is already delivered or withdrawn", field="pledge")
    actor = Actor.of(principal)
    deliver(session, row, need, actor, now)
    return row


def withdraw_pledge(
    session: Session, pledge_id: int, principal: Principal, now: datetime
) -> Pledge:
    """Plans change: the pledging organisation's members take back a pledge not yet delivered.
    Its quantity is needed again (it leaves `pledged`); only they may, not the point's people,
    who should not cancel someone else's promise."""
    need, row = _locked_pledge(session, pledge_id)
    viewer = viewer_of(session, principal)
    if not (viewer.is_member and viewer.organisation_id == row.organisation_id):
        raise Forbidden("only the pledging organisation may withdraw its pledge", field="pledge")
    if row.status != "pledged":
        raise Conflict("this pledge is already delivered or withdrawn", field="pledge")
    before = audit.snapshot(row, PLEDGE_FIELDS)
    row.status = "withdrawn"
    record_change(session, Actor.of(principal), "pledge", row, "withdraw", before, now)
    return row


def deliver(session: Session, row: Pledge, need: Need, actor: Actor, now: datetime) -> None:
    before = audit.snapshot(row, PLEDGE_FIELDS)
    row.status, row.delivered_at = "delivered", now
    record_change(session, actor, "pledge", row, "deliver", before, now)
    session.flush()
    delivered = sum(
        p.quantity or 0
        for p in session.execute(
            select(Pledge).where(Pledge.need_id == need.id, Pledge.status == "delivered")
        ).scalars()
    )
    if need.status == "open" and need.quantity is not None and delivered >= need.quantity:
        need_before = audit.snapshot(need, NEED_FIELDS)
        need.status, need.closed_at = "met", now
        record_change(session, actor, "need", need, "met", need_before, now)
