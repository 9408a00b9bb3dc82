"""A point far from the other points of its region is most often a typing mistake: latitude and
longitude swapped (a Kyiv point lands in Iraq), a sign or a decimal point lost. Such rows are
warned about, not refused: a region may really have one point far out.

The middle of a region is the median latitude and longitude of its points, existing and
imported together, so a few wrong rows do not move it. 300 km is more than any oblast's
reach from its middle, and far less than where a swapped or mistyped coordinate lands.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from nezlam.geo.distance import haversine_m

FAR_KM = 300.0
MIN_OTHERS = 3


@dataclass(frozen=True)
class FarPoint:
    row: int
    region: str
    km: float
    middle: tuple[float, float]
    swapped_fits: bool
    """Whether swapping lat and lon would put it near the others."""

    def message(self) -> str:
        """The same words for every far row of a region, so that they are counted as one."""
        lat, lon = self.middle
        text = (
            f"more than {FAR_KM:.0f} km from the other points of {self.region} (their middle is "
            f"near {lat:.2f}, {lon:.2f})"
        )
        return text + (": lat and lon swapped?" if self.swapped_fits else ": check lat and lon")


class Spread:
    """Positions by region: existing points (row 0) and the rows of this import."""

    def __init__(self) -> None:
        self._positions: dict[str, tuple[array[float], array[float], array[int]]] = {}

    def add(self, region: str, lat: float, lon: float, row: int = 0) -> None:
        lats, lons, rows = self._positions.setdefault(region, (array("d"), array("d"), array("q")))
        lats.append(lat)
        lons.append(lon)
        rows.append(row)

    def far_points(self) -> Iterator[FarPoint]:
        for region, (lats, lons, rows) in sorted(self._positions.items()):
            if len(lats) <= MIN_OTHERS:
                continue
            lat, lon, row = (
                np.frombuffer(a, dtype=t) for a, t in ((lats, "f8"), (lons, "f8"), (rows, "i8"))
            )
            middle = float(np.median(lat)), float(np.median(lon))
            km = haversine_m(lat, lon, *middle) / 1000
            swapped_km = haversine_m(lon, lat, *middle) / 1000
            for at in np.flatnonzero((km > FAR_KM) & (row > 0)):
                yield FarPoint(
                    int(row[at]), region, float(km[at]), middle, bool(swapped_km[at] <= FAR_KM)
                )
