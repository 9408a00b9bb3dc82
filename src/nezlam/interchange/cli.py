"""`nezlam import`: points from a spreadsheet, a GeoJSON or JSON file, or a map (KML/KMZ).

Progress goes to standard error: a bar on a terminal, and a line every few seconds when
standard error is a file or a pipe (a bar there would show only once, at the end). Problems
are printed one line per kind, with the rows each hit, however many rows share it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nezlam.interchange.importer import ImportResult

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
        self.description, self.total, self.done = "", None, 0
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
        self.task = None

    def start(self, description: str, total: int | None) -> None:
        self.progress.start()
        self.task = self.progress.add_task(description, total=total)

    def advance(self, rows: int) -> None:
        self.progress.advance(self.task, rows)  # type: ignore[arg-type]

    def finish(self) -> None:
        task = self.progress.tasks[0] if self.progress.tasks else None
        if task is not None:
            self.progress.update(task.id, total=task.completed)
        self.progress.stop()


def tracker_for(console: Console) -> LineTracker | BarTracker:
    return BarTracker(console) if console.is_terminal else LineTracker(console)


def import_(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV, GeoJSON, JSON, KML or KMZ"
    ),
    format: str = typer.Option(
        None, "--format", help="csv, geojson, json or kml (default: by suffix)"
    ),
    mapping: Path = typer.Option(None, exists=True, help="JSON file mapping foreign fields"),
    encoding: str = typer.Option(None, help="utf-8 or cp1251 (default: detected)"),
    category: str = typer.Option(None, help="state, business or service, for rows that have none"),
    locality: str = typer.Option(None, help="locality (city, village) for rows that have none"),
    region: str = typer.Option(None, help="region for rows that have none"),
    layer: list[str] = typer.Option(
        None, "--layer", help="a map's folder to import (repeat for several) [all]"
    ),
    geocode: bool = typer.Option(
        False, "--geocode", help="place rows without coordinates by their address (gazetteer)"
    ),
    create_organisations: bool = typer.Option(
        False, "--create-organisations", help="create the organisations rows name that are missing"
    ),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="import the valid rows only"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check and count only; write nothing"),
) -> None:
    """Import points from a file; every row is checked, and if any is bad nothing is imported.

    Columns: each row needs a name (name or name_uk), lat and lon, category (state, business
    or service), locality and region; --category, --locality and --region give the last three
    to the rows that leave them out. Optional: name_en, address, phone, services
    (heat;power;...), capacity, opening_hours (Mo-Fr 08:00-20:00), kind, visibility,
    organisation, external_id, id, timezone, notes_uk. A mapping file (--mapping) reads other
    column names.

    Formats: CSV (UTF-8 with or without a BOM, or Windows-1251; commas or semicolons; problems
    name the line, the header being line 1), GeoJSON (Point features), JSON, and KML or KMZ
    maps such as Google My Maps exports (name, address and capacity are read from each
    placemark; one without a Point is refused, or placed by its address with --geocode).

    A point that already exists (same id or external id, or the same name within 50 m) is
    updated, or counted as unchanged, never doubled. With --skip-invalid the good rows are
    imported and the others skipped. The import is one transaction: stopped half-way, it
    leaves nothing.
    """
    from nezlam.cli import console, database, fail
    from nezlam.domain.errors import DomainError
    from nezlam.interchange import importer
    from nezlam.interchange.geocoding import gazetteer_geocoder

    db = database()
    defaults = {
        name: value
        for name, value in (("category", category), ("locality", locality), ("region", region))
        if value
    }
    try:
        result = importer.import_file(
            db,
            path,
            format=format,
            mapping_path=mapping,
            encoding=encoding,
            defaults=defaults,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            create_organisations=create_organisations,
            geocoder=gazetteer_geocoder(db) if geocode else None,
            layers=frozenset(layer) if layer else None,
            progress=tracker_for(console),
        )
    except DomainError as exc:
        raise fail(exc) from exc
    raise typer.Exit(report(console, result, dry_run=dry_run, skip_invalid=skip_invalid))


def report(console: Console, result: ImportResult, *, dry_run: bool, skip_invalid: bool) -> int:
    """Print what happened; the exit code: 1 when nothing could be imported for problems."""

    def say(text: str, **options: bool) -> None:
        # soft_wrap: one line per problem, whatever the width, so that it can be grepped.
        console.print(text, soft_wrap=True, highlight=False, **options)

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
    verb = "would import" if dry_run else "imported"
    counts = [
        f"{result.created:,} new",
        f"{result.updated:,} updated",
        f"{result.unchanged:,} unchanged",
        f"{result.skipped:,} skipped",
    ]
    counts += [f"{result.merged:,} merged repeats"] if result.merged else []
    counts += [f"{result.left_out:,} in other layers"] if result.left_out else []
    say(f"{verb}: {', '.join(counts)}")
    if result.organisations_created:
        made = "would create" if dry_run else "created"
        say(f"{made} organisations: {', '.join(result.organisations_created)}", markup=False)
    if skip_invalid and result.log and result.imported == 0:
        say(f"[red]nothing imported: every {word} had a problem[/red]")
        return 1
    return 0
