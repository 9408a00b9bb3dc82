"""`nezlam outages`: power-outage schedules by queue, read from the files the power companies'
mirrors publish (outage-data-ua JSON, or iCalendar)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from nezlam.commands.common import console, database, say, settings
from nezlam.domain.errors import DomainError
from nezlam.domain.outage_schedule import ProviderSchedule, Schedule
from nezlam.domain.outages import KYIV, Outage, QueueSchedule, day_start, queue_order
from nezlam.interchange.outage_files import read_schedules

app = typer.Typer(help="Power-outage schedules by queue (черга 1.1 … 6.2).", no_args_is_help=True)


@app.command("show")
def show(
    files: list[Path] = typer.Argument(  # noqa: B008
        ...,
        help="outage-data-ua JSON or iCalendar (.ics) files: several JSON files are revisions of "
        "one company's schedule, several calendars its queues",
        show_default=False,
        metavar="FILE...",
    ),
    queue: list[str] = typer.Option(  # noqa: B008
        None, "--queue", help="only this queue (1.1); may be given again", show_default=False
    ),
    days: int = typer.Option(2, min=1, max=31, help="how many days to show"),
    first: str = typer.Option(
        None,
        "--from",
        help="the first day, YYYY-MM-DD in Kyiv (by default the file's today, or today)",
    ),
) -> None:
    """Print each queue's outages in Kyiv time, day by day: definite ones as "off", possible
    ones as "off (possible)", and the days with no published schedule. A file that cannot be
    read is refused in one line naming it, and the key or event in it (exit code 2)."""
    try:
        schedule = read_schedules(files)
    except DomainError as exc:
        raise refused(f"cannot read {exc.field or 'the files'}", exc.problem) from exc
    try:
        start = first_day(first, schedule)
        wanted = chosen_queues(schedule, queue)
    except DomainError as exc:
        raise refused(f"error ({exc.field})", exc.problem) from exc
    try:
        lines = schedule.timeline(start, days)
    except DomainError as exc:
        raise refused(f"cannot read {schedule.source}", exc.problem) from exc
    say(*schedule.notes)
    last = start + timedelta(days=days - 1)
    span = f"{start}" if days == 1 else f"{start} – {last}"
    typer.echo(f"{schedule.source}: {span}, Kyiv time{updated_words(schedule)}")
    for name in wanted:
        typer.echo(queue_line(lines[name]))


def refused(what: str, problem: str) -> typer.Exit:
    """One line, however long (rich would wrap it at the terminal's width); exit code 2."""
    console.print(f"[red]{escape(what)}:[/red] {escape(problem)}", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def first_day(text: str | None, schedule: Schedule) -> date:
    if text is None:
        return schedule.first_day() or datetime.now(KYIV).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError(f"{text!r} is not a day like 2025-12-06", "--from") from exc


def chosen_queues(schedule: Schedule, asked: list[str] | None) -> list[str]:
    """The queues asked for ('1.1', or 'GPV1.1' as the files name it), or all of them."""
    known = schedule.queues()
    if not asked:
        return list(known)
    names = [name.strip().upper().removeprefix("GPV") for name in asked]
    if missing := [name for name in names if name not in known]:
        has = ", ".join(known)
        raise DomainError(f"no queue {missing[0]} in the schedule (it has {has})", "--queue")
    return names


def updated_words(schedule: Schedule) -> str:
    if schedule.updated_at is None:
        return ""
    return f"; updated {schedule.updated_at.astimezone(KYIV):%Y-%m-%d %H:%M}"


def queue_line(line: QueueSchedule) -> str:
    """'1.1: 2025-12-06 08:00–11:30 off; 15:00–22:00 off; 2025-12-07 05:00–08:30 off …': the
    day written where it changes, an outage across midnight ending on the next day's date."""
    items = [(day_start(day), "no schedule", day) for day in line.unscheduled]
    for outage in line.outages:
        start, end = outage.start.astimezone(KYIV), outage.end.astimezone(KYIV)
        ends = end_words(start, end)
        words = f"{start:%H:%M}–{ends} off" + (" (possible)" if outage.possible else "")
        items.append((outage.start, words, end.date() if len(ends) > 5 else start.date()))
    parts = []
    shown: date | None = None
    for at, words, later in sorted(items):
        day = at.astimezone(KYIV).date()
        parts.append(words if day == shown else f"{day} {words}")
        shown = later  # the day the words end on
    return f"{line.queue}: {'; '.join(parts) or 'no outages'}"


def end_words(start: datetime, end: datetime) -> str:
    if end.date() == start.date():
        return f"{end:%H:%M}"
    if end.time() == time(0) and end.date() == start.date() + timedelta(days=1):
        return "24:00"
    return f"{end:%Y-%m-%d %H:%M}"


@app.command("import")
def import_(
    sources: list[str] = typer.Argument(  # noqa: B008
        ...,
        help="outage-data-ua JSON or iCalendar files, or an http(s) URL of one",
        show_default=False,
        metavar="FILE|URL...",
    ),
    provider: str = typer.Option(
        None, help="the provider's region id (by default the file's regionId, e.g. vinnytsia)"
    ),
) -> None:
    """Store the schedule as the provider's current one, keeping the earlier ones as history,
    in one transaction: all of it or, when anything cannot be read, nothing. Prints what
    changed against the previous import, queue by queue; a schedule that did not change is
    not stored again."""
    import_once(sources, provider)


@app.command("watch")
def watch(
    sources: list[str] = typer.Argument(  # noqa: B008
        ...,
        help="as for import: files or an http(s) URL",
        show_default=False,
        metavar="FILE|URL...",
    ),
    provider: str = typer.Option(None, help="as for import"),
    every: str = typer.Option("5m", help="how often: 30s, 5m, 1h (at least 10 seconds)"),
    times: int = typer.Option(0, min=0, help="stop after this many imports (0: never)"),
) -> None:
    """Import the schedule again and again (`import` every --every), so that it stays current;
    a fetch that fails is said and the previous schedule kept, until the next one."""
    import time as clock

    from nezlam.config import ConfigError, parse_duration

    try:
        pause = parse_duration("--every", every, timedelta(seconds=10), timedelta(days=1))
    except ConfigError as exc:
        raise refused("error (--every)", str(exc)) from exc
    done = 0
    while True:
        # A refusal is said on standard error; the previous schedule stays, until the next.
        with contextlib.suppress(typer.Exit):
            import_once(sources, provider)
        done += 1
        if times and done >= times:
            return
        clock.sleep(pause.total_seconds())


def import_once(sources: list[str], provider: str | None) -> None:
    from nezlam.store import outage_schedules
    from nezlam.store.tables import utcnow

    try:
        schedule = read_schedules(sources)
    except DomainError as exc:
        raise refused(f"cannot read {exc.field or 'the files'}", exc.problem) from exc
    name = provider or (schedule.region if isinstance(schedule, ProviderSchedule) else None)
    if not name:
        raise refused("error (--provider)", "the files name no region: give --provider ID")
    say(*schedule.notes)
    db = database()
    try:
        with db.write() as session:
            done = outage_schedules.save_import(session, name, schedule, schedule.source, utcnow())
    except DomainError as exc:
        raise refused(f"cannot read {schedule.source}", exc.problem) from exc
    finally:  # `watch` comes back every few minutes, for days: no pool left open each time
        db.dispose()
    if not done.stored:
        typer.echo(f"{name}: no change against import {done.import_id}: nothing stored")
        return
    typer.echo(
        f"{name}: import {done.import_id}, {len(done.queues)} queues, {done.intervals} outages"
        f"{updated_words(schedule)}"
    )
    for line in change_lines(done.changes, done.first_import):
        typer.echo(line)


def change_lines(changes: Any, first_import: bool) -> list[str]:
    """What an import changed, a line per queue, in Kyiv time."""
    if first_import:
        return ["the provider's first import: nothing to compare with"]
    lines = [f"queue {queue}: new" for queue in changes.queues_added]
    lines += [f"queue {queue}: gone" for queue in changes.queues_removed]
    for queue in sorted(changes.added.keys() | changes.removed.keys(), key=queue_order):
        words = [f"+{outage_words(o)}" for o in changes.added.get(queue, ())]
        words += [f"-{outage_words(o)}" for o in changes.removed.get(queue, ())]
        lines.append(f"{queue}: {'; '.join(words)}")
    return lines


def outage_words(outage: Outage) -> str:
    start, end = outage.start.astimezone(KYIV), outage.end.astimezone(KYIV)
    kind = " (possible)" if outage.possible else ""
    return f"{start:%Y-%m-%d %H:%M}–{end_words(start, end)} off{kind}"


@app.command("notify")
def notify() -> None:
    """Tell every standby or open point whose queue's power goes off within NEZLAM_OUTAGE_LEAD
    (through the notification rules: webhooks, alert chats), once per point and outage."""
    from nezlam.outage_warner import OutageWarner
    from nezlam.store.tables import utcnow

    sent = OutageWarner(database(), utcnow, settings().outage_lead).warn()
    for warning in sent:
        at = warning.outage.start.astimezone(KYIV)
        typer.echo(f"{warning.point_id} ({warning.status}): power off at {at:%Y-%m-%d %H:%M}")
    typer.echo(f"{len(sent)} points told")
