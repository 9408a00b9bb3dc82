"""`nezlam streets`: import a city's walking network from OpenStreetMap, and look at it."""

from __future__ import annotations

import time
from pathlib import Path

import typer

streets_app = typer.Typer(
    help="The street network: walking distances instead of straight lines.", no_args_is_help=True
)


@streets_app.command("import")
def import_(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="an OpenStreetMap extract: .osm.pbf (or .osm)"
    ),
    output: Path = typer.Option(
        None, help="where to keep the network [NEZLAM_STREETS, or var/streets.npz]"
    ),
) -> None:
    """Build the pedestrian network of an OSM extract and store it where the server loads it
    from. Restart the server (or its workers) to use a new network."""
    from nezlam.cli import console, progress_bar
    from nezlam.config import Settings
    from nezlam.geo.streets import read_osm

    target = output or Settings.from_env().streets_file
    started = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("reading (bytes)", total=path.stat().st_size)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            network = read_osm(path, progress)
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


@streets_app.command("info")
def info(
    path: Path = typer.Option(None, help="the network file [NEZLAM_STREETS, or var/streets.npz]"),
) -> None:
    """What the stored network holds and how long it takes to load."""
    from nezlam.cli import console
    from nezlam.config import Settings
    from nezlam.geo.streets import StreetNetwork

    target = path or Settings.from_env().streets_file
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
