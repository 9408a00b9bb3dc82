"""A point's fuel in words (issue 13): "≈ 14 год", "≈ 14 h of fuel left (≈ 48 l) · the
reserve is reached at 21:40". Rounded as a runway deserves: an estimate from the last reading,
never to the minute past the first hour."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal
from babel.units import format_unit

from nezlam.domain.fuel_runway import Runway
from nezlam.web.plumbing.forms import Gettext
from nezlam.web.words.device_words import local_moment


def hours_said(hours: float, lang: str) -> str:
    """ "40 хв" under an hour, else whole hours: "14 год", "14 hr"."""
    if hours < 1:
        minutes = max(int(round(hours * 60 / 5)) * 5, 0)
        return format_unit(minutes, "duration-minute", "short", locale=lang)
    return format_unit(int(round(hours)), "duration-hour", "short", locale=lang)


def litres_said(litres: float, lang: str) -> str:
    return format_decimal(round(litres), locale=lang)


def runway_short(found: Runway | None, lang: str) -> str:
    """The dashboard's cell: "≈ 14 год", "—" when it cannot be told."""
    return f"≈ {hours_said(found.hours_left, lang)}" if found is not None else "—"


def runway_note(found: Runway | None, now: datetime, lang: str, _: Gettext) -> str:
    """Under the dashboard's cell, while the runway runs down: when the reserve is reached."""
    if found is None or not found.burning:
        return ""
    if found.hours_to_reserve <= 0:
        return _("below the reserve")
    reached = found.reserve_at(now)
    assert reached is not None  # burning
    return _("reserve at {time}").format(time=local_moment(reached, now, lang))


def runway_sentence(found: Runway | None, now: datetime, lang: str, _: Gettext) -> str:
    """What the operator and the coordinator read: how long, how many litres, and whether the
    reserve is reached and when (only while it runs on its generator)."""
    if found is None:
        return ""
    left = _("≈ {hours} of fuel left (≈ {litres} l)").format(
        hours=hours_said(found.hours_left, lang), litres=litres_said(found.litres_left, lang)
    )
    if not found.burning:
        return left + " · " + _("not on the generator now")
    if found.hours_to_reserve <= 0:
        return left + " · " + _("below the reserve: fuel is needed now")
    reached = found.reserve_at(now)
    assert reached is not None  # burning
    return (
        left
        + " · "
        + _("the reserve is reached at {time}").format(time=local_moment(reached, now, lang))
    )
