"""Read a power company's outage schedule in the outage-data-ua JSON schema, which the community
mirrors of DTEK, YASNO and the regional companies publish (`fact` and `preset` as the companies'
own pages have them):

- `fact.data`: day (the Unix time of its midnight) -> queue (`GPV1.1` is "Черга 1.1") -> hour
  "1"…"24" (hour k is k-1:00 to k:00 Kyiv time) -> `yes` (power on), `no` (off all hour),
  `first` / `second` (off its first / second half hour), `maybe`, `mfirst`, `msecond` (possibly
  off all hour / its first / its second half hour). A day published without a schedule is `{}`.
- `preset.data`, where there is one: queue -> weekday "1"…"7" (Monday 1) -> hours as above, the
  weekly plan of *possible* outages: every slot it has off is possible, never definite.
- `lastUpdated`: when the file was made, an ISO string or Unix seconds (outage_times.py).

Each queue's day plan is the schedule for that day; the weekly plan covers the days it leaves
out (domain/outage_schedule.py). What cannot be read is refused with the key path it is at
(`fact.data.1764972000.GPV1.1.12`); what is put right or left out is said in a note.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nezlam.domain.errors import Invalid
from nezlam.domain.outage_schedule import ProviderSchedule
from nezlam.domain.outages import DayPlan, Kind, Note, day_start, kyiv_day
from nezlam.interchange import json_document
from nezlam.interchange.outage_times import day_of_key, instant, kyiv_stamp, right_year

Halves = tuple[Kind | None, Kind | None]
D, P = Kind.DEFINITE, Kind.POSSIBLE
FACT: dict[str, Halves] = {
    "yes": (None, None),
    "no": (D, D),
    "first": (D, None),
    "second": (None, D),
    "maybe": (P, P),
    "mfirst": (P, None),
    "msecond": (None, P),
}
PRESET: dict[str, Halves] = {
    value: (P if first else None, P if second else None) for value, (first, second) in FACT.items()
}
HOURS = tuple(str(hour) for hour in range(1, 25))
WEEKDAYS = tuple(str(day) for day in range(1, 8))
QUEUE_KEY = re.compile(r"GPV(\d+(?:\.\d+)?)")


def read(source: bytes | Path, name: str = "") -> ProviderSchedule:
    """The schedule in an outage-data-ua file; Invalid naming the key and what is wrong."""
    document = json_document.load(source)
    if not isinstance(document, dict) or not {"fact", "preset"} & document.keys():
        raise Invalid("not an outage-data-ua schedule: it has neither `fact` nor `preset`", "file")
    notes: list[Note] = []
    fact, preset = section(document, "fact"), section(document, "preset")
    updated = updated_at(document, fact)
    # The scraper's clock is surer than the company's page, so a wrong year is judged by it.
    reference = kyiv_day(updated) if updated else None
    today = None
    if fact.get("today") is not None:
        today = right_year(day_of_key(fact["today"], "fact.today"), reference)
    return ProviderSchedule(
        region=region_of(document),
        updated_at=updated,
        days=fact_days(fact.get("data", {}), reference or today, notes),
        weekly=weekly_plans(preset.get("data", {}), notes),
        today=today,
        source=name,
        notes=tuple(notes),
    )


def section(document: dict[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name)
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"expected an object, not {type(value).__name__}", name)
    return value


def region_of(document: dict[str, Any]) -> str | None:
    region = document.get("regionId")
    if region is not None and not isinstance(region, str):
        raise Invalid(f"{region!r} is not a region's name", "regionId")
    return region or None


def updated_at(document: dict[str, Any], fact: dict[str, Any]) -> datetime | None:
    """When the file was made: `lastUpdated`, or else the company's own `fact.update`."""
    if document.get("lastUpdated") is not None:
        return instant(document["lastUpdated"], "lastUpdated")
    if fact.get("update") is not None:
        return kyiv_stamp(fact["update"], "fact.update")
    return None


