"""How the poster says things, in Ukrainian and English: distances and walking times, the
week's opening hours, which way to walk from the door, dates and links. Pure text, no page."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from nezlam.domain import opening_hours
from nezlam.domain.walk_estimate import walking_minutes  # the same estimate as the finder's cards
from nezlam.geo.distance import haversine_m

DEFAULT_TIMEZONE = "Europe/Kyiv"

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
LANGUAGES = ("uk", "en")
TEXT = {lang: {key: pair[i] for key, pair in PHRASES.items()} for i, lang in enumerate(LANGUAGES)}
WEEKDAYS = {
    "uk": ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


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
