"""Needs and pledges: what a point lacks, which organisation promised to bring it, whether it came.

Who answers for a point (its operators, its region's coordinators, admins) posts and closes its
needs. Members of an organisation (donors, NGOs: a user whose `organisation_id` is set) pledge
against needs they may see and mark their pledges delivered; once delivered pledges reach the
quantity asked for, the need is met. Every change is in the audit log ("need", "pledge").

Who sees a need follows the point's visibility, as the public API does: a public point's needs
with its address, a protected (`locality_only`) point's with its locality only and without the
operator's free-text details, a hidden point's never — except for the coordinators of its region.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.orm import Session

from nezlam.domain import permissions
from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import NEED_ITEMS, URGENCY_ORDER, Urgency, Visibility
from nezlam.store import audit
from nezlam.store.actor import DEMO, Actor
from nezlam.store.points import get_point, scope_of
from nezlam.store.tables import Need, Organisation, Pledge, Point, User

NEED_FIELDS = ("point_id", "item", "quantity", "unit", "urgency", "details", "status", "closed_at")
PLEDGE_FIELDS = ("need_id", "organisation_id", "quantity", "note", "status", "delivered_at")
MAX_QUANTITY = 1_000_000.0
CLOSED_STATES = ("met", "cancelled")
BOARD_LIMIT = 1000


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


@dataclass(frozen=True)
class Viewer:
    """Who looks at needs: the principal, and the organisation they belong to, if any."""

    principal: Principal
    organisation_id: int | None = None

    @property
    def is_member(self) -> bool:
        return self.organisation_id is not None

    @property
    def may_see_board(self) -> bool:
        principal = self.principal
        return self.is_member or principal.is_admin or bool(principal.regions)


@dataclass
class PledgeLine:
    pledge: Pledge
    organisation: str | None


@dataclass
class NeedSummary:
    """A need with its point, its pledges, and what the viewer may learn of the point."""

    need: Need
    point: Point
    precision: str  # "exact": address and details shown; "locality": only the locality
    pledges: list[PledgeLine] = field(default_factory=list)

    def total(self, *statuses: str) -> float:
        return sum(
            line.pledge.quantity or 0 for line in self.pledges if line.pledge.status in statuses
        )

    @property
    def pledged(self) -> float:
        """Promised and not withdrawn, delivered included."""
        return self.total("pledged", "delivered")

    @property
    def delivered(self) -> float:
        return self.total("delivered")

    @property
    def remaining(self) -> float | None:
        if self.need.quantity is None:
            return None
        return max(self.need.quantity - self.pledged, 0.0)

    @property
    def details(self) -> str | None:
        """The operator's words may say where to bring things: not for a protected point."""
        return self.need.details if self.precision == "exact" else None

    @property
    def place(self) -> str:
        return (self.point.address if self.precision == "exact" else None) or self.point.locality


def public_precision(point: Point) -> str | None:
    """What anyone may learn of a point: all of a public one, the locality of a protected one."""
    return {Visibility.PUBLIC: "exact", Visibility.LOCALITY_ONLY: "locality"}.get(
        Visibility(point.visibility)
    )


def board_precision(viewer: Viewer, point: Point) -> str | None:
    """A coordinator sees all of their regions' points; an organisation member, the public view."""
    if viewer.principal.coordinates_region(point.region):
        return "exact"
    return public_precision(point) if viewer.is_member else None


def viewer_of(session: Session, principal: Principal) -> Viewer:
    organisation_id = session.execute(
        select(User.organisation_id).where(User.id == principal.user_id)
    ).scalar()
    return Viewer(principal, organisation_id)


