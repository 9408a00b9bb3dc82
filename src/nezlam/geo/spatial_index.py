"""In-memory index of public points for nearest and bounding-box queries with filters.

The database is the source of truth; each worker keeps one `SpatialIndex` and feeds it the points
that changed (see `nezlam.index_sync`). A query reads one immutable `Snapshot`, so readers never
see a half-applied change: writers build a new snapshot and swap the reference.

Points live on the unit sphere (cKDTree over xyz vectors), so distances are right everywhere,
not only near the equator. Filters on what rarely changes (services, category) select a cached
sub-tree of the matching points; filters on what changes all the time (the shown status, after
the same freshness rule as `domain.freshness`, and open-now by opening hours) are applied to the
nearest candidates, asking the tree for more until enough pass.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from nezlam.domain import opening_hours
from nezlam.domain.point_view import PointView
from nezlam.domain.vocabulary import SERVICE_BITS, Category, ShownStatus, Status, Visibility
from nezlam.geo.distance import EARTH_RADIUS_M, metres_to_chord, unit_vectors

Hit = tuple[int, float, int, bool | None]
"""An index answer: (row in the snapshot, metres, shown-status code, open now by hours)."""

STATUS_CODES = {status.value: i for i, status in enumerate(Status)}  # open=0 … closed=3
SHOWN_CODES = {status.value: i for i, status in enumerate(ShownStatus)}
SHOWN_BY_CODE = tuple(ShownStatus)  # a hit's shown-status code back to the status
CATEGORY_CODES = {category.value: i for i, category in enumerate(Category)}
OPEN, UNCONFIRMED = SHOWN_CODES["open"], SHOWN_CODES["unconfirmed"]
NO_RESPONSE, UNKNOWN = SHOWN_CODES["no_response"], SHOWN_CODES["unknown"]
NO_TIME = np.nan
MAX_SUBSETS = 64


@dataclass(frozen=True)
class Filters:
    """What a query asks for. Masks are bit sets; 0 means "any"."""

    services_mask: int = 0  # every one of these services
    category_mask: int = 0  # one of these categories
    shown_mask: int = 0  # one of these shown statuses (after freshness)
    open_now: bool | None = None  # by opening hours; None: don't care

    @classmethod
    def build(
        cls,
        services: Iterable[str] = (),
        statuses: Iterable[str] = (),
        categories: Iterable[str] = (),
        open_now: bool | None = None,
    ) -> Filters:
        return cls(
            services_mask=sum(SERVICE_BITS[s] for s in set(services)),
            category_mask=_bits(CATEGORY_CODES[c] for c in categories),
            shown_mask=_bits(SHOWN_CODES[s] for s in statuses),
            open_now=open_now,
        )


def _bits(positions: Iterable[int]) -> int:
    mask = 0
    for position in positions:
        mask |= 1 << position
    return mask


@lru_cache(maxsize=512)
def _lookup(mask: int, size: int) -> NDArray[np.bool_]:
    """A boolean table: entry i is whether bit i of `mask` is set."""
    return np.array([bool(mask >> i & 1) for i in range(size)], dtype=bool)


@dataclass(frozen=True)
class Subset:
    """The points matching a static filter, with a tree of their own."""

    tree: cKDTree | None
    rows: NDArray[np.intp] | None  # None: all rows, in order
    size: int


class Snapshot:
    """Immutable arrays over the indexed points; row i describes views[i]."""

    def __init__(self, views: list[PointView], seq: int = 0) -> None:
        self.views = views
        # Every change up to this sequence number is in here (later ones may be too).
        self.seq = seq
        self.position = {view.id: i for i, view in enumerate(views)}
        self.has_demo = any(view.demo for view in views)
        n = len(views)
        self.lat = np.fromiter((v.public_position[0] for v in views), np.float64, n)
        self.lon = np.fromiter((v.public_position[1] for v in views), np.float64, n)
        self.xyz = unit_vectors(self.lat, self.lon)
        self.tree = cKDTree(self.xyz) if n else None
        self.services = np.fromiter(
            # What works: a service an inspection found broken matches no one's filter.
            (sum(SERVICE_BITS.get(s, 0) for s in v.working_services) for v in views),
            np.int64,
            n,
        )
        self.category = np.fromiter((CATEGORY_CODES.get(v.category, 0) for v in views), np.int8, n)
        self.status = np.fromiter((STATUS_CODES.get(v.status or "", -1) for v in views), np.int8, n)
        self.updated = np.fromiter((_ts(v.updated_at) for v in views), np.float64, n)
        self.verified = np.fromiter((_ts(v.verified_at) for v in views), np.float64, n)
        self._subsets: dict[tuple[int, int], Subset] = {}

    def __len__(self) -> int:
        return len(self.views)

    def with_updates(self, rows: dict[int, PointView], seq: int) -> Snapshot:
        """A copy in which only live state changed (same places, services and categories):
        shares the trees and static arrays, copies the few live ones."""
        copy = object.__new__(Snapshot)
        copy.__dict__.update(self.__dict__)
        copy.seq = seq
        if rows:
            copy.views = list(self.views)
            copy.status = self.status.copy()
            copy.updated = self.updated.copy()
            copy.verified = self.verified.copy()
            for i, view in rows.items():
                copy.views[i] = view
                copy.status[i] = STATUS_CODES.get(view.status or "", -1)
                copy.updated[i] = _ts(view.updated_at)
                copy.verified[i] = _ts(view.verified_at)
            copy.has_demo = self.has_demo or any(v.demo for v in rows.values())
        return copy

    def static_mask(self, services_mask: int, category_mask: int) -> NDArray[np.bool_]:
        ok = np.ones(len(self), dtype=bool)
        if services_mask:  # bit i is service i, as in SERVICE_BITS
            ok &= (self.services & services_mask) == services_mask
        if category_mask:
            ok &= _lookup(category_mask, len(CATEGORY_CODES))[self.category]
        return ok

    def subset(self, services_mask: int, category_mask: int) -> Subset:
        """The points with these services and categories, built once and then cached (the cache
        is shared with live-state copies, whose static arrays are the same)."""
        if not services_mask and not category_mask:
            return Subset(self.tree, None, len(self))
        key = (services_mask, category_mask)
        found = self._subsets.get(key)
        if found is None:
            rows = np.flatnonzero(self.static_mask(services_mask, category_mask))
            tree = cKDTree(self.xyz[rows]) if rows.size else None
            found = Subset(tree, rows, int(rows.size))
            if len(self._subsets) >= MAX_SUBSETS:
                self._subsets.pop(next(iter(self._subsets)), None)
            self._subsets[key] = found
        return found

    def shown_codes(
        self, rows: NDArray[np.intp], now: float, stale_after: float, no_response_after: float
    ) -> NDArray[np.int8]:
        """`domain.freshness.shown_status`, vectorised over `rows`."""
        status = self.status[rows]
        updated = self.updated[rows]
        verified = self.verified[rows]
        shown = status.copy()
        # Comparisons with NaN (never verified, never updated) are False, quietly.
        stale = ~(now - verified < stale_after)
        shown[(status == STATUS_CODES["open"]) & stale] = UNCONFIRMED
        shown[now - updated >= no_response_after] = NO_RESPONSE
        shown[(status < 0) | ~(updated == updated)] = UNKNOWN
        return shown


def _same_structure(old: PointView, new: PointView) -> bool:
    """True when only live state differs, so the trees and static arrays still hold."""
    return (
        old.public_position == new.public_position
        and old.services == new.services
        and old.faults == new.faults
        and old.category == new.category
        and old.visibility == new.visibility
        and old.opening_hours == new.opening_hours
        and old.timezone == new.timezone
    )


def _ts(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else NO_TIME


class SpatialIndex:
    def __init__(self, stale_after: timedelta, no_response_after: timedelta) -> None:
        self.stale_after = stale_after.total_seconds()
        self.no_response_after = no_response_after.total_seconds()
        self.snapshot = Snapshot([])
        self._lock = threading.Lock()  # one writer at a time; readers never lock

    @property
    def seq(self) -> int:
        return self.snapshot.seq

    # --- writing -----------------------------------------------------------------------------
    def replace_all(self, views: Iterable[PointView], seq: int) -> None:
        with self._lock:
            self.snapshot = Snapshot([v for v in views if v.visibility != Visibility.HIDDEN], seq)

    def apply(self, changed: Iterable[PointView], complete_to: int | None = None) -> None:
        """Upsert changed points; a point now hidden leaves the index. `complete_to` says every
        change up to that sequence number has now been seen (the poller knows; a single write
        of this process does not, as another process may hold an earlier number).

        A status change costs a copy of a few arrays; only a point that appears, disappears,
        moves or changes services, category or hours rebuilds the trees."""
        with self._lock:
            current = self.snapshot
            seq = max(current.seq, complete_to or 0)
            in_place: dict[int, PointView] = {}
            structural: list[PointView] = []
            for view in changed:
                i = current.position.get(view.id)
                if i is not None and view.change_seq <= current.views[i].change_seq:
                    continue  # an older copy of something we already have
                if i is not None and _same_structure(current.views[i], view):
                    in_place[i] = view
                elif i is not None or view.visibility != Visibility.HIDDEN:
                    structural.append(view)
            if structural:
                views = list(current.views)
                for i, view in in_place.items():
                    views[i] = view
                position = dict(current.position)
                for view in structural:
                    i = position.get(view.id)
                    if i is None:
                        position[view.id] = len(views)
                        views.append(view)
                    else:
                        views[i] = view
                kept = [v for v in views if v.visibility != Visibility.HIDDEN]
                self.snapshot = Snapshot(kept, seq)
            elif in_place or seq != current.seq:
                self.snapshot = current.with_updates(in_place, seq)

    # --- reading -----------------------------------------------------------------------------
    def nearest(
        self,
        lat: float,
        lon: float,
        k: int,
        filters: Filters,
        now: datetime,
        max_m: float | None = None,
    ) -> tuple[Snapshot, list[Hit]]:
        """Up to k matches ordered by distance: (row, metres, shown code, open_now)."""
        snap = self.snapshot
        sub = snap.subset(filters.services_mask, filters.category_mask)
        if sub.size == 0 or k <= 0 or sub.tree is None:
            return snap, []
        phi, lam = math.radians(lat), math.radians(lon)
        centre = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
        bound = metres_to_chord(max_m) if max_m is not None else np.inf
        stamp = now.timestamp()
        live_filters = filters.shown_mask or filters.open_now is not None
        ask = min(sub.size, max(4 * k, 16) if live_filters else k)
        while True:
            dist, local = sub.tree.query(centre, k=ask, distance_upper_bound=bound)
            dist, local = np.atleast_1d(dist), np.atleast_1d(local)
            inside = local < sub.size
            exhausted = ask >= sub.size or not inside[-1]
            if exhausted:
                dist, local = dist[inside], local[inside]
            rows = local if sub.rows is None else sub.rows[local]
            hits = self._pick(snap, rows, dist, filters, now, stamp, k)
            if len(hits) >= k or exhausted:
                return snap, hits
            # Ask for enough to expect k passing at the rate seen so far, with a margin.
            rate = max(len(hits), 0.5) / len(rows)
            ask = min(sub.size, max(ask * 2, int(k / rate * 1.5)))

    def within_bbox(
        self,
        west: float,
        south: float,
        east: float,
        north: float,
        filters: Filters,
        now: datetime,
        limit: int,
    ) -> tuple[Snapshot, list[Hit]]:
        """Up to `limit` matches inside the box, in index order; metres are 0."""
        snap = self.snapshot
        if len(snap) == 0:
            return snap, []
        if west <= east:
            lon_ok = (snap.lon >= west) & (snap.lon <= east)
        else:  # a box across the antimeridian
            lon_ok = (snap.lon >= west) | (snap.lon <= east)
        ok = lon_ok & (snap.lat >= south) & (snap.lat <= north)
        ok &= snap.static_mask(filters.services_mask, filters.category_mask)
        rows = np.flatnonzero(ok)
        return snap, self._pick(snap, rows, None, filters, now, now.timestamp(), limit)

    def _pick(
        self,
        snap: Snapshot,
        rows: NDArray[np.intp],
        chords: NDArray[np.float64] | None,
        filters: Filters,
        now: datetime,
        stamp: float,
        need: int,
    ) -> list[Hit]:
        """The first `need` of `rows` that pass the live filters, as hits. Opening hours are
        evaluated last, and only as far as needed."""
        shown = snap.shown_codes(rows, stamp, self.stale_after, self.no_response_after)
        candidates: Iterable[int]
        if filters.shown_mask:
            candidates = np.flatnonzero(_lookup(filters.shown_mask, len(SHOWN_CODES))[shown])
        else:
            candidates = range(len(rows))
        hits: list[Hit] = []
        for j in candidates:
            row = int(rows[j])
            state = self.open_state(snap.views[row], now, stamp)
            # A point that publishes no hours is taken at its word (its status) for open_now.
            if filters.open_now is not None and state is not None and state != filters.open_now:
                continue
            metres = (
                0.0
                if chords is None
                else 2.0 * EARTH_RADIUS_M * math.asin(min(float(chords[j]) / 2.0, 1.0))
            )
            hits.append((row, metres, int(shown[j]), state))
            if len(hits) >= need:
                break
        return hits

    def open_state(self, view: PointView, now: datetime, stamp: float | None = None) -> bool | None:
        """Open by its hours at `now` (cached per distinct hours until they next change)."""
        return opening_hours.window(view.opening_hours, view.timezone, now, stamp)[0]
