"""A district for every demand row, so that coverage can be told per district.

Two ways, best first:

- **OSM administrative boundaries** (`boundary=administrative` areas of an extract): each row
  takes the name of the most local boundary that contains it (the highest `admin_level`, or the
  one level asked for). pyosmium assembles the boundary areas; relations cut off by the edge of
  an extract cannot be assembled and are left out.
- **The nearest point's locality or region** (any status, as the crow flies), when no
  boundaries are given: every point belongs to a locality and a region already, so this needs
  nothing more, but it draws district lines halfway between points rather than where they are.
  Only within AREA_M of a point: farther, a row is OUTSIDE any point's area rather than taking
  the name of a locality 2,000 km away (Monaco's people are not Kyiv's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.path import Path as Outline
from scipy.spatial import cKDTree

from nezlam.geo.distance import chord_to_metres, unit_vectors

AREA_M = 5_000.0  # a point's area, for naming districts after it: beyond an hour's walk
OUTSIDE = "(outside any point's area)"


@dataclass(frozen=True)
class AdminArea:
    """One administrative area: outer rings and holes, each an (n, 2) array of (lon, lat)."""

    name: str
    level: int
    outers: tuple[np.ndarray, ...]
    inners: tuple[np.ndarray, ...]

    def contains(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        where = np.column_stack([lon, lat])
        inside = np.zeros(len(where), bool)
        for ring in self.outers:
            inside |= Outline(ring).contains_points(where)
        for ring in self.inners:
            inside &= ~Outline(ring).contains_points(where)
        return inside


def read_admin_areas(path: str | Path, levels: Sequence[int] = ()) -> list[AdminArea]:
    """The named administrative areas of an OSM extract (only `levels` when given)."""
    import osmium

    wanted = osmium.filter.TagFilter(("boundary", "administrative"))
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.AREA)
        .with_areas(wanted)
        .with_filter(wanted)
    )
    areas = []
    for area in processor:
        if not isinstance(area, osmium.osm.Area):  # what area.is_area() checks
            continue
        name, level = area.tags.get("name"), _level(area.tags.get("admin_level"))
        if not name or level is None or levels and level not in levels:
            continue
        outers: list[np.ndarray] = []
        inners: list[np.ndarray] = []
        for outer in area.outer_rings():
            outers.append(np.array([(n.lon, n.lat) for n in outer]))
            inners.extend(
                np.array([(n.lon, n.lat) for n in inner]) for inner in area.inner_rings(outer)
            )
        if outers:
            areas.append(AdminArea(name, level, tuple(outers), tuple(inners)))
    return areas


def _level(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def label_by_areas(lat: np.ndarray, lon: np.ndarray, areas: Sequence[AdminArea]) -> np.ndarray:
    """The name of the most local area containing each location ("" where none does)."""
    labels = np.full(len(lat), "", dtype=object)
    best = np.full(len(lat), -1)
    for area in sorted(areas, key=lambda a: a.level):
        inside = area.contains(lat, lon) & (area.level >= best)
        labels[inside] = area.name
        best[inside] = area.level
    return labels


def nearest_point(
    lat: np.ndarray, lon: np.ndarray, point_lat: np.ndarray, point_lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(great-circle metres, index) of the nearest point to each location, degrees WGS84 in
    (lat, lon) arrays; (inf, -1) everywhere when there are no points."""
    if not len(point_lat):
        return np.full(len(lat), np.inf), np.full(len(lat), -1, np.intp)
    tree = cKDTree(unit_vectors(point_lat, point_lon))
    chord, nearest = tree.query(unit_vectors(lat, lon))
    return chord_to_metres(chord), np.asarray(nearest, np.intp)


def label_by_nearest(
    lat: np.ndarray,
    lon: np.ndarray,
    point_lat: np.ndarray,
    point_lon: np.ndarray,
    point_labels: Sequence[str],
    within_m: float = AREA_M,
) -> np.ndarray:
    """The label of the nearest point to each location, as the crow flies, when it is within
    `within_m` metres; OUTSIDE where no point is ("" if there are no points at all)."""
    if not len(point_lat):
        return np.full(len(lat), "", dtype=object)
    metres, nearest = nearest_point(lat, lon, point_lat, point_lon)
    labels = np.asarray(point_labels, dtype=object)[nearest]
    labels[metres > within_m] = OUTSIDE
    return labels
