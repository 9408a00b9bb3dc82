"""Gazetteer entries from an OpenStreetMap file: addresses, named streets and named places.

- an address is any node, way or multipolygon with `addr:housenumber` (ways and relations at
  the mean of their nodes), under `addr:street` or else `addr:place`;
- a place is a named `place=*` node or way of the kinds in `PLACE_TYPES`;
- a street is one entry per street name and locality, at the middle node of its most central way.

OSM addresses seldom say their town, so what has no `addr:city` gets the nearest settlement
node, a city counting from farther away than a hamlet (`SETTLEMENT_REACH_M`).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from scipy.spatial import cKDTree

from nezlam.geo import osm
from nezlam.geo.distance import chord_to_metres, unit_vectors
from nezlam.places import store
from nezlam.places.records import PlaceKind, PlaceRecord
from nezlam.store.db import Database

PLACE_TYPES = frozenset(
    [
        *["city", "town", "village", "hamlet", "isolated_dwelling", "borough", "suburb"],
        *["quarter", "neighbourhood", "city_block", "square", "locality", "farm", "island"],
        *["islet"],
    ]
)
# How far a settlement lends its name to addresses and streets that do not state theirs.
SETTLEMENT_REACH_M = {"city": 20_000.0, "town": 8_000.0, "village": 4_000.0, "hamlet": 1_500.0}
# highway=* values that are not streets a resident would name as an address.
NOT_STREETS = frozenset(
    [
        *["platform", "bus_stop", "proposed", "construction", "abandoned", "razed", "disused"],
        *["elevator", "corridor", "rest_area", "services", "raceway", "emergency_bay"],
    ]
)
# Names kept besides `name`: the languages residents type in, and the usual alternatives.
OTHER_NAMES = (
    "name:uk",
    "name:en",
    "name:de",
    "name:ru",
    "name:pl",
    "name:fr",
    "name:it",
    "int_name",
    "alt_name",
    "old_name",
    "official_name",
    "short_name",
    "loc_name",
)
KEYS = ("addr:housenumber", "place", "highway")

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total): stage "read" counts bytes, "store" counts rows."""


@dataclass
class _Street:
    name: str
    names: dict[str, str]
    highway: str
    osm_id: str
    lat: float
    lon: float


@dataclass
class OsmPlaces:
    records: list[PlaceRecord] = field(default_factory=list)
    skipped: int = 0  # house numbers with neither a street, a place nor a name

    def counts(self) -> dict[str, int]:
        counts = Counter(record.kind.value for record in self.records)
        return {kind.value: counts.get(kind.value, 0) for kind in PlaceKind}


@dataclass
class ImportReport:
    source: str
    removed: int
    added: int
    counts: dict[str, int]
    skipped: int
    seconds: float


class _Collector:
    """Turns the objects of one pass over the file into records."""

    def __init__(self, relation_ways: dict[int, list[int]]) -> None:
        self.relation_ways = relation_ways
        self.wanted_ways = {way for ways in relation_ways.values() for way in ways}
        self.way_centres: dict[int, tuple[float, float, int]] = {}
        self.result = OsmPlaces()
        self.streets: list[_Street] = []

    def take(self, obj: Any) -> None:
        if obj.is_node():
            if obj.location.valid():
                self._tagged(obj.tags, f"n{obj.id}", obj.location.lat, obj.location.lon, None)
        elif obj.is_way():
            self._way(obj)
        elif obj.is_relation():
            self._relation(obj)

    def _way(self, way: Any) -> None:
        tags = way.tags
        wanted = way.id in self.wanted_ways
        if not (wanted or "addr:housenumber" in tags or "place" in tags or "highway" in tags):
            return
        positions = osm.way_positions(way)
        centre = osm.centroid(positions)
        if centre is None:
            return
        if wanted:
            self.way_centres[way.id] = (centre[0], centre[1], len(positions))
        self._tagged(tags, f"w{way.id}", centre[0], centre[1], osm.middle(positions))

    def _relation(self, relation: Any) -> None:
        parts = [self.way_centres[w] for w in self.relation_ways.get(relation.id, ())]
        parts = [part for part in parts if part]
        weight = sum(part[2] for part in parts)
        if not weight:
            return
        lat = sum(part[0] * part[2] for part in parts) / weight
        lon = sum(part[1] * part[2] for part in parts) / weight
        self._tagged(relation.tags, f"r{relation.id}", lat, lon, None)

    def _tagged(
        self,
        tags: Any,
        osm_id: str,
        lat: float,
        lon: float,
        line_middle: tuple[float, float] | None,
    ) -> None:
        name = tags.get("name")
        if "addr:housenumber" in tags:
            self._address(tags, osm_id, lat, lon)
        if name and tags.get("place") in PLACE_TYPES:
            self.result.records.append(
                PlaceRecord(
                    kind=PlaceKind.PLACE,
                    lat=lat,
                    lon=lon,
                    name=name,
                    names=osm.pick_tags(tags, OTHER_NAMES),
                    place_type=tags.get("place"),
                    osm_id=osm_id,
                )
            )
        highway = tags.get("highway")
        if name and line_middle and highway and highway not in NOT_STREETS:
            names = osm.pick_tags(tags, OTHER_NAMES)
            self.streets.append(_Street(name, names, highway, osm_id, *line_middle))

    def _address(self, tags: Any, osm_id: str, lat: float, lon: float) -> None:
        street = tags.get("addr:street") or tags.get("addr:place")
        name = tags.get("name") or tags.get("addr:housename")
        if not street and not name:
            self.result.skipped += 1
            return
        # "3;5" is two house numbers on one building.
        for number in tags.get("addr:housenumber", "").split(";"):
            if number.strip():
                self.result.records.append(
                    PlaceRecord(
                        kind=PlaceKind.ADDRESS,
                        lat=lat,
                        lon=lon,
                        name=name,
                        names=osm.pick_tags(tags, OTHER_NAMES) if name else {},
                        housenumber=number.strip(),
                        street=street,
                        locality=tags.get("addr:city"),
                        postcode=tags.get("addr:postcode"),
                        osm_id=osm_id,
                    )
                )


