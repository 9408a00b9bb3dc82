"""Walking distances to points, on the street network, kept in step with the live index.

Two questions, two methods:

- **"Which point is nearest on foot, from anywhere?"** — `reach(filters, now)`: one multi-source
  Dijkstra from every point that passes the filters right now (open, with the services asked
  for), giving every street node its walking distance to the nearest such point and which one.
  It is cached per filter and recomputed in full when the set of passing points changes (a
  point opens, closes, goes stale): a full recompute costs about as much as scipy's bare
  Dijkstra (see docs/performance.md), which is small next to "within seconds".
- **"The k nearest on foot from here"** — `nearest(...)`: the straight-line candidates from the
  index, plus the point `reach` names as nearest on foot (so the best answer is never missed,
  however far it is as the crow flies), measured by one Dijkstra from the asker's location,
  bounded to the distance that can still matter.

**Only where the streets reach.** A location or point farther than `snap_m` (metres,
NEZLAM_WALKING_SNAP_M) from every street is not measured on them: snapping it would add a
straight line of any length to a walk through a network that may be another city's. Such a
pair keeps the straight-line estimate (`domain.walk_estimate`), points off the network are no
source of `reach`, and answers are ranked by walking metres where measured and by the estimate
elsewhere, so a point 10 m away is never ranked below one 20 km away.

Points are placed on the network where their *public* position meets it: a protected point's
exact position is never used, so walking times cannot reveal it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

from nezlam.domain.walk_estimate import DETOUR_FACTOR
from nezlam.geo.distance import haversine_m
from nezlam.geo.spatial_index import SHOWN_CODES, Filters, Hit, Snapshot, SpatialIndex, _lookup
from nezlam.geo.streets import Reach, Snaps, StreetNetwork

log = logging.getLogger(__name__)

CANDIDATE_FACTOR = 3  # straight-line candidates per answer wanted
DETOUR_BOUND = 3.0  # how much longer than the straight line a walk may be and still be searched
DEFAULT_SNAP_M = 400.0  # farther than this from every street, a place is not on the network


class Walking:
    """The street network beside one spatial index; places more than `snap_m` metres from
    every street are not measured on it."""

    def __init__(
        self, network: StreetNetwork, index: SpatialIndex, snap_m: float = DEFAULT_SNAP_M
    ) -> None:
        self.network = network
        self.index = index
        self.snap_m = snap_m
        self._lock = threading.Lock()
        self._snaps: tuple[np.ndarray, Snaps, np.ndarray] | None = None
        # filters -> (positions array, passing rows as bytes, passing rows, reach)
        self._reach: dict[Filters, tuple[np.ndarray, bytes, np.ndarray, Reach]] = {}
        self.recomputes = 0

    def snaps(self, snap: Snapshot) -> Snaps:
        """Where each point of the snapshot meets the network: once per set of positions (a
        status change keeps the snapshot's position arrays, so it snaps nothing again)."""
        return self._snapped(snap)[0]

    def on_network(self, snap: Snapshot) -> np.ndarray:
        """Per row of the snapshot: whether the point lies within `snap_m` of a street."""
        return self._snapped(snap)[1]

    def _snapped(self, snap: Snapshot) -> tuple[Snaps, np.ndarray]:
        cached = self._snaps
        if cached is not None and cached[0] is snap.lat:
            return cached[1], cached[2]
        snaps = self.network.snap(snap.lat, snap.lon)
        on = snaps.offset <= self.snap_m
        self._snaps = (snap.lat, snaps, on)
        return snaps, on

    def eligible(self, snap: Snapshot, filters: Filters, now: datetime) -> np.ndarray:
        """Rows of the points that pass `filters` at `now`, in row order."""
        rows = np.flatnonzero(snap.static_mask(filters.services_mask, filters.category_mask))
        stamp = now.timestamp()
        if filters.shown_mask:
            shown = snap.shown_codes(
                rows, stamp, self.index.stale_after, self.index.no_response_after
            )
            rows = rows[_lookup(filters.shown_mask, len(SHOWN_CODES))[shown]]
        if filters.open_now is not None:
            keep = [
                row
                for row in rows.tolist()
                if (state := self.index.open_state(snap.views[row], now, stamp)) is None
                or state == filters.open_now
            ]
            rows = np.asarray(keep, dtype=np.intp)
        return rows

    def reach(self, filters: Filters, now: datetime) -> tuple[Snapshot, np.ndarray, Reach]:
        """Walking distance from every street node to the nearest point on the network that
        passes `filters` (the rows returned, in row order), recomputed only when the set of
        such points has changed."""
        snap = self.index.snapshot
        rows = self.eligible(snap, filters, now)
        rows = rows[self.on_network(snap)[rows]]
        key = rows.tobytes()
        cached = self._reach.get(filters)
        if cached is not None and cached[0] is snap.lat and cached[1] == key:
            return snap, cached[2], cached[3]
        with self._lock:
            reach = self.network.nearest_sources(self.snaps(snap).take(rows))
            self.recomputes += 1
            if len(self._reach) > 64:  # filters people actually combine are few
                self._reach.clear()
            self._reach[filters] = (snap.lat, key, rows, reach)
        return snap, rows, reach

    def nearest(
        self,
        lat: float,
        lon: float,
        k: int,
        filters: Filters,
        now: datetime,
        max_m: float | None = None,
    ) -> tuple[Snapshot, list[Hit], dict[int, float]]:
        """Up to k points passing `filters`, nearest on foot first: (snapshot, hits in the
        index's form with straight-line metres, walking metres by row — only for the points
        measured on the streets). From a place off the network every answer is as the crow
        flies; from one on it, a point off the network keeps its straight-line estimate and
        is ranked by it among the walks. A point on the network that the streets do not reach
        within the search bound is left out."""
        here = self.network.snap([lat], [lon])
        snap, rows, reach = self.reach(filters, now)
        if k <= 0 or len(rows) == 0 or here.offset[0] > self.snap_m:
            straight, hits = self.index.nearest(lat, lon, k, filters, now, max_m)
            return straight, hits, {}
        best_m, best_i = self.network.walking_distance(reach, here)
        want = max(k * CANDIDATE_FACTOR, k + 8)
        _snap, candidates = self.index.nearest(lat, lon, want, filters, now, max_m)
        by_row = {hit[0]: hit for hit in candidates}
        if best_i[0] >= 0 and np.isfinite(best_m[0]):
            best_row = int(rows[best_i[0]])
            if best_row not in by_row:
                by_row[best_row] = self._hit(snap, best_row, lat, lon, now)
        walk = self._walks(here, by_row, snap, float(best_m[0]) if best_i[0] >= 0 else 0.0)
        if max_m is not None:
            walk = {row: m for row, m in walk.items() if m <= max_m * DETOUR_BOUND}
        on = self.on_network(snap)
        ranked = sorted(  # walks where measured, straight-line estimates for points off it
            (walk[row] if row in walk else hit[1] * DETOUR_FACTOR, row)
            for row, hit in by_row.items()
            if row in walk or not on[row]
        )
        chosen = [row for _m, row in ranked[:k]]
        return snap, [by_row[row] for row in chosen], {r: walk[r] for r in chosen if r in walk}

    def _walks(
        self, here: Snaps, by_row: dict[int, Hit], snap: Snapshot, best_m: float
    ) -> dict[int, float]:
        """Walking metres to the candidates on the network that the streets reach within the
        bound that can still matter (finite walks only)."""
        on = self.on_network(snap)
        measured = np.fromiter((row for row in by_row if on[row]), np.intp)
        if not len(measured):
            return {}
        farthest = max(hit[1] for hit in by_row.values())
        bound = max(farthest * DETOUR_BOUND, best_m * 1.01)
        walk = self._walk_from(here, measured, snap, bound + 500.0)
        return {row: metres for row, metres in walk.items() if np.isfinite(metres)}

    def _hit(self, snap: Snapshot, row: int, lat: float, lon: float, now: datetime) -> Hit:
        """An index hit for a row the straight-line search did not bring."""
        stamp = now.timestamp()
        shown = snap.shown_codes(
            np.array([row]), stamp, self.index.stale_after, self.index.no_response_after
        )
        metres = float(haversine_m(lat, lon, snap.lat[row], snap.lon[row]))
        return (row, metres, int(shown[0]), self.index.open_state(snap.views[row], now, stamp))

    def _walk_from(
        self, here: Snaps, rows: np.ndarray, snap: Snapshot, limit: float
    ) -> dict[int, float]:
        """Walking metres from one snapped location to the points at `rows`, searching no
        farther than `limit` (two bounded Dijkstra runs, from each end of the segment)."""
        network = self.network
        ends = np.array([here.u[0], here.v[0]])
        dist = dijkstra(network.matrix, directed=True, indices=ends, limit=limit)
        start = np.minimum(
            here.along[0] + dist[0], here.length[0] - here.along[0] + dist[1]
        ) + float(here.offset[0])
        points = self.snaps(snap).take(rows)
        via_u = start[points.u] + points.along
        via_v = start[points.v] + points.length - points.along
        metres = np.minimum(via_u, via_v) + points.offset
        same = points.edge == here.edge[0]
        direct = points.offset + float(here.offset[0]) + np.abs(points.along - here.along[0])
        metres = np.where(same, np.minimum(metres, direct), metres)
        return dict(zip(rows.tolist(), metres.tolist(), strict=True))


def load_walking(path: Path | None, index: SpatialIndex, snap_m: float) -> Walking | None:
    """The street network beside the index, when one has been imported; places more than
    `snap_m` metres from every street are not measured on it."""
    if path is None or not Path(path).exists():
        return None
    network = StreetNetwork.load(path)
    log.info("street network %s: %d nodes, %d edges", path, network.nodes, network.edges)
    return Walking(network, index, snap_m)
