"""What the Telegram bot says, in Ukrainian (the default) and English: the finder's words in a
chat — status with its freshness, distance and minutes on foot, services, hours today, a number
to call, directions and the point's page. Telegram's HTML: everything that comes from a point or
a person is escaped (`esc`), so a name with `<b>` or `</a>` in it is text, never markup.

The Conversation's Wording (nearest_text, point_text, help_text, update_text) is here, with the
bot's own answers (start, language, follow, stop, staff).
"""

from __future__ import annotations

import html
import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta

from nezlam.channels.answering import Found, local_time
from nezlam.channels.babel_words import number, seconds_ago
from nezlam.domain import opening_hours
from nezlam.domain.vocabulary import SERVICES
from nezlam.domain.walk_estimate import WALKING_M_PER_MIN, walking_minutes
from nezlam.reading.point_public import PointPublic

# The filters offered as buttons, as the finder's: what people in the cold ask for first.
FILTERS = ("heat", "power", "water", "wifi", "step_free", "pets_allowed")
ICONS = {"heat": "🔥", "power": "🔌", "water": "💧", "wifi": "📶", "step_free": "♿",
         "pets_allowed": "🐾", "hot_drinks": "☕", "food": "🍲", "beds": "🛏", "toilet": "🚻",
         "first_aid": "⛑", "satellite_internet": "🛰", "mobile_signal": "📱",
         "mother_and_child": "👶"}  # fmt: skip
SERVICES_SHORT = {
    "uk": {"heat": "Тепло", "power": "Зарядка", "water": "Вода", "wifi": "Wi-Fi",
           "step_free": "Без сходів", "pets_allowed": "З тваринами"},
    "en": {"heat": "Heat", "power": "Charging", "water": "Water", "wifi": "Wi-Fi",
           "step_free": "Step-free", "pets_allowed": "Pets"},
}  # fmt: skip
DOTS = {"open": "🟢", "standby": "🟡", "full": "🟣", "closed": "🔴", "unconfirmed": "🟠",
        "no_response": "⚪", "unknown": "⚪"}  # fmt: skip


def status_dot(status: str | None) -> str:
    return DOTS.get(status or "unknown", "⚪")


