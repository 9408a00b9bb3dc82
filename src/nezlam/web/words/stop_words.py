"""A mobile point's stops in words for residents (issue 12): "тут зараз, до 18:00", "сьогодні
10:00–18:00 — Площа Перемоги", "завтра 09:00–17:00 — вокзал". Never for a protected point: its
stops would say where it is."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date, format_time

from nezlam.domain.mobile_stops import Stop
from nezlam.reading.point_public import PointPublic
from nezlam.reading.power_schedule import Schedules
from nezlam.web.plumbing.forms import Gettext
from nezlam.web.plumbing.wall_clock import local_zone


def stop_lines(
    schedules: Schedules | None, public: PointPublic, now: datetime, lang: str, _: Gettext
) -> list[str]:
    """The stop under way and the next ones, one line each; none for a fixed or protected
    point, or one without stops."""
    details = public.details
    if schedules is None or details.kind != "mobile" or details.protected:
        return []
    return [stop_line(stop, now, lang, _) for stop in schedules.stops_of(details.id)]


def stop_line(stop: Stop, now: datetime, lang: str, _: Gettext) -> str:
    zone = local_zone()
    start, end = stop.start.astimezone(zone), stop.end.astimezone(zone)
    until = format_time(end, "HH:mm", locale=lang)
    if end.date() != start.date():
        until = f"{format_date(end, 'd MMM', locale=lang)} {until}"
    if stop.start <= now:
        said = _("here now, until {end}").format(end=until)
    else:
        said = f"{day(start, now, lang, _)} {format_time(start, 'HH:mm', locale=lang)}–{until}"
    return f"{said} — {stop.place}" if stop.place else said


def day(moment: datetime, now: datetime, lang: str, _: Gettext) -> str:
    today = now.astimezone(local_zone()).date()
    if moment.date() == today:
        return _("today")
    if moment.date() == today + timedelta(days=1):
        return _("tomorrow")
    return format_date(moment, "d MMM", locale=lang)
