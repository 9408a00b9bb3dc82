"""What `nezlam coverage` and `nezlam site` walk between: the people (a population file or an
estimate from buildings, cut to the street network's area) and the points open now (from the
database through the live index, so that freshness applies exactly as in the finder).

Each step says what the person running it should know as `Note`s: people beyond the streets,
points off them, a population that looks like another city's. The commands print them; the
functions here print nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from nezlam.config import Settings
from nezlam.coverage import districts, population
from nezlam.coverage.population import Demand, PopulationError, Progress
from nezlam.coverage.walk import OpenPoints
from nezlam.domain.vocabulary import SERVICES
from nezlam.geo.spatial_index import Filters, Snapshot, SpatialIndex
from nezlam.geo.streets import Reach, StreetNetwork
from nezlam.geo.walking import Walking
from nezlam.index_sync import IndexSync
from nezlam.store.db import Database

MARGIN_DEG = 0.01  # about 1 km: demand this far beyond the streets is still walked from them
NO_POPULATION_HERE = "no population within the street network's area"


@dataclass(frozen=True)
class Note:
    """A sentence for the person running the command; `warning` when the figures may not mean
    what they seem (another city's file, say)."""

    text: str
    warning: bool = False


@dataclass(frozen=True)
class OpenNow:
    """The points open now: the live snapshot they come from, the walk from those on the
    streets, all of them with whether each is on the streets, and what to say about them."""

    snapshot: Snapshot
    reach: Reach
    points: OpenPoints
    notes: list[Note]


def parse_services(text: str) -> list[str]:
    """'heat,power' → ['heat', 'power']; a ValueError naming the unknown ones."""
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SERVICES]
    if unknown:
        raise ValueError(f"--services: unknown {', '.join(unknown)} (known: {', '.join(SERVICES)})")
    return wanted


def demand_source(population_file: Path | None, buildings: Path | None) -> str:
    """What is being read, for a progress bar: "kyiv.gpkg: population cells read"."""
    source = population_file or buildings
    label = "buildings read" if buildings else "population cells read"
    return f"{source.name if source else ''}: {label}"


def read_demand(
    population_file: Path | None,
    buildings: Path | None,
    floor_m2: float | None,
    progress: Progress | None = None,
) -> Demand:
    """The demand table from the one population source given. Raises PopulationError (a
    ValueError) naming the file, row and column of bad input, or why it cannot be read."""
    source = population_file or buildings
    try:
        return population.read(population_file, buildings, floor_m2, progress)
    except (OSError, RuntimeError) as exc:  # pyosmium's unreadable file is a RuntimeError
        raise PopulationError(f"cannot read {source.name if source else ''}: {exc}") from exc


def clip_to_network(demand: Demand, network: StreetNetwork) -> tuple[Demand, list[Note]]:
    """Only the demand within reach of the streets: a country's population file holds far more
    than a city's network can walk to. Empty when none is (then say NO_POPULATION_HERE)."""
    kept = demand.within(
        network.lat.min() - MARGIN_DEG, network.lon.min() - MARGIN_DEG,
        network.lat.max() + MARGIN_DEG, network.lon.max() + MARGIN_DEG,
    )  # fmt: skip
    if len(kept) == len(demand):
        return kept, []
    left_out = Note(
        f"{demand.total - kept.total:,.0f} people in {len(demand) - len(kept):,} cells lie "
        "beyond the street network and are left out"
    )
    return kept, [left_out]


def live_points(
    db: Database, config: Settings, services: list[str], ignore_hours: bool
) -> tuple[SpatialIndex, Filters]:
    """The live index loaded from the database, and the filter for the points open now: shown
    open (confirmed within NEZLAM_STALE_AFTER, as the finder shows them), with all of
    `services`, and open by their hours unless `ignore_hours`."""
    index = SpatialIndex(config.stale_after, config.no_response_after)
    IndexSync(db, index).load_all()
    filters = Filters.build(
        services=services, statuses=["open"], open_now=None if ignore_hours else True
    )
    return index, filters