WORDS: dict[str, dict[str, str]] = {
    "uk": {
        "start": "Вітаю! Я знаходжу найближчі <b>пункти незламності</b>, які справді відчинені "
        "зараз: тепло, зарядка, вода, зв'язок.\n\nНадішліть свою локацію (кнопка нижче) або "
        "напишіть адресу чи місце, напр. <i>Хрещатик 22</i>, чи координати.",
        "share": "📍 Надіслати мою локацію",
        "help": "Надішліть локацію, адресу (<i>Хрещатик 22</i>), місце або координати — "
        "і я покажу 3 найближчі відчинені пункти. Слова ТЕПЛО, ЗАРЯДКА, ВОДА перед адресою — "
        "з такими послугами.\n/lang — мова · /follows — ваші підписки · /stop — забути цей "
        "чат",
        "need_place": "Надішліть локацію або напишіть адресу чи координати.",
        "no_place": "Не знайшли «{place}». Спробуйте вулицю з номером будинку, назву місця "
        "або надішліть локацію.",
        "off_earth": "Ці координати поза Землею. Приклад: 50.45, 30.52",
        "none_open": "Поблизу немає відчинених пунктів{with_}, про які ми знаємо напевно. "
        "Якщо потрібна допомога — телефонуйте 101 або 112.",
        "with": " з послугами: {services}",
        "near": "📍 Біля: {place}",
        "near_you": "📍 Біля вас",
        "only": "Лише: {services}",
        "walk": "{minutes} хв пішки", "m": "м", "km": "км",
        "far": "далеко: понад годину пішки",
        "open": "Відчинено", "standby": "У резерві", "full": "Немає місць",
        "closed": "Зачинено", "unconfirmed": "Не підтверджено", "no_response": "Немає відповіді",
        "unknown": "Стан невідомий", "closed_now": "Зачинено зараз",
        "confirmed": "підтверджено {ago}", "confirmed_now": "підтверджено щойно",
        "updated": "оновлено {ago}", "last_confirmed": "востаннє підтверджено {ago}",
        "never": "ще не підтверджено", "silent": "жодних новин уже {span}",
        "no_report": "звітів ще не було", "opens_at": "відчиниться о {time}",
        "closes_in": "зачиняється за {n} хв", "call_first": "Зателефонуйте, перш ніж іти.",
        "hours_none": "години не вказано", "hours_24": "цілодобово",
        "hours_closed": "сьогодні зачинено", "hours_today": "сьогодні {hours}",
        "taken": "зайнято {occupancy} з {capacity} місць",
        "directions": "Маршрут", "page": "Сторінка пункту", "locality_only": "{locality} · "
        "точну адресу не публікують",
        "no_point": "Немає пункту «{point_id}». Номер є на сторінці та плакаті пункту.",
        "saved": "✅ Записано: {name} — {status}.",
        "verified": "✅ Записано: {name} — усе актуально.",
        "which": "Який пункт? Напишіть, напр.: {word} {example}, або /points.",
        "refused": "Не записано: {problem}",
        "forbidden": "Не записано: пункт {point_id} не ваш.",
        "lang": "Оберіть мову:", "lang_set": "Мову змінено: українська.",
        "follow_area": "🔔 Стежити за пунктами поруч",
        "point_more": "ℹ️ {n}",
        "followed_area": "🔔 Готово: напишу, коли пункт у радіусі {km} км відчиниться чи "
        "зачиниться. /follows — ваші підписки, /stop — забути все.",
        "followed_point": "🔔 Готово: напишу, коли «{name}» відчиниться чи зачиниться.",
        "follows": "Ваші підписки:", "no_follows": "Підписок немає.",
        "area": "район біля {place}", "unfollow": "✖ {what}", "unfollowed": "Підписку скасовано.",
        "stopped": "Забуто все, що бот знав про цей чат: підписки, мову, черга повідомлень"
        "{staff}. Щоб почати знову — /start.",
        "stopped_staff": " і прив'язку до облікового запису",
        "opened": "🟢 Відчинився: {name}", "closed_alert": "🔴 Зачинився: {name}",
        "was_here": "📝 Я тут був(ла)",
    },
    "en": {
        "start": "Hello! I find the nearest <b>invincibility points</b> that are really open "
        "now: warmth, charging, water, connection.\n\nShare your location (the button below) "
        "or type an address or a place, e.g. <i>Khreshchatyk 22</i>, or coordinates.",
        "share": "📍 Share my location",
        "help": "Share a location, an address (<i>Khreshchatyk 22</i>), a place or coordinates "
        "and I show the 3 nearest open points. HEAT, CHARGE, WATER before the address: with "
        "those services.\n/lang — language · /follows — your follows · /stop — forget this chat",
        "need_place": "Share a location, or type an address or coordinates.",
        "no_place": "Could not find '{place}'. Try a street with a house number, a place name, "
        "or share your location.",
        "off_earth": "Those coordinates are outside the Earth. Example: 50.45, 30.52",
        "none_open": "No point nearby that we know for sure is open{with_}. If you need help, "
        "call 101 or 112.",
        "with": " with {services}",
        "near": "📍 Near: {place}",
        "near_you": "📍 Near you",
        "only": "Only: {services}",
        "walk": "{minutes} min walk", "m": "m", "km": "km",
        "far": "far away: more than an hour on foot",
        "open": "Open", "standby": "On standby", "full": "Full", "closed": "Closed",
        "unconfirmed": "Unconfirmed", "no_response": "No response", "unknown": "Status unknown",
        "closed_now": "Closed now",
        "confirmed": "confirmed {ago}", "confirmed_now": "confirmed just now",
        "updated": "updated {ago}", "last_confirmed": "last confirmed {ago}",
        "never": "never confirmed", "silent": "no news for {span}", "no_report": "no report yet",
        "opens_at": "opens at {time}", "closes_in": "closes in {n} min",
        "call_first": "Call before you go.",
        "hours_none": "hours not published", "hours_24": "open 24 hours",
        "hours_closed": "closed today", "hours_today": "today {hours}",
        "taken": "{occupancy} of {capacity} places taken",
        "directions": "Directions", "page": "Point's page",
        "locality_only": "{locality} · exact address not published",
        "no_point": "No point '{point_id}'. Its id is on its page and poster.",
        "saved": "✅ Saved: {name} — {status}.",
        "verified": "✅ Saved: {name} — still current.",
        "which": "Which point? Send e.g. {word} {example}, or /points.",
        "refused": "Not saved: {problem}",
        "forbidden": "Not saved: point {point_id} is not yours.",
        "lang": "Choose a language:", "lang_set": "Language changed: English.",
        "follow_area": "🔔 Follow points nearby",
        "point_more": "ℹ️ {n}",
        "followed_area": "🔔 Done: I will write when a point within {km} km opens or closes. "
        "/follows — your follows, /stop — forget everything.",
        "followed_point": "🔔 Done: I will write when '{name}' opens or closes.",
        "follows": "You follow:", "no_follows": "You follow nothing.",
        "area": "the area near {place}", "unfollow": "✖ {what}",
        "unfollowed": "No longer followed.",
        "stopped": "Everything the bot knew about this chat is forgotten: follows, language, "
        "queued messages{staff}. To start again: /start.",
        "stopped_staff": " and the link to your account",
        "opened": "🟢 Opened: {name}", "closed_alert": "🔴 Closed: {name}",
        "was_here": "📝 I was here",
    },
}  # fmt: skip


