"""`nezlam import`, `nezlam export`, `nezlam poster`: points in and out of the database.

Import progress goes to standard error: a bar on a terminal, and a line every few seconds when
standard error is a file or a pipe (a bar there would show only once, at the end). Problems
are printed one line per kind, with the rows each hit, however many rows share it.

Export and poster read the points through the live index, imported inside those commands: it
loads numpy and SciPy, which `nezlam --help` does not need.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from nezlam.commands.common import console, database, fail, settings
from nezlam.domain.errors import DomainError
from nezlam.interchange import importer
from nezlam.interchange.geocoding import gazetteer_geocoder
from nezlam.store.tables import utcnow

if TYPE_CHECKING:
    from nezlam.store.db import Database

LINE_EVERY_S = 10.0
MOST_LINES = 30  # kinds of problem printed; the rest are counted
MOST_WARNINGS = 10


class LineTracker:
    """Progress as a line every `every` seconds (by an injectable clock), and one at the end."""

    def __init__(
        self,
        console: Console,
        every: float = LINE_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console, self.every, self.clock = console, every, clock
        self.description, self.done = "", 0
        self.total: int | None = None
        self.started = self.last = 0.0
        self.said = -1

    def start(self, description: str, total: int | None) -> None:
        self.description, self.total, self.done, self.said = description, total, 0, -1
        self.started = self.last = self.clock()

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.clock() - self.last >= self.every:
            self.last = self.clock()
            self._say()

    def finish(self) -> None:
        self.total = self.done
        if self.said != self.done:
            self._say()

    def _say(self) -> None:
        self.said = self.done
        seconds = max(self.clock() - self.started, 1e-9)
        share = f" of about {self.total:,}" if self.total and self.total != self.done else ""
        self.console.print(
            f"{self.description}: {self.done:,}{share} rows, {seconds:.0f} s, "
            f"{self.done / seconds:,.0f} rows/s",
            highlight=False,
        )


class BarTracker:
    """Progress as a rich bar, for a terminal."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task: TaskID | None = None

    def start(self, description: str, total: int | None) -> None:
        self.progress.start()
        self.task = self.progress.add_task(description, total=total)

    def advance(self, rows: int) -> None:
        assert self.task is not None, "start() comes first"
        self.progress.advance(self.task, rows)

    def finish(self) -> None:
        task = self.progress.tasks[0] if self.progress.tasks else None
        if task is not None:
            self.progress.update(task.id, total=task.completed)
        self.progress.stop()


def tracker_for(console: Console) -> LineTracker | BarTracker:
    return BarTracker(console) if console.is_terminal else LineTracker(console)


ImportPath = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="CSV, GeoJSON, JSON, KML or KMZ")
]
Format = Annotated[
    str | None, typer.Option("--format", help="csv, geojson, json or kml (default: by suffix)")
]
MappingFile = Annotated[
    Path | None, typer.Option(exists=True, help="JSON file mapping foreign fields")
]
Encoding = Annotated[str | None, typer.Option(help="utf-8 or cp1251 (default: detected)")]
Category = Annotated[
    str | None, typer.Option(help="state, business or service, for rows that have none")
]
Locality = Annotated[
    str | None, typer.Option(help="locality (city, village) for rows that have none")
]
Region = Annotated[str | None, typer.Option(help="region for rows that have none")]
Layer = Annotated[
    list[str] | None,
    typer.Option("--layer", help="a map's folder to import (repeat for several) [all]"),
]
Geocode = Annotated[
    bool,
    typer.Option("--geocode", help="place rows without coordinates by their address (gazetteer)"),
]
CreateOrganisations = Annotated[
    bool,
    typer.Option(
        "--create-organisations", help="create the organisations rows name that are missing"
    ),
]
SkipInvalid = Annotated[bool, typer.Option("--skip-invalid", help="import the valid rows only")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="check and count only; write nothing")]


def import_(
    path: ImportPath, format: Format = None, mapping: MappingFile = None,
    encoding: Encoding = None, category: Category = None, locality: Locality = None,
    region: Region = None, layer: Layer = None, geocode: Geocode = False,
    create_organisations: CreateOrganisations = False, skip_invalid: SkipInvalid = False,
    dry_run: DryRun = False,
) -> None:  # fmt: skip
    """Import points from a file; every row is checked, and if any is bad nothing is imported.

    Columns: each row needs a name (name or name_uk), lat and lon, category (state, business
    or service), locality and region; --category, --locality and --region give the last three
    to the rows that leave them out. Optional: name_en, address, phone, services
    (heat;power;...), capacity, opening_hours (Mo-Fr 08:00-20:00), kind, visibility,
    organisation, external_id, id, timezone, notes_uk, outage_region and outage_queue (whose
    outage schedule the point's power follows: vinnytsia, 1.1). A mapping file (--mapping)
    reads other column names.

    Formats: CSV (UTF-8 with or without a BOM, or Windows-1251; commas or semicolons; problems
    name the line, the header being line 1), GeoJSON (Point features), JSON, and KML or KMZ
    maps such as Google My Maps exports (name, address and capacity are read from each
    placemark; one without a Point is refused, or placed by its address with --geocode).

    A point that already exists (same id or external id, or the same name within 50 m) is
    updated, or counted as unchanged, never doubled. With --skip-invalid the good rows are
    imported and the others skipped. The import is one transaction: stopped half-way, it
    leaves nothing.
    """
    db = database()
    try:
        result = importer.import_file(
            db, path, format=format, mapping_path=mapping, encoding=encoding,
            skip_invalid=skip_invalid, dry_run=dry_run, create_organisations=create_organisations,
            **_importer_options(db, layer, geocode, category=category, locality=locality,
                                region=region),
            progress=tracker_for(console),
        )  # fmt: skip
    except DomainError as exc:
        raise fail(exc) from exc
    raise typer.Exit(report(console, result, dry_run=dry_run, skip_invalid=skip_invalid))


