"""The coverage map: every cell coloured by its walking minutes to the nearest open point.

Drawn with matplotlib (Agg, no display needed) in a local equirectangular view, which is true to
shape at a city's scale: cells in walking bands from green (near) to red (beyond the largest
threshold), grey for cells no open point can be reached from, the streets faintly beneath, open
points as black-ringed white dots, a legend with the people in each band, and the OSM credit.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import h3  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from nezlam.coverage.walk import Coverage  # noqa: E402
from nezlam.geo.streets import StreetNetwork  # noqa: E402

NEAR_TO_FAR = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#f46d43"]
BEYOND = "#d73027"
UNREACHABLE = "#9e9e9e"
CREDIT = "© OpenStreetMap contributors"


def band_colours(count: int) -> list[str]:
    """One colour per threshold band, green to orange, spread over the palette."""
    picks = np.linspace(0, len(NEAR_TO_FAR) - 1, count).round().astype(int)
    return [NEAR_TO_FAR[i] for i in picks]


def _band_index(minutes: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """0..k-1 for the bands, k beyond the last threshold, k+1 where unreachable."""
    index = np.searchsorted(np.asarray(thresholds), minutes, side="left")
    return np.where(np.isfinite(minutes), index, len(thresholds) + 1)


def _shapes(coverage: Coverage, kx: float) -> list[np.ndarray]:
    """Each row's hexagon in map coordinates (x = lon × cos(lat0), y = lat); a small square
    for a bare place."""
    demand = coverage.demand
    shapes = []
    for cell, lat, lon in zip(demand.cell, demand.lat, demand.lon, strict=True):
        if cell:
            ring = np.array(h3.cell_to_boundary(str(cell)))
            shapes.append(np.column_stack([ring[:, 1] * kx, ring[:, 0]]))
        else:
            d = 0.0005  # about 50 m
            corners = [(-d, -d), (d, -d), (d, d), (-d, d)]
            shapes.append(np.array([((lon + dx) * kx, lat + dy) for dx, dy in corners]))
    return shapes


def draw_map(
    coverage: Coverage,
    network: StreetNetwork,
    points_lat: np.ndarray,
    points_lon: np.ndarray,
    path: str | Path,
    title: str,
) -> Path:
    """Write the coverage map as a PNG."""
    thresholds = coverage.thresholds
    kx = math.cos(math.radians(float(np.mean(coverage.demand.lat))))
    colours = [*band_colours(len(thresholds)), BEYOND, UNREACHABLE]
    bands = _band_index(coverage.minutes, thresholds)
    shapes = _shapes(coverage, kx)
    figure, axes = plt.subplots(figsize=_figure_size(shapes), dpi=120)
    _draw_streets(axes, network, kx)
    _draw_cells(axes, shapes, [colours[b] for b in bands])
    points_x = np.asarray(points_lon) * kx
    _draw_points(axes, points_x, points_lat)
    _legend(axes, coverage, colours, bands)
    axes.set_title(f"{title}\n{_headline(coverage)}", fontsize=12, loc="left")
    _frame(axes, shapes, points_x, points_lat)
    axes.text(
        0.995, 0.005, CREDIT, transform=axes.transAxes, ha="right", va="bottom", fontsize=8,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"}, zorder=5,
    )  # fmt: skip
    path = Path(path)
    figure.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(figure)
    return path


def _draw_cells(axes: plt.Axes, shapes: list[np.ndarray], colours: list[str]) -> None:
    """The cells filled with their band's colour, half see-through over the streets."""
    cells = PolyCollection(
        shapes,
        facecolors=colours,
        edgecolors="white",
        linewidths=0.2,
        alpha=0.72,
        zorder=2,
    )
    axes.add_collection(cells)


def _draw_points(axes: plt.Axes, x: np.ndarray, y: np.ndarray) -> None:
    """The open points as white dots ringed in black, above the cells."""
    axes.scatter(
        x, y, s=60, c="white", edgecolors="black", linewidths=1.5, zorder=4, label="open point"
    )


def _frame(axes: plt.Axes, shapes: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
    """True to shape, fitted around every cell and point (x, y), without ticks: x is not the
    longitude but longitude × cos(lat0)."""
    axes.set_aspect("equal")
    corners = np.concatenate([*shapes, np.column_stack([x, y])])
    axes.set_xlim(corners[:, 0].min() - 0.002, corners[:, 0].max() + 0.002)
    axes.set_ylim(corners[:, 1].min() - 0.002, corners[:, 1].max() + 0.002)
    axes.set_xticks([])
    axes.set_yticks([])


def _figure_size(shapes: list[np.ndarray]) -> tuple[float, float]:
    """Inches for the map, following the area's shape (the legend sits to the right)."""
    corners = np.concatenate(shapes)
    width, height = np.ptp(corners[:, 0]) or 1e-3, np.ptp(corners[:, 1]) or 1e-3
    map_width = 9.0 if width >= height else max(4.0, 9.0 * width / height)
    return map_width + 3.5, max(4.0, map_width * height / width)


def _headline(coverage: Coverage) -> str:
    """ "Within 15 min: 44 % of 248,159 people" for the threshold nearest to 15 minutes."""
    thresholds = coverage.thresholds
    pick = int(np.argmin([abs(limit - 15) for limit in thresholds]))
    covered = coverage.covered()[pick]
    share = 100 * covered / coverage.total if coverage.total > 0 else 0.0
    return f"within {thresholds[pick]:g} min: {share:.0f} % of {coverage.total:,.0f} people"


def _draw_streets(axes: plt.Axes, network: StreetNetwork, kx: float) -> None:
    rows = np.repeat(np.arange(network.nodes), np.diff(network.indptr))
    keep = rows < network.indices  # each street segment once
    u, v = rows[keep], network.indices[keep]
    x, y = network.lon * kx, network.lat
    segments = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    axes.add_collection(LineCollection(list(segments), colors="#8a8a8a", linewidths=0.35, zorder=1))


def _legend(axes: plt.Axes, coverage: Coverage, colours: list[str], bands: np.ndarray) -> None:
    thresholds = coverage.thresholds
    people = np.bincount(bands, weights=coverage.demand.population, minlength=len(colours))
    names = [f"≤ {thresholds[0]:g} min"]
    names += [f"{a:g}–{b:g} min" for a, b in zip(thresholds, thresholds[1:], strict=False)]
    names += [f"> {thresholds[-1]:g} min", "no open point reachable"]
    handles: list[Artist] = [
        Patch(facecolor=colour, edgecolor="none", label=f"{name}: {count:,.0f} people")
        for colour, name, count in zip(colours, names, people, strict=True)
        if count > 0 or name != names[-1]
    ]
    handles.append(
        axes.scatter(
            [], [], s=60, c="white", edgecolors="black", linewidths=1.5, label="open point"
        )
    )
    axes.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
        title="Walk to the nearest open point", fontsize=9, title_fontsize=10, frameon=False,
    )  # fmt: skip
