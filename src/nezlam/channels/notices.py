"""A notification as every channel tells it (a `Notice`), made in one place so that no channel
can say more than the others: a point that is not plainly public (protected, `locality_only`,
or hidden) never gives its address or coordinates, only its locality and region."""

from __future__ import annotations

from typing import Any

from nezlam.channels.interface import Notice
from nezlam.domain.vocabulary import Visibility


def notice_of(row: Any) -> Notice:
    """The notice of one claimed delivery's row: its notification (`notification_id`, `kind`,
    `at`, `details`: the point's state when it turned) and its `Point`."""
    point = row.Point
    about: dict[str, Any] = {
        "id": point.id,
        "name": point.name,
        "region": point.region,
        "locality": point.locality,
        **(row.details or {}),
    }
    if point.visibility == Visibility.PUBLIC:
        about.update(lat=point.lat, lon=point.lon, address=point.address)
    return Notice(row.notification_id, row.kind, row.at, about)