def _nearest_settlements(
    settlements: list[PlaceRecord], lats: np.ndarray, lons: np.ndarray
) -> list[str | None]:
    """For each position, the settlement whose reach it is deepest inside, or None."""
    if not settlements or not len(lats):
        return [None] * len(lats)
    tree = cKDTree(unit_vectors([s.lat for s in settlements], [s.lon for s in settlements]))
    reach = np.array([SETTLEMENT_REACH_M[s.place_type or ""] for s in settlements])
    k = min(8, len(settlements))
    chords, found = tree.query(unit_vectors(lats, lons), k=k)
    # Arrays for many points (the stubs also allow one point's scalars).
    chords = np.asarray(chords).reshape(len(lats), k)
    found = np.asarray(found).reshape(len(lats), k)
    depth = chord_to_metres(chords) / reach[found]
    best = depth.argmin(axis=1)
    names = []
    for row, column in enumerate(best):
        inside = depth[row, column] < 1.0
        names.append(settlements[found[row, column]].name if inside else None)
    return names


def _streets(streets: list[_Street], localities: list[str | None]) -> list[PlaceRecord]:
    groups: dict[tuple[str, str | None], list[_Street]] = defaultdict(list)
    for street, locality in zip(streets, localities, strict=True):
        groups[(street.name, locality)].append(street)
    records = []
    for (name, locality), ways in groups.items():
        mean_lat = sum(w.lat for w in ways) / len(ways)
        mean_lon = sum(w.lon for w in ways) / len(ways)
        central = min(ways, key=lambda w: (w.lat - mean_lat) ** 2 + (w.lon - mean_lon) ** 2)
        names: dict[str, str] = {}
        for way in ways:
            for key, value in way.names.items():
                names.setdefault(key, value)
        records.append(
            PlaceRecord(
                kind=PlaceKind.STREET,
                lat=central.lat,
                lon=central.lon,
                name=name,
                names=names,
                locality=locality,
                place_type=central.highway,
                osm_id=central.osm_id,
            )
        )
    return records


def read_places(path: str | Path, progress: Progress | None = None) -> OsmPlaces:
    """Every gazetteer entry in an OSM file (read twice: relations first, then everything)."""
    relation_ways = osm.relation_way_members(path, osmium.filter.KeyFilter("addr:housenumber"))
    collector = _Collector(relation_ways)
    # Nodes and relations are filtered in C++; all ways reach Python, as members of multipolygon
    # addresses are often untagged.
    key_filter = osmium.filter.KeyFilter(*KEYS)
    key_filter.enable_for(osmium.osm.NODE | osmium.osm.RELATION)
    on_bytes = (lambda done, total: progress("read", done, total)) if progress else None
    for obj in osm.objects(path, filters=[key_filter], progress=on_bytes):
        collector.take(obj)
    result = collector.result

    def is_settlement(record: PlaceRecord) -> bool:
        return record.kind is PlaceKind.PLACE and record.place_type in SETTLEMENT_REACH_M

    settlements = [r for r in result.records if is_settlement(r)]
    need = [r for r in result.records if r.locality is None and not is_settlement(r)]
    lats = np.array([r.lat for r in need] + [s.lat for s in collector.streets])
    lons = np.array([r.lon for r in need] + [s.lon for s in collector.streets])
    localities = _nearest_settlements(settlements, lats, lons)
    for record, locality in zip(need, localities, strict=False):
        record.locality = locality
    result.records.extend(_streets(collector.streets, localities[len(need) :]))
    return result


def import_file(
    db: Database, path: str | Path, source: str | None = None, progress: Progress | None = None
) -> ImportReport:
    """Reads an OSM file and replaces the gazetteer entries of its source (by default the file's
    name) in one transaction: importing the same file again leaves one copy."""
    started = time.monotonic()
    source = source or Path(path).name
    found = read_places(path, progress)
    total = len(found.records)
    on_rows = (lambda done: progress("store", done, total)) if progress else None
    with db.write() as session:
        removed, added = store.replace_source(session, source, found.records, on_rows)
    return ImportReport(
        source=source,
        removed=removed,
        added=added,
        counts=found.counts(),
        skipped=found.skipped,
        seconds=time.monotonic() - started,
    )
