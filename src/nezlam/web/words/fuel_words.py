"""A point's fuel in words (issue 13): "≈ 14 год", "≈ 14 h of fuel left (≈ 48 l) · the
reserve is reached at 21:40". Rounded as a runway deserves: an estimate from the last reading,
never to the minute past the first hour."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.numbers import format_decimal
from babel.units import format_unit

from nezlam.domain.fuel import (
    DELIVERY_MAX_LITRES,
    LITRES_PER_HOUR_MAX,
    RATED_KW_MAX,
    TANK_MAX_LITRES,
)
from nezlam.domain.fuel_runway import Fuel, Generator, Runway
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


def fuel_names(_: Gettext) -> dict[str, str]:
    return {Fuel.DIESEL: _("diesel"), Fuel.PETROL: _("petrol"), Fuel.GAS: _("gas (LPG)")}


def fuel_hints(_: Gettext) -> dict[str, str]:
    """Beside a field the form refused: what it takes."""
    number = _("A number from {low} to {high}.")
    return {
        "rated_kw": number.format(low="0.1", high=RATED_KW_MAX),
        "tank_litres": number.format(low=1, high=TANK_MAX_LITRES) + " " + _("Or leave it empty."),
        "litres_per_hour": number.format(low="0.1", high=LITRES_PER_HOUR_MAX)
        + " "
        + _("Or leave it empty: it is estimated from the kW."),
        "fuel": _("Diesel, petrol or gas."),
        "label": _("At most 80 characters."),
        "litres": number.format(low=1, high=DELIVERY_MAX_LITRES),
        "delivered_by": _("At most 200 characters."),
    }


def generator_line(row: Any, lang: str, _: Gettext) -> str:
    """ "Головний: 20 кВт, дизель, бак 120 л — 3,4 л/год (оцінка)"."""
    unit = Generator(row.rated_kw, Fuel(row.fuel), row.tank_litres, row.litres_per_hour, row.backup)
    parts = [
        _("{kw} kW").format(kw=format_decimal(row.rated_kw, locale=lang)),
        fuel_names(_)[Fuel(row.fuel)],
    ]
    if row.tank_litres is not None:
        parts.append(_("tank {litres} l").format(litres=litres_said(row.tank_litres, lang)))
    how = _("measured") if row.litres_per_hour is not None else _("estimated from the kW")
    uses = _("{lph} l/h ({how})").format(lph=format_decimal(unit.consumption, locale=lang), how=how)
    line = ", ".join(parts) + " — " + uses
    if row.backup:
        line += " · " + _("backup: not counted")
    return f"{row.label}: {line}" if row.label else line
