"""What an SMS answer says, in at most two messages: Ukrainian in Cyrillic (UCS-2, 67 characters
a part) or English in the GSM alphabet (153 a part, so names are written in Latin letters).

For the nearest points: one line each, "1. Name, 400 м, відкрито 14:05, 0441234567" — the status
with the local time it was last confirmed, and the distance on foot when it was walked. When the
lines are too long for two messages, names are shortened to 12 characters, then the times go,
then names are shortened more; the phone number is never cut.
"""

from __future__ import annotations

import re

from nezlam.channels import sms_text
from nezlam.channels.answering import Found, local_time
from nezlam.domain.transliteration import transliterate
from nezlam.domain.vocabulary import SERVICES
from nezlam.reading.point_public import PointPublic

PARTS = 2  # an answer fits in two SMS
# Longest name first, with the times; then the times go before a name is cut below 12.
STEPS = [(most, True) for most in (40, 24, 16, 12)] + [(most, False) for most in (16, 12, 8, 6)]

STATUS = {
    "uk": {"open": "відкрито", "standby": "у резерві", "full": "заповнено", "closed": "зачинено",
           "unconfirmed": "не підтверджено", "no_response": "не відповідає",
           "unknown": "невідомо"},
    "en": {"open": "open", "standby": "on standby", "full": "full", "closed": "closed",
           "unconfirmed": "not confirmed", "no_response": "not responding", "unknown": "unknown"},
}  # fmt: skip
WORDS = {
    "uk": {
        "help": "Надішліть ТЕПЛО і адресу (ТЕПЛО Хрещатик 22) чи координати: 3 найближчі "
        "відкриті пункти. ПУНКТ і номер: один пункт.",
        "need_place": "Надішліть адресу або координати, напр.: ТЕПЛО Хрещатик 22",
        "no_place": "Не знайшли «{place}». Надішліть вулицю з номером будинку або координати.",
        "off_earth": "Ці координати поза Землею. Приклад: ТЕПЛО 50,45 30,52",
        "none_open": "Поблизу немає відкритих пунктів{with_}. Зателефонуйте 101 або 112, якщо "
        "потрібна допомога.",
        "with": " з послугами: {services}",
        "no_point": "Немає пункту «{point_id}». Номер є на сторінці та плакаті пункту.",
        "checked": "перевірено",
        "hours": "години",
        "km": "км",
        "m": "м",
        "saved": "Записано: {name} — {status}.",
        "verified": "Записано: {name} — все актуально.",
        "which": "Який пункт? Надішліть, напр.: {word} {example}",
        "refused": "Не записано: {problem}",
        "forbidden": "Не записано: пункт {point_id} не ваш.",
    },
    "en": {
        "help": "Send HEAT and an address (HEAT Khreshchatyk 22) or coordinates for the 3 "
        "nearest open points; POINT and its id for one point.",
        "need_place": "Send an address or coordinates, e.g. HEAT 50.45 30.52",
        "no_place": "Could not find '{place}'. Send a street with a house number, or coordinates.",
        "off_earth": "Those coordinates are outside the Earth. Example: HEAT 50.45 30.52",
        "none_open": "No open point nearby{with_}. Call 101 or 112 if you need help.",
        "with": " with {services}",
        "no_point": "No point '{point_id}'. Its id is on its page and poster.",
        "checked": "checked",
        "hours": "hours",
        "km": "km",
        "m": "m",
        "saved": "Saved: {name} - {status}.",
        "verified": "Saved: {name} - still current.",
        "which": "Which point? Send e.g. {word} {example}",
        "refused": "Not saved: {problem}",
        "forbidden": "Not saved: point {point_id} is not yours.",
    },
}
_NOT_PHONE = re.compile(r"[^\d+]")


def words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "uk"]


def latin(text: str, lang: str) -> str:
    """English answers are written in Latin letters, so they stay in the GSM alphabet."""
    return transliterate(text) if lang == "en" else text


