"""Writes and reads of points: the only code that changes a point's details."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from nezlam.domain import opening_hours
from nezlam.domain.errors import Conflict, Invalid, NotFound
from nezlam.domain.permissions import PointScope, Principal
from nezlam.domain.points import PointCreate, PointFields, PointUpdate
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.db import next_change_seq
from nezlam.store.tables import Organisation, Point, PointPosition, utcnow

DETAIL_FIELDS = (
    "name", "category", "kind", "anchor", "organisation_id", "phone", "lat", "lon", "address",
    "locality", "region", "timezone", "visibility", "services", "capacity", "opening_hours",
    "notes", "external_id", "fuel_tank_litres", "outage_region", "outage_queue",
)  # fmt: skip
STATE_FIELDS = (
    "status", "power", "heating", "internet", "occupancy", "fuel_litres", "updated_at",
    "verified_at", "flagged_at",
)  # fmt: skip

REQUIRED_FIELDS = frozenset(
    {
        "name",
        "category",
        "kind",
        "anchor",
        "lat",
        "lon",
        "locality",
        "region",
        "timezone",
        "visibility",
        "services",
    }
)


def new_point_id() -> str:
    """Random, URL-safe, never reused: 'p-' and 10 base-32 characters."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "p-" + "".join(secrets.choice(alphabet) for _ in range(10))


def get_point(session: Session, point_id: str, *, for_update: bool = False) -> Point:
    query = select(Point).where(Point.id == point_id)
    if for_update and session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    point = session.execute(query).scalar_one_or_none()
    if point is None:
        raise NotFound(f"no point with id {point_id!r}", field="id")
    return point


def scope_of(point: Point) -> PointScope:
    return PointScope(id=point.id, region=point.region, organisation_id=point.organisation_id)


def organisation_id_for(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = session.execute(select(Organisation.id).where(Organisation.slug == slug)).scalar()
    if found is None:
        raise Invalid(f"no organisation with slug {slug!r}", field="organisation")
    return int(found)


def _apply_fields(session: Session, point: Point, data: PointFields) -> None:
    values = data.model_dump(exclude_unset=True, exclude={"organisation", "id"})
    if "organisation" in data.model_fields_set:
        point.organisation_id = organisation_id_for(session, data.organisation)
    for name, value in values.items():
        if name in REQUIRED_FIELDS and value is None:
            raise Invalid("must not be null", field=name)
        if name == "opening_hours" and value == "":
            value = None
        setattr(point, name, value.value if hasattr(value, "value") else value)


def mark_published(point: Point, now: datetime) -> None:
    """Remember when the public could first see the point (see Point.published_at)."""
    if point.visibility != "hidden" and point.published_at is None:
        point.published_at = now


def create_point(
    session: Session,
    data: PointCreate,
    actor: Actor,
    *,
    demo: bool = False,
    now: datetime | None = None,
) -> Point:
    now = now or utcnow()
    point_id = data.id or new_point_id()
    _check_ids_are_free(session, point_id, data.external_id)
    point = Point(id=point_id, demo=demo, created_at=now, edited_at=now, services=[])
    point.kind = "stationary"
    point.visibility = "public"
    point.timezone = "Europe/Kyiv"
    point.anchor = False
    _apply_fields(session, point, data)
    mark_published(point, now)
    session.add(point)
    if point.kind == "mobile":
        _record_position(session, point, actor, now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="point",
        entity_id=point.id,
        action="create",
        before=None,
        after=audit.snapshot(point, DETAIL_FIELDS),
        at=now,
    )
    point.change_seq = next_change_seq(session)
    return point


def _check_ids_are_free(session: Session, point_id: str, external_id: str | None) -> None:
    """A new point's id, and its external_id if it has one, must not be another point's."""
    if session.get(Point, point_id) is not None:
        raise Conflict(f"a point with id {point_id!r} already exists", field="id")
    if external_id and find_by_external_id(session, external_id) is not None:
        raise Conflict(
            f"a point with external_id {external_id!r} already exists", field="external_id"
        )


def _record_position(session: Session, point: Point, actor: Actor, now: datetime) -> None:
    """Add where a mobile point is now to its track of positions."""
    session.add(
        PointPosition(
            point_id=point.id,
            lat=point.lat,
            lon=point.lon,
            recorded_at=now,
            recorded_by=actor.user_id,
        )
    )


def update_point(
    session: Session, point_id: str, data: PointUpdate, actor: Actor, now: datetime | None = None
) -> Point:
    now = now or utcnow()
    point = get_point(session, point_id, for_update=True)
    before = audit.snapshot(point, DETAIL_FIELDS)
    _check_update(session, point, data)
    _apply_fields(session, point, data)
    mark_published(point, now)
    after = audit.snapshot(point, DETAIL_FIELDS)
    if after == before:
        return point
    moved = (before["lat"], before["lon"]) != (after["lat"], after["lon"])
    if moved and point.kind == "mobile":
        _record_position(session, point, actor, now)
    point.edited_at = now
    audit.record(
        session,
        actor=actor,
        entity="point",
        entity_id=point.id,
        action="update",
        before=before,
        after=after,
        at=now,
    )
    point.change_seq = next_change_seq(session)
    return point


def _check_update(session: Session, point: Point, data: PointUpdate) -> None:
    """Refuse, before anything changes, opening hours that do not parse in the point's own time
    zone and an external_id another point already has."""
    if data.opening_hours and "timezone" not in data.model_fields_set:
        # Hours were validated against Kyiv time; check them in the point's own zone.
        try:
            opening_hours.validate(data.opening_hours, point.timezone)
        except opening_hours.OpeningHoursError as exc:
            raise Invalid(str(exc), field="opening_hours") from exc
    if data.external_id:
        holder = find_by_external_id(session, data.external_id)
        if holder is not None and holder.id != point.id:
            raise Conflict(
                f"external_id {data.external_id!r} belongs to point {holder.id!r}",
                field="external_id",
            )


def find_by_external_id(session: Session, external_id: str) -> Point | None:
    return session.execute(
        select(Point).where(Point.external_id == external_id)
    ).scalar_one_or_none()


def positions(session: Session, point_id: str) -> list[PointPosition]:
    return list(
        session.execute(
            select(PointPosition)
            .where(PointPosition.point_id == point_id)
            .order_by(PointPosition.id)
        ).scalars()
    )


def count_points(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Point)).scalar_one())


