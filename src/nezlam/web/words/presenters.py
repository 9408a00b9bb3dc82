"""How a point reads to a person: status with its freshness in words, distance and walking time,
today's hours, and where to go. Pure functions over the public Feature properties."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_decimal

from nezlam.domain import opening_hours
from nezlam.domain.transliteration import transliterate
from nezlam.domain.vocabulary import SERVICES
from nezlam.domain.walk_estimate import WALKING_M_PER_MIN, walking_minutes
from nezlam.geo.distance import haversine_m
from nezlam.web.plumbing.wall_clock import zone_name

Gettext = Callable[[str], str]


SERVICE_ICONS = {
    "heat": "🔥", "power": "🔌", "water": "💧", "hot_drinks": "☕", "food": "🍲", "wifi": "📶",
    "satellite_internet": "🛰️", "mobile_signal": "📱", "first_aid": "⛑️", "toilet": "🚻",
    "beds": "🛏️", "mother_and_child": "👶", "pets_allowed": "🐾", "step_free": "♿",
}  # fmt: skip


@dataclass(frozen=True)
class StatusWords:
    headline: str  # "Open", "Unconfirmed", …
    detail: str  # "confirmed 12 minutes ago"
    tone: str  # ok | warn | bad | unknown: the colour, never the only signal
    advice: str | None = None


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def span(moment: datetime | None, now: datetime, lang: str) -> str:
    """How long since `moment`: "7 hours", "7 годин"."""
    delta = max(now - moment, timedelta(0)) if moment else timedelta(0)
    return format_timedelta(delta, locale=lang, threshold=1.1, format="long")


def ago(moment: datetime | None, now: datetime, lang: str) -> str:
    """ "12 minutes ago", "12 хвилин тому": the language's own way to say it. Under a minute is
    "1 minute ago": Babel would call no time at all "in 0 seconds"."""
    delta = max(now - moment, timedelta(0)) if moment else timedelta(0)
    if delta < timedelta(minutes=1):
        return format_timedelta(-timedelta(minutes=1), locale=lang, add_direction=True)
    return format_timedelta(-delta, locale=lang, threshold=1.1, add_direction=True)


# The shown statuses a point's hours override: whatever it said, it is closed by its hours now.
HOURS_OVERRIDE = ("open", "unconfirmed", "standby", "full")
CLOSING_SOON = timedelta(hours=1)


def status_words(props: dict[str, Any], now: datetime, lang: str, _: Gettext) -> StatusWords:
    """The shown status (after the freshness rule, and the opening hours) said so nobody
    mistakes stale for open, nor open by its word for open at this hour."""
    words = freshness_words(props, now, lang, _)
    next_change = parse_iso(props.get("next_change"))
    if props.get("open_now") is False and props["status"] in HOURS_OVERRIDE:
        return StatusWords(
            _("Closed now"),
            " · ".join(filter(None, [opens_at(props, next_change, now, lang, _), words.detail])),
            "bad",
            _("Closed by its opening hours. Call before you go."),
        )
    closing = next_change is not None and next_change - now <= CLOSING_SOON
    if next_change is not None and closing and props["status"] == "open" and props.get("open_now"):
        minutes = max(1, math.ceil((next_change - now).total_seconds() / 60))
        soon = _("closes in {n} min").format(n=minutes)
        return StatusWords(words.headline, f"{words.detail} · {soon}", "warn", words.advice)
    return words


def opens_at(
    props: dict[str, Any], moment: datetime | None, now: datetime, lang: str, _: Gettext
) -> str | None:
    """ "opens at 09:00", "opens tomorrow at 09:00", "opens Mon at 09:00", in the point's zone."""
    if moment is None:
        return None
    zone = ZoneInfo(props.get("timezone") or zone_name())
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    time = format_time(local, "HH:mm", locale=lang)
    if local.date() == today:
        return _("opens at {time}").format(time=time)
    if local.date() == today + timedelta(days=1):
        return _("opens tomorrow at {time}").format(time=time)
    day = format_date(local, "EEE d MMM", locale=lang)
    return _("opens {day} at {time}").format(day=day, time=time)


# The statuses a point said itself and the freshness rule still lets stand.
REPORTED = ("open", "standby", "full", "closed")


def freshness_words(props: dict[str, Any], now: datetime, lang: str, _: Gettext) -> StatusWords:
    """The shown status after the freshness rule alone."""
    if props["status"] in REPORTED:
        return reported_words(props, now, lang, _)
    return doubtful_words(props, now, lang, _)


def confirmed_words(verified: datetime | None, now: datetime, lang: str, _: Gettext) -> str:
    """ "confirmed just now" under a minute, else "confirmed 12 minutes ago"."""
    if verified and now - verified < timedelta(minutes=1):
        return _("confirmed just now")
    return _("confirmed {ago}").format(ago=ago(verified, now, lang))


