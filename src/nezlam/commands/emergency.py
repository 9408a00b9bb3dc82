"""`nezlam outages emergency`: declare and end emergency shutdowns in a power company's region,
when its schedules do not hold (issue 12). Declaring tells every standby and open point that
follows the company's schedule at once, through the notification rules and every channel."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape

from nezlam.commands.common import console, database, fail
from nezlam.domain.errors import DomainError
from nezlam.domain.outages import KYIV
from nezlam.store import emergency_shutdowns
from nezlam.store.actor import CLI
from nezlam.store.tables import utcnow

app = typer.Typer(
    help="Emergency shutdowns: a power company's schedules suspended.", no_args_is_help=True
)
PROVIDER = typer.Argument(..., help="the power company's region id, as imported (vinnytsia)")


@app.command("start")
def start(
    provider: str = PROVIDER,
    note: str = typer.Option(None, help="what the power company said, for the points"),
) -> None:
    """Declare emergency shutdowns in PROVIDER's region and tell its standby and open points."""
    try:
        with database().write() as session:
            row, told = emergency_shutdowns.declare(session, provider, CLI, utcnow(), note)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(escape(f"emergency shutdowns in {row.provider} from {local(row.started_at)}"))
    typer.echo(f"{len(told)} points told" + (": " + ", ".join(told) if told else ""))


@app.command("end")
def end(provider: str = PROVIDER) -> None:
    """End the emergency shutdowns in PROVIDER's region: its schedule holds again."""
    try:
        with database().write() as session:
            row = emergency_shutdowns.end(session, provider, CLI, utcnow())
    except DomainError as exc:
        raise fail(exc) from exc
    typer.echo(f"emergency shutdowns in {row.provider} ended at {local(row.ended_at)}")


@app.command("list")
def list_() -> None:
    """The regions with emergency shutdowns on."""
    with database().read() as session:
        found = emergency_shutdowns.active(session)
    for provider, row in sorted(found.items()):
        note = f" — {row.note}" if row.note else ""
        console.print(
            escape(f"{provider}: since {local(row.started_at)} by {row.started_by}{note}")
        )
    if not found:
        typer.echo("no emergency shutdowns")


def local(moment: datetime | None) -> str:
    """Kyiv time, as the schedules say it."""
    return "?" if moment is None else moment.astimezone(KYIV).strftime("%Y-%m-%d %H:%M")
