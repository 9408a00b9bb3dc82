"""Outage schedules from files, whichever form each is in: an iCalendar file (it begins
BEGIN:VCALENDAR, or is named .ics) or an outage-data-ua JSON file. Several JSON files are
revisions of one company's schedule, combined newest first; several calendars are its queues.
Whatever cannot be read is refused as Invalid naming the file, and the key or event in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nezlam.domain.errors import Invalid
from nezlam.domain.outage_schedule import ProviderSchedule, Queues, Schedule, combined
from nezlam.interchange import outage_ics, outage_json

MAX_BYTES = 20 << 20  # a region's file is some 15 kB; its whole history is far under this
CALENDAR_SUFFIXES = (".ics", ".ical")


def is_calendar(data: bytes, name: str) -> bool:
    start = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return start.startswith(b"BEGIN:VCALENDAR") or name.lower().endswith(CALENDAR_SUFFIXES)


def file_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Invalid(f"cannot read it: {exc.strerror or exc}", path.name) from exc
    if len(data) > MAX_BYTES:
        raise Invalid(f"larger than {MAX_BYTES >> 20} MB: no outage schedule is", path.name)
    return data


def read_schedule(path: Path) -> ProviderSchedule | outage_ics.CalendarSchedule:
    """The schedule in one file; Invalid naming the file and what in it is wrong."""
    data = file_bytes(path)
    try:
        if is_calendar(data, path.name):
            return outage_ics.read(data, path.name)
        return outage_json.read(data, path.name)
    except Invalid as exc:
        where = path.name if exc.field in (None, "file") else f"{path.name}: {exc.field}"
        raise Invalid(exc.problem, where) from exc


def read_schedules(paths: Sequence[Path]) -> Schedule:
    """The schedule the files give together: JSON files as revisions of one company's schedule,
    calendars as its queues."""
    if not paths:
        raise Invalid("no file given", "file")
    schedules = [read_schedule(path) for path in paths]
    revisions = [s for s in schedules if isinstance(s, ProviderSchedule)]
    parts: list[Schedule] = [combined(revisions)] if revisions else []
    parts += [s for s in schedules if not isinstance(s, ProviderSchedule)]
    return parts[0] if len(parts) == 1 else Queues(tuple(parts))
