"""The answer as people use it: ranked sites in a table, a CSV, a GeoJSON and a PNG map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nezlam.geo.streets import StreetNetwork
from nezlam.interchange.spreadsheet import csv_text
from nezlam.siting.inputs import Places
from nezlam.siting.problem import CoveringProblem, Solution

if TYPE_CHECKING:
    from matplotlib.axes import Axes

OSM_CREDIT = "© OpenStreetMap contributors"


def ranked_rows(solution: Solution, candidates: Places, population: np.ndarray) -> list[dict]:
    """One row per chosen site, best first: what it adds and where the total stands after it."""
    problem, total = solution.problem, float(population.sum()) or 1.0
    running, rows = problem.offset, []
    for rank, (site, gain) in enumerate(zip(solution.sites, solution.gains, strict=True), 1):
        running += problem.sense * gain
        row = {
            "rank": rank,
            "name": candidates.names[site],
            "lat": round(float(candidates.lat[site]), 6),
            "lon": round(float(candidates.lon[site]), 6),
        }
        if isinstance(problem, CoveringProblem):
            row["population_added"] = round(gain)
            row["population_covered"] = round(running)
            row["coverage_percent"] = round(100 * running / total, 2)
        else:
            row["person_metres_saved"] = round(gain)
            row["mean_distance_m"] = round(running / total, 1)
        rows.append(row)
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    """sites.csv; names come from OpenStreetMap or a CSV, so no formula runs in a spreadsheet."""
    names = list(rows[0]) if rows else ["rank"]
    table = [names, *([row.get(name) for name in names] for row in rows)]
    path.write_text(csv_text(table), encoding="utf-8", newline="")
    return path


def write_geojson(rows: list[dict], solution: Solution, path: Path) -> Path:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
        }
        for row in rows
    ]
    collection = {
        "type": "FeatureCollection",
        "features": features,
        "properties": {
            "method": solution.method,
            "objective": solution.objective,
            "bound": solution.bound,
            "gap": solution.gap,
            "optimal": solution.optimal,
        },
    }
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def draw_map(
    solution: Solution,
    demand: Places,
    candidates: Places,
    path: Path,
    title: str,
    existing: Places | None = None,
    network: StreetNetwork | None = None,
) -> Path:
    """Demand as dots sized by population (coloured by whether the new sites reach them, for
    covering), candidates as rings, chosen sites numbered by rank, existing points as squares."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 9), dpi=110)
    if network is not None:
        _draw_streets(axes, network)
    _draw_places(axes, solution, demand, candidates, existing)
    _draw_ranks(axes, solution, candidates)
    _label(axes, solution, demand, title)
    if network is not None:
        figure.text(0.99, 0.01, OSM_CREDIT, ha="right", va="bottom", fontsize=8, color="#444444")
    figure.tight_layout()
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def _draw_streets(axes: Axes, network: StreetNetwork) -> None:
    """Every street segment once, in light grey beneath the rest."""
    from matplotlib.collections import LineCollection

    rows = np.repeat(np.arange(network.nodes), np.diff(network.indptr))
    keep = rows < network.indices
    a, b = rows[keep], network.indices[keep]
    segments = np.stack(
        [np.column_stack([network.lon[a], network.lat[a]]),
         np.column_stack([network.lon[b], network.lat[b]])], axis=1,
    )  # fmt: skip
    axes.add_collection(LineCollection(list(segments), colors="#cccccc", linewidths=0.4, zorder=1))


def _draw_places(
    axes: Axes, solution: Solution, demand: Places, candidates: Places, existing: Places | None
) -> None:
    """Demand as dots sized by population and coloured by `_demand_colours`, candidates as
    rings, the points open today as black squares."""
    people = demand.population if demand.population is not None else np.ones(len(demand))
    size = 4 + 120 * people / max(float(people.max()), 1.0)
    axes.scatter(demand.lon, demand.lat, s=size, c=_demand_colours(solution), alpha=0.6,
                 linewidths=0, zorder=2)  # fmt: skip
    axes.scatter(candidates.lon, candidates.lat, s=30, facecolors="none", edgecolors="#555555",
                 linewidths=0.8, zorder=3, label="candidate sites")  # fmt: skip
    if existing is not None and len(existing):
        axes.scatter(existing.lon, existing.lat, s=40, marker="s", c="black", zorder=4,
                     label="open points today")  # fmt: skip


def _draw_ranks(axes: Axes, solution: Solution, candidates: Places) -> None:
    """The chosen sites as red discs numbered by rank."""
    for rank, site in enumerate(solution.sites, 1):
        x, y = candidates.lon[site], candidates.lat[site]
        axes.scatter([x], [y], s=260, c="#d62728", edgecolors="white", zorder=5)
        axes.annotate(str(rank), (x, y), ha="center", va="center", color="white",
                      fontsize=8, fontweight="bold", zorder=6)  # fmt: skip


def _label(axes: Axes, solution: Solution, demand: Places, title: str) -> None:
    """True to shape at the demand's mean latitude; the title, the axes' names, the legend."""
    axes.set_aspect(1 / np.cos(np.radians(float(np.mean(demand.lat)))))
    axes.set_title(title, fontsize=11)
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    handles, _labels = axes.get_legend_handles_labels()
    axes.legend(handles=handles + _colour_key(solution), loc="lower left", fontsize=8)


def _colour_key(solution: Solution) -> list:
    from matplotlib.lines import Line2D

    if not isinstance(solution.problem, CoveringProblem):
        return []
    return [
        Line2D([], [], marker="o", ls="", color=colour, label=label)
        for colour, label in (
            ("#1f77b4", "people the new points reach"),
            ("#ff7f0e", "people still out of reach"),
            ("#999999", "people in reach today"),
        )
    ]


def _demand_colours(solution: Solution) -> list[str]:
    """Covering: grey already covered, blue newly covered, orange still out of reach.
    p-median: all blue."""
    problem = solution.problem
    if not isinstance(problem, CoveringProblem):
        return ["#1f77b4"] * len(problem.population)
    reached = problem.state(solution.sites)
    return [
        "#999999" if before else "#1f77b4" if now else "#ff7f0e"
        for before, now in zip(problem.covered, reached, strict=True)
    ]
