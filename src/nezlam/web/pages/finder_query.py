"""What a resident typed into the finder, read the way they meant it (coordinates, with a decimal
comma or the wrong way round, are read in reading.typed_place, which the message channels share):
alternatives that are only a vaguer version of the match, and how many results to show.

Pure functions (the index is passed in), so the finder's handler stays a thin parse-and-render.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from nezlam.domain.transliteration import fold
from nezlam.geo.distance import haversine_m

RESULTS = 10  # cards on a results page at first; "show more" adds as many again
MAX_RESULTS = 50
SAME_PLACE_M = 1000.0


def distinct_alternatives(best: dict[str, Any], others: list[dict[str, Any]]) -> list[dict]:
    """The other gazetteer matches worth offering: not a vaguer or a more precise version of the
    chosen one at the same place ("вулиця Володимирська, Київ" beside "вулиця Володимирська,
    57, Київ"), and not the same label twice."""
    chosen = _words(best["label"])
    kept, seen = [], {best["label"]}
    for other in others:
        words = _words(other["label"])
        nested = words <= chosen or chosen <= words
        if (nested and _same_place(best, other)) or other["label"] in seen:
            continue
        seen.add(other["label"])
        kept.append(other)
    return kept


def _words(label: str) -> frozenset[str]:
    return frozenset(fold(label).split())


def _same_place(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """In the same town (or one is the town the other lies in), or within a kilometre."""
    if a.get("locality") and a.get("locality") in (b.get("locality"), b.get("name")):
        return True
    if b.get("locality") and b.get("locality") == a.get("name"):
        return True
    return float(haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])) <= SAME_PLACE_M


def results_wanted(params: QueryParams) -> int:
    """How many cards: `k` from the "show more" link, RESULTS at first, at most MAX_RESULTS."""
    try:
        asked = int(params.get("k", RESULTS))
    except ValueError:
        return RESULTS
    return max(RESULTS, min(MAX_RESULTS, asked))
