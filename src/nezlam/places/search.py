"""The gazetteer of one database, kept in this process's memory and reloaded when it changes.

The first search loads every row; later searches look at most every `check_seconds` whether the
places table changed (row count, last id, last import time) and rebuild the index if it did.
A rebuild happens under a lock, so concurrent requests wait for one rebuild, not start many.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from nezlam.places import store
from nezlam.places.gazetteer import GazetteerIndex, Hit
from nezlam.places.records import public
from nezlam.store.db import Database

CHECK_SECONDS = 5.0


class Gazetteer:
    def __init__(
        self,
        db: Database,
        check_seconds: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.check_seconds = check_seconds
        self.clock = clock
        self._index: GazetteerIndex | None = None
        self._signature: tuple[Any, ...] | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def index(self) -> GazetteerIndex:
        """The current index, reloaded first if the table changed (looked at now and then)."""
        index = self._index
        if index is not None and self.clock() - self._checked_at < self.check_seconds:
            return index
        with self._lock:
            if self._index is not None and self.clock() - self._checked_at < self.check_seconds:
                return self._index
            with self.db.read() as session:
                signature = store.signature(session)
                if self._index is None or signature != self._signature:
                    self._index = GazetteerIndex(store.load_all(session))
                    self._signature = signature
            self._checked_at = self.clock()
            return self._index

    def refresh(self) -> GazetteerIndex:
        """Look at the table now, whatever the time since the last look."""
        self._checked_at = float("-inf")
        return self.index()

    def search(
        self, query: str, limit: int = 10, near: tuple[float, float] | None = None
    ) -> list[Hit]:
        """The best `limit` entries for a typed query, nearer ones first among equals when `near`
        (lat, lon in degrees) is given."""
        return self.index().search(query, limit=limit, near=near)


_GAZETTEERS: weakref.WeakKeyDictionary[Database, Gazetteer] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def for_database(db: Database) -> Gazetteer:
    """This process's gazetteer of `db` (one per Database object, gone with it)."""
    with _REGISTRY_LOCK:
        gazetteer = _GAZETTEERS.get(db)
        if gazetteer is None:
            gazetteer = _GAZETTEERS[db] = Gazetteer(db)
        return gazetteer


def search_places(
    db: Database, query: str, limit: int = 10, near: tuple[float, float] | None = None
) -> list[dict[str, Any]]:
    """Results as the API shows them (label, kind, lat, lon, score...): what the finder pages and
    other callers without a Gazetteer of their own use."""
    return [hit.public() for hit in for_database(db).search(query, limit=limit, near=near)]


def suggest_places(db: Database, query: str, limit: int = 3) -> list[dict[str, Any]]:
    """When a search finds nothing: the streets and places whose names look most like it."""
    return [hit.public() for hit in for_database(db).index().suggest(query, limit=limit)]


def place_near(db: Database, lat: float, lon: float) -> dict[str, Any] | None:
    """What the gazetteer calls the position (lat, lon in degrees): the nearest address, street
    or place within a few hundred metres, as the API shows a result; None without one."""
    hit = for_database(db).index().nearest(lat, lon)
    return public(hit.record, 100.0) if hit else None
