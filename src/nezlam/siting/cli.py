"""`nezlam site`: where the next points should open, ranked, as a table, files and a map."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from nezlam.siting import build, inputs, output
from nezlam.siting.problem import Problem, Solution
from nezlam.siting.solve import METHODS, solve

if TYPE_CHECKING:
    from nezlam.geo.streets import StreetNetwork

site_app = typer.Typer(
    help="Where to open the next points: the most people within walking reach.",
    invoke_without_command=True,
)


@site_app.callback()
def site(
    new: int = typer.Option(10, "--new", min=1, help="how many new points to place"),
    minutes: float = typer.Option(15.0, help="walking minutes that count as within reach"),
    metres: float = typer.Option(None, help="reach in metres instead of --minutes"),
    demand: Path = typer.Option(None, help="CSV of lat, lon, population (one row per cell)"),
    population_file: Path = typer.Option(
        None, "--population", exists=True, dir_okay=False,
        help="or Kontur Population .gpkg (H3 cells) or a .csv of lon, lat, population",
    ),
    buildings: Path = typer.Option(
        None, "--from-buildings", exists=True, dir_okay=False,
        help="or estimate residents from the buildings of this .osm.pbf",
    ),
    floor_m2_per_person: float = typer.Option(
        None, min=1.0, help="with --from-buildings: floor area per resident, m² [30]",
    ),
    candidates: Path = typer.Option(None, help="CSV of lat, lon, name: where a point could open"),
    candidates_osm: Path = typer.Option(None, help="or an .osm.pbf: public buildings there"),
    tags: str = typer.Option(
        ",".join(f"{k}={v}" for k, v in inputs.OSM_CANDIDATES),
        help="which OSM objects are candidates (with --candidates-osm)",
    ),
    existing: Path = typer.Option(
        None, help="CSV of lat, lon, name: points open today [the database's points open now]"
    ),
    no_existing: bool = typer.Option(
        False, "--no-existing", help="site as if no point were open today"
    ),
    services: str = typer.Option("", help="existing points count only with all of these"),
    ignore_hours: bool = typer.Option(
        False, "--ignore-hours", help="count open points even outside their hours"
    ),
    streets: Path = typer.Option(None, help="street network [NEZLAM_STREETS, var/streets.npz]"),
    distances: Path = typer.Option(None, help="a CSV of candidate, demand, metres to use instead"),
    distance_columns: str = typer.Option(
        "candidate,demand,metres", help="the --distances columns: candidate,demand,metres"
    ),
    population_column: str = typer.Option(None, help="the --demand population column"),
    name_column: str = typer.Option(None, help="the --demand name column (for --distances)"),
    objective: str = typer.Option("mclp", help="mclp (most people in reach) or pmedian"),
    method: str = typer.Option("auto", help=f"{' | '.join(METHODS)}"),
    time_limit: float = typer.Option(60.0, help="seconds the solver may take"),
    out: Path = typer.Option(
        None, help="where to write sites.csv/.geojson/.png [NEZLAM_SITING_DIR, var/siting]"
    ),
) -> None:  # fmt: skip
    """Rank the best sites for the next points and write sites.csv, sites.geojson and sites.png.

    People come from --demand (a CSV), --population (Kontur .gpkg or CSV) or --from-buildings
    (an estimate from an .osm.pbf), as for `nezlam coverage`. Maximal covering (--objective
    mclp) counts the people within --minutes on foot; people already within reach of a point
    open now (in the database, as the finder shows it; or --existing FILE.csv) count as
    covered. p-median (--objective pmedian) minimises everyone's walk instead."""
    from nezlam.cli import console

    if objective not in ("mclp", "pmedian") or method not in METHODS:
        console.print("[red]--objective is mclp or pmedian; --method is auto, greedy or exact")
        raise typer.Exit(2)
    try:
        network = None if distances is not None else _network(streets)
        people = _demand(
            (demand, population_file, buildings), floor_m2_per_person, population_column,
            name_column, network,
        )  # fmt: skip
        places = {
            "demand": people,
            "candidates": _candidates(candidates, candidates_osm, tags),
            "existing": _existing(existing, no_existing, distances, services, ignore_hours),
        }
        radius = metres if metres is not None else _minutes_to_metres(minutes)
        problem = _problem(places, objective, radius, network, distances, distance_columns)
        solution = solve(problem, new, method=method, time_limit=time_limit)
    except (inputs.InputError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    reach = f"{radius:,.0f} m" + ("" if metres is not None else f" ({minutes:g} min on foot)")
    from nezlam.config import Settings

    _report(solution, places, reach, out or Settings.from_env().siting_dir, network)


def _minutes_to_metres(minutes: float) -> float:
    from nezlam.config import Settings

    return minutes * Settings.from_env().walking_speed_kmh * 1000 / 60


def _demand(
    sources: tuple[Path | None, Path | None, Path | None], floor_m2: float | None,
    population_column: str | None, name_column: str | None, network: StreetNetwork | None,
) -> inputs.Places:  # fmt: skip
    """People from the one source given: --demand CSV here, or --population / --from-buildings
    through the loader `nezlam coverage` uses (cut to the street network's area)."""
    from nezlam.coverage.cli import clip_to_network, load_demand

    csv_file, population_file, buildings = sources
    if sum(source is not None for source in sources) != 1:
        raise inputs.InputError(
            "give one of --demand FILE.csv, --population FILE (.gpkg or .csv) or "
            "--from-buildings FILE.osm.pbf"
        )
    if csv_file is not None:
        return inputs.read_places(
            csv_file, population=population_column, name=name_column, need_population=True
        )
    table = load_demand(population_file, buildings, floor_m2)
    if network is not None:
        table = clip_to_network(table, network)
    return inputs.places_from_demand(table)


def _candidates(csv_file: Path | None, osm_file: Path | None, tags: str) -> inputs.Places:
    from nezlam.cli import console, progress_bar

    if (csv_file is None) == (osm_file is None):
        raise inputs.InputError(
            "give either --candidates FILE.csv or --candidates-osm FILE.osm.pbf"
        )
    if csv_file is not None:
        return inputs.read_places(csv_file)
    assert osm_file is not None
    with progress_bar() as bar:
        task = bar.add_task("candidates from OSM (bytes)", total=None)
        sites = inputs.candidates_from_osm(
            osm_file, inputs.parse_tags(tags),
            lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    console.print(f"{len(sites):,} candidate sites from {osm_file.name}")
    return sites


def _existing(
    csv_file: Path | None, ignore: bool, distances: Path | None, services: str,
    ignore_hours: bool,
) -> inputs.Places | None:  # fmt: skip
    """The points open today: none with --no-existing, the --existing CSV, else the database's
    points open now (skipped with --distances, which has no walks from them)."""
    from nezlam.cli import console

    if ignore:
        if csv_file is not None:
            raise inputs.InputError("--existing and --no-existing: give one or the other")
        return None
    if csv_file is not None:
        if distances is not None:
            raise inputs.InputError("--existing needs walking distances: drop --distances")
        return inputs.read_places(csv_file)
    if distances is not None:
        console.print("points open now are not counted: --distances has no walks from them")
        return None
    today = _open_now(services, ignore_hours)
    console.print(f"{len(today):,} points open now (from the database) count as covering already")
    return today


def _open_now(services: str, ignore_hours: bool) -> inputs.Places:
    """The points open now, as `nezlam coverage` counts them (live status, freshness, hours)."""
    from nezlam.cli import console
    from nezlam.coverage.cli import live_points, parse_services

    try:
        index, filters = live_points(parse_services(services), ignore_hours)
    except typer.Exit:
        console.print("(or site without the database: --existing FILE.csv or --no-existing)")
        raise
    snap = index.snapshot
    _snap, hits = index.within_bbox(
        -180.0, -90.0, 180.0, 90.0, filters, datetime.now(UTC), max(len(snap), 1)
    )
    rows = np.array([hit[0] for hit in hits], dtype=np.intp)
    return inputs.Places(snap.lat[rows], snap.lon[rows], [snap.views[r].id for r in rows])


def _problem(
    places: dict, objective: str, radius: float, network: StreetNetwork | None,
    distances: Path | None, distance_columns: str,
) -> Problem:  # fmt: skip
    """Distances from the table, the street network or straight lines, then the problem."""
    from nezlam.cli import console

    demand, sites, today = places["demand"], places["candidates"], places["existing"]
    limit = radius if objective == "mclp" else np.inf
    existing_m = None
    if distances is not None:
        columns = [c.strip() for c in distance_columns.split(",")]
        if len(columns) != 3:
            raise inputs.InputError("--distance-columns: three names, candidate,demand,metres")
        matrix = inputs.read_distance_table(distances, sites.names, demand.names, columns)
    else:
        if network is None:
            console.print("[yellow]no street network:[/yellow] straight-line distances "
                          "(run `nezlam streets import` for walking distances)")  # fmt: skip
        else:
            warn_off_network(network, demand, "demand places", _snap_m())
        matrix = _distances(network, demand, sites, limit, "candidates")
        if today is not None:
            existing_m = build.nearest_existing(
                _distances(network, demand, today, limit, "points open now")
            )
    if objective == "mclp":
        return build.covering_problem(demand.population, matrix, radius, sites.names, existing_m)
    return build.median_problem(demand.population, matrix, sites.names, existing_m)


def _network(path: Path | None) -> StreetNetwork | None:
    from nezlam.config import Settings
    from nezlam.geo.streets import StreetNetwork

    if path is not None and not path.exists():
        raise inputs.InputError(f"{path}: no such street network (run `nezlam streets import`)")
    target = path or Settings.from_env().streets_file
    return StreetNetwork.load(target) if target and Path(target).exists() else None


def _distances(network, demand, sites, limit: float, what: str) -> np.ndarray:  # noqa: ANN001
    from nezlam.cli import progress_bar

    if network is None:
        return build.straight_distances(demand, sites)
    snap_m = _snap_m()
    warn_off_network(network, sites, what, snap_m)
    with progress_bar() as bar:
        task = bar.add_task(f"walking from {what}", total=len(sites))
        return build.network_distances(
            network, demand, sites, limit,
            lambda done, total: bar.update(task, completed=done, total=total), snap_m,
        )  # fmt: skip


def _snap_m() -> float:
    from nezlam.config import Settings

    return Settings.from_env().walking_snap_m


def warn_off_network(
    network: StreetNetwork, places: inputs.Places, what: str, snap_m: float
) -> None:
    """Say how many of `places` (people, candidates, points open now) lie more than `snap_m`
    from the streets, and warn when none of them is on them: another city's network, or
    points open in another city, which cover nobody here."""
    from nezlam.cli import console

    off = ~network.reaches(places.lat, places.lon, snap_m)
    if not off.any():
        return
    if off.all():
        console.print(
            f"[yellow]warning:[/yellow] none of the {len(places):,} {what} lies within "
            f"{snap_m:,.0f} m of these streets — is this the right city's street network?"
        )
        return
    console.print(
        f"{int(off.sum()):,} of {len(places):,} {what} lie more than {snap_m:,.0f} m from these "
        "streets: their walks are straight-line estimates"
    )


def _report(solution: Solution, places: dict, reach: str, out: Path, network) -> None:  # noqa: ANN001
    from nezlam.cli import console

    demand, sites = places["demand"], places["candidates"]
    rows = output.ranked_rows(solution, sites, demand.population)
    out.mkdir(parents=True, exist_ok=True)
    covering = solution.problem.kind == "mclp"
    title = f"{len(rows)} new points: " + (
        f"people within {reach}" if covering else "shortest walks for everyone"
    )
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
    Console().print(table)
    console.print(_quality(solution))
    written = [
        output.write_csv(rows, out / "sites.csv"),
        output.write_geojson(rows, solution, out / "sites.geojson"),
        output.draw_map(
            solution, demand, sites, out / "sites.png", title, places["existing"], network
        ),
    ]
    console.print("wrote " + ", ".join(str(p) for p in written))


def _quality(solution: Solution) -> str:
    """How far from the best possible the answer can be, in words."""
    timing = f"{solution.method}, {solution.seconds:.1f} s"
    if solution.optimal:
        return f"optimal ({timing})"
    if solution.gap is None:
        return f"no bound known ({timing})"
    return f"within {100 * solution.gap:.2f} % of the optimum ({timing})"
