"""`nezlam streets`: import a city's walking network from OpenStreetMap, and look at it.

The street network's module is imported inside the commands: it loads numpy, SciPy and
pyosmium, which `nezlam --help` does not need."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nezlam.commands.common import console, database, progress, settings
from nezlam.config import DEFAULT_STREETS_PATH

if TYPE_CHECKING:
    from nezlam.geo.streets import StreetNetwork

app = typer.Typer(
    help="The street network: walking distances instead of straight lines.", no_args_is_help=True
)


@app.command("import")
def import_(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="an OpenStreetMap extract: .osm.pbf (or .osm)"
    ),
    output: Path = typer.Option(
        None, help="where to keep the network [NEZLAM_STREETS, or var/streets.npz]"
    ),
) -> None:
    """Build the pedestrian network of an OSM extract and store it where the server loads it
    from; a running server uses it from its next index poll (about a second). Says how many of
    the points in the database the network reaches."""
    from nezlam.geo.streets import read_osm  # numpy, SciPy, pyosmium: see the docstring

    target = output or settings().streets_file or DEFAULT_STREETS_PATH
    started = time.perf_counter()
    with progress("reading (bytes)", path.stat().st_size) as moved:
        try:
            network = read_osm(path, moved)
        except (OSError, RuntimeError, ValueError) as exc:
            console.print(f"[red]cannot read {path.name}:[/red] {exc}")
            raise typer.Exit(1) from exc
    network.save(target)
    seconds = time.perf_counter() - started
    console.print(
        f"{network.name}: {network.nodes:,} street nodes, {network.edges:,} segments, "
        f"{network.weights.sum() / 2000:,.0f} km walkable, in {seconds:.1f} s → {target}"
    )
    console.print("Data © OpenStreetMap contributors (ODbL 1.0): credit them wherever it is shown.")
    check_points(network)


def check_points(network: StreetNetwork) -> None:
    """How many of the points in the database lie within NEZLAM_WALKING_SNAP_M of the new
    streets, with a warning when that is none or fewer than half (another city's extract, or
    one that leaves out the suburbs)."""
    from nezlam.geo.spatial_index import SpatialIndex  # numpy, SciPy: see the docstring
    from nezlam.index_sync import IndexSync

    try:
        config = settings()
        index = SpatialIndex(config.stale_after, config.no_response_after)
        IndexSync(database(), index).load_all()
    except typer.Exit:  # no database yet, or not migrated: the import itself stands
        console.print("the points in the database were not checked against the new streets")
        return
    snap = index.snapshot
    if not len(snap):
        return
    reached = int(network.reaches(snap.lat, snap.lon, config.walking_snap_m).sum())
    console.print(coverage_words(reached, len(snap), config.walking_snap_m))


def coverage_words(reached: int, total: int, snap_m: float) -> str:
    """What the network's reach over the database's points means, in a sentence."""
    share = f"{reached:,} of {total:,} points"
    if reached == 0:
        return (
            f"[yellow]warning:[/yellow] the network covers 0 of {total:,} points (none within "
            f"{snap_m:,.0f} m of its streets); walking distances will be used for none of "
            "them — is this the right city?"
        )
    if reached * 2 < total:
        return (
            f"[yellow]warning:[/yellow] the network covers only {share} "
            f"({100 * reached / total:.0f} %); the other {total - reached:,} keep straight-line "
            "distances — does the extract leave out part of the area?"
        )
    return f"the network covers {share} ({100 * reached / total:.0f} %) within {snap_m:,.0f} m"


@app.command("info")
def info(
    path: Path = typer.Option(None, help="the network file [NEZLAM_STREETS, or var/streets.npz]"),
) -> None:
    """What the stored network holds and how long it takes to load."""
    from nezlam.geo.streets import StreetNetwork  # numpy, SciPy: see the docstring

    target = path or settings().streets_file
    if target is None or not Path(target).exists():
        console.print(f"[red]no street network at {target}[/red]: run `nezlam streets import`")
        raise typer.Exit(1)
    started = time.perf_counter()
    network = StreetNetwork.load(target)
    seconds = time.perf_counter() - started
    console.print(
        f"{network.name}: {network.nodes:,} nodes, {network.edges:,} segments, "
        f"{network.weights.sum() / 2000:,.0f} km; loads in {seconds * 1000:.0f} ms"
    )
