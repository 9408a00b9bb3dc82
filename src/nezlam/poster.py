"""A printable A4 poster of the nearest points, to hang on doors when phones are dead.

`render_poster` is pure: public GeoJSON Features in (as /api/v1/points/nearest returns them),
PDF bytes out. A poster hangs for days, so it prints only what stays true for days (name, place,
distance, weekly hours, services, phone) and a QR code per point for the live status; at most a
small "last confirmed open at …", never a status as if it were permanent.

Black on white, large type, no fills: it must survive a cheap laser printer and a photocopier.
Units on the page are millimetres; font sizes are points.
"""

from __future__ import annotations

import importlib
import io
import math
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

from nezlam.domain import opening_hours
from nezlam.domain.vocabulary import SERVICES
from nezlam.domain.walk_estimate import walking_minutes  # the same estimate as the finder's cards
from nezlam.geo.distance import haversine_m
from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.reading import answers
from nezlam.reading.point_public import Asker

MAX_POINTS = 6  # with codes ≥ 25 mm and large type, six rows fill an A4 page
DEFAULT_TIMEZONE = "Europe/Kyiv"

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 11.0
QR_SYMBOL_MM = 26.0  # the code itself, without its quiet zone: scannable from arm's length
QR_QUIET_MODULES = 4  # the white border the QR standard asks for
PT = 25.4 / 72  # millimetres per point
LEADING = 1.2

# FiraGO: a legible sans with full Ukrainian Cyrillic and "≈", under the SIL Open Font License.
FONT_FAMILY = "FiraGO"
FONT_MODULES = {"": "FiraGO_Regular", "B": "FiraGO_Bold"}

