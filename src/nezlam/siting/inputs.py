"""Where people live and where a point could open: read from CSV files or OpenStreetMap, and
the points open today, from the live index.

CSV files are what coordinators have: a spreadsheet export of addresses with coordinates, a
population grid. Columns are found by name, case-insensitively (`lat`/`latitude`,
`lon`/`long`/`lng`/`longitude`, `name`, `population`); a bad cell is reported with the file,
its spreadsheet row (the header is row 1) and the column, so it can be fixed where it is.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO, overload

import numpy as np

from nezlam.geo import osm
from nezlam.siting.choices import OSM_CANDIDATES

if TYPE_CHECKING:
    from datetime import datetime

    from nezlam.coverage.population import Demand
    from nezlam.geo.spatial_index import Filters, SpatialIndex

LAT = ("lat", "latitude")
LON = ("lon", "long", "lng", "longitude")
NAME = ("name", "id")
POPULATION = ("population", "pop")


class InputError(ValueError):
    """A file that cannot be used, with where the problem is."""


@dataclass(frozen=True)
class Places:
    """Locations (degrees WGS84) with names, and population where it applies."""

    lat: np.ndarray
    lon: np.ndarray
    names: list[str]
    population: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lat)

    @property
    def people(self) -> np.ndarray:
        """The population of places that are people (demand): read with one, so never None."""
        if self.population is None:
            raise InputError("these places have no population")
        return self.population


def read_places(
    path: str | Path,
    *,
    population: str | None = None,
    name: str | None = None,
    need_population: bool = False,
) -> Places:
    """Rows of a CSV file with a latitude, a longitude, optionally a name and a population
    (`population` and `name` name the columns when they are not the usual ones)."""
    path = Path(path)
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        lat_col = _column(path, header, LAT, "latitude")
        lon_col = _column(path, header, LON, "longitude")
        name_col = _column(path, header, (name,) if name else NAME, "name", required=bool(name))
        pop_col = None
        if need_population or population:
            pop_col = _column(
                path, header, (population,) if population else POPULATION, "population"
            )
        rows = list(enumerate(reader, start=2))
    if not rows:
        raise InputError(f"{path.name}: no rows under the header")
    lat = np.array([_number(path, n, r, lat_col, -90, 90) for n, r in rows])
    lon = np.array([_number(path, n, r, lon_col, -180, 180) for n, r in rows])
    names = [(r.get(name_col) or "").strip() if name_col else "" for _n, r in rows]
    names = [given or f"row {n}" for given, (n, _r) in zip(names, rows, strict=True)]
    people = None
    if pop_col:
        people = np.array([_number(path, n, r, pop_col, 0, math.inf) for n, r in rows])
    return Places(lat, lon, names, people)


def places_from_demand(demand: Demand) -> Places:
    """Siting's demand from a population table (`nezlam coverage`'s loaders): each row named by
    its H3 cell, else by its district and row, else by its row."""
    names = [
        str(cell) or (f"{label} #{i + 1}" if label else f"place {i + 1}")
        for i, (cell, label) in enumerate(zip(demand.cell, demand.label, strict=True))
    ]
    return Places(demand.lat, demand.lon, names, demand.population)


def open_now_places(index: SpatialIndex, filters: Filters, now: datetime) -> Places:
    """The points of the live index that pass `filters` at `now` (the points open now, as
    `nezlam coverage` counts them), named by their ids."""
    snap = index.snapshot
    _snap, hits = index.within_bbox(-180.0, -90.0, 180.0, 90.0, filters, now, max(len(snap), 1))
    rows = np.array([hit[0] for hit in hits], dtype=np.intp)
    return Places(snap.lat[rows], snap.lon[rows], [snap.views[r].id for r in rows])


def read_distance_table(
    path: str | Path,
    candidates: Sequence[str],
    demand: Sequence[str],
    columns: Sequence[str] = ("candidate", "demand", "metres"),
) -> np.ndarray:
    """A long table of (candidate name, demand name, metres) as a (demand × candidates)
    matrix; pairs not in the table are `inf` (out of reach)."""
    path = Path(path)
    site_of = {n: j for j, n in enumerate(candidates)}
    demand_of = {n: i for i, n in enumerate(demand)}
    matrix = np.full((len(demand), len(candidates)), np.inf)
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        site_col, demand_col, metres_col = (
            _column(path, header, (c,), what)
            for c, what in zip(columns, ("candidate", "demand", "metres"), strict=True)
        )
        for n, row in enumerate(reader, start=2):
            j = _lookup(path, n, site_col, row, site_of, "candidate")
            i = _lookup(path, n, demand_col, row, demand_of, "demand location")
            matrix[i, j] = _number(path, n, row, metres_col, 0, math.inf)
    return matrix


def candidates_from_osm(
    path: str | Path,
    tags: Sequence[tuple[str, str]] = OSM_CANDIDATES,
    progress: Callable[[int, int], None] | None = None,
) -> Places:
    """Nodes and closed ways of an OSM extract with one of `tags` (a building's centre for a
    way), named by their `name` tag or by what they are."""
    import osmium

    wanted = set(tags)
    keys = sorted({key for key, _value in tags})
    lat, lon, names = [], [], []
    for item in osm.objects(
        path, entities=osmium.osm.NODE | osmium.osm.WAY,
        filters=[osmium.filter.KeyFilter(*keys)], progress=progress,
    ):  # fmt: skip
        found = osm.tag_dict(item.tags)
        kind = next((f"{k}={v}" for k, v in found.items() if (k, v) in wanted), None)
        if kind is None:
            continue
        where = (item.location.lat, item.location.lon) if item.is_node() else None
        if item.is_way():
            where = osm.centroid(osm.way_positions(item))
        if where is None:
            continue
        lat.append(where[0])
        lon.append(where[1])
        names.append(
            found.get("name") or f"{kind} ({'node' if item.is_node() else 'way'} {item.id})"
        )
    if not names:
        raise InputError(
            f"{Path(path).name}: no objects tagged {', '.join(f'{k}={v}' for k, v in tags)}"
        )
    return Places(np.array(lat), np.array(lon), names)


def parse_tags(text: str) -> list[tuple[str, str]]:
    """'amenity=school,amenity=library' → [('amenity', 'school'), ('amenity', 'library')]."""
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key or not value:
            raise InputError(f"tag {part!r}: write key=value, such as amenity=school")
        pairs.append((key.strip(), value.strip()))
    return pairs


# --- helpers -------------------------------------------------------------------------------


def _open(path: Path) -> TextIO:
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from exc


@overload
def _column(
    path: Path,
    header: Sequence[str],
    names: Sequence[str],
    what: str,
    required: Literal[True] = ...,
) -> str: ...
@overload
def _column(
    path: Path, header: Sequence[str], names: Sequence[str], what: str, required: bool
) -> str | None: ...
def _column(
    path: Path, header: Sequence[str], names: Sequence[str], what: str, required: bool = True
) -> str | None:
    by_lower = {h.strip().lower(): h for h in header if h}
    for name in names:
        if name.lower() in by_lower:
            return by_lower[name.lower()]
    if not required:
        return None
    return _missing(path, header, names, what)


def _missing(path: Path, header: Sequence[str], names: Sequence[str], what: str) -> str:
    raise InputError(
        f"{path.name}: no {what} column (looked for {', '.join(names)}); "
        f"the columns are {', '.join(h for h in header if h) or 'none'}"
    )


def _number(path: Path, row: int, record: dict, column: str, low: float, high: float) -> float:
    text = (record.get(column) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"{path.name}, row {row}, column {column!r}: {text!r} is not a number"
        ) from None
    if not (math.isfinite(value) and low <= value <= high):
        limits = f"at least {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
        raise InputError(f"{path.name}, row {row}, column {column!r}: {text} should be {limits}")
    return value


def _lookup(path: Path, row: int, column: str, record: dict, known: dict, what: str) -> int:
    key = (record.get(column) or "").strip()
    if key not in known:
        raise InputError(f"{path.name}, row {row}, column {column!r}: no {what} named {key!r}")
    return known[key]
