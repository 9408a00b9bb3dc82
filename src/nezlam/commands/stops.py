"""`nezlam stop`: a mobile point's schedule of stops (issue 12) — where it will stand and when,
in the network's local time (NEZLAM_TIMEZONE)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from nezlam.commands.common import console, database, fail, refuse, settings
from nezlam.domain.errors import DomainError
from nezlam.domain.mobile_stops import Stop
from nezlam.store.actor import CLI
from nezlam.store.tables import utcnow

app = typer.Typer(help="A mobile point's stops: where it stands, and when.", no_args_is_help=True)
WHEN = "YYYY-MM-DD HH:MM, local time"


def local_time(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise refuse(f"{option}: not a time ({WHEN}): {text!r}", code=2) from None
    zone = ZoneInfo(settings().timezone)
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(ZoneInfo("UTC"))


def position(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError:
        raise refuse(f"--at: LAT,LON in degrees, e.g. 50.4501,30.5234: {text!r}", code=2) from None
    return lat, lon


@app.command("add")
def add(
    point: str = typer.Argument(..., help="the mobile point's id"),
    start: str = typer.Option(..., "--from", help=f"when it arrives ({WHEN})"),
    end: str = typer.Option(..., "--to", help=f"when it leaves ({WHEN})"),
    at: str = typer.Option(..., help="where it stands: LAT,LON"),
    place: str = typer.Option(None, help="the place as people call it, e.g. 'вокзал'"),
) -> None:
    """Add a stop to a mobile point's schedule: residents see it on its page, and its device
    far from it then is flagged for coordinators."""
    from nezlam.store import point_stops

    lat, lon = position(at)
    stop = Stop(local_time(start, "--from"), local_time(end, "--to"), lat, lon, place)
    try:
        with database().write() as session:
            row = point_stops.add_stop(session, point, stop, CLI, utcnow())
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(escape(f"stop {row.id} of {point}"))


@app.command("list")
def list_(point: str = typer.Argument(..., help="the mobile point's id")) -> None:
    """The point's stops from now on: id, from, to (local time), position, place."""
    from nezlam.store import point_stops

    zone = ZoneInfo(settings().timezone)
    with database().read() as session:
        rows = point_stops.stops_of(session, point, utcnow())
    for row in rows:
        start, end = (
            t.astimezone(zone).strftime("%Y-%m-%d %H:%M") for t in (row.starts_at, row.ends_at)
        )
        print(f"{row.id}\t{start}\t{end}\t{row.lat:.5f},{row.lon:.5f}\t{row.place or ''}")


@app.command("remove")
def remove(stop: int = typer.Argument(..., help="the stop's id, from `nezlam stop list`")) -> None:
    """Remove a stop from its point's schedule."""
    from nezlam.store import point_stops

    try:
        with database().write() as session:
            point = point_stops.remove_stop(session, stop, CLI, utcnow())
    except DomainError as exc:
        raise fail(exc) from exc
    typer.echo(f"stop {stop} of {point} removed")
