"""`nezlam places`: import OpenStreetMap addresses into the gazetteer and search it.

The gazetteer's modules are imported inside the commands: they load numpy, SciPy and pyosmium
(or rapidfuzz), which `nezlam --help` does not need."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table

from nezlam.commands.common import console, database, progress_bar

app = typer.Typer(
    help="Address search: the gazetteer built from OpenStreetMap data.", no_args_is_help=True
)
STAGES = {"read": "reading (bytes)", "store": "storing (entries)"}
# English plurals are not "add an s" ("addresss"): each kind names its own.
PLURALS = {"address": "addresses", "street": "streets", "place": "places"}


@app.command("import")
def import_(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="an OpenStreetMap extract: .osm.pbf (or .osm)"
    ),
    source: str = typer.Option(
        None, help="name of the source whose entries this replaces [the file's name]"
    ),
) -> None:
    """Import the addresses, streets and named places of an OSM file. Importing a file again
    replaces what it brought last time, in one transaction."""
    from nezlam.places.osm_import import import_file  # pyosmium: see the module's docstring

    db = database()
    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            report = import_file(db, path, source, progress)
        except (OSError, RuntimeError, ValueError) as exc:
            console.print(f"[red]cannot read {path.name}:[/red] {exc}")
            raise typer.Exit(1) from exc
    counts = ", ".join(counted(count, kind) for kind, count in report.counts.items())
    replaced = f"; replaced {report.removed} earlier entries" if report.removed else ""
    console.print(
        f"{report.source}: {report.added} entries ({counts}){replaced} in {report.seconds:.1f} s"
    )
    if report.skipped:
        console.print(f"{report.skipped} house numbers with no street, place or name were skipped")
    console.print("Data © OpenStreetMap contributors (ODbL 1.0): credit them wherever it is shown.")


def counted(count: int, kind: str) -> str:
    """ "1 address", "1,003 addresses", "0 streets"."""
    noun = kind if count == 1 else PLURALS.get(kind, kind + "s")
    return f"{count:,} {noun}"


@app.command("search")
def search(
    query: str = typer.Argument(..., help='what a resident would type, e.g. "Хрещатик 22"'),
    limit: int = typer.Option(10, min=1, max=50, help="at most this many results"),
    lat: float = typer.Option(None, min=-90, max=90, help="prefer results near here (with --lon)"),
    lon: float = typer.Option(None, min=-180, max=180, help="prefer results near here"),
) -> None:
    """Search the gazetteer as the API does, and print the results as a table."""
    from nezlam.places.search import Gazetteer  # numpy, rapidfuzz: see the module's docstring

    if (lat is None) != (lon is None):
        console.print("[red]error:[/red] give --lat and --lon together")
        raise typer.Exit(2)
    near = (lat, lon) if lat is not None and lon is not None else None
    hits = Gazetteer(database()).search(query, limit=limit, near=near)
    if not hits:
        console.print("nothing found")
        raise typer.Exit(1)
    table = Table("score", "kind", "label", "lat", "lon")
    for hit in hits:
        shown = hit.public()
        table.add_row(
            f"{shown['score']:.1f}",
            shown["kind"],
            shown["label"],
            f"{hit.record.lat:.6f}",
            f"{hit.record.lon:.6f}",
        )
    Console().print(table)  # the results themselves go to standard output
