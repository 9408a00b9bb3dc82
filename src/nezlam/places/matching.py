"""How names and queries become comparable keys, and what a typed address query may mean.

A name's key is its folded form (see `transliteration.fold`) without words that only say what
kind of street it is ("вулиця", "просп.", "Street", "Strasse"), so that "вул. Хрещатик",
"вулиця Хрещатик" and "Khreshchatyk Street" share the key "khreshchatyk". German "…str." is
written out ("Zollstr." → "zollstrasse"). Names and queries go through the same functions, so
whatever is dropped is dropped on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from nezlam.domain.transliteration import fold, transliterate

# Folded forms. Ukrainian and Russian words arrive here transliterated (вулиця → vulytsia).
_STREET_WORDS = {
    # Ukrainian
    "vulytsia": "vulytsia",
    "vul": "vulytsia",
    "prospekt": "prospekt",
    "prosp": "prospekt",
    "pr": "prospekt",
    "provulok": "provulok",
    "prov": "provulok",
    "ploshcha": "ploshcha",
    "pl": "ploshcha",
    "bulvar": "bulvar",
    "bulv": "bulvar",
    "bul": "bulvar",
    "uzviz": "uzviz",
    "shose": "shose",
    "naberezhna": "naberezhna",
    "nab": "naberezhna",
    "tupyk": "tupyk",
    "proizd": "proizd",
    "aleia": "aleia",
    "maidan": "maidan",
    # Ukrainian and Russian words before a locality's name: м., смт, с.
    "m": "misto",
    "misto": "misto",
    "smt": "smt",
    "selyshche": "smt",
    "selo": "selo",
    "s": "selo",
    # Russian
    "ulytsa": "vulytsia",
    "ul": "vulytsia",
    "pereulok": "provulok",
    "per": "provulok",
    "ploshchad": "ploshcha",
    "shosse": "shose",
    "naberezhnaia": "naberezhna",
    # English
    "street": "street",
    "st": "street",
    "avenue": "avenue",
    "ave": "avenue",
    "road": "road",
    "rd": "road",
    "lane": "lane",
    "boulevard": "bulvar",
    "blvd": "bulvar",
    "square": "ploshcha",
    # German
    "strasse": "strasse",
    "str": "strasse",
    "gasse": "gasse",
    "weg": "weg",
    "platz": "ploshcha",
}
STREET_WORDS = frozenset(_STREET_WORDS)
"""Folded words that say what kind of street a name is, each with the kind it means."""
# Words before a house number: буд. (будинок), д. (дом), Nr., No.
HOUSE_MARKERS = frozenset(["bud", "budynok", "d", "dom", "nr", "no"])
_HOUSE_NUMBER = re.compile(r"^\d{1,5}[a-z]{0,2}(/\d{1,4}[a-z]?)?$")
_SINGLE_LETTER = re.compile(r"^[a-z]$")
_SPLIT = re.compile(r"[\s,;]+")


def _expand(word: str) -> str:
    # "Zollstr." is "Zollstrasse"; "str" alone is a street word and dropped.
    if len(word) > 4 and word.endswith("str"):
        return word + "asse"
    return word


@lru_cache(maxsize=1 << 16)
def name_keys(text: str) -> tuple[str, ...]:
    """The keys a name is found under: without street-type words, and (if different) in full."""
    words = [_expand(word) for word in fold(text).split()]
    if not words:
        return ()
    full = " ".join(words)
    kept = [word for word in words if word not in STREET_WORDS]
    short = " ".join(kept) if kept else full
    return (short,) if short == full else (short, full)


def match_key(text: str) -> str:
    """The one key a query's name part is looked up by."""
    keys = name_keys(text)
    return keys[0] if keys else ""


@lru_cache(maxsize=1 << 16)
def street_types(text: str) -> frozenset[str]:
    """The kinds of street a name or query says ("вул." and "вулиця" both say vulytsia)."""
    words = [_expand(word) for word in fold(text).split()]
    if len(words) < 2:
        return frozenset()
    return frozenset(_STREET_WORDS[word] for word in words if word in _STREET_WORDS)


@lru_cache(maxsize=1 << 12)
def house_key(number: str) -> str:
    """A house number as compared: "22-А", "22 а" and "22a" are "22a"; "12/1" stays."""
    latin = transliterate(number.lower()).lower()
    return re.sub(r"[^0-9a-z/]", "", latin)


def number_part(key: str) -> str:
    """The leading digits of a house key: "22a" → "22"."""
    match = re.match(r"\d+", key)
    return match.group(0) if match else ""


def is_house_number(token: str) -> bool:
    return bool(_HOUSE_NUMBER.match(house_key(token)))


@dataclass(frozen=True)
class Reading:
    """One way to understand a query: a name key, maybe a house number, maybe a locality."""

    name: str
    housenumber: str | None = None
    locality: str | None = None  # its match key
    types: frozenset[str] = frozenset()  # street types the query names (see `street_types`)


def _drop_marker(tokens: list[str]) -> list[str]:
    if tokens and fold(tokens[-1]) in HOUSE_MARKERS and len(tokens) > 1:
        return tokens[:-1]
    return tokens


def _reading(name_tokens: list[str], number: str | None, locality: str | None) -> Reading:
    text = " ".join(name_tokens)
    return Reading(match_key(text), number, locality, street_types(text))


def _number_readings(tokens: list[str], locality: str | None) -> list[Reading]:
    """The query as a name alone, and with a house number at its end or its start."""
    readings = []
    if len(tokens) >= 2 and is_house_number(tokens[-1]):
        readings.append(_reading(_drop_marker(tokens[:-1]), house_key(tokens[-1]), locality))
    if (
        len(tokens) >= 3
        and _SINGLE_LETTER.match(house_key(tokens[-1]))
        and house_key(tokens[-2]).isdigit()
    ):
        number = house_key(tokens[-2]) + house_key(tokens[-1])
        readings.append(_reading(_drop_marker(tokens[:-2]), number, locality))
    if len(tokens) >= 2 and is_house_number(tokens[0]):
        readings.append(_reading(tokens[1:], house_key(tokens[0]), locality))
    readings.append(_reading(tokens, None, locality))
    return [reading for reading in readings if reading.name]


def readings(text: str, is_locality: Callable[[str], bool] = lambda _key: False) -> list[Reading]:
    """Every plausible reading of a query, most specific first. A locality named at the start or
    the end ("Städtle 43, Vaduz", "Київ, Хрещатик 22") gives readings without it, hinted."""
    tokens = [token for token in _SPLIT.split(text.strip()) if token]
    found = _number_readings(tokens, None)
    for size in (1, 2, 3):
        if len(tokens) <= size:
            break
        for place, rest in ((tokens[-size:], tokens[:-size]), (tokens[:size], tokens[size:])):
            key = match_key(" ".join(place))
            if is_locality(key):
                found = _number_readings(rest, key) + found
    return found