def help_text(lang: str) -> str:
    return words(lang)["help"]


def phone(number: str | None, lang: str) -> str | None:
    """A number to dial: digits and a leading +; a Ukrainian one as dialled at home
    (0441234567) in a Ukrainian answer, where every character counts."""
    if not number:
        return None
    digits = _NOT_PHONE.sub("", number)
    if lang != "en" and digits.startswith("+380") and len(digits) == 13:
        return "0" + digits[4:]
    return digits or None


def distance(point: PointPublic, lang: str) -> str | None:
    metres = point.walking_m if point.walking_m is not None else point.distance_m
    if metres is None:
        return None
    said = words(lang)
    if metres < 1000:
        return f"{max(10, round(metres / 10) * 10):.0f} {said['m']}"
    km = f"{metres / 1000:.1f}"
    return f"{km if lang == 'en' else km.replace('.', ',')} {said['km']}"


def status(point: PointPublic, lang: str, with_time: bool = True) -> str:
    """ "відкрито 14:05": the shown status and when it was last confirmed, local time."""
    said = STATUS["en" if lang == "en" else "uk"][point.status.value]
    confirmed = local_time(point.details.verified_at, point.details.timezone)
    return f"{said} {confirmed}" if with_time and confirmed else said


def point_line(number: int, point: PointPublic, lang: str, name_most: int, times: bool) -> str:
    name = sms_text.shorten(latin(point.details.name, lang), name_most)
    parts = [
        name,
        distance(point, lang),
        status(point, lang, times),
        phone(point.details.phone, lang),
    ]
    return f"{number}. " + ", ".join(part for part in parts if part)


def nearest_text(found: Found, lang: str) -> str:
    """The answer to a nearest question, in at most two SMS."""
    if not found.points:
        return problem_text(found, lang)
    text = ""
    for most, times in STEPS:
        lines = [point_line(n, p, lang, most, times) for n, p in enumerate(found.points, 1)]
        text = "\n".join(lines)
        if sms_text.segments(text) <= PARTS:
            return text
    return text


def problem_text(found: Found, lang: str) -> str:
    said = words(lang)
    problem = found.problem or "none_open"
    if problem == "none_open":
        names = ", ".join(SERVICES[code]["en" if lang == "en" else "uk"] for code in found.services)
        with_ = said["with"].format(services=names.lower()) if names else ""
        return said["none_open"].format(with_=with_)
    return said[problem].format(place=sms_text.shorten(latin(found.place or "", lang), 40))


def point_text(point: PointPublic | None, point_id: str, lang: str) -> str:
    """One point's details: name, status with its time, where, phone, hours, services."""
    said = words(lang)
    if point is None:
        return said["no_point"].format(point_id=sms_text.shorten(point_id, 40))
    details = point.details
    where = details.address or details.locality
    services = ", ".join(SERVICES[c]["en" if lang == "en" else "uk"] for c in details.services)
    hours = f"{said['hours']} {details.opening_hours}" if details.opening_hours else None
    parts = [
        latin(details.name, lang),
        status(point, lang),
        latin(where, lang),
        phone(details.phone, lang),
        hours,
        services.lower(),
    ]
    text = ". ".join(part for part in parts if part)
    return sms_text.shorten(text, sms_text.budget(text, PARTS))


def update_text(outcome: str, lang: str, facts: dict[str, str]) -> str:
    """The answer to an operator's status update (conversation.Wording.update_text)."""
    shown = dict(facts)
    if "name" in shown:
        shown["name"] = sms_text.shorten(latin(shown["name"], lang), 40)
    if "status" in shown:
        shown["status"] = STATUS["en" if lang == "en" else "uk"].get(
            shown["status"], shown["status"]
        )
    text = words(lang)[outcome].format(**shown)
    return sms_text.shorten(text, sms_text.budget(text, PARTS))
