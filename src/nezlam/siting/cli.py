"""`nezlam site`: where the next points should open, ranked, as a table, files and a map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from nezlam.siting import build, inputs, output
from nezlam.siting.problem import Problem, Solution
from nezlam.siting.solve import METHODS, solve

site_app = typer.Typer(
    help="Where to open the next points: the most people within walking reach.",
    invoke_without_command=True,
)


@site_app.callback()
def site(
    new: int = typer.Option(10, "--new", min=1, help="how many new points to place"),
    minutes: float = typer.Option(15.0, help="walking minutes that count as within reach"),
    metres: float = typer.Option(None, help="reach in metres instead of --minutes"),
    demand: Path = typer.Option(..., help="CSV of lat, lon, population (one row per cell)"),
    candidates: Path = typer.Option(None, help="CSV of lat, lon, name: where a point could open"),
    candidates_osm: Path = typer.Option(None, help="or an .osm.pbf: public buildings there"),
    tags: str = typer.Option(
        ",".join(f"{k}={v}" for k, v in inputs.OSM_CANDIDATES),
        help="which OSM objects are candidates (with --candidates-osm)",
    ),
    existing: Path = typer.Option(None, help="CSV of lat, lon, name: points open today"),
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
    out: Path = typer.Option(Path("var") / "siting", help="where to write sites.csv/.geojson/.png"),
) -> None:
    """Rank the best sites for the next points and write sites.csv, sites.geojson and sites.png.

    Maximal covering (--objective mclp) counts the people within --minutes on foot; people
    already within reach of an --existing point count as covered. p-median (--objective
    pmedian) minimises everyone's walk instead."""
    from nezlam.cli import console

    if objective not in ("mclp", "pmedian") or method not in METHODS:
        console.print("[red]--objective is mclp or pmedian; --method is auto, greedy or exact")
        raise typer.Exit(2)
    try:
        places = _read_inputs(demand, candidates, candidates_osm, tags, existing, population_column,
                              name_column)  # fmt: skip
        radius = metres if metres is not None else _minutes_to_metres(minutes)
        problem, network = _problem(places, objective, radius, streets, distances, distance_columns)
        solution = solve(problem, new, method=method, time_limit=time_limit)
    except (inputs.InputError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    reach = f"{radius:,.0f} m" + ("" if metres is not None else f" ({minutes:g} min on foot)")
    _report(solution, places, reach, out, network)


def _minutes_to_metres(minutes: float) -> float:
    from nezlam.config import Settings

    return minutes * Settings.from_env().walking_speed_kmh * 1000 / 60


def _read_inputs(
    demand: Path, candidates: Path | None, candidates_osm: Path | None, tags: str,
    existing: Path | None, population_column: str | None, name_column: str | None,
) -> dict[str, inputs.Places | None]:  # fmt: skip
    from nezlam.cli import console, progress_bar

    if (candidates is None) == (candidates_osm is None):
        raise inputs.InputError(
            "give either --candidates FILE.csv or --candidates-osm FILE.osm.pbf"
        )
    people = inputs.read_places(
        demand, population=population_column, name=name_column, need_population=True
    )
    if candidates is not None:
        sites = inputs.read_places(candidates)
    else:
        with progress_bar() as bar:
            task = bar.add_task("candidates from OSM (bytes)", total=None)
            sites = inputs.candidates_from_osm(
                candidates_osm, inputs.parse_tags(tags),
                lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
        console.print(f"{len(sites):,} candidate sites from {candidates_osm.name}")
    today = inputs.read_places(existing) if existing is not None else None
    return {"demand": people, "candidates": sites, "existing": today}


def _problem(
    places: dict, objective: str, radius: float, streets: Path | None,
    distances: Path | None, distance_columns: str,
) -> tuple[Problem, object]:  # fmt: skip
    """Distances from the table, the street network or straight lines, then the problem."""
    from nezlam.cli import console

    demand, sites, today = places["demand"], places["candidates"], places["existing"]
    limit = radius if objective == "mclp" else np.inf
    network = None
    if distances is not None:
        if today is not None:
            raise inputs.InputError("--existing needs walking distances: drop --distances")
        columns = [c.strip() for c in distance_columns.split(",")]
        if len(columns) != 3:
            raise inputs.InputError("--distance-columns: three names, candidate,demand,metres")
        matrix = inputs.read_distance_table(distances, sites.names, demand.names, columns)
        existing_m = None
    else:
        network = _network(streets)
        if network is None:
            console.print("[yellow]no street network:[/yellow] straight-line distances "
                          "(run `nezlam streets import` for walking distances)")  # fmt: skip
        matrix = _distances(network, demand, sites, limit, "candidates")
        existing_m = None
        if today is not None:
            existing_m = build.nearest_existing(
                _distances(network, demand, today, limit, "open points")
            )
    if objective == "mclp":
        return build.covering_problem(
            demand.population, matrix, radius, sites.names, existing_m
        ), network
    return build.median_problem(demand.population, matrix, sites.names, existing_m), network


def _network(path: Path | None):  # noqa: ANN202 - StreetNetwork | None
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
    with progress_bar() as bar:
        task = bar.add_task(f"walking from {what}", total=len(sites))
        return build.network_distances(
            network, demand, sites, limit,
            lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip


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
