"""One point's lines on the poster: its name, place, distance and direction, standing, week's
hours, services and phone, each fitted to the width its row leaves beside the QR code."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from nezlam.domain.vocabulary import SERVICES
from nezlam.geo.distance import haversine_m
from nezlam.poster.page import BODY_PT, KEY_PT, NAME_PT, SMALL_PT, Line, Page, Span
from nezlam.poster.words import (
    DEFAULT_TIMEZONE,
    TEXT,
    direction_words,
    distance_words,
    moment_words,
    weekly_hours,
)


class Context(NamedTuple):
    """What the poster is for: its languages, when it is printed and in which zone times are
    said, where its codes lead, and where it hangs (degrees WGS84)."""

    lang: str
    other: str  # the secondary language, printed smaller
    generated_at: datetime
    timezone: str
    base_url: str
    lat: float
    lon: float


def point_lines(
    page: Page, feature: dict[str, Any], ctx: Context, width: float, service_lines: int
) -> list[Line]:
    props = feature["properties"]
    name = props.get("names", {}).get(ctx.lang) or props.get("name") or feature.get("id", "")
    metres = props.get("distance_m")
    if metres is None and feature.get("geometry"):
        lon, lat = feature["geometry"]["coordinates"][:2]
        metres = float(haversine_m(ctx.lat, ctx.lon, lat, lon))
    hours = weekly_hours(
        props.get("opening_hours"),
        props.get("timezone") or ctx.timezone,
        ctx.generated_at,
        ctx.lang,
    )
    lines = page.wrap(name.split(), " ", Span("", NAME_PT, bold=True), width, 2)
    lines.append(page.fit(_place_line(props, ctx.lang), width))
    way = None
    if feature.get("geometry"):
        lon, lat = feature["geometry"]["coordinates"][:2]
        way = direction_words(ctx.lat, ctx.lon, lat, lon, ctx.lang)
    lines.append(page.fit(_distance_line(props, metres, ctx.lang, ctx.other, way), width))
    if props.get("status") in ("standby", "unknown"):  # what a poster can say about them
        status = TEXT[ctx.lang][props["status"]]
        lines += page.wrap(status.split(), " ", Span("", BODY_PT, bold=True), width, 2)
    lines += page.wrap(hours.split(" · "), " · ", Span("", BODY_PT), width, 2)
    lines += page.wrap(
        _service_labels(props, ctx.lang),
        " · ",
        Span("", BODY_PT),
        width,
        service_lines,
        more=TEXT[ctx.lang]["more"],
    )
    lines.append(page.fit(_contact_line(props, ctx.lang), width))
    return [line for line in lines if line and any(s.text for s in line)]


def _place_line(props: dict[str, Any], lang: str) -> Line:
    locality = props.get("locality") or ""
    if props.get("location_precision") == "locality" or not props.get("address"):
        note = (
            [Span(" · " + TEXT[lang]["protected"], 9, optional=True)]
            if props.get("location_precision") == "locality"
            else []
        )
        return [Span(locality, BODY_PT), *note]
    address = props["address"]
    place = address if locality.lower() in address.lower() else f"{address}, {locality}"
    return [Span(place, BODY_PT)]


def _distance_line(
    props: dict[str, Any], metres: float | None, lang: str, other: str | None, way: str | None
) -> Line:
    if metres is None:
        return []
    protected = props.get("location_precision") == "locality"
    line = [Span(distance_words(metres, protected, lang), KEY_PT, bold=True)]
    if way:
        line.append(Span(f" · {way}", KEY_PT, bold=True))
    if other:
        walk = distance_words(metres, protected, other).split(" · ", 1)[1]
        line.append(Span("   " + walk, 9.5, optional=True))
    return line


def _contact_line(props: dict[str, Any], lang: str) -> Line:
    t, line = TEXT[lang], []
    if props.get("phone"):
        line.append(Span(t["phone"].format(phone=props["phone"]) + "   ", BODY_PT, bold=True))
    if props.get("capacity"):
        line.append(Span(t["capacity"].format(n=props["capacity"]) + "   ", SMALL_PT))
    verified = props.get("verified_at")
    # "Confirmed open" only while its hours agree: printed at night, a day-time point is not.
    if props.get("status") == "open" and verified and props.get("open_now") is not False:
        when = moment_words(
            datetime.fromisoformat(verified.replace("Z", "+00:00")),
            props.get("timezone") or DEFAULT_TIMEZONE,
        )
        line.append(Span(t["confirmed"].format(when=when), 8.5, optional=True))
    return line


def _service_labels(props: dict[str, Any], lang: str) -> list[str]:
    """A service an inspection found not working says so here too, as on the point's page."""
    broken = {code for fault in props.get("faults") or () for code in fault["services"]}
    return [
        TEXT[lang]["broken"].format(service=SERVICES[code][lang])
        if code in broken
        else SERVICES[code][lang]
        for code in props.get("services") or ()
        if code in SERVICES
    ]