def open_points(
    network: StreetNetwork, index: SpatialIndex, filters: Filters, now: datetime, snap_m: float
) -> OpenNow:
    """The walk from the points open at `now` that lie on the street network, and all the
    points open now, with a word on how many are off the streets."""
    walking = Walking(network, index, snap_m)
    snapshot, rows, reach = walking.reach(filters, now)
    every = walking.eligible(snapshot, filters, now)
    on = walking.on_network(snapshot)[every]
    notes = []
    if len(every) and not len(rows):
        notes.append(
            Note(
                f"none of the {len(every):,} points open now lies within {snap_m:,.0f} m of "
                "these streets: is this the right city's street network?",
                warning=True,
            )
        )
    elif len(rows) < len(every):
        notes.append(
            Note(
                f"{len(every) - len(rows):,} of {len(every):,} points open now lie off these "
                "streets: their walks are straight-line estimates"
            )
        )
    points = OpenPoints(snapshot.lat[every], snapshot.lon[every], on)
    return OpenNow(snapshot, reach, points, notes)


def label_demand(
    demand: Demand, boundaries: Path | None, level: int | None, by: str, snapshot: Snapshot
) -> Demand:
    """Districts from OSM boundaries when given, else the nearest point's locality/region."""
    if boundaries is not None:
        areas = districts.read_admin_areas(boundaries, [level] if level else ())
        return demand.with_labels(districts.label_by_areas(demand.lat, demand.lon, areas))
    names = [getattr(view, by) for view in snapshot.views]
    return demand.with_labels(
        districts.label_by_nearest(demand.lat, demand.lon, snapshot.lat, snapshot.lon, names)
    )


def far_population_notes(
    demand: Demand, network: StreetNetwork, snapshot: Snapshot, snap_m: float
) -> list[Note]:
    """How many people live beyond any point's area (districts.AREA_M from every point in the
    database, whatever its status) or off the streets (more than `snap_m` from them): people
    2,000 km from every point are a population file for another city, not uncovered."""
    total = demand.total
    metres, _nearest = districts.nearest_point(demand.lat, demand.lon, snapshot.lat, snapshot.lon)
    far = float(demand.population[metres > districts.AREA_M].sum())
    off = float(demand.population[~network.reaches(demand.lat, demand.lon, snap_m)].sum())
    notes = []
    if far > 0:
        notes.append(
            Note(
                f"{far:,.0f} people ({share(far, total)}) live more than "
                f"{districts.AREA_M / 1000:g} km from every point in the database (labelled "
                f"{districts.OUTSIDE!r} without --districts) — is this the right city's "
                "population?",
                warning=True,
            )
        )
    if off > 0:
        notes.append(
            Note(
                f"{off:,.0f} people ({share(off, total)}) live more than {snap_m:,.0f} m from "
                "these streets: their walks are straight-line estimates",
                warning=True,
            )
        )
    return notes


def off_streets_note(
    network: StreetNetwork, lat: np.ndarray, lon: np.ndarray, what: str, snap_m: float
) -> Note | None:
    """How many of these places (people, candidate sites, points open now: `what`) lie more
    than `snap_m` from the streets; a warning when none is on them: another city's network, or
    points in another city, which cover nobody here."""
    off = ~network.reaches(lat, lon, snap_m)
    if not off.any():
        return None
    if off.all():
        return Note(
            f"none of the {len(lat):,} {what} lies within {snap_m:,.0f} m of these streets — "
            "is this the right city's street network?",
            warning=True,
        )
    return Note(
        f"{int(off.sum()):,} of {len(lat):,} {what} lie more than {snap_m:,.0f} m from these "
        "streets: their walks are straight-line estimates"
    )


def share(people: float, total: float) -> str:
    """ "12.5 %" of `total`, or "–" when there is nobody to share."""
    return f"{100 * people / total:.1f} %" if total > 0 else "–"
