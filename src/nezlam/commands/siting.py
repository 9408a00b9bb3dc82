"""`nezlam site`: where the next points should open, ranked, as a table, files and a map.

The siting library is imported inside the functions that use it: it loads numpy, SciPy and
HiGHS, which `nezlam --help` does not need; `nezlam.siting.choices` is what the help shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nezlam.commands.common import console, database, progress, refuse, say, settings
from nezlam.config import Settings
from nezlam.siting.choices import METHODS, OBJECTIVES, OSM_CANDIDATES

if TYPE_CHECKING:
    import numpy as np

    from nezlam.geo.streets import StreetNetwork
    from nezlam.siting.inputs import Places
    from nezlam.siting.problem import Problem, Solution

New = Annotated[int, typer.Option("--new", min=1, help="how many new points to place")]
Minutes = Annotated[float, typer.Option(help="walking minutes that count as within reach")]
Metres = Annotated[float | None, typer.Option(help="reach in metres instead of --minutes")]
DemandCsv = Annotated[
    Path | None, typer.Option(help="CSV of lat, lon, population (one row per cell)")
]
PopulationFile = Annotated[
    Path | None,
    typer.Option(
        "--population", exists=True, dir_okay=False,
        help="or Kontur Population .gpkg (H3 cells) or a .csv of lon, lat, population",
    ),
]  # fmt: skip
Buildings = Annotated[
    Path | None,
    typer.Option(
        "--from-buildings", exists=True, dir_okay=False,
        help="or estimate residents from the buildings of this .osm.pbf",
    ),
]  # fmt: skip
FloorArea = Annotated[
    float | None,
    typer.Option(min=1.0, help="with --from-buildings: floor area per resident, m² [30]"),
]
Candidates = Annotated[
    Path | None, typer.Option(help="CSV of lat, lon, name: where a point could open")
]
CandidatesOsm = Annotated[Path | None, typer.Option(help="or an .osm.pbf: public buildings there")]
DEFAULT_TAGS = ",".join(f"{key}={value}" for key, value in OSM_CANDIDATES)
Tags = Annotated[str, typer.Option(help="which OSM objects are candidates (with --candidates-osm)")]
Existing = Annotated[
    Path | None,
    typer.Option(help="CSV of lat, lon, name: points open today [the database's points open now]"),
]
NoExisting = Annotated[
    bool, typer.Option("--no-existing", help="site as if no point were open today")
]
Services = Annotated[str, typer.Option(help="existing points count only with all of these")]
IgnoreHours = Annotated[
    bool, typer.Option("--ignore-hours", help="count open points even outside their hours")
]
Streets = Annotated[
    Path | None, typer.Option(help="street network [NEZLAM_STREETS, var/streets.npz]")
]
Distances = Annotated[
    Path | None, typer.Option(help="a CSV of candidate, demand, metres to use instead")
]
DistanceColumns = Annotated[
    str, typer.Option(help="the --distances columns: candidate,demand,metres")
]
PopulationColumn = Annotated[str | None, typer.Option(help="the --demand population column")]
NameColumn = Annotated[str | None, typer.Option(help="the --demand name column (for --distances)")]
Objective = Annotated[str, typer.Option(help="mclp (most people in reach) or pmedian")]
Method = Annotated[str, typer.Option(help=" | ".join(METHODS))]
TimeLimit = Annotated[float, typer.Option(help="seconds the solver may take")]
Out = Annotated[
    Path | None,
    typer.Option(help="where to write sites.csv/.geojson/.png [NEZLAM_SITING_DIR, var/siting]"),
]


@dataclass(frozen=True)
class Sites:
    """The people, where a point could open, and the points open today (None: none count)."""

    demand: Places
    candidates: Places
    existing: Places | None


def site(
    new: New = 10, minutes: Minutes = 15.0, metres: Metres = None,
    demand: DemandCsv = None, population_file: PopulationFile = None, buildings: Buildings = None,
    floor_m2_per_person: FloorArea = None,
    candidates: Candidates = None, candidates_osm: CandidatesOsm = None, tags: Tags = DEFAULT_TAGS,
    existing: Existing = None, no_existing: NoExisting = False, services: Services = "",
    ignore_hours: IgnoreHours = False,
    streets: Streets = None, distances: Distances = None,
    distance_columns: DistanceColumns = "candidate,demand,metres",
    population_column: PopulationColumn = None, name_column: NameColumn = None,
    objective: Objective = "mclp", method: Method = "auto", time_limit: TimeLimit = 60.0,
    out: Out = None,
) -> None:  # fmt: skip
    """Rank the best sites for the next points and write sites.csv, sites.geojson and sites.png.

    People come from --demand (a CSV), --population (Kontur .gpkg or CSV) or --from-buildings
    (an estimate from an .osm.pbf), as for `nezlam coverage`. Maximal covering (--objective
    mclp) counts the people within --minutes on foot; people already within reach of a point
    open now (in the database, as the finder shows it; or --existing FILE.csv) count as
    covered. p-median (--objective pmedian) minimises everyone's walk instead."""
    if objective not in OBJECTIVES or method not in METHODS:
        raise refuse("--objective is mclp or pmedian; --method is auto, greedy or exact", 2)
    from nezlam.siting.solve import solve  # numpy, SciPy, HiGHS: see the docstring

    config = settings()
    radius, reach = _reach(minutes, metres, config.walking_speed_kmh)
    with _bad_input_exits():
        network = None if distances is not None else _network(streets, config)
        sites = Sites(
            _demand((demand, population_file, buildings), floor_m2_per_person,
                    (population_column, name_column), network),
            _candidates(candidates, candidates_osm, tags),
            _existing(existing, no_existing, distances, (services, ignore_hours), config),
        )  # fmt: skip
        problem = _problem(sites, objective, radius, network, (distances, distance_columns),
                           config.walking_snap_m)  # fmt: skip
        solution = solve(problem, new, method=method, time_limit=time_limit)
    _report(solution, sites, reach, out or config.siting_dir, network)


