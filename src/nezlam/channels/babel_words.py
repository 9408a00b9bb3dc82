"""Babel's words for an age or a number, made once: each takes tens of microseconds, an answer
in a chat has a dozen, and in a rush the same few ages and distances recur."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from babel.dates import format_timedelta
from babel.numbers import format_decimal


def seconds_ago(seconds: int, lang: str) -> str:
    """ "12 хвилин тому", "12 minutes ago". Worded once for each span Babel words alike
    (every age from 11.5 to 12.5 minutes is "12 minutes ago"), not once a second."""
    key = (*ago_span(seconds), seconds <= 0, lang)  # Babel words 0 s, or less, as to come
    said = _AGO.get(key)
    if said is None:
        if len(_AGO) >= 4096:
            _AGO.clear()
        said = _AGO[key] = format_timedelta(
            -timedelta(seconds=seconds), locale=lang, threshold=AGO_THRESHOLD, add_direction=True
        )
    return said


_AGO: dict[tuple[int, int, bool, str], str] = {}
AGO_THRESHOLD = 1.1
# Babel's units (babel.dates.TIMEDELTA_UNITS), largest first, in seconds.
AGO_UNITS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def ago_span(seconds: int) -> tuple[int, int]:
    """(unit, count) as `format_timedelta` picks them: the largest unit of which there are at
    least AGO_THRESHOLD, rounded to a whole count (at least 1)."""
    for unit in AGO_UNITS:
        value = abs(seconds) / unit
        if value >= AGO_THRESHOLD:
            return unit, max(1, round(value))
    return 1, max(1, round(abs(seconds))) if seconds else 0


@lru_cache(maxsize=4096)
def number(value: float, lang: str) -> str:
    """ "1,2" in Ukrainian, "1.2" in English."""
    return format_decimal(value, locale=lang)
