"""`nezlam coverage`: who lives within 5, 10, 15, 20 minutes' walk of a point that is open now.

Open points come from the database through the live index, so freshness applies exactly as in
the finder: only points *shown* open (confirmed within NEZLAM_STALE_AFTER) and open by their
hours count (`--ignore-hours` drops the hours). Writes, in --out: coverage.csv (shares per
district and threshold), coverage.geojson (every cell with its `minutes`, for the coordinator
map), uncovered.geojson (cells beyond the largest threshold, with their people) and
coverage.png.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nezlam.interchange.spreadsheet import csv_text

if TYPE_CHECKING:  # the heavy modules load only when the command runs, not with every `nezlam`
    import numpy as np

    from nezlam.coverage.population import Demand
    from nezlam.coverage.walk import Coverage, OpenPoints
    from nezlam.geo.spatial_index import Filters, Snapshot, SpatialIndex
    from nezlam.geo.streets import Reach, StreetNetwork

MARGIN_DEG = 0.01  # about 1 km: demand this far beyond the streets is still walked from them

coverage_app = typer.Typer(
    help="Walking coverage: the share of people within each walk of an open point.",
    invoke_without_command=True,
)


@coverage_app.callback(invoke_without_command=True)
def coverage(
    minutes: str = typer.Option("5,10,15,20", help="walking times to report, in minutes"),
    services: str = typer.Option("", help="only points with all of these, e.g. heat,power"),
    population_file: Path = typer.Option(
        None, "--population", exists=True, dir_okay=False,
        help="Kontur Population .gpkg (H3 cells) or a .csv of lon, lat, population",
    ),
    buildings: Path = typer.Option(
        None, "--from-buildings", exists=True, dir_okay=False,
        help="estimate residents from the buildings of this .osm.pbf instead",
    ),
    floor_m2_per_person: float = typer.Option(
        None, min=1.0, help="with --from-buildings: floor area per resident, m² [30]",
    ),
    boundaries: Path = typer.Option(
        None, "--districts", exists=True, dir_okay=False,
        help="an .osm.pbf whose administrative boundaries name the districts",
    ),
    admin_level: int = typer.Option(None, help="with --districts: this admin_level only"),
    by: str = typer.Option(
        "locality", help="without --districts: label by the nearest point's locality or region"
    ),
    ignore_hours: bool = typer.Option(False, help="count open points even outside their hours"),
    streets: Path = typer.Option(None, help="street network [NEZLAM_STREETS, var/streets.npz]"),
    out: Path = typer.Option(
        None, help="folder for the CSV, GeoJSON, PNG [NEZLAM_COVERAGE_DIR, var/coverage]"
    ),
) -> None:  # fmt: skip
    """Share of people within each walking time of an open point, per district; uncovered
    cells and a map."""
    from nezlam.cli import console, settings

    config = settings()
    out = out or config.coverage_dir  # where the coordinators' coverage page reads
    try:
        thresholds = _thresholds(minutes)
        wanted = parse_services(services)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if by not in ("locality", "region"):
        console.print("[red]--by is locality or region[/red]")
        raise typer.Exit(2)
    started = time.perf_counter()
    network = _network(streets or config.streets_file)
    demand = _demand(population_file, buildings, floor_m2_per_person)
    demand = clip_to_network(demand, network)
    now = datetime.now(UTC)
    snap_m = config.walking_snap_m
    snapshot, reach, open_points = _open_points(network, wanted, now, ignore_hours, snap_m)
    demand = _label(demand, boundaries, admin_level, by, snapshot)
    warn_far_population(demand, network, snapshot, snap_m)
    from nezlam.coverage.walk import walking_coverage

    result = walking_coverage(
        network, demand, reach, thresholds, config.walking_speed_kmh, snap_m, open_points
    )
    _print(result, len(open_points.lat), wanted)
    written = _write(
        result, network, open_points.lat, open_points.lon, out, _title(network, wanted, now)
    )
    seconds = time.perf_counter() - started
    console.print(f"wrote {', '.join(p.name for p in written)} to {out} in {seconds:.1f} s")
    console.print("Map data © OpenStreetMap contributors (ODbL 1.0): credit them wherever shown.")


def _thresholds(text: str) -> tuple[float, ...]:
    from nezlam.coverage.walk import parse_minutes

    return parse_minutes(text)


def parse_services(text: str) -> list[str]:
    from nezlam.domain.vocabulary import SERVICES

    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SERVICES]
    if unknown:
        raise ValueError(f"--services: unknown {', '.join(unknown)} (known: {', '.join(SERVICES)})")
    return wanted


def _network(path: Path | None) -> StreetNetwork:
    from nezlam.cli import console
    from nezlam.geo.streets import StreetNetwork

    if path is None or not Path(path).exists():
        console.print(f"[red]no street network at {path}[/red]: run `nezlam streets import` first")
        raise typer.Exit(1)
    return StreetNetwork.load(path)


def load_demand(
    population_file: Path | None, buildings: Path | None, floor_m2: float | None
) -> Demand:
    """The demand table from the one population source given, with a progress bar; shared by
    `nezlam coverage` and `nezlam site`. Raises PopulationError (a ValueError) naming the
    file, row and column of bad input."""
    from nezlam.cli import progress_bar
    from nezlam.coverage import population
    from nezlam.coverage.population import PopulationError

    source = population_file or buildings
    label = "buildings read" if buildings else "population cells read"
    with progress_bar() as bar:
        task = bar.add_task(f"{source.name if source else ''}: {label}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        try:
            return population.read(population_file, buildings, floor_m2, progress)
        except (OSError, RuntimeError) as exc:  # pyosmium's unreadable file is a RuntimeError
            raise PopulationError(f"cannot read {source.name if source else ''}: {exc}") from exc


def _demand(population_file: Path | None, buildings: Path | None, floor_m2: float | None) -> Demand:
    from nezlam.cli import console
    from nezlam.coverage.population import ONE_SOURCE, PopulationError

    if (population_file is None) == (buildings is None):
        console.print(f"[red]{ONE_SOURCE}[/red]")
        raise typer.Exit(2)
    try:
        return load_demand(population_file, buildings, floor_m2)
    except PopulationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def clip_to_network(demand: Demand, network: StreetNetwork) -> Demand:
    """Only the demand within reach of the streets: a country's population file holds far more
    than a city's network can walk to."""
    from nezlam.cli import console

    kept = demand.within(
        network.lat.min() - MARGIN_DEG, network.lon.min() - MARGIN_DEG,
        network.lat.max() + MARGIN_DEG, network.lon.max() + MARGIN_DEG,
    )  # fmt: skip
    if len(kept) < len(demand):
        console.print(
            f"{demand.total - kept.total:,.0f} people in {len(demand) - len(kept):,} cells lie "
            "beyond the street network and are left out"
        )
    if not len(kept):
        console.print("[red]no population within the street network's area[/red]")
        raise typer.Exit(1)
    return kept


