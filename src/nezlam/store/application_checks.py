"""What a coordinator should know before approving an applied point: the points already there —
within NEARBY_M of it, or with the same name in its locality — so that one place is not opened
twice under two names, nor two places under one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from nezlam.domain.point_view import pick_name
from nezlam.domain.transliteration import fold
from nezlam.geo.distance import haversine_m
from nezlam.store.tables import Point

NEARBY_M = 100.0
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Existing:
    """A point already in the database that an applied one may duplicate."""

    point: Point
    distance_m: float
    same_name: bool
    nearby: bool


def _names(point: Point) -> set[str]:
    return {fold(name) for name in (point.name or {}).values() if name and fold(name)}


def possible_duplicates(
    session: Session, applied: Point, exclude: Sequence[str] = (), radius_m: float = NEARBY_M
) -> list[Existing]:
    """Points other than `applied` (and `exclude`, the rest of its application) within
    `radius_m` of it, or in its locality with one of its names (in any language, spelled in
    any script), nearest first. One indexed box query on the position, one on the locality."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(applied.lat)), 0.01))
    near_box = and_(
        Point.lat.between(applied.lat - dlat, applied.lat + dlat),
        Point.lon.between(applied.lon - dlon, applied.lon + dlon),
    )
    candidates = session.execute(
        select(Point).where(
            Point.id.not_in([applied.id, *exclude]),
            or_(near_box, Point.locality == applied.locality),
        )
    ).scalars()
    names = _names(applied)
    found = []
    for point in candidates:
        distance = float(haversine_m(applied.lat, applied.lon, point.lat, point.lon))
        nearby, same_name = distance <= radius_m, bool(names & _names(point))
        if nearby or same_name:
            found.append(Existing(point, distance, same_name, nearby))
    return sorted(found, key=lambda e: (e.distance_m, pick_name(e.point.name, "uk")))