def iter_points(session: Session, since_seq: int = 0, batch: int = 5000) -> Iterator[Point]:
    """Points changed after `since_seq`, in change order, read in batches. One transaction's
    points share a number, so pages continue by (number, id)."""
    last_seq, last_id = since_seq, ""
    while True:
        after = Point.change_seq > last_seq
        if last_id:
            after = or_(after, and_(Point.change_seq == last_seq, Point.id > last_id))
        query = select(Point).where(after).order_by(Point.change_seq, Point.id).limit(batch)
        rows = list(session.execute(query).scalars())
        yield from rows
        if len(rows) < batch:
            return
        last_seq, last_id = rows[-1].change_seq, rows[-1].id


def organisation_names(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(Organisation.id, Organisation.name))}


def as_dict(point: Point) -> dict[str, Any]:
    return {column.name: getattr(point, column.name) for column in Point.__table__.columns}


def points_in_charge(session: Session, principal: Principal, limit: int = 200) -> list[Point]:
    """The points a person answers for: all (admin), their regions' (coordinator), their own or
    their organisation's (operator); the longest unconfirmed first."""
    query = select(Point)
    if not principal.is_admin:
        point_ids = [g.point_id for g in principal.grants if g.point_id]
        org_ids = [g.organisation_id for g in principal.grants if g.organisation_id]
        conditions = []
        if principal.regions:
            conditions.append(Point.region.in_(sorted(principal.regions)))
        if point_ids:
            conditions.append(Point.id.in_(point_ids))
        if org_ids:
            conditions.append(Point.organisation_id.in_(org_ids))
        if not conditions:
            return []
        query = query.where(or_(*conditions))
    query = query.order_by(Point.verified_at.is_not(None), Point.verified_at, Point.id).limit(limit)
    return list(session.execute(query).scalars())
