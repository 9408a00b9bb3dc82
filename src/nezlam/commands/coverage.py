"""`nezlam coverage`: who lives within 5, 10, 15, 20 minutes' walk of a point that is open now.

Open points come from the database through the live index, so freshness applies exactly as in
the finder: only points *shown* open (confirmed within NEZLAM_STALE_AFTER) and open by their
hours count (`--ignore-hours` drops the hours). Writes, in --out, the files of
`nezlam.coverage.output`, which the coordinators' coverage page reads.

The coverage library is imported inside the functions that use it: it loads numpy, SciPy, h3,
shapely and matplotlib, which `nezlam --help` does not need.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from nezlam.commands.common import console, database, progress, progress_bar, refuse, say, settings

if TYPE_CHECKING:
    from nezlam.config import Settings
    from nezlam.coverage.inputs import OpenNow
    from nezlam.coverage.population import Demand
    from nezlam.coverage.walk import Coverage, OpenPoints
    from nezlam.geo.streets import StreetNetwork

Minutes = Annotated[str, typer.Option(help="walking times to report, in minutes")]
Services = Annotated[str, typer.Option(help="only points with all of these, e.g. heat,power")]
PopulationFile = Annotated[
    Path | None,
    typer.Option(
        "--population", exists=True, dir_okay=False,
        help="Kontur Population .gpkg (H3 cells) or a .csv of lon, lat, population",
    ),
]  # fmt: skip
Buildings = Annotated[
    Path | None,
    typer.Option(
        "--from-buildings", exists=True, dir_okay=False,
        help="estimate residents from the buildings of this .osm.pbf instead",
    ),
]  # fmt: skip
FloorArea = Annotated[
    float | None,
    typer.Option(min=1.0, help="with --from-buildings: floor area per resident, m² [30]"),
]
Districts = Annotated[
    Path | None,
    typer.Option(
        "--districts", exists=True, dir_okay=False,
        help="an .osm.pbf whose administrative boundaries name the districts",
    ),
]  # fmt: skip
AdminLevel = Annotated[int | None, typer.Option(help="with --districts: this admin_level only")]
By = Annotated[
    str, typer.Option(help="without --districts: label by the nearest point's locality or region")
]
IgnoreHours = Annotated[bool, typer.Option(help="count open points even outside their hours")]
Streets = Annotated[
    Path | None, typer.Option(help="street network [NEZLAM_STREETS, var/streets.npz]")
]
Out = Annotated[
    Path | None,
    typer.Option(help="folder for the CSV, GeoJSON, PNG [NEZLAM_COVERAGE_DIR, var/coverage]"),
]


def coverage(
    minutes: Minutes = "5,10,15,20",
    services: Services = "",
    population_file: PopulationFile = None,
    buildings: Buildings = None,
    floor_m2_per_person: FloorArea = None,
    boundaries: Districts = None,
    admin_level: AdminLevel = None,
    by: By = "locality",
    ignore_hours: IgnoreHours = False,
    streets: Streets = None,
    out: Out = None,
) -> None:
    """Share of people within each walking time of an open point, per district; uncovered
    cells and a map."""
    from nezlam.coverage import inputs, output, walk  # numpy and the rest: see the docstring

    config = settings()
    thresholds, wanted = _choices(minutes, services, by)
    started = time.perf_counter()
    network = _network(streets or config.streets_file)
    demand = _demand(population_file, buildings, floor_m2_per_person, network)
    now = datetime.now(UTC)
    snap_m = config.walking_snap_m
    open_now = _open_now(config, network, wanted, ignore_hours, now)
    demand = inputs.label_demand(demand, boundaries, admin_level, by, open_now.snapshot)
    say(*inputs.far_population_notes(demand, network, open_now.snapshot, snap_m))
    result = walk.walking_coverage(
        network, demand, open_now.reach, thresholds, config.walking_speed_kmh, snap_m,
        open_now.points,
    )  # fmt: skip
    _print(result, len(open_now.points.lat), wanted)
    out = out or config.coverage_dir  # where the coordinators' coverage page reads
    written = _write(result, network, open_now.points, out, output.title(network, wanted, now))
    seconds = time.perf_counter() - started
    console.print(f"wrote {', '.join(p.name for p in written)} to {out} in {seconds:.1f} s")
    console.print("Map data © OpenStreetMap contributors (ODbL 1.0): credit them wherever shown.")


def _choices(minutes: str, services: str, by: str) -> tuple[tuple[float, ...], list[str]]:
    """The thresholds and services asked for; exit 2 when they are not ones we know."""
    from nezlam.coverage.inputs import parse_services  # numpy: see the docstring
    from nezlam.coverage.walk import parse_minutes

    try:
        chosen = parse_minutes(minutes), parse_services(services)
    except ValueError as exc:
        raise refuse(str(exc), code=2) from exc
    if by not in ("locality", "region"):
        raise refuse("--by is locality or region", code=2)
    return chosen


def _network(path: Path | None) -> StreetNetwork:
    from nezlam.geo.streets import StreetNetwork  # numpy, SciPy: see the docstring

    if path is None or not Path(path).exists():
        console.print(f"[red]no street network at {path}[/red]: run `nezlam streets import` first")
        raise typer.Exit(1)
    return StreetNetwork.load(path)


def _demand(
    population_file: Path | None, buildings: Path | None, floor_m2: float | None,
    network: StreetNetwork,
) -> Demand:  # fmt: skip
    """The people from the one source given, within reach of the streets."""
    from nezlam.coverage import inputs  # numpy and the rest: see the docstring
    from nezlam.coverage.population import ONE_SOURCE, PopulationError

    if (population_file is None) == (buildings is None):
        raise refuse(ONE_SOURCE, code=2)
    try:
        with progress(inputs.demand_source(population_file, buildings)) as moved:
            demand = inputs.read_demand(population_file, buildings, floor_m2, moved)
    except PopulationError as exc:
        raise refuse(str(exc)) from exc
    kept, notes = inputs.clip_to_network(demand, network)
    say(*notes)
    if not len(kept):
        raise refuse(inputs.NO_POPULATION_HERE)
    return kept


def _open_now(
    config: Settings, network: StreetNetwork, wanted: list[str], ignore_hours: bool, now: datetime
) -> OpenNow:
    """The points open at `now` in the database, as the finder shows them, with all of the
    services wanted (and open by their hours unless those are ignored); says how many are off
    the streets."""
    from nezlam.coverage import inputs  # numpy and the rest: see the docstring

    index, filters = inputs.live_points(database(), config, wanted, ignore_hours)
    open_now = inputs.open_points(network, index, filters, now, config.walking_snap_m)
    say(*open_now.notes)
    return open_now


def _write(
    result: Coverage, network: StreetNetwork, points: OpenPoints, out: Path, map_title: str
) -> list[Path]:
    """The CSV, GeoJSON and map files in `out`, a progress bar advancing as each is written."""
    from nezlam.coverage import output  # numpy, matplotlib: see the docstring

    with progress_bar() as bar:
        task = bar.add_task("writing CSV, GeoJSON and the map", total=output.FILES)
        return output.write_all(
            result, network, points, out, map_title, lambda _path: bar.advance(task)
        )


def _print(result: Coverage, open_count: int, services: list[str]) -> None:
    from nezlam.coverage.inputs import share  # numpy: see the docstring

    what = f" with {', '.join(services)}" if services else ""
    overall = Table(title=f"{open_count} points open now{what}; {result.total:,.0f} people")
    for column in ("walk", "people within", "share"):
        overall.add_column(column, justify="right")
    for limit, people in zip(result.thresholds, result.covered(), strict=True):
        overall.add_row(f"≤ {limit:g} min", f"{people:,.0f}", share(people, result.total))
    console.print(overall)
    per = Table(title="By district (share of its people within each walk)")
    per.add_column("district")
    per.add_column("people", justify="right")
    for limit in result.thresholds:
        per.add_column(f"≤ {limit:g} min", justify="right")
    for name, total, covered in result.by_district():
        per.add_row(name or "[b]all[/b]", f"{total:,.0f}", *[share(p, total) for p in covered])
    console.print(per)
