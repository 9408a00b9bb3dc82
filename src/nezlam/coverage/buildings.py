"""Residents from OSM buildings, when no population grid exists: footprint × levels × a
density, counted only where a building is likely a home.

Most buildings in OSM say nothing but `building=yes`, without levels. Counting each of them as
a home of 3 levels (the first estimate) gave about 60,000 people inside Monaco's boundary
(37,308 live there, 2016 census) and about 194,000 inside Liechtenstein's (37,622 at the end of
2015, the extract's year): barns, workshops, hotels and offices counted as homes, and the same
3 levels were given to a village house and a Monaco block. Two things OSM does say fix most of
that:

- **Land use tells homes from the rest.** A building of a residential type (house, apartments,
  residential, detached, terrace, semidetached_house, dormitory, bungalow, farm…) is a home
  wherever it stands. An untyped `building=yes` is a home inside `landuse=residential`; inside
  any other land use (industrial, commercial, retail, farmyard, allotments, forest…) it is not;
  where no land use is mapped it counts as *half* a home, since nothing tells which it is
  (Monaco maps no residential land use, and among its untyped buildings are hotels, offices
  and the casino; Liechtenstein's villages without mapped land use hold barns and workshops
  among the houses). Any other building type (shed, garage, church, school, hotel…) is not a
  home.
- **Levels follow how much of the ground is built.** Without `building:levels` or `height`,
  an untyped or `residential` building takes one level for every full tenth of the ground that
  buildings cover around it (in its H3 cell of resolution 9, about 0.1 km², 350 m across),
  1 to 10: a village, where buildings cover 5–15 % of the ground, gets 1 level; Monaco's
  centre, 40–50 % built, 4. Denser ground mostly goes with taller buildings (Berghauser
  Pont and Haupt's Spacematrix relates the two: floor-space density = ground coverage ×
  levels, and city quarters cluster along that line by type). Typed homes keep their usual
  levels: 1 for a house, 2 for a terrace, 5 for apartments and dormitories.

With the default density (one resident per 30 m² of floor, see `population`) this gives 28,500
inside Monaco's boundary (0.76 × the census; before: 60,100) and 49,900 inside
Liechtenstein's (1.33 ×; before: 193,700; its homes are roomier than the Ukrainian 30 m² a
person assumes, and `--floor-m2-per-person 40` fits it). Monaco's whole extract, with the French
towns around it, gives 87,000 (before: 248,000). Rounding the levels instead of flooring them
(Monaco 0.87 ×, Liechtenstein 1.49 ×) or 8 or 12 levels per ground share (0.62 × and 1.27 ×;
0.88 × and 1.41 ×) were the other choices measured; one level a tenth errs as much either way.
`building:part` outlines are never read (they repeat their building's own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h3
import numpy as np
import shapely

from nezlam.geo.distance import EARTH_RADIUS_M

Progress = Callable[[int, int | None], None]

METRES_PER_LEVEL = 3.0
MAX_LEVELS = 10
LEVELS_PER_GROUND_SHARE = 10.0  # a level for every full tenth of the ground built around
GROUND_RESOLUTION = 9  # H3 cells over which that share is measured (about 0.1 km²)
UNKNOWN_HOME_SHARE = 0.5  # how much of an untyped building where no land use is mapped
UNTYPED = "yes"
# Home types and their usual levels; None: the levels of the ground around, like `yes`.
HOME_LEVELS: dict[str, float | None] = {
    "house": 1, "detached": 1, "semidetached_house": 1, "bungalow": 1, "cabin": 1, "farm": 1,
    "static_caravan": 1, "houseboat": 1, "terrace": 2, "apartments": 5, "dormitory": 5,
    "residential": None,
}  # fmt: skip
# What land use a building stands in.
NO_LANDUSE, RESIDENTIAL, OTHER_LANDUSE = 0, 1, 2


def tagged_levels(tags: dict[str, str]) -> float:
    """Levels from `building:levels`, else `height` ÷ 3 m; NaN when neither is usable."""
    for key, scale in (("building:levels", 1.0), ("height", 1 / METRES_PER_LEVEL)):
        text = tags.get(key, "").split(";")[0].strip().removesuffix("m").strip()
        try:
            value = float(text.replace(",", ".")) * scale
        except ValueError:
            continue
        if 0 < value < 200:
            return float(max(1.0, round(value)))
    return float("nan")


def home_share(kind: np.ndarray, landuse: np.ndarray) -> np.ndarray:
    """How much each building counts as a home (0, ½ or 1), by its `building` value and the
    land use it stands in."""
    typed_home = np.isin(kind, list(HOME_LEVELS))
    untyped = kind == UNTYPED
    by_landuse = np.array([UNKNOWN_HOME_SHARE, 1.0, 0.0])[landuse]
    return np.where(typed_home, 1.0, np.where(untyped, by_landuse, 0.0))


def levels(kind: np.ndarray, tagged: np.ndarray, ground_share: np.ndarray) -> np.ndarray:
    """Levels of each building: tagged, else its type's usual, else from the ground share."""
    usual = np.array([HOME_LEVELS.get(k) or np.nan for k in kind], dtype=np.float64)
    around = np.clip(np.floor(LEVELS_PER_GROUND_SHARE * ground_share), 1, MAX_LEVELS)
    return np.where(np.isfinite(tagged), tagged, np.where(np.isfinite(usual), usual, around))