def reported_words(props: dict[str, Any], now: datetime, lang: str, _: Gettext) -> StatusWords:
    """A status as the point reported it (one of REPORTED), with since when it holds."""
    status = props["status"]
    verified, updated = parse_iso(props.get("verified_at")), parse_iso(props.get("updated_at"))
    if status == "open":
        return StatusWords(_("Open"), confirmed_words(verified, now, lang, _), "ok")
    if status == "standby":
        return StatusWords(
            _("On standby"),
            _("can open within 2 hours") + " · " + confirmed_words(verified, now, lang, _),
            "warn",
            _("Call before you go."),
        )
    if status == "full":
        return StatusWords(
            _("Full"),
            _("updated {ago}").format(ago=ago(updated, now, lang)),
            "bad",
            _("Look for another point nearby."),
        )
    return StatusWords(_("Closed"), _("updated {ago}").format(ago=ago(updated, now, lang)), "bad")


def doubtful_words(props: dict[str, Any], now: datetime, lang: str, _: Gettext) -> StatusWords:
    """A status nobody can vouch for: an open gone unconfirmed, a point silent for a day, or
    no report at all; each says to call first."""
    status = props["status"]
    verified, updated = parse_iso(props.get("verified_at")), parse_iso(props.get("updated_at"))
    if status == "unconfirmed":
        since = (
            _("last confirmed {ago}").format(ago=ago(verified, now, lang))
            if verified
            else _("never confirmed")
        )
        return StatusWords(
            _("Unconfirmed"),
            since,
            "warn",
            _("It said it was open, but nobody has confirmed it recently. Call before you go."),
        )
    if status == "no_response":
        return StatusWords(
            _("No response"),
            _("no news for {span}").format(span=span(updated, now, lang)),
            "bad",
            _("This point has not reported for a day. Call before you go."),
        )
    return StatusWords(_("Status unknown"), _("no report yet"), "unknown", _("Call before you go."))


def distance_text(metres: float | None, lang: str, _: Gettext) -> str | None:
    if metres is None:
        return None
    if metres < 1000:
        return _("{n} m").format(n=format_decimal(round(metres, -1), locale=lang))
    return _("{n} km").format(n=format_decimal(round(metres / 1000, 1), locale=lang))


def hours_today(props: dict[str, Any], now: datetime, _: Gettext) -> str:
    expression = props.get("opening_hours")
    if not expression:
        return _("hours not published")
    if expression.strip() == "24/7":
        return _("open 24 hours")
    spans = opening_hours.intervals_for_day(expression, props.get("timezone") or zone_name(), now)
    if not spans:
        return _("closed today")
    if spans == [("00:00", "24:00")]:
        return _("open all day today")
    return _("today {hours}").format(hours=", ".join(f"{a}–{b}" for a, b in spans))


def occupancy_text(props: dict[str, Any], _: Gettext) -> str | None:
    occupancy, capacity = props.get("occupancy"), props.get("capacity")
    if occupancy is None and capacity is None:
        return None
    if occupancy is None:
        return _("room for {capacity}").format(capacity=capacity)
    if capacity is None:
        return _("{occupancy} people inside").format(occupancy=occupancy)
    return _("{occupancy} of {capacity} places taken").format(
        occupancy=occupancy, capacity=capacity
    )


@dataclass(frozen=True)
class ServiceItem:
    code: str
    icon: str
    label: str
    broken: str | None = None  # "not working · checked 1 Dec, 14:05 by a coordinator"


def service_items(props: dict[str, Any], now: datetime, lang: str, _: Gettext) -> list[ServiceItem]:
    """Each service with its icon and words; one an inspection found not working says so, with
    when and by whom it was checked."""
    broken: dict[str, dict[str, Any]] = {}
    for fault in props.get("faults") or ():
        for code in fault["services"]:
            broken.setdefault(code, fault)
    items = []
    for code, icon, label in services(props, lang):
        fault = broken.get(code)
        broken_words = fault_words(fault, now, lang, _) if fault else None
        items.append(ServiceItem(code, icon, label, broken_words))
    return items


def fault_words(fault: dict[str, Any], now: datetime, lang: str, _: Gettext) -> str:
    checked = parse_iso(fault.get("since"))
    if checked is None or now - checked < timedelta(minutes=1):
        when = _("just now")
    else:
        when = ago(checked, now, lang)
    if fault.get("checked_by"):
        by = _("checked {ago} by {name}").format(ago=when, name=fault["checked_by"])
    else:
        by = _("checked {ago} by a coordinator").format(ago=when)
    return _("not working") + " · " + by