def _open_points(
    network: StreetNetwork, services: list[str], now: datetime, ignore_hours: bool, snap_m: float
) -> tuple[Snapshot, Reach, OpenPoints]:
    """The live index from the database, the walk from its points open now that lie on the
    street network, and all the points open now (with a word on how many are on it)."""
    from nezlam.cli import console
    from nezlam.coverage.walk import OpenPoints
    from nezlam.geo.walking import Walking

    index, filters = live_points(services, ignore_hours)
    walking = Walking(network, index, snap_m)
    snapshot, rows, reach = walking.reach(filters, now)
    every = walking.eligible(snapshot, filters, now)
    on = walking.on_network(snapshot)[every]
    if len(every) and not len(rows):
        console.print(
            f"[yellow]warning:[/yellow] none of the {len(every):,} points open now lies within "
            f"{snap_m:,.0f} m of these streets: is this the right city's street network?"
        )
    elif len(rows) < len(every):
        console.print(
            f"{len(every) - len(rows):,} of {len(every):,} points open now lie off these "
            "streets: their walks are straight-line estimates"
        )
    return snapshot, reach, OpenPoints(snapshot.lat[every], snapshot.lon[every], on)


def warn_far_population(
    demand: Demand, network: StreetNetwork, snapshot: Snapshot, snap_m: float
) -> None:
    """Say how many people live beyond any point's area (districts.AREA_M from every point in
    the database, whatever its status) or off the streets (more than `snap_m` from them):
    people 2,000 km from every point are a population file for another city, not uncovered."""
    from nezlam.cli import console
    from nezlam.coverage.districts import AREA_M, OUTSIDE, nearest_point

    total = demand.total
    metres, _nearest = nearest_point(demand.lat, demand.lon, snapshot.lat, snapshot.lon)
    far = float(demand.population[metres > AREA_M].sum())
    if far > 0:
        console.print(
            f"[yellow]warning:[/yellow] {far:,.0f} people ({_share(far, total)}) live more "
            f"than {AREA_M / 1000:g} km from every point in the database (labelled "
            f"{OUTSIDE!r} without --districts) — is this the right city's population?"
        )
    off = float(demand.population[~network.reaches(demand.lat, demand.lon, snap_m)].sum())
    if off > 0:
        console.print(
            f"[yellow]warning:[/yellow] {off:,.0f} people ({_share(off, total)}) live more "
            f"than {snap_m:,.0f} m from these streets: their walks are straight-line estimates"
        )