def _reach(minutes: float, metres: float | None, speed_kmh: float) -> tuple[float, str]:
    """How far counts as within reach, in metres (--metres, else --minutes on foot at the
    walking speed), and in words for the title."""
    if metres is not None:
        return metres, f"{metres:,.0f} m"
    radius = minutes * speed_kmh * 1000 / 60
    return radius, f"{radius:,.0f} m ({minutes:g} min on foot)"


@contextmanager
def _bad_input_exits() -> Iterator[None]:
    """An input that cannot be read or used (a bad row, a missing file) is named, and the
    command exits 1."""
    from nezlam.siting.inputs import InputError  # numpy: see the docstring

    try:
        yield
    except (InputError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


def _network(path: Path | None, config: Settings) -> StreetNetwork | None:
    """The street network asked for, else the configured one if it exists, else None."""
    from nezlam.geo.streets import StreetNetwork  # numpy, SciPy: see the docstring
    from nezlam.siting.inputs import InputError

    if path is not None and not path.exists():
        raise InputError(f"{path}: no such street network (run `nezlam streets import`)")
    target = path or config.streets_file
    return StreetNetwork.load(target) if target and Path(target).exists() else None


def _demand(
    sources: tuple[Path | None, Path | None, Path | None], floor_m2: float | None,
    columns: tuple[str | None, str | None], network: StreetNetwork | None,
) -> Places:  # fmt: skip
    """People from the one source given: --demand CSV here, or --population / --from-buildings
    through the loader `nezlam coverage` uses (cut to the street network's area)."""
    from nezlam.coverage import inputs as people  # numpy and the rest: see the docstring
    from nezlam.siting import inputs

    csv_file, population_file, buildings = sources
    if sum(source is not None for source in sources) != 1:
        raise inputs.InputError(
            "give one of --demand FILE.csv, --population FILE (.gpkg or .csv) or "
            "--from-buildings FILE.osm.pbf"
        )
    if csv_file is not None:
        population, name = columns
        return inputs.read_places(csv_file, population=population, name=name, need_population=True)
    with progress(people.demand_source(population_file, buildings)) as moved:
        table = people.read_demand(population_file, buildings, floor_m2, moved)
    if network is not None:
        table, notes = people.clip_to_network(table, network)
        say(*notes)
        if not len(table):
            raise refuse(people.NO_POPULATION_HERE)
    return inputs.places_from_demand(table)


def _candidates(csv_file: Path | None, osm_file: Path | None, tags: str) -> Places:
    from nezlam.siting import inputs  # numpy, pyosmium: see the docstring

    if (csv_file is None) == (osm_file is None):
        raise inputs.InputError(
            "give either --candidates FILE.csv or --candidates-osm FILE.osm.pbf"
        )
    if csv_file is not None:
        return inputs.read_places(csv_file)
    assert osm_file is not None
    with progress("candidates from OSM (bytes)") as moved:
        sites = inputs.candidates_from_osm(osm_file, inputs.parse_tags(tags), moved)
    console.print(f"{len(sites):,} candidate sites from {osm_file.name}")
    return sites


def _existing(
    csv_file: Path | None, ignore: bool, distances: Path | None,
    wanted: tuple[str, bool], config: Settings,
) -> Places | None:  # fmt: skip
    """The points open today: none with --no-existing, the --existing CSV, else the database's
    points open now (skipped with --distances, which has no walks from them)."""
    from nezlam.siting.inputs import InputError, read_places  # numpy: see the docstring

    if ignore:
        if csv_file is not None:
            raise InputError("--existing and --no-existing: give one or the other")
        return None
    if csv_file is not None:
        if distances is not None:
            raise InputError("--existing needs walking distances: drop --distances")
        return read_places(csv_file)
    if distances is not None:
        console.print("points open now are not counted: --distances has no walks from them")
        return None
    today = _open_now(*wanted, config)
    console.print(f"{len(today):,} points open now (from the database) count as covering already")
    return today


def _open_now(services: str, ignore_hours: bool, config: Settings) -> Places:
    """The points open now, as `nezlam coverage` counts them (live status, freshness, hours)."""
    from nezlam.coverage.inputs import live_points, parse_services  # numpy: see the docstring
    from nezlam.siting.inputs import open_now_places

    wanted = parse_services(services)
    try:
        db = database()
    except typer.Exit:
        console.print("(or site without the database: --existing FILE.csv or --no-existing)")
        raise
    index, filters = live_points(db, config, wanted, ignore_hours)
    return open_now_places(index, filters, datetime.now(UTC))


def _problem(
    sites: Sites, objective: str, radius: float, network: StreetNetwork | None,
    table: tuple[Path | None, str], snap_m: float,
) -> Problem:  # fmt: skip
    """Distances from the table, the street network or straight lines, then the problem."""
    from nezlam.coverage.inputs import off_streets_note  # numpy: see the docstring
    from nezlam.siting import build, inputs

    demand, existing_m = sites.demand, None
    distances, distance_columns = table
    limit = radius if objective == "mclp" else math.inf
    if distances is not None:
        columns = [c.strip() for c in distance_columns.split(",")]
        if len(columns) != 3:
            raise inputs.InputError("--distance-columns: three names, candidate,demand,metres")
        matrix = inputs.read_distance_table(
            distances, sites.candidates.names, demand.names, columns
        )
    else:
        if network is None:
            console.print("[yellow]no street network:[/yellow] straight-line distances "
                          "(run `nezlam streets import` for walking distances)")  # fmt: skip
        else:
            say(off_streets_note(network, demand.lat, demand.lon, "demand places", snap_m))
        matrix = _walks(network, demand, sites.candidates, limit, "candidates", snap_m)
        if sites.existing is not None:
            existing_m = build.nearest_existing(
                _walks(network, demand, sites.existing, limit, "points open now", snap_m)
            )
    names = sites.candidates.names
    return build.problem_for(objective, demand.people, matrix, radius, names, existing_m)


def _walks(
    network: StreetNetwork | None, demand: Places, sites: Places, limit: float, what: str,
    snap_m: float,
) -> np.ndarray:  # fmt: skip
    """(demand × sites) metres: walked on the network, or straight lines without one."""
    from nezlam.coverage.inputs import off_streets_note  # numpy: see the docstring
    from nezlam.siting import build

    if network is None:
        return build.straight_distances(demand, sites)
    say(off_streets_note(network, sites.lat, sites.lon, what, snap_m))
    with progress(f"walking from {what}", len(sites)) as moved:
        return build.network_distances(network, demand, sites, limit, moved, snap_m)


def _report(
    solution: Solution, sites: Sites, reach: str, out: Path, network: StreetNetwork | None
) -> None:
    """The ranked sites as a table on standard output, then the three files."""
    from nezlam.siting import output  # numpy, matplotlib: see the docstring

    demand, candidates = sites.demand, sites.candidates
    rows = output.ranked_rows(solution, candidates, demand.people)
    out.mkdir(parents=True, exist_ok=True)
    covering = solution.problem.kind == "mclp"
    title = f"{len(rows)} new points: " + (
        f"people within {reach}" if covering else "shortest walks for everyone"
    )
    Console().print(_table(rows, title, covering))
    console.print(_quality(solution))
    written = [
        output.write_csv(rows, out / "sites.csv"),
        output.write_geojson(rows, solution, out / "sites.geojson"),
        output.draw_map(
            solution, demand, candidates, out / "sites.png", title, sites.existing, network
        ),
    ]
    console.print("wrote " + ", ".join(str(p) for p in written))


def _table(rows: list[dict], title: str, covering: bool) -> Table:
    table = Table(title=title)
    for header in ["rank", "site", "lat, lon"] + (
        ["people added", "covered"] if covering else ["person-km saved", "mean walk"]
    ):
        table.add_column(header, justify="right" if header != "site" else "left")
    for row in rows:
        figures = (
            [f"{row['population_added']:,}", f"{row['coverage_percent']:.1f} %"]
            if covering
            else [f"{row['person_metres_saved'] / 1000:,.0f}", f"{row['mean_distance_m']:,.0f} m"]
        )
        table.add_row(
            str(row["rank"]), row["name"], f"{row['lat']:.5f}, {row['lon']:.5f}", *figures
        )
    return table


def _quality(solution: Solution) -> str:
    """How far from the best possible the answer can be, in words."""
    timing = f"{solution.method}, {solution.seconds:.1f} s"
    if solution.optimal:
        return f"optimal ({timing})"
    if solution.gap is None:
        return f"no bound known ({timing})"
    return f"within {100 * solution.gap:.2f} % of the optimum ({timing})"
