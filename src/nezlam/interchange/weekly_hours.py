"""Turn a week of per-day opening and closing times, as foreign tables publish them, into an
OpenStreetMap `opening_hours` string: "Mo,We 10:00-18:00; Tu,Th 12:00-20:00; Fr,Sa 09:00-17:00;
Su off". Days with equal hours share one rule; a week open round the clock is "24/7".
"""

from __future__ import annotations

import re

OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ALL_DAY = ("00:00", "24:00")
OFF = None

_CLOCK_12H = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
_CLOCK_24H = re.compile(r"^(\d{1,2})[:.](\d{2})$")

DayHours = tuple[str, str] | None
"""('08:30', '16:30') local time, or None for a day the point is closed."""


class HoursError(ValueError):
    pass


def parse_clock(text: str, *, closing: bool = False) -> str:
    """'8:30AM', '12:00 PM', '8:30 a.m.', '9am' or '16:30' as 'HH:MM'.

    A closing time of 23:59 becomes 24:00: tables write the day's last minute to mean "until
    midnight", and taken literally the point would look closed for a minute every night."""
    value = text.strip()
    if match := _CLOCK_12H.match(value):
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12:
            raise HoursError(f"{text!r} is not a time of day")
        hour = hour % 12 + (12 if match[3].lower() == "p" else 0)
    elif match := _CLOCK_24H.match(value):
        hour, minute = int(match[1]), int(match[2])
    else:
        raise HoursError(f"{text!r} is not a time like 8:30AM or 16:30")
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise HoursError(f"{text!r} is not a time of day")
    if closing and (hour, minute) == (23, 59):
        return "24:00"
    if closing and (hour, minute) == (0, 0):
        return "24:00"
    return f"{hour:02d}:{minute:02d}"


def day_hours(opens: str | None, closes: str | None, closed_values: frozenset[str]) -> DayHours:
    """One day's hours; blank or a closed marker (like CLOSED) on both sides means closed."""
    marks = [(value or "").strip() for value in (opens, closes)]
    closed = [not mark or mark.casefold() in closed_values for mark in marks]
    if all(closed):
        return OFF
    if any(closed):
        raise HoursError(f"opens {opens!r} but closes {closes!r}")
    return parse_clock(marks[0]), parse_clock(marks[1], closing=True)


def day_ranges(days: list[int]) -> str:
    """[0, 1, 2, 4] -> 'Mo-We,Fr'."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{OSM_DAYS[run[0]]}-{OSM_DAYS[run[-1]]}")
        else:
            parts.extend(OSM_DAYS[day] for day in run)
    return ",".join(parts)


def osm_week(week: list[DayHours]) -> str:
    """Monday-first list of seven days' hours as an OSM opening_hours string."""
    if len(week) != 7:
        raise ValueError("a week has seven days")
    if all(day == ALL_DAY for day in week):
        return "24/7"
    groups: dict[DayHours, list[int]] = {}
    for index, hours in enumerate(week):
        groups.setdefault(hours, []).append(index)
    rules = []
    for hours, days in groups.items():
        times = "off" if hours is OFF else f"{hours[0]}-{hours[1]}"
        rules.append(f"{day_ranges(days)} {times}")
    return "; ".join(rules)
