"""OpenStreetMap `opening_hours` evaluated in a point's own timezone.

Parsing is done by opening-hours-py (a maintained Rust implementation of the OSM specification);
this module adds validation messages for our API and a cache, since the same few strings repeat
across thousands of points, and `normalise`: hours as people in Ukraine write them ("Пн-Пт 9-18;
Сб 10-14; Нд вихідний", "цілодобово") turned into that syntax, or the mistake named.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The package raises ParserError for a bad expression; its stubs leave the class out.
from opening_hours import OpeningHours, ParserError, State  # type: ignore[attr-defined]

ALWAYS = "24/7"


class OpeningHoursError(ValueError):
    """What is wrong, in English for the API; `kind` and `piece` let a page say it in words in
    its own language: kind is "empty", "syntax", "hour" (piece "25"), "minute", "day" (piece
    "Пт-"), "time" (piece "9-") or "unclear" (piece: the word nobody could read)."""

    def __init__(self, message: str, kind: str = "syntax", piece: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.piece = piece


@lru_cache(maxsize=4096)
def parse(expression: str, timezone: str) -> OpeningHours:
    try:
        return OpeningHours(expression, timezone=ZoneInfo(timezone), country="UA")
    except ParserError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "cannot parse"
        raise OpeningHoursError(f"not a valid opening_hours expression: {first_line}") from exc


def validate(expression: str, timezone: str = "Europe/Kyiv") -> str:
    """The expression in OpenStreetMap syntax (normalised from a friendlier form, see
    `normalise`), or OpeningHoursError saying what is wrong."""
    text = normalise(expression)
    if not text:
        raise OpeningHoursError("must not be empty", kind="empty")
    parse(text, timezone)
    return text


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OpeningHoursError(f"unknown IANA timezone {name!r}") from exc
    return name


def is_open(expression: str | None, timezone: str, when: datetime) -> bool | None:
    """Open at `when` (aware) by the point's hours; None when the point publishes no hours."""
    if not expression:
        return None
    hours = parse(expression, timezone)
    local = when.astimezone(ZoneInfo(timezone))
    return bool(hours.is_open(local))


def next_change(expression: str | None, timezone: str, when: datetime) -> datetime | None:
    """The next moment the open/closed state changes, as an aware datetime, or None if never."""
    if not expression:
        return None
    hours = parse(expression, timezone)
    moment = hours.next_change(when.astimezone(ZoneInfo(timezone)))
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment


# (expression, timezone) -> (open?, valid from, valid until), as POSIX seconds: the same few
# expressions repeat across thousands of points, and their state holds until their next change.
_windows: dict[tuple[str, str], tuple[bool, float, float]] = {}


def window(
    expression: str | None, timezone: str, when: datetime, stamp: float | None = None
) -> tuple[bool | None, float]:
    """(open at `when`, POSIX time of the next change or inf): `is_open` and `next_change`
    together, cached per expression until that next change. `stamp` is `when` as POSIX seconds,
    if the caller has it already."""
    if not expression:
        return None, math.inf
    stamp = when.timestamp() if stamp is None else stamp
    key = (expression, timezone)
    cached = _windows.get(key)
    if cached is not None and cached[1] <= stamp < cached[2]:
        return cached[0], cached[2]
    state = bool(is_open(expression, timezone, when))
    change = next_change(expression, timezone, when)
    until = change.timestamp() if change is not None else math.inf
    if len(_windows) > 10_000:
        _windows.clear()
    _windows[key] = (state, stamp, until)
    return state, until


def intervals_for_day(
    expression: str | None, timezone: str, day: datetime
) -> list[tuple[str, str]]:
    """Open intervals ('08:00', '20:00') on the local calendar day containing `day`."""
    if not expression:
        return []
    tz = ZoneInfo(timezone)
    local = day.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    result = []
    for begin, finish, state, _comment in parse(expression, timezone).intervals(start, end):
        if state == State.OPEN:
            result.append(
                (begin.strftime("%H:%M"), "24:00" if finish >= end else finish.strftime("%H:%M"))
            )
    return result