def words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "uk"]


def esc(text: object) -> str:
    """Text as Telegram's HTML shows it, never as markup."""
    return html.escape(str(text), quote=True)


def ago(moment: datetime | None, now: datetime, lang: str) -> str:
    delta = max(now - moment, timedelta(minutes=1)) if moment else timedelta(minutes=1)
    return seconds_ago(int(delta.total_seconds()), lang)


def service_names(codes: tuple[str, ...] | list[str], lang: str) -> str:
    return ", ".join(SERVICES[c].get(lang, SERVICES[c]["en"]) for c in codes if c in SERVICES)


def status_line(point: PointPublic, now: datetime, lang: str) -> str:
    """ "🟢 Відчинено · підтверджено 12 хвилин тому", as the finder's card says it; a point
    closed by its hours says so whatever it reported."""
    said, details = words(lang), point.details
    code = point.status.value
    if point.open_now is False and code in ("open", "unconfirmed", "standby", "full"):
        opens = local_time(point.next_change, details.timezone)
        detail = said["opens_at"].format(time=opens) if opens else said["call_first"]
        return f"🔴 {said['closed_now']} · {detail}"
    return f"{DOTS.get(code, '⚪')} {said[code]} · {freshness(point, now, lang)}"


def freshness(point: PointPublic, now: datetime, lang: str) -> str:
    said, details, code = words(lang), point.details, point.status.value
    verified, updated = details.verified_at, details.updated_at
    if code in ("open", "standby"):
        if verified and now - verified < timedelta(minutes=1):
            text = said["confirmed_now"]
        else:
            text = said["confirmed"].format(ago=ago(verified, now, lang))
        closing = point.next_change
        if code == "open" and point.open_now and closing and closing - now <= timedelta(hours=1):
            minutes = max(1, math.ceil((closing - now).total_seconds() / 60))
            text += " · " + said["closes_in"].format(n=minutes)
        return text
    if code in ("full", "closed"):
        return said["updated"].format(ago=ago(updated, now, lang))
    if code == "unconfirmed":
        return (
            said["last_confirmed"].format(ago=ago(verified, now, lang))
            if verified
            else said["never"]
        )
    if code == "no_response":
        delta = max(now - updated, timedelta(0)) if updated else timedelta(0)
        span = format_timedelta(delta, locale=lang, threshold=1.1, format="long")
        return said["silent"].format(span=span)
    return said["no_report"]


def local_day(now: datetime, timezone: str) -> datetime:
    """Midnight of the point's local day: the key of its spans today."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("Europe/Kyiv")
    return now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)


@lru_cache(maxsize=8192)
def day_spans(expression: str, timezone: str, day: datetime) -> tuple[tuple[str, str], ...]:
    """A day's open spans for an hours expression: the same for every answer that day."""
    return tuple(opening_hours.intervals_for_day(expression, timezone, day))


def hours_today(point: PointPublic, now: datetime, lang: str) -> str:
    said, expression = words(lang), point.details.opening_hours
    if not expression:
        return said["hours_none"]
    if expression.strip() == "24/7":
        return said["hours_24"]
    spans = day_spans(expression, point.details.timezone, local_day(now, point.details.timezone))
    if not spans:
        return said["hours_closed"]
    if spans == (("00:00", "24:00"),):
        return said["hours_24"]
    return said["hours_today"].format(hours=", ".join(f"{a}–{b}" for a, b in spans))


def distance(point: PointPublic, lang: str, m_per_min: float = WALKING_M_PER_MIN) -> str | None:
    """ "400 м · 6 хв пішки" (measured on the streets), "1,2 км · ≈ 21 хв пішки" (estimated
    from the straight line), or "12,3 км · далеко: понад годину пішки", as the finder says."""
    metres = point.walking_m if point.walking_m is not None else point.distance_m
    if metres is None:
        return None
    said = words(lang)
    if metres < 1000:
        text = f"{number(max(10, round(metres, -1)), lang)} {said['m']}"
    else:
        text = f"{number(round(metres / 1000, 1), lang)} {said['km']}"
    if point.far:
        return f"{text} · {said['far']}"
    minutes = walking_minutes(point.distance_m, point.walking_m, m_per_min) or 1
    estimate = "" if point.walking_m is not None else "≈ "
    return f"{text} · {estimate}{said['walk'].format(minutes=minutes)}"