def ground_share(lat: np.ndarray, lon: np.ndarray, footprint_m2: np.ndarray) -> np.ndarray:
    """Per building, the share of its H3 cell (resolution 9) that all buildings cover."""
    cells = [h3.latlng_to_cell(a, b, GROUND_RESOLUTION) for a, b in zip(lat, lon, strict=True)]
    names, which = np.unique(np.array(cells, dtype=object), return_inverse=True)
    cell_m2 = np.array([h3.cell_area(str(name), "m^2") for name in names])
    return (np.bincount(which, weights=footprint_m2, minlength=len(names)) / cell_m2)[which]


def ring_areas_m2(lat: np.ndarray, lon: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Areas in m² of closed rings (degrees) stored one after another, ring i from
    `starts[i]` to the next start: the shoelace formula in a local equirectangular projection
    around each ring's first node, exact enough at the size of a building."""
    first = np.repeat(starts, np.diff(np.append(starts, len(lat))))
    scale = np.pi / 180 * EARTH_RADIUS_M
    x = (lon - lon[first]) * scale * np.cos(np.radians(lat[first]))
    y = (lat - lat[first]) * scale
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross = np.append(cross, 0.0)
    cross[starts[1:] - 1] = 0.0  # the step from one ring's last node to the next ring's first
    return np.abs(np.add.reduceat(cross, starts)) / 2


@dataclass
class _Rings:
    """Rings of building areas gathered flat, for one vectorised area computation."""

    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    sign: list[float] = field(default_factory=list)  # +1 outer, -1 inner (a courtyard)
    owner: list[int] = field(default_factory=list)  # which building the ring belongs to

    def add(self, ring: Any, sign: float, owner: int) -> None:
        self.starts.append(len(self.lat))
        for node in ring:
            self.lat.append(node.lat)
            self.lon.append(node.lon)
        self.sign.append(sign)
        self.owner.append(owner)


@dataclass
class _Extract:
    """What one read of an extract gathers: building rings with their tags, land-use areas."""

    rings: _Rings = field(default_factory=_Rings)
    kind: list[str] = field(default_factory=list)
    tagged: list[float] = field(default_factory=list)
    landuse: list[Any] = field(default_factory=list)  # shapely polygons
    residential: list[bool] = field(default_factory=list)

    def add_building(self, area: Any, tags: dict[str, str]) -> None:
        for outer in area.outer_rings():
            self.rings.add(outer, 1.0, len(self.kind))
            for inner in area.inner_rings(outer):
                self.rings.add(inner, -1.0, len(self.kind))
        self.kind.append(tags["building"])
        self.tagged.append(tagged_levels(tags))

    def add_landuse(self, area: Any, value: str) -> None:
        for outer in area.outer_rings():
            holes = [[(n.lon, n.lat) for n in inner] for inner in area.inner_rings(outer)]
            self.landuse.append(shapely.Polygon([(n.lon, n.lat) for n in outer], holes))
            self.residential.append(value == "residential")


def read_homes(
    path: str | Path, progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, floor m² counted as homes) per building of an OSM extract, each at the
    area-weighted centre of its outer rings; buildings that count for nothing are left out.

    One read: pyosmium assembles the building and land-use areas (closed ways and multipolygon
    relations, rings joined from several ways, courtyards cut out), which takes it two passes
    over the file; the total is not known while reading, so progress counts the areas read."""
    extract = _read(path, progress)
    lat, lon, footprint = _footprints(extract.rings, len(extract.kind))
    kind, tagged = np.array(extract.kind, dtype=object), np.array(extract.tagged)
    landuse = _landuse_at(lat, lon, extract.landuse, np.array(extract.residential, dtype=bool))
    share = ground_share(lat, lon, footprint)
    floor = footprint * home_share(kind, landuse) * levels(kind, tagged, share)
    keep = floor > 0
    return lat[keep], lon[keep], floor[keep]


def _read(path: str | Path, progress: Progress | None) -> _Extract:
    import osmium

    extract, seen = _Extract(), 0
    wanted = osmium.filter.KeyFilter("building", "landuse")
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.AREA)
        .with_areas(wanted)
        .with_filter(wanted)
    )
    for area in processor:
        if not isinstance(area, osmium.osm.Area):  # what area.is_area() checks
            continue
        seen += 1
        if progress and seen % 5000 == 0:
            progress(seen, None)
        tags = {tag.k: tag.v for tag in area.tags}
        if tags.get("building", "no") != "no":
            extract.add_building(area, tags)
        elif "landuse" in tags and "building" not in tags:
            extract.add_landuse(area, tags["landuse"])
    if progress:
        progress(seen, seen)
    return extract


def _footprints(rings: _Rings, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre lat, centre lon, footprint m²) per building: outer rings minus courtyards,
    centred on its outer rings weighted by their areas."""
    lat, lon = np.array(rings.lat), np.array(rings.lon)
    starts = np.array(rings.starts, dtype=np.int64)
    if not len(starts):
        return np.empty(0), np.empty(0), np.empty(0)
    sign = np.array(rings.sign)
    signed = ring_areas_m2(lat, lon, starts) * sign
    owner = np.array(rings.owner)
    footprint = np.maximum(np.bincount(owner, weights=signed, minlength=count), 0.0)
    outer = np.where(sign > 0, signed, 0.0)
    # A ring's centre is the mean of its corners; its last node closes it, repeating the first.
    last = np.append(starts[1:], len(lat)) - 1
    corners = np.maximum(last - starts, 1)
    ring_lat = (np.add.reduceat(lat, starts) - lat[last]) / corners
    ring_lon = (np.add.reduceat(lon, starts) - lon[last]) / corners
    weight = np.bincount(owner, weights=outer, minlength=count)
    weight = np.where(weight > 0, weight, 1.0)
    centre_lat = np.bincount(owner, weights=outer * ring_lat, minlength=count) / weight
    centre_lon = np.bincount(owner, weights=outer * ring_lon, minlength=count) / weight
    return centre_lat, centre_lon, footprint


def _landuse_at(
    lat: np.ndarray, lon: np.ndarray, polygons: list[Any], residential: np.ndarray
) -> np.ndarray:
    """NO_LANDUSE, RESIDENTIAL or OTHER_LANDUSE for each point: residential wins where land
    uses overlap (a housing estate drawn inside a town's wider land use)."""
    found = np.full(len(lat), NO_LANDUSE, dtype=np.int8)
    if not polygons or not len(lat):
        return found
    tree = shapely.STRtree(polygons)
    point, polygon = tree.query(shapely.points(lon, lat), predicate="within")
    found[point[~residential[polygon]]] = OTHER_LANDUSE
    found[point[residential[polygon]]] = RESIDENTIAL
    return found
