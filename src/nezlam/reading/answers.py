"""Public answers about many points: "the nearest k for this asker", and listings, with the
envelope every such answer carries.

`nearest` is the one function that answers the nearest question, for the API and its fast
path, the finder and the poster: on foot by the streets when asked and a street network is
loaded (`geo.walking`), else as the crow flies (`geo.spatial_index`). The envelope — a GeoJSON
FeatureCollection with `generated_at`, `stale_after_s`, for a nearest answer `distance_by`
(and `walking_speed_kmh` when a walk was measured), and the demo `notice` — is built here
once, for the readable answer and the serialised one alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from nezlam.config import Settings
from nezlam.domain.point_view import iso
from nezlam.domain.walk_estimate import answer_distance_by
from nezlam.geo.spatial_index import SHOWN_BY_CODE, Filters, Hit, Snapshot, SpatialIndex
from nezlam.geo.walking import Walking
from nezlam.reading.features import feature, feature_json
from nezlam.reading.point_public import Asker, PointPublic, found_public

DEMO_NOTICE = "Demo data: these points are generated for trying Nezlam out and do not exist."


@dataclass(frozen=True, slots=True)
class Answer:
    """Public points for one asker, in the answer's order."""

    points: list[PointPublic]
    generated_at: datetime
    demo: bool  # some of them are generated demo data
    measured: int | None = None  # a nearest answer: how many were walked on the streets

    @property
    def distance_by(self) -> str | None:
        """For a nearest answer: "walking", "straight_line" or "mixed" (domain.walk_estimate)."""
        if self.measured is None:
            return None
        return answer_distance_by(len(self.points), self.measured)


def nearest(
    index: SpatialIndex,
    walking: Walking | None,
    asker: Asker,
    k: int,
    filters: Filters,
    *,
    max_m: float | None = None,
    on_foot: bool = False,
) -> Answer:
    """Up to k points passing `filters`, nearest to the asker first, none farther than
    `max_m` metres (as the crow flies): on foot when `on_foot` and `walking` has a street
    network, else by the straight line."""
    if asker.position is None:
        raise ValueError("a nearest answer needs the asker's position")
    lat, lon = asker.position
    walks: dict[int, float] = {}
    if on_foot and walking is not None:
        snap, hits, walks = walking.nearest(lat, lon, k, filters, asker.now, max_m)
    else:
        snap, hits = index.nearest(lat, lon, k, filters, asker.now, max_m)
    views = snap.views
    points = [
        found_public(views[row], asker, SHOWN_BY_CODE[shown], is_open, metres, walks.get(row))
        for row, metres, shown, is_open in hits
    ]
    return Answer(points, asker.now, snap.has_demo, measured=len(walks))


def listing(snap: Snapshot, hits: list[Hit], asker: Asker) -> Answer:
    """The public view of index hits without distances (a box, a feed, an export)."""
    views = snap.views
    points = [
        found_public(views[row], asker, SHOWN_BY_CODE[shown], is_open)
        for row, _metres, shown, is_open in hits
    ]
    return Answer(points, asker.now, snap.has_demo)


def features(answer: Answer) -> list[dict[str, Any]]:
    return [feature(point) for point in answer.points]


def envelope(answer: Answer, settings: Settings) -> dict[str, Any]:
    """What a FeatureCollection answer says besides its features."""
    tail: dict[str, Any] = {
        "generated_at": iso(answer.generated_at),
        "stale_after_s": int(settings.stale_after.total_seconds()),
    }
    if answer.measured is not None:
        tail["distance_by"] = answer.distance_by
        if answer.measured:  # some were measured on the streets (see each point's distance_by)
            tail["walking_speed_kmh"] = settings.walking_speed_kmh
    if answer.demo:
        tail["notice"] = DEMO_NOTICE
    return tail


def collection(answer: Answer, settings: Settings) -> dict[str, Any]:
    """The answer as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": features(answer), **envelope(answer, settings)}


def collection_json(answer: Answer, settings: Settings) -> bytes:
    """`collection(answer, settings)` serialised, byte for byte the same JSON, from features
    serialised one by one (`features.feature_json`): the hot path's answer."""
    return (
        b'{"type":"FeatureCollection","features":['
        + b",".join([feature_json(point) for point in answer.points])
        + b"],"
        + orjson.dumps(envelope(answer, settings))[1:]
    )
