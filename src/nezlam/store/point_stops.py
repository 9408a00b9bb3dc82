"""The stops of a mobile point's schedule (issue 12): added and removed by those who answer for
the point (audited), read for the residents' pages a minute at a time, and held against where
its device says it is (`store.device_positions`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Invalid, NotFound
from nezlam.domain.mobile_stops import Stop, window_problem
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.tables import Point, PointStop

PLACE_MAX = 200


def add_stop(session: Session, point_id: str, stop: Stop, actor: Actor, now: datetime) -> PointStop:
    """A stop of a mobile point; refuses a fixed point, a window that cannot be, a place too
    long, naming the field."""
    point = session.get(Point, point_id)
    if point is None:
        raise NotFound(f"no point with id {point_id!r}", field="point")
    if point.kind != "mobile":
        raise Invalid("only a mobile point has stops", field="point")
    problem = window_problem(stop.start, stop.end)
    if problem:
        raise Invalid(problem, field="ends_at")
    if not (-90 <= stop.lat <= 90 and -180 <= stop.lon <= 180):
        raise Invalid("a position in degrees: lat -90..90, lon -180..180", field="position")
    place = (stop.place or "").strip() or None
    if place is not None and (len(place) > PLACE_MAX or "\x00" in place):
        raise Invalid(f"a place is at most {PLACE_MAX} characters", field="place")
    row = PointStop(point_id=point_id, starts_at=stop.start, ends_at=stop.end, lat=stop.lat,
                    lon=stop.lon, place=place, created_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    after = {"point_id": point_id, "starts_at": stop.start.isoformat(),
             "ends_at": stop.end.isoformat(), "lat": stop.lat, "lon": stop.lon,
             "place": place}  # fmt: skip
    audit.record(session, actor=actor, entity="stop", entity_id=row.id, action="create",
                 before=None, after=after, at=now)  # fmt: skip
    return row


def remove_stop(session: Session, stop_id: int, actor: Actor, now: datetime) -> str:
    """Remove a stop; returns its point's id."""
    row = session.get(PointStop, stop_id)
    if row is None:
        raise NotFound(f"no stop {stop_id}", field="stop")
    audit.record(session, actor=actor, entity="stop", entity_id=row.id, action="delete",
                 before={"point_id": row.point_id, "starts_at": row.starts_at.isoformat()},
                 after=None, at=now)  # fmt: skip
    session.delete(row)
    return row.point_id


def stop_of(row: PointStop) -> Stop:
    return Stop(row.starts_at, row.ends_at, row.lat, row.lon, row.place, row.id)


def stops_of(session: Session, point_id: str, after: datetime) -> list[PointStop]:
    """The point's stops that end after `after`, in time order."""
    query = select(PointStop).where(PointStop.point_id == point_id, PointStop.ends_at > after)
    return list(session.execute(query.order_by(PointStop.starts_at)).scalars())


def upcoming(session: Session, after: datetime, until: datetime) -> dict[str, list[Stop]]:
    """Every point's stops on at some moment between `after` and `until`, by point."""
    query = select(PointStop).where(PointStop.ends_at > after, PointStop.starts_at < until)
    found: dict[str, list[Stop]] = {}
    for row in session.execute(query.order_by(PointStop.starts_at)).scalars():
        found.setdefault(row.point_id, []).append(stop_of(row))
    return found
