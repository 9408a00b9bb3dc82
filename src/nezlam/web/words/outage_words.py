"""A point's own power by its outage schedule, in words for residents (issue 12): "світла за
графіком не буде 09:30–16:30 — пункт працює на генераторі", or "… — пункт може зачинитись"
for a point with no generator of its own. Said beside the status, never in its place: a
schedule says what the power company plans, not what the point does."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from babel.dates import format_time

from nezlam.domain.outages import Outage
from nezlam.domain.vocabulary import ShownStatus
from nezlam.reading.point_public import PointPublic
from nezlam.reading.power_schedule import Schedules
from nezlam.web.plumbing.forms import Gettext
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words.device_words import local_moment


def schedule_line(
    schedules: Schedules | None, public: PointPublic, now: datetime, lang: str, _: Gettext
) -> str | None:
    """What the point's schedule says of its power in the next day, or None: no schedule, no
    outage in it, or a point that is closed anyway. While emergency shutdowns are declared in
    its region, that the schedule does not hold."""
    details = public.details
    if schedules is None or public.status == ShownStatus.CLOSED:
        return None
    then = (
        _("the point runs on its generator") if details.has_generator else _("the point may close")
    )
    if details.outage_queue and schedules.emergency_since(details.outage_region):
        return f"{_('emergency shutdowns: the schedule does not hold')} — {then}"
    outage = schedules.next_outage(details.outage_region, details.outage_queue)
    if outage is None:
        return None
    return f"{outage_words(outage, now, lang, _)} — {then}"


def outage_words(outage: Outage, now: datetime, lang: str, _: Gettext) -> str:
    """ "no power by the schedule until 16:30" while it is on; "… 09:30–16:30" before."""
    end = _end(outage, lang)
    if outage.start <= now:
        if outage.possible:
            return _("the power may be off by the schedule until {end}").format(end=end)
        return _("no power by the schedule until {end}").format(end=end)
    span = f"{local_moment(outage.start, now, lang)}–{end}"
    if outage.possible:
        return _("the power may be off by the schedule {span}").format(span=span)
    return _("no power by the schedule {span}").format(span=span)


def _end(outage: Outage, lang: str) -> str:
    """The end's wall-clock time; with its day when that is not the start's day."""
    zone = local_zone()
    start, end = outage.start.astimezone(zone), outage.end.astimezone(zone)
    if end.date() == start.date():
        return format_time(end, "HH:mm", locale=lang)
    if end.time() == time(0) and (end - timedelta(days=1)).date() == start.date():
        return "24:00"  # as the schedules write the end of their day
    return local_moment(outage.end, outage.start, lang)