OFFLINE_DAYS = 3  # how many days of open intervals a page carries for its offline copy


def open_intervals(
    expression: str | None, timezone: str, start: datetime, days: int = OFFLINE_DAYS
) -> list[tuple[datetime, datetime]] | None:
    """The open intervals from `start` for `days` days, as aware datetimes (None: no hours).
    A page kept offline re-reads them to say "closed now" when the hours say so."""
    if not expression:
        return None
    local = start.astimezone(ZoneInfo(timezone))  # the library wants the point's own zone
    end = local + timedelta(days=days)
    return [
        (begin, finish)
        for begin, finish, state, _comment in parse(expression, timezone).intervals(local, end)
        if state == State.OPEN
    ]


# --- Hours as people write them ---------------------------------------------------------------
# "Пн-Пт 9-18", "пн–пт 09:00–18:00; сб 10-14; нд вихідний", "щодня з 8 до 20, перерва 13-14",
# "цілодобово": read word by word into OpenStreetMap syntax, strictly (any word not understood is
# a mistake to name, never guessed at), so that a valid OSM expression that this reader does not
# know (PH, months, sunrise, comments) is kept as it was written.

_DAY_WORDS = {
    "Mo": "пн пон понеділок понеділка mo mon monday понедельник",
    "Tu": "вт вів вівт вівторок tu tue tues tuesday вторник",
    "We": "ср сер середа середу we wed wednesday среда",
    "Th": "чт чет четв четвер th thu thur thurs thursday четверг",
    "Fr": "пт птн п'ят п'ятниця п'ятницю fr fri friday пятница",
    "Sa": "сб суб субота суботу sa sat saturday суббота",
    "Su": "нд нед неділя неділю su sun sunday вс вск воскресенье",
}
DAY_WORDS = {word: code for code, words in _DAY_WORDS.items() for word in words.split()}
DAY_GROUPS = {"щодня": "Mo-Su", "щоденно": "Mo-Su", "daily": "Mo-Su", "ежедневно": "Mo-Su",
              "будні": "Mo-Fr", "weekdays": "Mo-Fr"}  # fmt: skip
WEEKEND = {"вихідні", "weekend", "weekends"}  # days when hours follow ("вихідні 10-14"), else off
OFF_WORDS = {"вихідний", "вихідні", "вихідна", "зачинено", "зачинені", "off", "closed", "выходной",
             "выходные"}  # fmt: skip
ALWAYS_WORDS = {"цілодобово", "круглодобово", "круглосуточно"}
BREAK_WORDS = {"перерва", "перерви", "обід", "break", "lunch", "перерыв", "обед"}
FILLER = {"з", "із", "зі", "від", "до", "на", "о", "день", "дні", "год", "години", "годин", "і",
          "та", "й", "from", "to", "and", "every", "day", "days", "с"}  # fmt: skip
_PHRASES = (  # several words that mean one thing, said as the one word
    (r"24\s*/\s*7", " цілодобово "),
    (r"\b24\s*(?:години|годин|год|h|hours?)\b\.?", " цілодобово "),
    (r"\bбез\s+вихідних\b", " щодня "),
    (r"\bне\s+працю\w*", " зачинено "),
    (r"\b(?:будні|робочі)\s+дні\b", " будні "),
    (r"(\d)\s*(?:год\.?|h)(?=\W|$)", r"\1"),
    (r"(\d)\s+(?:до|по|to|till|until)\s+(?=\d)", r"\1-"),
)
_TOKEN = re.compile(
    r"(?P<num>\d+(?:[:.]\d+)?)|(?P<word>[^\W\d_](?:[\w']*[^\W\d_])?)|(?P<dash>-)"
    r"|(?P<end>[;\n|])|(?P<soft>[,/.:])|(?P<other>\S)"
)


@dataclass
class _Token:
    kind: str  # num | word | dash | end | soft | other
    text: str  # as typed, for naming a mistake

    @property
    def key(self) -> str:
        return self.text.lower()