def _importer_options(
    db: Database, layer: list[str] | None, geocode: bool, **defaults: str | None
) -> dict[str, Any]:
    """The importer's options that the command line spells otherwise: the `defaults` given,
    for the rows that leave them out; the gazetteer as geocoder with --geocode; the layers
    chosen as a set (None: every layer)."""
    return {
        "defaults": {name: value for name, value in defaults.items() if value},
        "geocoder": gazetteer_geocoder(db) if geocode else None,
        "layers": frozenset(layer) if layer else None,
    }


def report(
    console: Console, result: importer.ImportResult, *, dry_run: bool, skip_invalid: bool
) -> int:
    """Print what happened; the exit code: 1 when nothing could be imported for problems."""

    def say(text: str, markup: bool | None = None) -> None:
        # soft_wrap: one line per problem, whatever the width, so that it can be grepped.
        console.print(text, soft_wrap=True, highlight=False, markup=markup)

    word = result.row_word
    for line in result.log.summary(word, MOST_LINES):
        say(line, markup=False)
    for line in result.warning_log.summary(word, MOST_WARNINGS, "warning"):
        say(f"warning: {line}", markup=False)
    if result.layers:
        layers = "; ".join(f"{name} ({count:,})" for name, count in result.layers.items())
        say(f"layers: {layers}", markup=False)
    if result.log and not skip_invalid:
        say(f"[red]{result.log.total:,} problem(s); nothing imported[/red]")
        return 1
    say(f"{'would import' if dry_run else 'imported'}: {', '.join(counts(result))}")
    if result.organisations_created:
        made = "would create" if dry_run else "created"
        say(f"{made} organisations: {', '.join(result.organisations_created)}", markup=False)
    if skip_invalid and result.log and result.imported == 0:
        say(f"[red]nothing imported: every {word} had a problem[/red]")
        return 1
    return 0


def counts(result: importer.ImportResult) -> list[str]:
    """ "1,203 new", "5 updated", …: what the import did to the points, in words."""
    said = [
        f"{result.created:,} new",
        f"{result.updated:,} updated",
        f"{result.unchanged:,} unchanged",
        f"{result.skipped:,} skipped",
    ]
    said += [f"{result.merged:,} merged repeats"] if result.merged else []
    return said + ([f"{result.left_out:,} in other layers"] if result.left_out else [])


def export(
    output: Path = typer.Argument(None, help="file to write (default: standard output)"),
    format: str = typer.Option("geojson", "--format", help="geojson, csv or hxl"),
    lang: str = typer.Option("uk", help="uk or en: the language of the names and notes"),
) -> None:
    """Export the public view of every visible point (protected addresses stay hidden)."""
    from nezlam.interchange import exporter  # the live index: numpy, SciPy

    try:
        data = exporter.export_public(settings(), database(), format, lang)
    except DomainError as exc:
        raise fail(exc, code=2) from exc
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        console.print(f"wrote {len(data)} bytes to {output}")


def poster(
    lat: float = typer.Option(..., min=-90, max=90, help="latitude of the door it hangs on"),
    lon: float = typer.Option(..., min=-180, max=180, help="longitude"),
    output: Path = typer.Option(Path("poster.pdf"), "--output", "-o", help="the PDF file to write"),
    place: str = typer.Option(None, help="what to call the place, e.g. the building's address"),
    base_url: str = typer.Option("http://127.0.0.1:8000", help="where the QR codes lead"),
    lang: str = typer.Option("uk", help="uk or en (the other language is printed smaller)"),
) -> None:
    """Print an A4 poster (PDF) of the nearest points with QR codes to their pages."""
    # The live index (numpy, SciPy) and the PDF writer load only to print a poster.
    from nezlam.geo.spatial_index import SpatialIndex
    from nezlam.index_sync import IndexSync
    from nezlam.poster import nearest_features_for_poster, place_name, render_poster

    config = settings()
    index = SpatialIndex(config.stale_after, config.no_response_after)
    IndexSync(database(), index).load_all()
    now = utcnow()
    features = nearest_features_for_poster(index, lat, lon, now=now, lang=lang)
    output.write_bytes(
        render_poster(
            features,
            place_label=place or place_name(database(), lat, lon, lang),  # as GET /poster
            lat=lat,
            lon=lon,
            base_url=base_url.rstrip("/"),
            generated_at=now,
            lang=lang,
        )
    )
    console.print(f"wrote {output} with {min(len(features), 6)} points")
