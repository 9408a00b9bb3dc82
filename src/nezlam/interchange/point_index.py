"""Which point a row is, looked up in memory: the existing points of the database and the rows
already accepted in this import, by id, by external id, and by the same Ukrainian name within
50 m on a grid of cells a little larger than 50 m.

One query loads the existing points at the start; after that a row costs a few dictionary
look-ups, so an import is linear in its rows (a query per row on an unindexed position was a
scan per row: quadratic). Row 0 of an entry means no row of this import is that point yet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from nezlam.geo.distance import haversine_m

RADIUS_M = 50.0
# 0.0005° of latitude is 55.6 m, more than the radius: a point within 50 m lies in one of the
# 3 × 3 cells around. Longitude is scaled by the cosine of the cell row's latitude.
STEP_DEG = 0.0005


@dataclass(slots=True)
class Entry:
    point_id: str | None
    """None for a row of a dry run, which has no point yet."""
    lat: float
    lon: float
    row: int = 0
    """The row of this import that is this point, 0 if none is yet."""


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _row_of(lat: float) -> int:
    return math.floor(lat / STEP_DEG)


def _column_of(lon: float, row: int) -> int:
    scale = max(math.cos(math.radians((row + 0.5) * STEP_DEG)), 1e-6)
    return math.floor(lon * scale / STEP_DEG)


class PointIndex:
    def __init__(self) -> None:
        self._by_id: dict[str, Entry] = {}
        self._by_external: dict[str, Entry] = {}
        # Keyed by the hash of (name, cell): a 64-bit number instead of the name itself halves
        # the index's memory (200,000 names are some 50 MB). Two different names in the same
        # cells sharing a hash is a chance of about one in 10^13 for a 200,000-row import.
        # Most keys hold one entry, so a lone entry is stored bare, not in a list.
        self._by_cell: dict[int, Entry | list[Entry]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(
        self,
        entry: Entry,
        name: str,
        external_id: str | None = None,
        at: tuple[float, float] | None = None,
    ) -> None:
        """File `entry` under its id, `external_id` and `name` at `at` (default: its position);
        calling again with another name or position adds those keys too."""
        if entry.point_id is not None:
            self._by_id.setdefault(entry.point_id, entry)
        if external_id:
            self._by_external.setdefault(external_id, entry)
        lat, lon = at or (entry.lat, entry.lon)
        row = _row_of(lat)
        key = hash((name_key(name), row, _column_of(lon, row)))
        found = self._by_cell.get(key)
        if found is None:
            self._by_cell[key] = entry
        elif isinstance(found, list):
            if entry not in found:
                found.append(entry)
        elif found is not entry:
            self._by_cell[key] = [found, entry]

    def by_id(self, point_id: str) -> Entry | None:
        return self._by_id.get(point_id)

    def by_external_id(self, external_id: str) -> Entry | None:
        return self._by_external.get(external_id)

    def same_name_near(self, name: str, lat: float, lon: float) -> tuple[Entry, float] | None:
        """The nearest entry of the same name within 50 m, and its distance in metres."""
        key_name = name_key(name)
        best: tuple[Entry, float] | None = None
        row = _row_of(lat)
        for near_row in (row - 1, row, row + 1):
            column = _column_of(lon, near_row)
            for near_column in (column - 1, column, column + 1):
                key = hash((key_name, near_row, near_column))
                for entry in _entries(self._by_cell.get(key)):
                    metres = float(haversine_m(entry.lat, entry.lon, lat, lon))
                    if metres <= RADIUS_M and (best is None or metres < best[1]):
                        best = (entry, metres)
        return best


def _entries(found: Entry | list[Entry] | None) -> Iterable[Entry]:
    if found is None:
        return ()
    return found if isinstance(found, list) else (found,)
