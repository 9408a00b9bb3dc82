"""Outage schedules from files, whichever form each is in: an iCalendar file (it begins
BEGIN:VCALENDAR, or is named .ics) or an outage-data-ua JSON file. Several JSON files are
revisions of one company's schedule, combined newest first; several calendars are its queues.
Whatever cannot be read is refused as Invalid naming the file, and the key or event in it. A
source may be an http(s) URL, fetched with a timeout.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from nezlam.domain.errors import Invalid
from nezlam.domain.outage_schedule import ProviderSchedule, Queues, Schedule, combined
from nezlam.interchange import outage_ics, outage_json

MAX_BYTES = 20 << 20  # a region's file is some 15 kB; its whole history is far under this
CALENDAR_SUFFIXES = (".ics", ".ical")
URL_TIMEOUT_S = 20.0


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


def url_bytes(url: str, timeout: float = URL_TIMEOUT_S) -> bytes:
    """What an http(s) URL answers, at most MAX_BYTES; Invalid naming the URL when it cannot."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise Invalid("only http:// and https:// URLs are fetched", url)
    request = urllib.request.Request(url, headers={"User-Agent": "nezlam-outages"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            data: bytes = answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise Invalid(f"the server answered HTTP {exc.code}", url) from exc
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out
        raise Invalid(f"cannot fetch it: {exc}", url) from exc
    if len(data) > MAX_BYTES:
        raise Invalid(f"larger than {MAX_BYTES >> 20} MB: no outage schedule is", url)
    return data


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def read_schedule(path: Path | str) -> ProviderSchedule | outage_ics.CalendarSchedule:
    """The schedule in one file (or at an http(s) URL); Invalid naming the file and what in
    it is wrong."""
    if isinstance(path, str) and is_url(path):
        data, name = url_bytes(path), path
    else:
        path = Path(path)
        data, name = file_bytes(path), path.name
    try:
        if is_calendar(data, name):
            return outage_ics.read(data, name)
        return outage_json.read(data, name)
    except Invalid as exc:
        where = name if exc.field in (None, "file") else f"{name}: {exc.field}"
        raise Invalid(exc.problem, where) from exc


def read_schedules(paths: Sequence[Path | str]) -> Schedule:
    """The schedule the files (or URLs) give together: JSON files as revisions of one company's
    schedule, calendars as its queues."""
    if not paths:
        raise Invalid("no file given", "file")
    schedules = [read_schedule(path) for path in paths]
    revisions = [s for s in schedules if isinstance(s, ProviderSchedule)]
    parts: list[Schedule] = [combined(revisions)] if revisions else []
    parts += [s for s in schedules if not isinstance(s, ProviderSchedule)]
    return parts[0] if len(parts) == 1 else Queues(tuple(parts))
