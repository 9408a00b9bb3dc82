"""The files `nezlam coverage` writes, where the coordinators' coverage page reads them:
coverage.csv (shares per district and threshold), coverage.geojson (every cell with its
`minutes`, for the map), uncovered.geojson (cells beyond the largest threshold, with their
people) and coverage.png."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from nezlam.coverage.maps import draw_map
from nezlam.coverage.walk import Coverage, OpenPoints, coverage_layer, uncovered_layer
from nezlam.geo.streets import StreetNetwork
from nezlam.interchange.spreadsheet import csv_text

FILES = 4  # what write_all writes, for a progress bar


def title(network: StreetNetwork, services: list[str], now: datetime) -> str:
    """The map's title: "Monaco: walk to a point open now with heat (2026-12-01 18:00 UTC)"."""
    what = f" with {', '.join(services)}" if services else ""
    place = network.name[:1].upper() + network.name[1:] if network.name else "Streets"
    return f"{place}: walk to a point open now{what} ({now:%Y-%m-%d %H:%M} UTC)"


def write_all(
    result: Coverage,
    network: StreetNetwork,
    points: OpenPoints,
    out: Path,
    map_title: str,
    wrote: Callable[[Path], None] = lambda path: None,
) -> list[Path]:
    """Write the four files into `out` (made if missing), calling `wrote` after each."""
    out.mkdir(parents=True, exist_ok=True)
    written = [write_csv(result, out / "coverage.csv")]
    wrote(written[-1])
    for name, layer in (("coverage", coverage_layer), ("uncovered", uncovered_layer)):
        target = out / f"{name}.geojson"
        target.write_text(json.dumps(layer(result), ensure_ascii=False), encoding="utf-8")
        written.append(target)
        wrote(target)
    written.append(
        draw_map(result, network, points.lat, points.lon, out / "coverage.png", map_title)
    )
    wrote(written[-1])
    return written


def write_csv(result: Coverage, path: Path) -> Path:
    """coverage.csv; districts are localities people typed or OSM names: no live formulas."""
    table: list[list[object]] = [["district", "population", "minutes", "covered", "share"]]
    for name, total, covered in result.by_district():
        for limit, people in zip(result.thresholds, covered, strict=True):
            share = round(people / total, 4) if total > 0 else ""
            table.append([name or "all", round(total), limit, round(people), share])
    path.write_text(csv_text(table), encoding="utf-8", newline="")
    return path