@dataclass
class _Rule:
    days: list[str] = field(default_factory=list)  # "Mo-Fr", "Sa"
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # minutes, as typed
    breaks: list[tuple[int, int, str]] = field(default_factory=list)
    off: bool = False
    always: bool = False
    days_text: str = ""

    @property
    def said_hours(self) -> bool:
        return bool(self.spans or self.off or self.always)


def normalise(expression: str) -> str:
    """OpenStreetMap `opening_hours` for hours as typed: "Пн-Пт 9-18" → "Mo-Fr 09:00-18:00",
    "цілодобово" → "24/7"; a valid OSM expression this reader does not follow is kept as it is.
    Raises OpeningHoursError naming the mistake (kind and piece: "hour" "25", "day" "Пт-")."""
    text = expression.strip()
    if not text:
        return ""
    try:
        friendly = from_words(text)
    except OpeningHoursError:
        if _parses(text):
            return text
        raise
    if _parses(friendly):
        return friendly
    if _parses(text):
        return text
    raise OpeningHoursError(f"not a valid opening_hours expression: {text!r}")


def _parses(expression: str) -> bool:
    try:
        parse(expression, "Europe/Kyiv")
    except OpeningHoursError:
        return False
    return True


def from_words(text: str) -> str:
    """The reading itself: rules of days and hours, separated by ";" or new lines."""
    for pattern, replacement in _PHRASES:
        text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    text = re.sub(r"[‐‑‒–—―−]", "-", re.sub(r"[’ʼ`]", "'", text))
    tokens = [_Token(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(text)]
    rules = [rule for rule in _read_rules(tokens) if rule.days or rule.said_hours]
    if not rules:
        raise OpeningHoursError("no hours given", kind="empty")
    if len(rules) == 1 and rules[0].always and not rules[0].days:
        return ALWAYS
    return "; ".join(_osm_rule(rule) for rule in rules)


def _read_rules(tokens: list[_Token]) -> list[_Rule]:
    rules, rule, is_break, i = [], _Rule(), False, 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "end":
            rules.append(rule)
            rule, is_break = _Rule(), False
        elif token.kind == "num":
            span, i = _time_span(tokens, i)
            (rule.breaks if is_break else rule.spans).append(span)
            is_break = False
            continue
        elif token.kind == "word" and _starts_days(tokens, i):
            if rule.said_hours:  # "пн-пт 9-18 сб 10-14": a new rule begins
                rules.append(rule)
                rule, is_break = _Rule(), False
            days, typed, i = _days(tokens, i)
            rule.days.append(days)
            rule.days_text = " ".join(filter(None, [rule.days_text, typed]))
            continue
        elif token.kind == "word":
            is_break = _word(rule, tokens, i) or is_break
        elif token.kind == "other":
            raise OpeningHoursError(f"cannot read {token.text!r}", "unclear", token.text)
        i += 1
    rules.append(rule)
    return rules


def _starts_days(tokens: list[_Token], i: int) -> bool:
    key = tokens[i].key
    if key in WEEKEND:  # "вихідні 10-14" are days; "нд вихідний", "сб-нд вихідні" are off
        following = _next(tokens, i)
        return following is not None and following.kind == "num"
    return key in DAY_WORDS or key in DAY_GROUPS


def _next(tokens: list[_Token], i: int) -> _Token | None:
    """The next token that says something (past ":" and "-" used as punctuation)."""
    for token in tokens[i + 1 :]:
        if token.kind not in ("soft", "dash"):
            return token
    return None


def _word(rule: _Rule, tokens: list[_Token], i: int) -> bool:
    """A word that is not a day: off, round the clock, a break, or filler. True for a break."""
    token = tokens[i]
    if token.key in OFF_WORDS:
        rule.off = True
    elif token.key in ALWAYS_WORDS:
        rule.always = True
    elif token.key in BREAK_WORDS:
        return True
    elif token.key not in FILLER:
        following = _next(tokens, i)
        day_like = len(token.text) <= 3 or (following is not None and following.kind == "num")
        kind = "day" if day_like and not rule.said_hours else "unclear"
        raise OpeningHoursError(f"cannot read {token.text!r}", kind, token.text)
    return False


def _days(tokens: list[_Token], i: int) -> tuple[str, str, int]:
    """One day, a range ("пн-пт") or a group ("щодня", "будні", "вихідні"): (OSM, as typed,
    next index)."""
    token = tokens[i]
    if token.key in DAY_GROUPS:
        return DAY_GROUPS[token.key], token.text, i + 1
    if token.key in WEEKEND:
        return "Sa-Su", token.text, i + 1
    first = DAY_WORDS[token.key]
    if i + 1 >= len(tokens) or tokens[i + 1].kind != "dash":
        return first, token.text, i + 1
    after = tokens[i + 2] if i + 2 < len(tokens) else None
    if after is not None and after.kind == "word" and after.key in DAY_WORDS:
        last = DAY_WORDS[after.key]
        days = first if first == last else f"{first}-{last}"
        return days, f"{token.text}-{after.text}", i + 3
    if after is not None and after.kind == "word" and after.key in OFF_WORDS | ALWAYS_WORDS:
        return first, token.text, i + 2  # "нд - вихідний": the dash is punctuation
    piece = f"{token.text}-" + (after.text if after is not None and after.kind == "word" else "")
    raise OpeningHoursError(f"unclear day {piece!r}", "day", piece)


def _time_span(tokens: list[_Token], i: int) -> tuple[tuple[int, int, str], int]:
    """ "9-18", "09:00-18:00", "9.00-13.30": (start, end in minutes, as typed), next index."""
    start = tokens[i]
    opens = _minutes(start.text)  # "25:00" alone is hour 25 first, a half range second
    dash = i + 1 < len(tokens) and tokens[i + 1].kind == "dash"
    if not dash or i + 2 >= len(tokens) or tokens[i + 2].kind != "num":
        piece = start.text + ("-" if dash else "")
        raise OpeningHoursError(f"unclear time {piece!r}", "time", piece)
    end = tokens[i + 2]
    typed = f"{start.text}-{end.text}"
    return (opens, _minutes(end.text), typed), i + 3


def _minutes(clock: str) -> int:
    hour_text, _sep, minute_text = clock.replace(".", ":").partition(":")
    hour = int(hour_text)
    if hour > 24:
        raise OpeningHoursError(f"hour {hour} does not exist", "hour", str(hour))
    if minute_text and len(minute_text) != 2:
        raise OpeningHoursError(f"unclear time {clock!r}", "time", clock)
    minute = int(minute_text or 0)
    if minute > 59:
        raise OpeningHoursError(f"minute {minute} does not exist", "minute", str(minute))
    if hour == 24 and minute:
        raise OpeningHoursError(f"unclear time {clock!r}", "time", clock)
    return hour * 60 + minute


def _osm_rule(rule: _Rule) -> str:
    days = ",".join(rule.days) or "Mo-Su"
    if rule.off and (rule.spans or rule.always):
        raise OpeningHoursError("both hours and 'off' for the same days", "unclear", days)
    if rule.off:
        return f"{days} off"
    if rule.always:
        return f"{days} 00:00-24:00"
    if not rule.spans:
        raise OpeningHoursError(f"no hours for {rule.days_text!r}", "no_hours", rule.days_text)
    spans = _without_breaks(rule.spans, rule.breaks)
    return f"{days} " + ",".join(f"{_clock(a)}-{_clock(b)}" for a, b in spans)


def _without_breaks(
    spans: list[tuple[int, int, str]], breaks: list[tuple[int, int, str]]
) -> list[tuple[int, int]]:
    """ "9-18, перерва 13-14" is 09:00-13:00,14:00-18:00."""
    result = [(a, b) for a, b, _typed in spans]
    for start, end, typed in breaks:
        inside = [(a, b) for a, b in result if a < start < end < b]
        if not inside:
            raise OpeningHoursError(f"the break {typed!r} is outside the hours", "break", typed)
        a, b = inside[0]
        at = result.index((a, b))
        result[at : at + 1] = [(a, start), (end, b)]
    return result


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