def live_points(services: list[str], ignore_hours: bool) -> tuple[SpatialIndex, Filters]:
    """The live index loaded from the database, and the filter for the points open now: shown
    open (confirmed within NEZLAM_STALE_AFTER, as the finder shows them), with all of
    `services`, and open by their hours unless `ignore_hours`. Shared with `nezlam site`."""
    from nezlam.cli import database, settings
    from nezlam.geo.spatial_index import Filters, SpatialIndex
    from nezlam.index_sync import IndexSync

    config = settings()
    index = SpatialIndex(config.stale_after, config.no_response_after)
    IndexSync(database(), index).load_all()
    filters = Filters.build(
        services=services, statuses=["open"], open_now=None if ignore_hours else True
    )
    return index, filters


def _label(
    demand: Demand, boundaries: Path | None, level: int | None, by: str, snapshot: Snapshot
) -> Demand:
    """Districts from OSM boundaries when given, else the nearest point's locality/region."""
    from nezlam.coverage import districts

    if boundaries is not None:
        areas = districts.read_admin_areas(boundaries, [level] if level else ())
        return demand.with_labels(districts.label_by_areas(demand.lat, demand.lon, areas))
    names = [getattr(view, by) for view in snapshot.views]
    return demand.with_labels(
        districts.label_by_nearest(demand.lat, demand.lon, snapshot.lat, snapshot.lon, names)
    )


def _title(network: StreetNetwork, services: list[str], now: datetime) -> str:
    what = f" with {', '.join(services)}" if services else ""
    place = network.name[:1].upper() + network.name[1:] if network.name else "Streets"
    return f"{place}: walk to a point open now{what} ({now:%Y-%m-%d %H:%M} UTC)"


def _print(result: Coverage, open_count: int, services: list[str]) -> None:
    from rich.table import Table

    from nezlam.cli import console

    what = f" with {', '.join(services)}" if services else ""
    overall = Table(title=f"{open_count} points open now{what}; {result.total:,.0f} people")
    for column in ("walk", "people within", "share"):
        overall.add_column(column, justify="right")
    for limit, people in zip(result.thresholds, result.covered(), strict=True):
        overall.add_row(f"≤ {limit:g} min", f"{people:,.0f}", _share(people, result.total))
    console.print(overall)
    per = Table(title="By district (share of its people within each walk)")
    per.add_column("district")
    per.add_column("people", justify="right")
    for limit in result.thresholds:
        per.add_column(f"≤ {limit:g} min", justify="right")
    for name, total, covered in result.by_district():
        shares = [_share(people, total) for people in covered]
        per.add_row(name or "[b]all[/b]", f"{total:,.0f}", *shares)
    console.print(per)


def _share(people: float, total: float) -> str:
    return f"{100 * people / total:.1f} %" if total > 0 else "–"


def _write(
    result: Coverage,
    network: StreetNetwork,
    open_lat: np.ndarray,
    open_lon: np.ndarray,
    out: Path,
    title: str,
) -> list[Path]:
    from nezlam.cli import progress_bar
    from nezlam.coverage.maps import draw_map
    from nezlam.coverage.walk import coverage_layer, uncovered_layer

    out.mkdir(parents=True, exist_ok=True)
    with progress_bar() as bar:
        task = bar.add_task("writing CSV, GeoJSON and the map", total=4)
        written = [_write_csv(result, out / "coverage.csv")]
        bar.advance(task)
        for name, layer in (("coverage", coverage_layer), ("uncovered", uncovered_layer)):
            target = out / f"{name}.geojson"
            target.write_text(json.dumps(layer(result), ensure_ascii=False), encoding="utf-8")
            written.append(target)
            bar.advance(task)
        written.append(draw_map(result, network, open_lat, open_lon, out / "coverage.png", title))
        bar.advance(task)
    return written


def _write_csv(result: Coverage, path: Path) -> Path:
    """coverage.csv; districts are localities people typed or OSM names: no live formulas."""
    table: list[list[object]] = [["district", "population", "minutes", "covered", "share"]]
    for name, total, covered in result.by_district():
        for limit, people in zip(result.thresholds, covered, strict=True):
            share = round(people / total, 4) if total > 0 else ""
            table.append([name or "all", round(total), limit, round(people), share])
    path.write_text(csv_text(table), encoding="utf-8", newline="")
    return path
