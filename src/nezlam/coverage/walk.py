"""Walking coverage: how many people live within each walking time of an open point.

Every demand row (an H3 cell's centre, or a place) is snapped to the nearest street segment;
one multi-source walk from the open points (`StreetNetwork.nearest_sources`, or the live
`Walking.reach`) gives every street node its distance to the nearest of them; a row's walking
distance is the walk from where it meets the street (its offset to the street included), and
its minutes are that distance at the walking speed. A row the network cannot reach (no open
point at all) has infinite minutes and counts as uncovered.

Only where the streets reach, as in the finder: a row more than `snap_m` from every street, and
an open point that is (`OpenPoints.on_network` false), are not walked on the network; such a
pair takes the straight line × the detour factor (`domain.walk_estimate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numpy as np

from nezlam.coverage.districts import nearest_point
from nezlam.coverage.population import Demand
from nezlam.domain.walk_estimate import DETOUR_FACTOR
from nezlam.geo.streets import Reach, StreetNetwork

ALL = ""  # the label of the whole area in per-district tables


@dataclass(frozen=True)
class OpenPoints:
    """The points walked to (degrees WGS84) and whether each lies on the street network; the
    multi-source walk from those on it is the `Reach`."""

    lat: np.ndarray
    lon: np.ndarray
    on_network: np.ndarray  # bool


@dataclass(frozen=True)
class Coverage:
    """Walking minutes to the nearest open point for every demand row, and the thresholds
    (minutes, ascending) the shares are told at. `nearest` is the index of the nearest point
    in the sources walked from (-1 where none is reachable on the streets, or where a
    straight-line estimate was nearer)."""

    demand: Demand
    minutes: np.ndarray
    nearest: np.ndarray
    thresholds: tuple[float, ...]

    @property
    def total(self) -> float:
        return self.demand.total

    def covered(self, rows: np.ndarray | None = None) -> np.ndarray:
        """People within each threshold (one figure per threshold), among `rows` or all."""
        minutes = self.minutes if rows is None else self.minutes[rows]
        people = self.demand.population if rows is None else self.demand.population[rows]
        return np.array([people[minutes <= limit].sum() for limit in self.thresholds])

    def by_district(self) -> list[tuple[str, float, np.ndarray]]:
        """(district, people, people within each threshold): the whole area first (label
        ALL), then each district by population, largest first; rows without a district are
        "(unknown)"."""
        rows = [(ALL, self.total, self.covered())]
        labels = np.array([str(label) or "(unknown)" for label in self.demand.label])
        for name in np.unique(labels):
            mine = np.flatnonzero(labels == name)
            rows.append((str(name), float(self.demand.population[mine].sum()), self.covered(mine)))
        rows[1:] = sorted(rows[1:], key=lambda row: (-row[1], row[0]))
        return rows

    @property
    def uncovered(self) -> np.ndarray:
        """Rows beyond the largest threshold (or unreachable)."""
        return np.flatnonzero(~(self.minutes <= self.thresholds[-1]))


def parse_minutes(text: str) -> tuple[float, ...]:
    """Thresholds from text: "5,10,15,20" → (5.0, 10.0, 15.0, 20.0), ascending, each positive."""
    try:
        values = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise ValueError(f"--minutes: {text!r} is not a list of numbers such as 5,10,15") from exc
    if not values or values[0] <= 0 or not math.isfinite(values[-1]):
        raise ValueError(f"--minutes: {text!r} needs positive numbers of minutes")
    return tuple(values)


def walking_coverage(
    network: StreetNetwork,
    demand: Demand,
    reach: Reach,
    thresholds: Sequence[float],
    speed_kmh: float,
    snap_m: float = math.inf,
    points: OpenPoints | None = None,
) -> Coverage:
    """Walking minutes from every demand row to the nearest source of `reach`; rows more than
    `snap_m` metres from the streets, and `points` off the network, by the straight-line
    estimate instead."""
    snaps = network.snap(demand.lat, demand.lon)
    metres, nearest = network.walking_distance(reach, snaps)
    off_streets = snaps.offset > snap_m
    metres[off_streets] = np.inf
    if points is not None:
        estimate = estimated_metres(demand, points, off_streets)
        nearest = np.where(estimate < metres, -1, nearest)
        metres = np.minimum(metres, estimate)
    minutes = metres / (speed_kmh * 1000 / 60)
    nearest = np.where(np.isfinite(minutes), nearest, -1)
    return Coverage(demand, minutes, nearest, tuple(sorted(thresholds)))


def estimated_metres(demand: Demand, points: OpenPoints, off_streets: np.ndarray) -> np.ndarray:
    """Per demand row, the straight-line estimate (× the detour factor) to the nearest open
    point the streets cannot measure the walk to: any point for a row off the streets, the
    points off the network for the others."""
    estimate = np.full(len(demand), np.inf)
    for rows, which in (
        (off_streets, np.ones_like(points.on_network)),
        (~off_streets, ~points.on_network),
    ):
        if rows.any() and which.any():
            straight, _nearest = nearest_point(
                demand.lat[rows], demand.lon[rows], points.lat[which], points.lon[which]
            )
            estimate[rows] = straight * DETOUR_FACTOR
    return estimate


# --- layers ---------------------------------------------------------------------------------


def band(minutes: float, thresholds: Sequence[float]) -> str:
    """The walking band a time falls in: "≤ 5 min", …, "> 20 min"."""
    for limit in thresholds:
        if minutes <= limit:
            return f"≤ {limit:g} min"
    return f"> {thresholds[-1]:g} min"


def _geometry(cell: str, lat: float, lon: float) -> dict[str, object]:
    """The H3 cell's hexagon (GeoJSON order: lon, lat; closed ring), or the bare place."""
    if not cell:
        return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
    ring = [[round(b, 6), round(a, 6)] for a, b in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [ring + ring[:1]]}


def _features(coverage: Coverage, rows: np.ndarray) -> list[dict[str, object]]:
    demand = coverage.demand
    features: list[dict[str, object]] = []
    for row in rows.tolist():
        minutes = float(coverage.minutes[row])
        properties = {
            "population": round(float(demand.population[row]), 1),
            "minutes": round(minutes, 1) if math.isfinite(minutes) else None,
            "band": band(minutes, coverage.thresholds),
            "district": str(demand.label[row]) or None,
            "h3": str(demand.cell[row]) or None,
        }
        geometry = _geometry(str(demand.cell[row]), demand.lat[row], demand.lon[row])
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return features


def _collection(features: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        **extra,
        "attribution": "© OpenStreetMap contributors",
        "features": features,
    }


def coverage_layer(coverage: Coverage) -> dict[str, object]:
    """Every demand row with its walking minutes (null where no open point is reachable): the
    layer the coordinator map colours by minutes."""
    rows = np.arange(len(coverage.demand))
    return _collection(_features(coverage, rows), thresholds=list(coverage.thresholds))


def uncovered_layer(coverage: Coverage) -> dict[str, object]:
    """The rows beyond the largest threshold, most people first."""
    rows = coverage.uncovered
    rows = rows[np.argsort(-coverage.demand.population[rows], kind="stable")]
    return _collection(
        _features(coverage, rows),
        beyond_minutes=coverage.thresholds[-1],
        population=round(float(coverage.demand.population[rows].sum()), 1),
    )