# Each phrase in (Ukrainian, English): the poster's language first, the other smaller.
PHRASES: dict[str, tuple[str, str]] = {
    "title": ("Пункти незламності поруч", "Invincibility points nearby"),
    "near": ("Біля: {place}", "Near: {place}"),
    "as_of": ("станом на {when}", "as of {when}"),
    "walk": ("≈ {minutes} пішки", "≈ {minutes} walk"),
    "walk_upto": ("до {minutes} пішки", "up to {minutes} walk"),
    "minutes": ("{n} хв", "{n} min"),
    "hours": ("{h} год", "{h} h"),
    "hours_minutes": ("{h} год {m} хв", "{h} h {m} min"),
    "m": ("{n} м", "{n} m"),
    "km": ("{n} км", "{n} km"),
    "upto_km": ("до 1 км", "under 1 km"),
    "always": ("Цілодобово · 24/7", "Open 24/7"),
    "closed": ("зачинено", "closed"),
    "all_day": ("цілодобово", "all day"),
    "no_hours": ("Години роботи не вказано", "Opening hours not published"),
    "protected": ("точна адреса не публікується", "exact address not published"),
    "phone": ("тел. {phone}", "tel. {phone}"),
    "capacity": ("місць: {n}", "places: {n}"),
    "confirmed": ("востаннє підтверджено відкритим: {when}", "last confirmed open: {when}"),
    "more": ("та ще {n}", "and {n} more"),
    "broken": ("{service} (не працює)", "{service} (not working)"),
    "footer": (
        "Статус змінюється: скануйте код, щоб побачити актуальний",
        "Status changes: scan a code for the live status",
    ),
    "all_points": ("Усі пункти: {url}", "All points: {url}"),
    "demo": ("ДЕМО-ДАНІ", "DEMO DATA"),
    "demo_detail": (
        "ці пункти вигадані для показу, їх не існує",
        "these points are made up for trying Nezlam out and do not exist",
    ),
    "none": ("Поруч пунктів не знайдено", "No points found nearby"),
    "standby": (
        "Резервний пункт: відкривається за потреби — зателефонуйте",
        "Standby point: opens when needed — call first",
    ),
    "unknown": (
        "Стан ще невідомий — зателефонуйте, перш ніж іти",
        "Status not reported yet — call before you go",
    ),
}
# Eight directions from the poster's door, clockwise from north.
COMPASS = {
    "uk": ("на північ", "на північний схід", "на схід", "на південний схід",
           "на південь", "на південний захід", "на захід", "на північний захід"),
    "en": ("north", "north-east", "east", "south-east",
           "south", "south-west", "west", "north-west"),
}  # fmt: skip
NEAR_DOOR_M = 30.0  # closer than this, a direction would only confuse
# Type sizes (points): large enough to read on a door from a step away.
NAME_PT, KEY_PT, BODY_PT, SMALL_PT = 16.0, 14.0, 12.5, 10.0
LANGUAGES = ("uk", "en")
TEXT = {lang: {key: pair[i] for key, pair in PHRASES.items()} for i, lang in enumerate(LANGUAGES)}
WEEKDAYS = {
    "uk": ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


class Span(NamedTuple):
    text: str
    size: float  # points
    bold: bool = False
    optional: bool = False  # dropped first when the line is too long


Line = list[Span]


# --- words ---------------------------------------------------------------------------------------
def duration_words(minutes: int, lang: str) -> str:
    t = TEXT[lang]
    if minutes < 60:
        return t["minutes"].format(n=minutes)
    hours, rest = divmod(minutes, 60)
    return t["hours_minutes"].format(h=hours, m=rest) if rest else t["hours"].format(h=hours)


def number_words(value: float, lang: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "uk" else text


def distance_words(metres: float, protected: bool, lang: str) -> str:
    """Distance and walking time, e.g. 850 м · ≈ 12 хв пішки. A protected point's distance
    comes rounded to kilometres, so it is said as approximate."""
    t = TEXT[lang]
    if protected and metres < 500:
        walk = t["walk_upto"].format(minutes=duration_words(walking_minutes(1000) or 1, lang))
        return f"{t['upto_km']} · {walk}"
    if metres < 1000:
        distance = t["m"].format(n=max(10, int(round(metres, -1))))
    else:
        distance = t["km"].format(n=number_words(metres / 1000, lang))
    prefix = "≈ " if protected else ""
    walk = t["walk"].format(minutes=duration_words(walking_minutes(metres) or 1, lang))
    return f"{prefix}{distance} · {walk}"


def weekly_hours(expression: str | None, timezone: str, week_of: datetime, lang: str) -> str:
    """The week's opening hours in words: "Пн–Пт 08:00–20:00 · Сб 10:00–16:00 · Нд зачинено"."""
    t = TEXT[lang]
    if not expression:
        return t["no_hours"]
    if expression.strip() == opening_hours.ALWAYS:
        return t["always"]
    local = week_of.astimezone(ZoneInfo(timezone))
    monday = local - timedelta(days=local.weekday())
    try:
        days = [
            tuple(opening_hours.intervals_for_day(expression, timezone, monday + timedelta(days=i)))
            for i in range(7)
        ]
    except opening_hours.OpeningHoursError:
        return expression
    if all(day == (("00:00", "24:00"),) for day in days):
        return t["always"]
    return " · ".join(_day_groups(days, lang))


def _day_groups(days: list[tuple[tuple[str, str], ...]], lang: str) -> Iterable[str]:
    names, t = WEEKDAYS[lang], TEXT[lang]
    start = 0
    for i in range(1, 8):
        if i < 7 and days[i] == days[start]:
            continue
        label = names[start] if i - 1 == start else f"{names[start]}–{names[i - 1]}"
        spans = days[start]
        if not spans:
            hours = t["closed"]
        elif spans == (("00:00", "24:00"),):
            hours = t["all_day"]
        else:
            hours = ", ".join(f"{a}–{b}" for a, b in spans)
        yield f"{label} {hours}"
        start = i


def moment_words(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def point_url(base_url: str, point_id: str) -> str:
    return f"{base_url.rstrip('/')}/points/{quote(point_id, safe='')}"


# --- one point's lines ---------------------------------------------------------------------------
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


def direction_words(
    from_lat: float, from_lon: float, lat: float, lon: float, lang: str
) -> str | None:
    """Which way to walk from the door, in eight directions: "на північний захід"."""
    if float(haversine_m(from_lat, from_lon, lat, lon)) < NEAR_DOOR_M:
        return None
    phi1, phi2 = math.radians(from_lat), math.radians(lat)
    dlon = math.radians(lon - from_lon)
    east = math.sin(dlon) * math.cos(phi2)
    north = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlon)
    bearing = math.degrees(math.atan2(east, north)) % 360  # clockwise from north
    return COMPASS[lang][int((bearing + 22.5) // 45) % 8]


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


# --- the page ------------------------------------------------------------------------------------
class Page:
    """An FPDF page with a cursor `y` and lines of spans laid on a shared baseline."""

    def __init__(self, fonts: Path) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        for style, module in FONT_MODULES.items():
            path = fonts / f"{module}.ttf"
            path.write_bytes(font_bytes(style))
            pdf.add_font(FONT_FAMILY, style, path)
        pdf.add_page()
        self.pdf, self.y = pdf, MARGIN

    def width(self, span: Span) -> float:
        self.pdf.set_font(FONT_FAMILY, "B" if span.bold else "", span.size)
        return self.pdf.get_string_width(span.text)

    @staticmethod
    def height(line: Line) -> float:
        return max((s.size for s in line), default=0) * PT * LEADING

    def fit(self, line: Line, width: float) -> Line:
        """Drop optional spans from the end, then cut the last span with "…", until it fits."""
        line = list(line)
        while sum(self.width(s) for s in line) > width and any(s.optional for s in line):
            line.pop(max(i for i, s in enumerate(line) if s.optional))
        while line and sum(self.width(s) for s in line) > width and len(line[-1].text) > 1:
            last = line[-1]
            line[-1] = last._replace(text=last.text[:-2].rstrip() + "…")
        return line

    def wrap(
        self,
        words: list[str],
        sep: str,
        span: Span,
        width: float,
        max_lines: int,
        more: str | None = None,
    ) -> list[Line]:
        """Greedy lines of `words` joined by `sep`. What overflows `max_lines` is cut with "…",
        or counted with `more` ("та ще {n}") so no label is cut in half."""

        def fits(parts: list[str]) -> bool:
            return self.width(span._replace(text=sep.join(parts))) <= width

        lines: list[list[str]] = []
        rest: list[str] = []
        for i, word in enumerate(words):
            if lines and fits([*lines[-1], word]):
                lines[-1].append(word)
            elif len(lines) < max_lines:
                lines.append([word])
            else:
                rest = words[i:]
                break
        if rest and more:
            last = lines[-1]
            while len(last) > 1 and not fits([*last, more.format(n=len(rest))]):
                rest.insert(0, last.pop())
            last.append(more.format(n=len(rest)))
        elif rest:
            lines[-1] += rest
        return [self.fit([span._replace(text=sep.join(line))], width) for line in lines]

    def draw(self, line: Line, x: float, align_right: float | None = None) -> None:
        baseline = self.y + max((s.size for s in line), default=0) * PT * 0.95
        if align_right is not None:
            x = align_right - sum(self.width(s) for s in line)
        for span in line:
            self.pdf.set_font(FONT_FAMILY, "B" if span.bold else "", span.size)
            self.pdf.text(x, baseline, span.text)
            x += self.pdf.get_string_width(span.text)
        self.y += self.height(line)

    def rule(self, thickness: float) -> None:
        self.pdf.set_line_width(thickness)
        self.pdf.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)


@lru_cache(maxsize=2)
def font_bytes(style: str) -> bytes:
    """The TrueType file of one style, from the pymupdf-fonts package (fonts kept in modules)."""
    module = importlib.import_module(f"pymupdf_fonts.{FONT_MODULES[style]}")
    return bytes(module.fontbuffer)


def qr_png(url: str) -> tuple[bytes, float]:
    """A PNG of the code with its quiet zone, and its side in mm so the symbol is QR_SYMBOL_MM."""
    code = segno.make_qr(url, error="m")
    modules = code.symbol_size(scale=1, border=0)[0]
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=QR_QUIET_MODULES)
    return out.getvalue(), QR_SYMBOL_MM * (modules + 2 * QR_QUIET_MODULES) / modules


# --- assembling the poster -----------------------------------------------------------------------
class Context(NamedTuple):
    lang: str
    other: str  # the secondary language, printed smaller
    generated_at: datetime
    timezone: str
    base_url: str
    lat: float
    lon: float


def _point_lines(
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


class Row(NamedTuple):
    lines: list[Line]
    png: bytes
    side: float  # the QR image, quiet zone included (mm)
    height: float


NUMBER_W, QR_GAP = 11.0, 3.0


def _plan_rows(
    page: Page, features: list[dict[str, Any]], ctx: Context, service_lines: int
) -> list[Row]:
    rows = []
    for feature in features:
        png, side = qr_png(point_url(ctx.base_url, str(feature["id"])))
        width = PAGE_W - 2 * MARGIN - NUMBER_W - side - QR_GAP
        lines = _point_lines(page, feature, ctx, width, service_lines)
        rows.append(Row(lines, png, side, max(sum(map(page.height, lines)) + 3, side)))
    return rows


def _fitting_rows(
    page: Page, features: list[dict[str, Any]], ctx: Context, room: float
) -> list[Row]:
    """Every point, its services on one line, and on two where room is left, nearest first;
    if even that is too tall, only the nearest points that fit: type is never shrunk."""
    narrow = _plan_rows(page, features, ctx, service_lines=1)
    wide = _plan_rows(page, features, ctx, service_lines=2)
    left = room - sum(row.height for row in narrow)
    if left < 0:
        kept: list[Row] = []
        for row in narrow:
            if sum(r.height for r in kept) + row.height > room:
                break
            kept.append(row)
        return kept
    rows = list(narrow)
    for i, (short, tall) in enumerate(zip(narrow, wide, strict=True)):
        if tall.height - short.height <= left:
            rows[i], left = tall, left - (tall.height - short.height)
    return rows


def _draw_points(page: Page, features: list[dict[str, Any]], ctx: Context, bottom: float) -> int:
    """Rows of points from the cursor down to `bottom`; returns how many fitted."""
    rows = _fitting_rows(page, features, ctx, bottom - page.y)
    spare = (bottom - page.y - sum(row.height for row in rows)) / max(len(rows), 1)
    padding = min(spare, 4.0)  # spread a little leftover room between the rows
    separators = []
    for number, row in enumerate(rows, start=1):
        if number > 1:
            separators.append(page.y)
        top = page.y
        page.y = top + 1.5 + padding / 2
        page.draw([Span(str(number), 22, bold=True)], MARGIN)
        page.y = top + 1.5 + padding / 2
        for line in row.lines:
            page.draw(line, MARGIN + NUMBER_W)
        x = PAGE_W - MARGIN - row.side + 2  # the quiet zone may reach into the margin
        page.pdf.image(io.BytesIO(row.png), x=x, y=top + padding / 2, w=row.side, h=row.side)
        page.y = top + row.height + padding
    page.pdf.set_line_width(0.3)
    for y in separators:  # drawn after the codes, whose white quiet zones would hide them
        page.pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    return len(rows)


def _draw_header(page: Page, ctx: Context, place_label: str | None, demo: bool) -> None:
    t, o = TEXT[ctx.lang], TEXT[ctx.other]
    if demo:
        _demo_box(page, ctx)
    page.draw([Span(t["title"], 26, bold=True)], MARGIN)
    page.draw([Span(o["title"], 14)], MARGIN)
    page.y += 2
    where = f"{ctx.lat:.5f}, {ctx.lon:.5f}"
    place = (
        [
            Span(t["near"].format(place=place_label), 14, bold=True),
            Span(f"   ({where})", 9, optional=True),
        ]
        if place_label
        else [Span(t["near"].format(place=where), 14, bold=True)]
    )
    page.draw(page.fit(place, PAGE_W - 2 * MARGIN), MARGIN)
    when = moment_words(ctx.generated_at, ctx.timezone)
    page.draw(
        [Span(t["as_of"].format(when=when), 12), Span("   " + o["as_of"].format(when=when), 9.5)],
        MARGIN,
    )
    page.y += 2
    page.rule(0.8)
    page.y += 1.5


def _demo_box(page: Page, ctx: Context) -> None:
    """A framed mark at the top right, on the title's line: no point on the page is real."""
    label = Span(f"{TEXT[ctx.lang]['demo']} · {TEXT[ctx.other]['demo']}", 13, bold=True)
    width, height = page.width(label) + 6, page.height([label]) + 3
    page.pdf.set_line_width(0.8)
    page.pdf.rect(PAGE_W - MARGIN - width, page.y, width, height)
    top = page.y
    page.y += 1.5
    page.draw([label], 0, align_right=PAGE_W - MARGIN - 3)
    page.y = top


def _footer_lines(page: Page, ctx: Context, demo: bool) -> list[Line]:
    t, o = TEXT[ctx.lang], TEXT[ctx.other]
    width = PAGE_W - 2 * MARGIN
    lines = [
        *page.wrap(t["footer"].split(), " ", Span("", 14, bold=True), width, 2),
        page.fit([Span(o["footer"], 11)], width),
        page.fit(
            [
                Span(t["all_points"].format(url=ctx.base_url.rstrip("/")), 10),
                Span(" · " + o["all_points"].format(url="").rstrip(": "), 9, optional=True),
            ],
            width,
        ),
    ]
    if demo:
        lines.append(
            page.fit(
                [
                    Span(f"{t['demo']}: {t['demo_detail']}", 11, bold=True),
                    Span(f" · {o['demo']}: {o['demo_detail']}", 9, optional=True),
                ],
                width,
            )
        )
    return lines


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
    lang = lang if lang in TEXT else "uk"
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    first_tz = features[0]["properties"].get("timezone") if features else None
    ctx = Context(
        lang,
        "en" if lang != "en" else "uk",
        generated_at,
        timezone or first_tz or DEFAULT_TIMEZONE,
        base_url,
        lat,
        lon,
    )
    demo = any(feature["properties"].get("demo") for feature in features)
    with tempfile.TemporaryDirectory(prefix="nezlam-poster-") as fonts:
        page = Page(Path(fonts))
        pdf = page.pdf
        pdf.set_title(f"{TEXT[lang]['title']} · {place_label or f'{lat:.5f}, {lon:.5f}'}")
        pdf.set_lang(lang)
        pdf.set_creator("Nezlam")
        pdf.set_creation_date(generated_at)
        _draw_header(page, ctx, place_label, demo)
        footer = _footer_lines(page, ctx, demo)
        footer_top = PAGE_H - MARGIN - sum(page.height(line) for line in footer) - 3
        if not _draw_points(page, features[:max_points], ctx, footer_top - 2):
            page.y += 10
            page.draw([Span(TEXT[lang]["none"], 18, bold=True)], MARGIN)
            page.draw([Span(TEXT[ctx.other]["none"], 12)], MARGIN)
        page.y = footer_top
        page.rule(0.8)
        page.y += 2
        for line in footer:
            page.draw(line, MARGIN)
        return bytes(pdf.output())


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
