"""In-memory index of public points for nearest and bounding-box queries with filters.

The database is the source of truth; each worker keeps one `SpatialIndex` and feeds it the points
that changed (see `nezlam.index_sync`). A query reads one immutable `Snapshot`, so readers never
see a half-applied change: writers build a new snapshot and swap the reference.

Points live on the unit sphere (cKDTree over xyz vectors), so distances are right everywhere,
not only near the equator. Freshness is applied with the same rule as `domain.freshness`,
vectorised over the candidates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from nezlam.domain import opening_hours
from nezlam.domain.public import PointView
from nezlam.domain.vocabulary import SERVICE_BITS, Category, ShownStatus, Status, Visibility
from nezlam.geo.distance import chord_to_metres, metres_to_chord, unit_vectors

STATUS_CODES = {status.value: i for i, status in enumerate(Status)}  # open=0 … closed=3
SHOWN_CODES = {status.value: i for i, status in enumerate(ShownStatus)}  # as SHOWN_BY_CODE
CATEGORY_CODES = {category.value: i for i, category in enumerate(Category)}
NO_TIME = np.nan


@dataclass(frozen=True)
class Filters:
    services_mask: int = 0  # every one of these services
    shown: frozenset[int] | None = None  # shown-status codes allowed; None: any
    categories: frozenset[int] | None = None
    open_now: bool | None = None  # by opening hours; None: don't care

    @classmethod
    def build(
        cls,
        services: Iterable[str] = (),
        statuses: Iterable[str] = (),
        categories: Iterable[str] = (),
        open_now: bool | None = None,
    ) -> Filters:
        mask = 0
        for code in services:
            mask |= SERVICE_BITS[code]
        statuses, categories = list(statuses), list(categories)
        return cls(
            services_mask=mask,
            shown=frozenset(SHOWN_CODES[s] for s in statuses) if statuses else None,
            categories=frozenset(CATEGORY_CODES[c] for c in categories) if categories else None,
            open_now=open_now,
        )


class Snapshot:
    """Immutable arrays over the indexed points; row i describes views[i]."""

    def __init__(self, views: list[PointView], seq: int = 0) -> None:
        self.views = views
        # Every change up to this sequence number is in here (later ones may be too).
        self.seq = seq
        self.position = {view.id: i for i, view in enumerate(views)}
        self.has_demo = any(view.demo for view in views)
        n = len(views)
        lat = np.fromiter((v.public_position[0] for v in views), np.float64, n)
        lon = np.fromiter((v.public_position[1] for v in views), np.float64, n)
        self.lat, self.lon = lat, lon
        self.tree = cKDTree(unit_vectors(lat, lon)) if n else None
        self.services = np.fromiter(
            (sum(SERVICE_BITS.get(s, 0) for s in v.services) for v in views), np.int64, n
        )
        self.category = np.fromiter((CATEGORY_CODES.get(v.category, -1) for v in views), np.int8, n)
        self.status = np.fromiter((STATUS_CODES.get(v.status or "", -1) for v in views), np.int8, n)
        self.updated = np.fromiter((_ts(v.updated_at) for v in views), np.float64, n)
        self.verified = np.fromiter((_ts(v.verified_at) for v in views), np.float64, n)

    def __len__(self) -> int:
        return len(self.views)

    def with_updates(self, rows: dict[int, PointView], seq: int) -> Snapshot:
        """A copy in which only live state changed (same places, services and categories):
        shares the tree and static arrays, copies the few live ones."""
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

    def shown_codes(
        self, rows: NDArray[np.intp], now: float, stale_after: float, no_response_after: float
    ) -> NDArray[np.int8]:
        """`domain.freshness.shown_status`, vectorised over `rows`."""
        status = self.status[rows]
        updated = self.updated[rows]
        verified = self.verified[rows]
        shown = status.copy()
        with np.errstate(invalid="ignore"):
            silent = (now - updated) >= no_response_after
            stale = np.isnan(verified) | ((now - verified) >= stale_after)
        shown[(status == STATUS_CODES["open"]) & stale] = SHOWN_CODES["unconfirmed"]
        shown[silent] = SHOWN_CODES["no_response"]
        shown[(status < 0) | np.isnan(updated)] = SHOWN_CODES["unknown"]
        return shown


def _same_structure(old: PointView, new: PointView) -> bool:
    """True when only live state differs, so the tree and static arrays still hold."""
    return (
        old.public_position == new.public_position
        and old.services == new.services
        and old.category == new.category
        and old.visibility == new.visibility
    )


def _ts(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else NO_TIME


class SpatialIndex:
    def __init__(self, stale_after: timedelta, no_response_after: timedelta) -> None:
        self.stale_after = stale_after.total_seconds()
        self.no_response_after = no_response_after.total_seconds()
        self.snapshot = Snapshot([])
        self._lock = threading.Lock()  # one writer at a time; readers never lock
        self._open_cache: dict[str, tuple[bool | None, float, float]] = {}

    # --- writing -----------------------------------------------------------------------------
    @property
    def seq(self) -> int:
        return self.snapshot.seq

    def replace_all(self, views: Iterable[PointView], seq: int) -> None:
        with self._lock:
            self.snapshot = Snapshot([v for v in views if v.visibility != Visibility.HIDDEN], seq)
            self._open_cache.clear()

    def apply(self, changed: Iterable[PointView], complete_to: int | None = None) -> None:
        """Upsert changed points; a point now hidden leaves the index. `complete_to` says every
        change up to that sequence number has now been seen (the poller knows; a single write
        of this process does not, as another process may hold an earlier number).

        A status change costs a copy of a few arrays; only a point that appears, disappears,
        moves or changes services or category rebuilds the tree."""
        with self._lock:
            current = self.snapshot
            seq = max(current.seq, complete_to or 0)
            in_place: dict[int, PointView] = {}
            structural: list[PointView] = []
            for view in changed:
                i = current.position.get(view.id)
                if i is not None and view.change_seq <= current.views[i].change_seq:
                    continue  # an older copy of something we already have
                self._open_cache.pop(view.id, None)
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
            elif in_place:
                self.snapshot = current.with_updates(in_place, seq)
            elif seq != current.seq:
                self.snapshot = current.with_updates({}, seq)

    @staticmethod
    def _applied_seq(snapshot: Snapshot, point_id: str) -> int:
        i = snapshot.position.get(point_id)
        return snapshot.views[i].change_seq if i is not None else -1

    # --- reading -----------------------------------------------------------------------------
    def nearest(
        self,
        lat: float,
        lon: float,
        k: int,
        filters: Filters,
        now: datetime,
        max_m: float | None = None,
    ) -> tuple[Snapshot, list[tuple[int, float, int, bool | None]]]:
        """Up to k matches ordered by distance: (row, metres, shown code, open_now)."""
        snap = self.snapshot
        n = len(snap)
        if n == 0 or k <= 0:
            return snap, []
        centre = unit_vectors([lat], [lon])[0]
        bound = metres_to_chord(max_m) if max_m is not None else np.inf
        ask = min(n, max(4 * k, 16))
        while True:
            dist, rows = snap.tree.query(centre, k=ask, distance_upper_bound=bound)
            dist, rows = np.atleast_1d(dist), np.atleast_1d(rows)
            inside = rows < n
            exhausted = ask >= n or not inside.all()
            dist, rows = dist[inside], rows[inside]
            found = self._filter(snap, rows, filters, now, k)
            if len(found[0]) >= k or exhausted:
                picked, shown, is_open = found
                metres = chord_to_metres(dist[picked])
                return snap, [
                    (int(rows[j]), float(m), int(shown[t]), is_open[t])
                    for t, (j, m) in enumerate(zip(picked, metres, strict=True))
                ]
            ask = min(n, ask * 4)

    def within_bbox(
        self,
        west: float,
        south: float,
        east: float,
        north: float,
        filters: Filters,
        now: datetime,
        limit: int,
    ) -> tuple[Snapshot, list[tuple[int, float, int, bool | None]]]:
        snap = self.snapshot
        if len(snap) == 0:
            return snap, []
        lon_ok = (
            (snap.lon >= west) & (snap.lon <= east)
            if west <= east
            else ((snap.lon >= west) | (snap.lon <= east))
        )  # a box across the antimeridian
        rows = np.flatnonzero(lon_ok & (snap.lat >= south) & (snap.lat <= north))
        keep, shown, is_open = self._filter(snap, rows, filters, now, limit)
        return snap, [(int(rows[j]), 0.0, int(shown[t]), is_open[t]) for t, j in enumerate(keep)]

    def _filter(
        self, snap: Snapshot, rows: NDArray[np.intp], filters: Filters, now: datetime, need: int
    ) -> tuple[NDArray[np.intp], NDArray[np.int8], list[bool | None]]:
        """The first `need` positions (into `rows`) that pass, with their shown status codes and
        open-now states. Opening hours are evaluated last, and only as far as needed."""
        shown = snap.shown_codes(rows, now.timestamp(), self.stale_after, self.no_response_after)
        ok = np.ones(len(rows), dtype=bool)
        if filters.services_mask:
            ok &= (snap.services[rows] & filters.services_mask) == filters.services_mask
        if filters.categories is not None:
            ok &= np.isin(snap.category[rows], list(filters.categories))
        if filters.shown is not None:
            ok &= np.isin(shown, list(filters.shown))
        keep = np.flatnonzero(ok)
        passing: list[int] = []
        states: list[bool | None] = []
        for j in keep:
            state = self.open_state(snap.views[rows[j]], now)
            # A point that publishes no hours is taken at its word (its status) for open_now.
            if filters.open_now is None or state is None or state == filters.open_now:
                passing.append(int(j))
                states.append(state)
                if len(passing) >= need:
                    break
        picked = np.asarray(passing, dtype=np.intp)
        return picked, shown[picked], states

    def open_state(self, view: PointView, now: datetime) -> bool | None:
        """Open by its hours at `now`, cached until the hours next change."""
        if not view.opening_hours:
            return None
        cached = self._open_cache.get(view.id)
        stamp = now.timestamp()
        if cached is not None and cached[2] <= stamp < cached[1]:
            return cached[0]
        state = opening_hours.is_open(view.opening_hours, view.timezone, now)
        change = opening_hours.next_change(view.opening_hours, view.timezone, now)
        until = change.timestamp() if change is not None else np.inf
        self._open_cache[view.id] = (state, until, stamp)
        return state