def organisation_name(session: Session, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    return session.execute(
        select(Organisation.name).where(Organisation.id == organisation_id)
    ).scalar()


# --- Writes --------------------------------------------------------------------------------------


def _locked_need(session: Session, need_id: int) -> Need | None:
    """The need, its row locked until commit on PostgreSQL (SQLite has one writer at a time), and
    read afresh: closing it, pledging on it and delivering to it take turns, so two deliveries at
    once still add up to "met", and nothing is pledged on a need closed a moment before."""
    query = select(Need).where(Need.id == need_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _answering_point(session: Session, point_id: str, principal: Principal) -> Point:
    """The point, if the principal answers for it (operators, coordinators, admins)."""
    point = get_point(session, point_id)
    if not permissions.can_report(principal, scope_of(point)):
        raise Forbidden("you may not manage this point's needs", field="point_id")
    return point


def _audit(
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
    _answering_point(session, point_id, principal)
    return _add_need(session, point_id, data, Actor.of(principal), now)


def _add_need(
    session: Session, point_id: str, data: NeedInput, actor: Actor, now: datetime
) -> Need:
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
    _audit(session, actor, "need", need, "create", None, now)
    return need


def close_need(
    session: Session, point_id: str, need_id: int, status: str, principal: Principal, now: datetime
) -> Need:
    """Met or cancelled, by whoever answers for the point."""
    if status not in CLOSED_STATES:
        raise Invalid(f"must be one of {', '.join(CLOSED_STATES)}", field="status")
    _answering_point(session, point_id, principal)
    need = _locked_need(session, need_id)
    if need is None or need.point_id != point_id:
        raise NotFound(f"no need {need_id} at this point", field="need")
    if need.status != "open":
        raise Conflict("this need is already closed", field="need")
    before = audit.snapshot(need, NEED_FIELDS)
    need.status, need.closed_at = status, now
    _audit(session, Actor.of(principal), "need", need, status, before, now)
    return need


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
    return _add_pledge(
        session, need, viewer.organisation_id, quantity, note, Actor.of(principal), now
    )


def _add_pledge(
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
    _audit(session, actor, "pledge", row, "create", None, now)
    return row


def _visible_open_need(session: Session, need_id: int, viewer: Viewer) -> Need:
    need = _locked_need(session, need_id)
    if need is None or board_precision(viewer, get_point(session, need.point_id)) is None:
        raise NotFound(f"no need {need_id}", field="need")
    if need.status != "open":
        raise Conflict("this need is already closed", field="need")
    return need


def _locked_pledge(session: Session, pledge_id: int) -> tuple[Need, Pledge]:
    """A pledge and its need, the need's row locked first (as every change to a need's
    pledges does), the pledge read fresh after the lock."""
    need_id = session.execute(select(Pledge.need_id).where(Pledge.id == pledge_id)).scalar()
    need = _locked_need(session, need_id) if need_id is not None else None
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
    _deliver(session, row, need, actor, now)
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
    _audit(session, Actor.of(principal), "pledge", row, "withdraw", before, now)
    return row


def _deliver(session: Session, row: Pledge, need: Need, actor: Actor, now: datetime) -> None:
    before = audit.snapshot(row, PLEDGE_FIELDS)
    row.status, row.delivered_at = "delivered", now
    _audit(session, actor, "pledge", row, "deliver", before, now)
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
        _audit(session, actor, "need", need, "met", need_before, now)


# --- Reads ---------------------------------------------------------------------------------------


def _with_pledges(session: Session, summaries: list[NeedSummary]) -> list[NeedSummary]:
    by_need = {s.need.id: s for s in summaries}
    if not by_need:
        return summaries
    rows = session.execute(
        select(Pledge, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Pledge.organisation_id)
        .where(Pledge.need_id.in_(list(by_need)))
        .order_by(Pledge.id)
    )
    for row, name in rows:
        by_need[row.need_id].pledges.append(PledgeLine(row, name))
    return summaries


def _open_needs(session: Session, *conditions: ColumnElement[bool]) -> list[tuple[Need, Point]]:
    """Open needs with their points: the most urgent first, then the longest waiting."""
    urgency = case({str(k): v for k, v in URGENCY_ORDER.items()}, value=Need.urgency, else_=9)
    query = (
        select(Need, Point)
        .join(Point, Point.id == Need.point_id)
        .where(Need.status == "open", *conditions)
        .order_by(urgency, Need.posted_at, Need.id)
        .limit(BOARD_LIMIT)
    )
    return [(need, point) for need, point in session.execute(query)]


def needs_of_point(session: Session, point_id: str, principal: Principal) -> list[NeedSummary]:
    """A point's open needs with every pledge, for whoever answers for the point."""
    _answering_point(session, point_id, principal)
    rows = _open_needs(session, Need.point_id == point_id)
    return _with_pledges(session, [NeedSummary(n, p, "exact") for n, p in rows])


def board(session: Session, viewer: Viewer) -> list[NeedSummary]:
    """Every open need the viewer may see, most urgent first, then the oldest."""
    principal = viewer.principal
    conditions: list[ColumnElement[bool]] = []
    if not principal.is_admin:
        allowed: list[ColumnElement[bool]] = []
        if principal.regions:
            allowed.append(Point.region.in_(sorted(principal.regions)))
        if viewer.is_member:
            allowed.append(Point.visibility != str(Visibility.HIDDEN))
        if not allowed:
            return []
        conditions.append(or_(*allowed))
    summaries = []
    for need, point in _open_needs(session, *conditions):
        precision = board_precision(viewer, point)
        if precision is not None:
            summaries.append(NeedSummary(need, point, precision))
    return _with_pledges(session, summaries)


def public_needs(session: Session) -> list[NeedSummary]:
    """Open needs of public and protected points, as anyone may see them."""
    rows = _open_needs(session, Point.visibility != str(Visibility.HIDDEN))
    summaries = [NeedSummary(n, p, public_precision(p) or "locality") for n, p in rows]
    return _with_pledges(session, summaries)


# --- The demo ------------------------------------------------------------------------------------

# (point id, item, quantity, urgency, details, hours ago, pledges: (organisation slug, share, done))
DEMO_NEEDS = [
    ("kyiv-shevchenko-park-yurt", "diesel", 200, "critical",
     "Генератор працює цілодобово, пального на одну ніч", 3, [("volunteers-kyiv", 0.5, False)]),
    ("kyiv-shevchenko-park-yurt", "tea", 40, "normal", None, 30, [("teplo-cafe", 0.5, True)]),
    ("kyiv-shevchenko-park-yurt", "power_banks", 20, "high", None, 20, []),
    ("bucha-yurt", "blankets", 30, "high", "Вночі приходять родини з дітьми", 8,
     [("kz-yurts", 0.4, True)]),
    ("bucha-yurt", "water", 300, "normal", None, 50, []),
]  # fmt: skip
DEMO_GENERATED_ITEMS = ["diesel", "water", "heaters", "power_banks", "first_aid", "volunteers"]


def demo_needs(session: Session, now: datetime) -> int:
    """A few believable needs and pledges on the demo network's points; returns how many needs.
    Points that do not exist (a smaller demo) are skipped."""
    organisations = dict(session.execute(select(Organisation.slug, Organisation.id)).all())
    existing = set(session.execute(select(Point.id)).scalars())
    rng = random.Random(20221122)
    plan = list(DEMO_NEEDS)
    for i, n in enumerate(range(2, 40, 3)):  # a handful of the generated points
        item = DEMO_GENERATED_ITEMS[i % len(DEMO_GENERATED_ITEMS)]
        quantity = {"diesel": 150, "water": 200, "volunteers": 4}.get(item, rng.choice([5, 10, 20]))
        urgency = ("high", "normal", "critical", "normal", "normal")[i % 5]
        plan.append((f"kyiv-{n:04d}", item, quantity, urgency, None, 2 + i * 5, []))
    added = 0
    for point_id, item, quantity, urgency, details, hours, pledges in plan:
        if point_id not in existing:
            continue
        posted = now - timedelta(hours=hours)
        need = _add_need(
            session,
            point_id,
            NeedInput(item, float(quantity), urgency, None, details),
            DEMO,
            posted,
        )
        added += 1
        for slug, share, done in pledges:
            row = _add_pledge(
                session, need, organisations.get(slug), quantity * share, None, DEMO, posted
            )
            if done:
                _deliver(session, row, need, DEMO, posted + timedelta(hours=1))
    return added