def services(props: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """(code, icon, label) for each service, in the vocabulary's order."""
    return [
        (code, SERVICE_ICONS.get(code, "•"), SERVICES[code].get(lang, SERVICES[code]["en"]))
        for code in props.get("services", [])
        if code in SERVICES
    ]


def directions(feature: dict[str, Any]) -> dict[str, str] | None:
    """Links for a phone's maps app, OpenStreetMap and Google Maps; none for a protected point."""
    geometry = feature.get("geometry")
    if not geometry:
        return None
    lon, lat = geometry["coordinates"]
    label = quote(feature["properties"]["name"])
    # The main button must work on every phone and computer: a geo: link does nothing on iOS
    # and desktops, so it is only the extra "maps app" link (Android's own app picker).
    return {
        "main": f"https://www.google.com/maps/dir/?api=1&destination={lat},{lon}&travelmode=walking",
        "osm": f"https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=%3B{lat}%2C{lon}",
        "apple": f"https://maps.apple.com/?daddr={lat},{lon}&dirflg=w",
        "geo": f"geo:{lat},{lon}?q={lat},{lon}({label})",
    }


def category_labels(_: Gettext) -> dict[str, str]:
    return {
        "state": _("State points"),
        "business": _("Business points"),
        "service": _("Shops, pharmacies, fuel, banks (no charging)"),
    }


def power_labels(_: Gettext) -> dict[str, str]:
    return {
        "grid": _("from the grid"),
        "generator": _("generator"),
        "battery": _("batteries"),
        "none": _("no power"),
    }


def power_label(code: str | None, _: Gettext) -> str | None:
    return power_labels(_).get(code or "")


def signal_labels(_: Gettext) -> dict[str, str]:
    return {
        "confirmed_open": _("It is open"),
        "full": _("It is full"),
        "no_power": _("No power here"),
        "closed": _("It is closed"),
    }


def telephone(phone: str | None) -> str | None:
    return "tel:" + "".join(c for c in phone if c.isdigit() or c == "+") if phone else None


def offline_facts(props: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What a page kept offline needs to age its words on the device (static/app.js): the
    times the shown status rests on, and the open intervals of the next days by the hours."""
    intervals = opening_hours.open_intervals(
        props.get("opening_hours"), props.get("timezone") or zone_name(), now
    )
    return {
        "status": props["status"],
        "reported": props.get("reported_status"),
        "updated": props.get("updated_at"),
        "verified": props.get("verified_at"),
        "hours": None
        if intervals is None
        else [[a.isoformat(), b.isoformat()] for a, b in intervals],
    }


def latin(text: str | None, lang: str) -> str | None:
    """The national transliteration of Cyrillic text for a page not in Ukrainian ("вул.
    Хрещатик, 22" → "vul. Khreshchatyk, 22"); None when it would say nothing new."""
    if not text or lang == "uk":
        return None
    latin_text = transliterate(text)
    return latin_text if latin_text != text else None


def from_place(
    feature: dict[str, Any], given: str | None, lang: str, _: Gettext, m_per_min: float
) -> str | None:
    """ "1.2 km from where you searched · ≈ 18 min walk", from a results link's `from=lat,lon`;
    None without it, for a point without a public position, or for nonsense."""
    geometry = feature.get("geometry")
    try:
        lat, lon = (float(part) for part in (given or "").split(","))
    except ValueError:
        return None
    if not geometry or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    point_lon, point_lat = geometry["coordinates"][:2]
    metres = float(haversine_m(lat, lon, point_lat, point_lon))
    where = _("{distance} from where you searched").format(distance=distance_text(metres, lang, _))
    minutes = walking_minutes(metres, None, m_per_min) or 1
    if minutes > 60:
        return f"{where} · " + _("far away: more than an hour on foot")
    return f"{where} · ≈ " + _("{n} min walk").format(n=minutes)


def osm_link(lat: float | None, lon: float | None) -> str | None:
    """The point on OpenStreetMap's own map: works in any browser, no app needed."""
    if lat is None or lon is None:
        return None
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def card(
    feature: dict[str, Any],
    now: datetime,
    lang: str,
    _: Gettext,
    m_per_min: float = WALKING_M_PER_MIN,
) -> dict[str, Any]:
    """Everything a result card or a point page shows, already in words."""
    props = feature["properties"]
    metres = props.get("distance_m")
    walked = props.get("walking_m")
    lon, lat = feature["geometry"]["coordinates"] if feature.get("geometry") else (None, None)
    return {
        "lat": lat,
        "lon": lon,
        "id": feature["id"],
        "props": props,
        "status": status_words(props, now, lang, _),
        "distance": distance_text(walked if walked is not None else metres, lang, _),
        "walk_minutes": walking_minutes(metres, walked, m_per_min),
        "walk_measured": walked is not None,
        # Over an hour's walk (domain.walk_estimate): minutes would pretend it is walkable.
        "far": bool(props.get("far")),
        "hours": hours_today(props, now, _),
        "occupancy": occupancy_text(props, _),
        "services": service_items(props, now, lang, _),
        "directions": directions(feature),
        "tel": telephone(props.get("phone")),
        "power": power_label(props.get("power"), _),
        "place": props.get("address") or props.get("locality"),
        # English pages: Latin letters first, the Cyrillic beside them as on Kyiv's signs.
        "place_latin": latin(props.get("address") or props.get("locality"), lang),
        "organisation_latin": latin(props.get("organisation"), lang),
        "protected": props.get("location_precision") == "locality",
        "facts": offline_facts(props, now),
    }
