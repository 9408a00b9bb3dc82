"""A mobile point moved by its device (issue 12): a tent, a vehicle or one of the railway's
invincibility carriages whose phone or tracker sends where it is with its pings (the OsmAnd /
Traccar fields: lat, lon, accuracy). The point moves on the map and into its track of positions
without anyone typing; its status, `updated_at` and `verified_at` stay as they are — a device
knows where it is, not whether the point is open.

Only a point whose kind is mobile is moved: a fixed point's address is people's word, and a
device in a pocket must not carry it off. A fix vaguer than `ACCURACY_MAX_M` moves nothing (a
phone's coarse network position), nor does a step within the fix's own accuracy or
`MOVE_MIN_M` (the jitter of a parked vehicle), so a point standing still writes nothing.

A device far from the stop its point's schedule has under way (`OFF_STOP_M`) flags that stop
once and tells the coordinators (a notification of kind `off_stop`): residents were told the
point is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nezlam.domain.vocabulary import NotificationKind
from nezlam.geo.distance import haversine_m
from nezlam.store import notifications
from nezlam.store.db import next_change_seq
from nezlam.store.tables import Point, PointPosition, PointStop, table_of

POINTS = table_of(Point)
ACCURACY_MAX_M = 250.0
MOVE_MIN_M = 25.0
OFF_STOP_M = 500.0  # a device this far from its stop under way: coordinators are told


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    accuracy: float | None
    at: datetime


def moves(lat: float, lon: float, fix: Fix) -> bool:
    """Whether `fix` moves a mobile point standing at (lat, lon)."""
    if fix.accuracy is not None and fix.accuracy > ACCURACY_MAX_M:
        return False
    step = float(haversine_m(lat, lon, fix.lat, fix.lon))
    return step > max(MOVE_MIN_M, fix.accuracy or 0.0)


def move_mobile_points(session: Session, fixes: dict[str, Fix]) -> list[str]:
    """Move each mobile point of `fixes` (its device's latest) that it moves; returns them."""
    if not fixes:
        return []
    found = session.execute(
        select(POINTS.c.id, POINTS.c.lat, POINTS.c.lon).where(
            POINTS.c.id.in_(sorted(fixes)), POINTS.c.kind == "mobile"
        )
    )
    mobile = list(found)
    check_stops(session, {row.id: fixes[row.id] for row in mobile})
    moved = [row.id for row in mobile if moves(row.lat, row.lon, fixes[row.id])]
    for point_id in moved:
        fix = fixes[point_id]
        session.execute(
            update(POINTS)
            .where(POINTS.c.id == point_id)
            .values(lat=fix.lat, lon=fix.lon, change_seq=next_change_seq(session))
        )
        session.add(PointPosition(point_id=point_id, lat=fix.lat, lon=fix.lon, recorded_at=fix.at))
    return moved


def check_stops(session: Session, fixes: dict[str, Fix]) -> list[int]:
    """Flag each stop under way that its point's device is far from (beyond `OFF_STOP_M` and
    the fix's accuracy), once per stop: coordinators are told. Returns the stops flagged."""
    if not fixes:
        return []
    times = {fix.at for fix in fixes.values()}
    stops = session.execute(
        select(PointStop).where(
            PointStop.point_id.in_(sorted(fixes)),
            PointStop.starts_at <= max(times),
            PointStop.ends_at > min(times),
            PointStop.off_stop_at.is_(None),
        )
    ).scalars()
    flagged = []
    for stop in stops:
        fix = fixes[stop.point_id]
        if not stop.starts_at <= fix.at < stop.ends_at:
            continue
        off_by = float(haversine_m(stop.lat, stop.lon, fix.lat, fix.lon))
        if off_by > max(OFF_STOP_M, fix.accuracy or 0.0):
            stop.off_stop_at = fix.at
            tell_off_stop(session, stop, round(off_by), fix.at)
            flagged.append(stop.id)
    return flagged


def tell_off_stop(session: Session, stop: PointStop, off_by: int, now: datetime) -> None:
    point = session.get(Point, stop.point_id)
    more = {"stop_place": stop.place, "stop_starts_at": stop.starts_at.isoformat(),
            "stop_ends_at": stop.ends_at.isoformat(), "off_by_m": off_by}  # fmt: skip
    kinds = [NotificationKind.OFF_STOP]
    notifications.notify(session, point, kinds, now, notifications.rules_of(session), more)