def links(point: PointPublic, lang: str, base_url: str | None) -> str:
    """Directions (OpenStreetMap, which works on every phone) and the point's page."""
    said, details = words(lang), point.details
    parts = []
    if details.position is not None:
        lat, lon = details.position
        route = f"https://www.openstreetmap.org/directions?to={lat:.5f}%2C{lon:.5f}"
        parts.append(f'<a href="{esc(route)}">{said["directions"]}</a>')
    if base_url:
        page = f"{base_url}/points/{quote(details.id)}?lang={lang}"
        parts.append(f'<a href="{esc(page)}">{said["page"]}</a>')
    return " · ".join(parts)


def point_block(
    number: int | None, point: PointPublic, now: datetime, lang: str, base_url: str | None
) -> str:
    """One point as a card of a few lines. What only the point's details say (its name,
    services, places taken, address, phone and links) is worded once per snapshot of the point
    (`Fixed`, kept on its details as the JSON forms are); the distance, the status's freshness
    and today's hours are worded for each answer."""
    details = point.details
    key = f"telegram|{lang}|{base_url}"
    fixed = details.rendered.get(key)
    if fixed is None:
        fixed = details.rendered[key] = fixed_lines(point, lang, base_url)
    head = fixed.name if number is None else f"{number}. {fixed.name}"
    where = distance(point, lang)
    lines = [f"{head} — {esc(where)}" if where else head, status_line(point, now, lang)]
    lines += fixed.before_hours
    lines.append(esc(hours_today(point, now, lang) + fixed.taken))
    lines += fixed.after_hours
    return "\n".join(lines)


class Fixed(NamedTuple):
    """The lines of a point's card that change only with the point (`point_block`)."""

    name: str
    before_hours: tuple[str, ...]
    taken: str  # " · 12 of 40 places taken", or ""
    after_hours: tuple[str, ...]


def fixed_lines(point: PointPublic, lang: str, base_url: str | None) -> Fixed:
    details, said = point.details, words(lang)
    before = []
    if details.services:
        icons = " ".join(f"{ICONS.get(c, '•')}" for c in details.services if c in SERVICES)
        before.append(f"{icons} {esc(service_names(details.services, lang))}")
    taken = ""
    if details.occupancy is not None and details.capacity:
        occupied = said["taken"].format(occupancy=details.occupancy, capacity=details.capacity)
        taken = " · " + occupied
    after = []
    if details.address:
        after.append(esc(details.address))
    elif details.protected:
        after.append(esc(said["locality_only"].format(locality=details.locality)))
    if details.phone:
        after.append(f"☎ {esc(details.phone)}")
    made = links(point, lang, base_url)
    if made:
        after.append(made)
    return Fixed(f"<b>{esc(details.name)}</b>", tuple(before), taken, tuple(after))


class Wording:
    """The Conversation's Wording for Telegram, for one server's address and clock."""

    def __init__(self, base_url: str | None, clock: object) -> None:
        self.base_url = base_url
        self.clock = clock

    def now(self) -> datetime:
        clock = self.clock
        assert callable(clock)
        moment = clock()
        assert isinstance(moment, datetime)
        return moment

    def nearest_text(self, found: Found, lang: str) -> str:
        said = words(lang)
        if found.problem is not None:
            with_ = (
                said["with"].format(services=service_names(found.services, lang))
                if found.services
                else ""
            )
            return esc(said[found.problem].format(place=found.place or "", with_=with_))
        now = self.now()
        head = said["near"].format(place=esc(found.place)) if found.place else said["near_you"]
        if found.services:
            head += "\n" + esc(said["only"].format(services=service_names(found.services, lang)))
        blocks = [
            point_block(i, point, now, lang, self.base_url)
            for i, point in enumerate(found.points, 1)
        ]
        return "\n\n".join([head, *blocks])

    def point_text(self, point: PointPublic | None, point_id: str, lang: str) -> str:
        if point is None:
            return esc(words(lang)["no_point"].format(point_id=point_id))
        return point_block(None, point, self.now(), lang, self.base_url)

    def help_text(self, lang: str) -> str:
        return words(lang)["help"]

    def update_text(self, outcome: str, lang: str, facts: dict[str, str]) -> str:
        said = words(lang)
        if "status" in facts:
            facts = {**facts, "status": said.get(facts["status"], facts["status"]).lower()}
        return esc(said[outcome].format(**{k: v for k, v in facts.items()}))
