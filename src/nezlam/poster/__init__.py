"""A printable A4 poster of the nearest points, to hang on doors when phones are dead.

`render_poster` is pure: public GeoJSON Features in (as /api/v1/points/nearest returns them),
PDF bytes out. A poster hangs for days, so it prints only what stays true for days (name, place,
distance, weekly hours, services, phone) and a QR code per point for the live status; at most a
small "last confirmed open at …", never a status as if it were permanent.

Black on white, large type, no fills: it must survive a cheap laser printer and a photocopier.
Units on the page are millimetres; font sizes are points.

The parts: `words` (how it says things, in both languages), `page` (the drawing surface, font
and QR codes), `point_lines` (one point's lines), `layout` (header, rows, footer).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.poster.layout import (
    NUMBER_W,
    QR_GAP,
    Row,
    draw_footer,
    draw_header,
    draw_none_found,
    draw_points,
    footer_lines,
)
from nezlam.poster.page import (
    BODY_PT,
    FONT_FAMILY,
    FONT_MODULES,
    KEY_PT,
    LEADING,
    MARGIN,
    NAME_PT,
    PAGE_H,
    PAGE_W,
    PT,
    QR_QUIET_MODULES,
    QR_SYMBOL_MM,
    SMALL_PT,
    Line,
    Page,
    Span,
    font_bytes,
    qr_png,
)
from nezlam.poster.point_lines import Context
from nezlam.poster.words import (
    COMPASS,
    DEFAULT_TIMEZONE,
    LANGUAGES,
    NEAR_DOOR_M,
    PHRASES,
    TEXT,
    WEEKDAYS,
    direction_words,
    distance_words,
    duration_words,
    moment_words,
    number_words,
    point_url,
    walking_minutes,
    weekly_hours,
)
from nezlam.reading import answers
from nezlam.reading.point_public import Asker

__all__ = [
    "BODY_PT",
    "COMPASS",
    "DEFAULT_TIMEZONE",
    "FONT_FAMILY",
    "FONT_MODULES",
    "KEY_PT",
    "LANGUAGES",
    "LEADING",
    "MARGIN",
    "MAX_POINTS",
    "NAME_PT",
    "NEAR_DOOR_M",
    "NUMBER_W",
    "PAGE_H",
    "PAGE_W",
    "PHRASES",
    "PT",
    "QR_GAP",
    "QR_QUIET_MODULES",
    "QR_SYMBOL_MM",
    "SMALL_PT",
    "TEXT",
    "WEEKDAYS",
    "Context",
    "Line",
    "Page",
    "Row",
    "Span",
    "direction_words",
    "distance_words",
    "duration_words",
    "font_bytes",
    "moment_words",
    "nearest_features_for_poster",
    "number_words",
    "place_name",
    "point_url",
    "qr_png",
    "render_poster",
    "walking_minutes",
    "weekly_hours",
]

MAX_POINTS = 6  # with codes ≥ 25 mm and large type, six rows fill an A4 page


def render_poster(
    features: list[dict[str, Any]],
    *,
    place_label: str | None,
    lat: float,
    lon: float,
    base_url: str,
    generated_at: datetime,
    lang: str = "uk",
    timezone: str | None = None,
    max_points: int = MAX_POINTS,
) -> bytes:
    """An A4 portrait PDF of the first `max_points` features (those that fit), in their order.

    `features` are public GeoJSON Features ordered nearest first; `lat`/`lon` (degrees WGS84)
    is where the poster hangs; each QR code opens `{base_url}/points/{id}`. Times are printed
    in `timezone` (default: the first point's, else Europe/Kyiv). Demo data is marked as such.
    """
    ctx = _context(features, lat, lon, base_url, generated_at, lang, timezone)
    demo = any(feature["properties"].get("demo") for feature in features)
    with tempfile.TemporaryDirectory(prefix="nezlam-poster-") as fonts:
        page = Page(Path(fonts))
        _describe_document(page, ctx, place_label)
        draw_header(page, ctx, place_label, demo)
        footer = footer_lines(page, ctx, demo)
        footer_top = PAGE_H - MARGIN - sum(page.height(line) for line in footer) - 3
        if not draw_points(page, features[:max_points], ctx, footer_top - 2):
            draw_none_found(page, ctx)
        draw_footer(page, footer, footer_top)
        return bytes(page.pdf.output())


def _context(
    features: list[dict[str, Any]],
    lat: float,
    lon: float,
    base_url: str,
    generated_at: datetime,
    lang: str,
    timezone: str | None,
) -> Context:
    """What the poster is for, its gaps filled: a language it speaks (else Ukrainian) and the
    other one, a time with its zone (a naive one is UTC), the zone to print times in."""
    lang = lang if lang in TEXT else "uk"
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    first_tz = features[0]["properties"].get("timezone") if features else None
    return Context(
        lang,
        "en" if lang != "en" else "uk",
        generated_at,
        timezone or first_tz or DEFAULT_TIMEZONE,
        base_url,
        lat,
        lon,
    )


def _describe_document(page: Page, ctx: Context, place_label: str | None) -> None:
    """The PDF's own title, language, creator and date, as a reader's file list shows them."""
    pdf = page.pdf
    pdf.set_title(f"{TEXT[ctx.lang]['title']} · {place_label or f'{ctx.lat:.5f}, {ctx.lon:.5f}'}")
    pdf.set_lang(ctx.lang)
    pdf.set_creator("Nezlam")
    pdf.set_creation_date(ctx.generated_at)


def nearest_features_for_poster(
    index: SpatialIndex,
    lat: float,
    lon: float,
    *,
    now: datetime,
    k: int = MAX_POINTS,
    lang: str = "uk",
) -> list[dict[str, Any]]:
    """The k nearest public points to (lat, lon) as Features, as /api/v1/points/nearest has them.

    No status filter: a poster outlives any status, and the code on it shows the live one."""
    answer = answers.nearest(index, None, Asker(lang, now, (lat, lon)), k, Filters())
    return answers.features(answer)


def place_name(db: Any, lat: float, lon: float, lang: str = "uk") -> str | None:
    """What to call the poster's place when nobody said (the header's "Біля: …"): the nearest
    address, street or place the gazetteer knows within a few hundred metres, else None."""
    from nezlam.places.search import place_near

    found = place_near(db, lat, lon)
    if found is None:
        return None
    return str(found["label_en"] if lang == "en" else found["label"])
