"""A point's generators and the fuel delivered to it (issue 13), both audited.

Adding or removing a generator writes onto the point what its runway is read by: the litres an
hour its sets burn (`points.fuel_use_lph`) and, when every tank is known, the fuel they hold
(`points.fuel_tank_litres`, which a fuel reading may not exceed). The point takes a change
number, so every worker's index shows the new runway at its next poll.

A delivery is recorded like a report: the litres in the tanks now (the last reading less what
ran since, `domain.fuel_runway`) plus those delivered, at most what the tanks hold, become the
point's new fuel reading, through `store.reports.add_report` (source "delivery"), so the
runway, the history and the notifications follow as for any report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import NotFound
from nezlam.domain.fuel import DeliveryCreate, GeneratorCreate
from nezlam.domain.fuel_runway import (
    Fuel,
    Generator,
    point_consumption,
    point_runway,
    tank_litres,
)
from nezlam.domain.points import ReportCreate
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.db import next_change_seq
from nezlam.store.points import get_point
from nezlam.store.reports import add_report
from nezlam.store.tables import FuelDelivery, Point, PointGenerator

GENERATOR_FIELDS = ("label", "rated_kw", "fuel", "tank_litres", "litres_per_hour", "backup")


def generators_of(session: Session, point_id: str) -> list[PointGenerator]:
    query = select(PointGenerator).where(PointGenerator.point_id == point_id)
    return list(session.execute(query.order_by(PointGenerator.id)).scalars())


def as_generator(row: PointGenerator) -> Generator:
    return Generator(
        rated_kw=row.rated_kw,
        fuel=Fuel(row.fuel),
        tank_litres=row.tank_litres,
        litres_per_hour=row.litres_per_hour,
        backup=row.backup,
    )


def add_generator(
    session: Session, point_id: str, data: GeneratorCreate, actor: Actor, now: datetime
) -> PointGenerator:
    point = _point(session, point_id)
    values = data.model_dump()
    values["fuel"] = str(values["fuel"])
    values["label"] = (values["label"] or "").strip() or None
    row = PointGenerator(point_id=point_id, created_at=now, **values)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="generator", entity_id=row.id, action="create",
                 before=None, after={"point_id": point_id, **values}, at=now)  # fmt: skip
    _recount(session, point)
    return row


def remove_generator(session: Session, generator_id: int, actor: Actor, now: datetime) -> str:
    """Remove a generator; returns its point's id."""
    row = session.get(PointGenerator, generator_id)
    if row is None:
        raise NotFound(f"no generator {generator_id}", field="generator")
    before = {"point_id": row.point_id, **{name: getattr(row, name) for name in GENERATOR_FIELDS}}
    audit.record(session, actor=actor, entity="generator", entity_id=row.id, action="delete",
                 before=before, after=None, at=now)  # fmt: skip
    session.delete(row)
    session.flush()
    _recount(session, _point(session, row.point_id))
    return row.point_id


def _point(session: Session, point_id: str) -> Point:
    point = session.get(Point, point_id)
    if point is None:
        raise NotFound(f"no point with id {point_id!r}", field="point")
    return point


def _recount(session: Session, point: Point) -> None:
    """Write the point's consumption and tanks from its generators, with a change number."""
    sets = [as_generator(row) for row in generators_of(session, point.id)]
    point.fuel_use_lph = point_consumption(sets)
    tanks = tank_litres(sets)
    if tanks is not None:
        point.fuel_tank_litres = int(round(tanks))
    point.change_seq = next_change_seq(session)


@dataclass(frozen=True)
class Delivered:
    delivery: FuelDelivery
    litres_before: float | None  # in the tanks just before, as estimated
    litres_after: float
    report: Any


def record_delivery(
    session: Session,
    point_id: str,
    data: DeliveryCreate,
    actor: Actor,
    now: datetime,
) -> Delivered:
    """Record fuel brought to a point, making its new fuel reading (see the module's words)."""
    point = get_point(session, point_id, for_update=True)  # no report slips in between
    before = litres_now(point, now)
    total = (before or 0.0) + data.litres
    if point.fuel_tank_litres is not None:
        total = min(total, float(point.fuel_tank_litres))
    report, _created, _point_after = add_report(
        session, point_id, ReportCreate(fuel_litres=round(total, 1)), actor,
        source="delivery", now=now,
    )  # fmt: skip
    delivery = FuelDelivery(point_id=point_id, litres=data.litres, delivered_at=now,
                            delivered_by=(data.delivered_by or "").strip() or None,
                            recorded_by=actor.user_id, report_id=report.id)  # fmt: skip
    session.add(delivery)
    session.flush()
    audit.record(session, actor=actor, entity="fuel_delivery", entity_id=delivery.id,
                 action="create", before=None,
                 after={"point_id": point_id, "litres": data.litres,
                        "delivered_by": delivery.delivered_by}, at=now)  # fmt: skip
    return Delivered(delivery, before, round(total, 1), report)


def litres_now(point: Any, now: datetime) -> float | None:
    """The litres in the point's tanks at `now`: its last reading, less what its generators
    burnt since when their consumption is known."""
    found = point_runway(point, now, reserve=timedelta(0))
    return found.litres_left if found is not None else point.fuel_litres


def deliveries_of(session: Session, point_id: str, limit: int = 20) -> list[FuelDelivery]:
    query = select(FuelDelivery).where(FuelDelivery.point_id == point_id)
    newest = query.order_by(FuelDelivery.delivered_at.desc(), FuelDelivery.id.desc())
    return list(session.execute(newest.limit(limit)).scalars())
