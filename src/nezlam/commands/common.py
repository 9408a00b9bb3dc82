"""What every command shares: the console on standard error, the settings and the database
(each refused with a one-line message and exit code 2), progress bars, and the printing of
errors and notes. Only the command modules import this; the library never does."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nezlam.config import ConfigError, Settings
from nezlam.domain.errors import DomainError
from nezlam.domain.notifications import NotificationRules
from nezlam.store import db as store_db

# Standard error, so that a command's own output (an export, a token) can be piped.
console = Console(stderr=True)


def settings() -> Settings:
    """The settings from the environment, or exit 2 naming the variable that is wrong."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def database() -> store_db.Database:
    """The configured database, refusing one that is not migrated to this version's schema.
    Reports written from here (imports, the demo) notify by the configured fuel threshold."""
    configured = settings()
    rules = NotificationRules(configured.low_fuel_litres)
    db = store_db.Database(configured.database_url, notification_rules=rules)
    # Its pool closes with the command, also one run in-process (a test's, the demo's): an
    # open pool holds its PostgreSQL connections until the garbage collector finds it.
    command = click.get_current_context(silent=True)
    if command is not None:
        command.find_root().call_on_close(db.dispose)
    try:
        current, head = store_db.schema_revision(db.engine)
    except Exception as exc:  # unreachable server, bad credentials, unreadable file
        console.print(f"[red]cannot open the database:[/red] {str(exc).splitlines()[0]}")
        raise typer.Exit(2) from exc
    if current != head:
        state = "is empty" if current is None else f"is at revision {current}, not {head}"
        console.print(f"[red]the database {state}[/red]: run `nezlam db upgrade` first")
        raise typer.Exit(2)
    return db


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@contextmanager
def progress(
    description: str, total: int | None = None
) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar, and the callback (done, total) that the library's readers call."""
    with progress_bar() as bar:
        task = bar.add_task(description, total=total)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def fail(exc: DomainError, code: int = 1) -> typer.Exit:
    """Print a domain error as one line; the Exit to raise (2: the command was misused)."""
    where = f" ({exc.field})" if exc.field else ""
    console.print(f"[red]error{where}:[/red] {exc.problem}", highlight=False)
    return typer.Exit(code)


def refuse(message: str, code: int = 1) -> typer.Exit:
    """Print why the command cannot go on, in red; the Exit to raise."""
    console.print(f"[red]{escape(message)}[/red]")
    return typer.Exit(code)


def invalid_input(exc: ValueError) -> typer.Exit:
    """Print what was wrong with the input, field by field, without pydantic's links to its
    documentation; the Exit to raise."""
    if isinstance(exc, ValidationError):
        for item in exc.errors():
            where = ".".join(str(part) for part in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            console.print(f"[red]error{f' ({where})' if where else ''}:[/red] {message}")
    else:
        console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


class Said(Protocol):
    """A sentence the library has for the person running the command (coverage.inputs.Note)."""

    @property
    def text(self) -> str: ...

    @property
    def warning(self) -> bool: ...


def say(*notes: Said | None) -> None:
    """Print the library's notes, a warning marked as one; None is nothing to say."""
    for note in notes:
        if note is not None:
            mark = "[yellow]warning:[/yellow] " if note.warning else ""
            console.print(mark + escape(note.text))


def prose(text: str | None) -> str | None:
    """Help text with each paragraph on one line. Typer's rich help keeps a docstring's line
    breaks, which then fall mid-sentence ("per district; uncovered" / "cells and a map")."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def tidy_help(typer_app: typer.Typer) -> None:
    """Make every command's help prose (sub-commands' too), once all are registered."""
    for info in typer_app.registered_commands:
        info.help = prose(info.help or inspect.getdoc(info.callback))
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            tidy_help(group.typer_instance)
