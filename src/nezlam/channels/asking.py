"""What someone asked in a short message (an SMS, a chat line), read the same for every channel.

- "ТЕПЛО Хрещатик 22", "HEAT 50.45 30.52", "ЗАРЯДКА ВОДА Бровари", a bare address or place:
  the nearest points that are really open (with those services), near that place;
- "ПУНКТ kyiv-0042" / "POINT kyiv-0042": one point's details;
- "ВІДКРИТО", "OPEN", "FULL", "ЗАЧИНЕНО", "OK" (optionally with a point id): an operator's
  status update, which a channel acts on only for a sender linked to an operator;
- "ДОПОМОГА", "HELP", "?" or an empty message: how to ask.

Words are matched without regard to case or apostrophes; the language of the answer is the
language of the question (Cyrillic letters: Ukrainian), unless the channel knows better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nezlam.domain.points import POINT_ID_PATTERN

MAX_TEXT = 500  # characters read of a message; a longer one is cut, never refused

# First words that ask for a service (folded: lower case, no apostrophes).
SERVICE_WORDS: dict[str, str] = {
    "тепло": "heat", "обігрів": "heat", "грітися": "heat", "heat": "heat", "warm": "heat",
    "зарядка": "power", "заряд": "power", "світло": "power",
    "charge": "power", "charging": "power", "power": "power",
    "вода": "water", "water": "water",
    "інтернет": "wifi", "wifi": "wifi", "wi-fi": "wifi", "internet": "wifi", "вайфай": "wifi",
    "зв'язок": "mobile_signal", "звязок": "mobile_signal", "signal": "mobile_signal",
    "їжа": "food", "food": "food",
    "чай": "hot_drinks", "tea": "hot_drinks",
    "ночівля": "beds", "beds": "beds", "sleep": "beds",
    "тварини": "pets_allowed", "pets": "pets_allowed",
    "візок": "step_free", "step-free": "step_free", "wheelchair": "step_free",
}  # fmt: skip
POINT_WORDS = frozenset({"пункт", "point"})
HELP_WORDS = frozenset({"допомога", "довідка", "help", "?", "info", "інфо", "start", "старт"})
# An operator's whole message: the status it sets; "verify" is the one-tap "still current".
STATUS_WORDS: dict[str, str] = {
    "відкрито": "open", "відкрили": "open", "open": "open",
    "повно": "full", "заповнено": "full", "full": "full",
    "зачинено": "closed", "закрито": "closed", "closed": "closed", "close": "closed",
    "резерв": "standby", "чергування": "standby", "standby": "standby",
    "ок": "verify", "ok": "verify", "актуально": "verify", "current": "verify",
}  # fmt: skip
_POINT_ID = re.compile(POINT_ID_PATTERN)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Nearest:
    """The nearest really-open points with `services`, near `place` (what was typed: an
    address, a place or coordinates; empty when a location came with the message)."""

    services: tuple[str, ...]
    place: str


@dataclass(frozen=True)
class OnePoint:
    point_id: str


@dataclass(frozen=True)
class StatusUpdate:
    """An operator's "OPEN" / "OK": `status` is a Status value, or "verify" for still current;
    `point_id` when they named the point (an operator of several points must)."""

    status: str
    point_id: str | None = None


@dataclass(frozen=True)
class Help:
    pass


Question = Nearest | OnePoint | StatusUpdate | Help


def fold(word: str) -> str:
    """A word as the tables hold it: lower case, with every kind of apostrophe as "'"."""
    return word.lower().replace("’", "'").replace("ʼ", "'").replace("`", "'")


def language_of(text: str, default: str = "uk") -> str:
    """ "uk" for a message with Cyrillic letters, "en" for one with Latin letters only,
    `default` for one without letters ("50.45 30.52", "?")."""
    if _CYRILLIC.search(text):
        return "uk"
    return "en" if any(ch.isalpha() for ch in text) else default


def read(text: str, operator: bool = False) -> Question:
    """What the message asks (see the module's docstring). Status words are read as an update
    only from an `operator`: from anyone else "Open Street 5" is a place."""
    words = [word for word in _SPACES.sub(" ", text[:MAX_TEXT]).strip().split(" ") if word]
    first = _word(words[0]) if words else ""
    if not words or first in HELP_WORDS:
        return Help()
    if first in POINT_WORDS and len(words) == 2 and _POINT_ID.match(fold(words[1])):
        return OnePoint(fold(words[1]))
    if operator and first in STATUS_WORDS and len(words) <= 2:
        named = fold(words[1]) if len(words) == 2 else None
        if named is None or _POINT_ID.match(named):
            return StatusUpdate(STATUS_WORDS[first], named)
    services: list[str] = []
    while words and _word(words[0]) in SERVICE_WORDS:
        code = SERVICE_WORDS[_word(words.pop(0))]
        if code not in services:
            services.append(code)
    return Nearest(tuple(services), " ".join(words).strip(" ,.:;!"))


def _word(word: str) -> str:
    return fold(word).strip(",.:;!")
