"""What hides a protected point: the one place that decides it.

A `locality_only` point (a shelter near the front, a point whose address would make it a
target) is public, but never its address nor its position: the public learns its locality, and
its distance from the asker rounded to a kilometre (a walk on the streets to 100 m), measured
from the grid cell that holds it (`domain.point_view.coarse_position`), never from where it is.
Its operators and coordinators see everything (`features.private_properties`).
"""

from __future__ import annotations

from nezlam.domain.point_view import PointView, coarse_position

EXACT, LOCALITY = "exact", "locality"


def shown_address(view: PointView) -> str | None:
    return None if view.protected else view.address


def shown_position(view: PointView) -> tuple[float, float] | None:
    """(lat, lon) the public sees as the point's geometry: none at all for a protected point."""
    return None if view.protected else (view.lat, view.lon)


def location_precision(view: PointView) -> str:
    return LOCALITY if view.protected else EXACT


def published_distance(metres: float, protected: bool) -> float:
    """A straight-line distance as the public reads it: whole metres, or a protected point's
    to the kilometre (so distances from several places cannot place it)."""
    return round(metres, -3) if protected else round(metres)


def published_walk(metres: float, protected: bool) -> float:
    """A walk on the streets as the public reads it: whole metres, a protected point's to
    100 m (the walk ends where the point's grid cell meets the streets)."""
    return round(metres, -2) if protected else round(metres)


def masked_whereabouts(
    lat: float, lon: float, address: str | None, hidden: bool
) -> tuple[float, float, str | None]:
    """(lat, lon, address) for a record that must keep a position (an export's columns): the
    grid cell and no address when the exact place is `hidden` from whoever receives it."""
    if not hidden:
        return lat, lon, address
    cell_lat, cell_lon = coarse_position(lat, lon)
    return cell_lat, cell_lon, None