def fact_days(
    data: Any, reference: date | None, notes: list[Note]
) -> dict[date, dict[str, DayPlan]]:
    if data == [] or data == {}:
        return {}
    if not isinstance(data, dict):
        raise Invalid("expected an object of days keyed by their Unix time", "fact.data")
    days: dict[date, dict[str, DayPlan]] = {}
    keys: dict[date, str] = {}
    for key, queues in data.items():
        where = f"fact.data.{key}"
        day = day_of_key(key, where)
        if int(key) != day_start(day).timestamp():
            notes.append(Note(f"{where} is not a Kyiv midnight: read as the day {day}", False))
        if (meant := right_year(day, reference)) != day:
            notes.append(Note(f"{where} is the day {day}, a year off: read as {meant}"))
            day = meant
        plans = queue_plans(queues, where, FACT, notes)
        if day in days and days[day] != plans:
            raise Invalid(f"days {keys[day]} and {key} are both {day} and disagree", "fact.data")
        days[day], keys[day] = plans, key
    return dict(sorted(days.items()))


def queue_plans(
    queues: Any, where: str, values: dict[str, Halves], notes: list[Note]
) -> dict[str, DayPlan]:
    """A day's plans by queue ('1.1'); a key that names no queue is left out with a note."""
    if queues == [] or queues == {}:
        return {}
    if not isinstance(queues, dict):
        raise Invalid("expected an object of queues (GPV1.1 …)", where)
    plans = {}
    for key, hours in queues.items():
        match = QUEUE_KEY.fullmatch(key)
        if match is None:
            notes.append(Note(f"{where}.{key} is not a queue (GPV1.1 …) and was left out"))
            continue
        plans[match[1]] = day_plan(hours, f"{where}.{key}", values)
    return plans


def day_plan(hours: Any, where: str, values: dict[str, Halves]) -> DayPlan:
    """A day's 24 hours as its 48 half-hour slots; every hour must be there and be known."""
    if not isinstance(hours, dict):
        raise Invalid('expected the hours "1"…"24" of a day', where)
    if unknown := [hour for hour in hours if hour not in HOURS]:
        raise Invalid(f"{unknown[0]!r} is not an hour of the day (1-24)", where)
    if missing := [hour for hour in HOURS if hour not in hours]:
        raise Invalid(f"hour {', '.join(missing)} missing: a day has the hours 1-24", where)
    plan: list[Kind | None] = []
    for hour in HOURS:
        value = hours[hour]
        halves = values.get(value.strip().lower()) if isinstance(value, str) else None
        if halves is None:
            known = ", ".join(values)
            raise Invalid(f"{value!r} is not one of {known}", f"{where}.{hour}")
        plan.extend(halves)
    return tuple(plan)


def weekly_plans(data: Any, notes: list[Note]) -> dict[str, dict[int, DayPlan]]:
    """`preset.data`: queue -> ISO weekday -> plan, every outage in it possible."""
    if data == [] or data == {}:
        return {}
    if not isinstance(data, dict):
        raise Invalid("expected an object of queues (GPV1.1 …)", "preset.data")
    weekly: dict[str, dict[int, DayPlan]] = {}
    for key, days in data.items():
        where = f"preset.data.{key}"
        match = QUEUE_KEY.fullmatch(key)
        if match is None:
            notes.append(Note(f"{where} is not a queue (GPV1.1 …) and was left out"))
            continue
        if not isinstance(days, dict):
            raise Invalid('expected the weekdays "1"…"7" (Monday 1)', where)
        if unknown := [day for day in days if day not in WEEKDAYS]:
            raise Invalid(f"{unknown[0]!r} is not a weekday (1-7, Monday 1)", where)
        weekly[match[1]] = {int(day): day_plan(days[day], f"{where}.{day}", PRESET) for day in days}
    return weekly
