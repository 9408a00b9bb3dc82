"""Keeps a worker's in-memory index in step with the database.

Every write takes the next number of a global change sequence (see `store.db.next_change_seq`).
Each worker remembers the highest number it has applied and, every `poll_seconds`, reads the
points with a higher one — so a change made by any process reaches every worker within about a
second, on SQLite and PostgreSQL alike, with one indexed query per poll. Other things a worker
keeps from files (the street network) register a check with `watch`, run on the same poll.

A worker's own writes are shown at once, not at the next poll: `follow_commits` applies the points
of every write transaction of this process as it commits, so no request handler has to remember
to.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable

from nezlam.domain.point_view import PointView
from nezlam.geo.spatial_index import SpatialIndex
from nezlam.store.db import Database, current_change_seq
from nezlam.store.points import iter_points, organisation_names
from nezlam.store.tables import Point

log = logging.getLogger(__name__)


def settle_memory() -> None:
    """Move what exists now out of the cyclic garbage collector's way. The index holds hundreds of
    thousands of long-lived objects; without this, full collections scan them all and pause a
    worker for hundreds of milliseconds under load (measured in benchmarks/). Frozen objects are
    still freed by reference counting when the index lets go of them."""
    gc.collect()
    gc.freeze()


class IndexSync:
    def __init__(self, db: Database, index: SpatialIndex, poll_seconds: float = 1.0) -> None:
        self.db = db
        self.index = index
        self.poll_seconds = poll_seconds
        self._organisations: dict[int, str] = {}
        self._watchers: list[Callable[[], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unfollow: Callable[[], None] | None = None

    def views(self, rows: Iterable[Point]) -> list[PointView]:
        rows = list(rows)
        if any(r.organisation_id and r.organisation_id not in self._organisations for r in rows):
            with self.db.replica() as session:
                self._organisations = organisation_names(session)
        return [
            PointView.from_row(row, self._organisations.get(row.organisation_id or -1))
            for row in rows
        ]

    def load_all(self) -> None:
        with self.db.replica() as session:
            seq = current_change_seq(session)
            self._organisations = organisation_names(session)
            rows = list(iter_points(session))
            self.index.replace_all(self.views(rows), seq)
        settle_memory()

    def refresh(self) -> int:
        """Apply what changed since the last refresh; returns how many points changed."""
        with self.db.replica() as session:
            since = self.index.seq
            rows = list(iter_points(session, since_seq=since))
            if rows:
                self.index.apply(self.views(rows), complete_to=max(r.change_seq for r in rows))
        if rows:
            settle_memory()
        return len(rows)

    def apply_written(self, rows: Iterable[Point]) -> None:
        """Show this process's own writes at once, without waiting for the poll."""
        self.index.apply(self.views(rows))

    def follow_commits(self) -> None:
        """After every write transaction of this process (`db.write()`) that took a change
        number (every write of a point does), apply the points it wrote to the index; until
        `stop()`."""
        if self._unfollow is None:
            self._unfollow = self.db.on_commit(self._after_commit)

    def _after_commit(self, seq: int) -> None:
        try:
            with self.db.read() as fresh:  # the primary: a replica may not have it yet
                rows = list(iter_points(fresh, since_seq=seq - 1))
            if rows:
                self.apply_written(rows)
        except Exception:  # committed all the same: the next poll shows it
            log.exception("index not updated after the commit of change %s", seq)

    def watch(self, check: Callable[[], object]) -> None:
        """Run `check` on every poll, after the points (e.g. reload a file that changed)."""
        self._watchers.append(check)

    def poll(self) -> None:
        """One tick of the background thread: the points, then every watcher. A failure is
        logged and tried again next tick (the database may be restarting)."""
        for step in (self.refresh, *self._watchers):
            try:
                step()
            except Exception:
                log.exception("index poll step %s failed", getattr(step, "__name__", step))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="nezlam-index-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.poll()
