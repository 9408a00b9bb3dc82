"""Address search in memory: every name key of the gazetteer, matched exactly, by prefix and
fuzzily, then joined with house numbers and ranked.

Scores run to 100. A name match is worth (best first): the exact key 98; a prefix of the key
86–92 (more for a longer part of it); a prefix of a later word 80–86; the same skeleton (a
transliteration variant, see `transliteration.skeleton`) 90; a skeleton prefix 76–82; a fuzzy
match (rapidfuzz ratio of skeletons) 0.86 × ratio, or 0.80 × ratio against a name's beginning.
On top: up to 2 for the kind (a city before a hamlet, a place before a street of the same name),
1.5 more or less when the query says the kind of street ("вул.", "провулок") and the name does;
with a house number asked for, the address scores its street's match, a house number with the
same digits 4 less, the street itself 12 less. A locality named in the query adds 3 to what lies
in it; a position to search near takes away 4 × log10(1 + km), at most 10.

Matching works on the distinct keys (streets, places), not on every address: a city of 100,000
addresses has a few thousand keys, so a search takes milliseconds.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from nezlam.domain.transliteration import skeleton
from nezlam.geo.distance import haversine_m
from nezlam.places.matching import (
    Reading,
    house_key,
    match_key,
    name_keys,
    number_part,
    readings,
    street_types,
)
from nezlam.places.records import PlaceKind, PlaceRecord, public

EXACT = 98.0
SKELETON_EXACT = 90.0
CANDIDATE_KEYS = 80  # best-matching keys whose entries are looked at
PREFIX_SCAN = 400  # entries read per prefix look-up
KIND_BONUS = {"city": 2.0, "town": 1.6, "village": 1.2, "borough": 0.8, "suburb": 0.8}
PLACE_BONUS = 0.4  # hamlets, squares, localities...
STREET_BONUS = 0.3
NUMBER_ONLY_PENALTY = 4.0
STREET_INSTEAD_PENALTY = 12.0
LOCALITY_BONUS = 3.0
TYPE_BONUS = 1.5  # "вул. Шевченка" prefers вулиця Шевченка to площа Шевченка
NEAREST_M = 300.0  # a poster says "near вулиця Володимирська, 57" only when it really is
SUGGEST_CUTOFF = 55.0  # a weak likeness is still worth offering when nothing matched


@dataclass(frozen=True)
class Hit:
    record: PlaceRecord
    score: float

    def public(self) -> dict[str, Any]:
        return public(self.record, self.score)


def all_names(record: PlaceRecord) -> Iterator[str]:
    if record.name:
        yield record.name
    for key, value in record.names.items():
        yield from (part.strip() for part in value.split(";")) if key == "alt_name" else (value,)


def _bonus(record: PlaceRecord) -> float:
    if record.kind is PlaceKind.PLACE:
        return KIND_BONUS.get(record.place_type or "", PLACE_BONUS)
    return STREET_BONUS if record.kind is PlaceKind.STREET else 0.0


def _virtual_streets(records: list[PlaceRecord]) -> list[PlaceRecord]:
    """A street entry for each street that addresses name but no street entry does (addr:place,
    streets outside the extract, addresses written directly): at its most central address."""

    def identity(name: str, locality: str | None) -> tuple[str, frozenset[str], str | None]:
        return match_key(name), street_types(name), locality

    known = {
        identity(name, record.locality)
        for record in records
        if record.kind is PlaceKind.STREET
        for name in all_names(record)
    }
    groups: dict[tuple[str, str | None], list[PlaceRecord]] = defaultdict(list)
    for record in records:
        if (
            record.kind is PlaceKind.ADDRESS
            and record.street
            and identity(record.street, record.locality) not in known
        ):
            groups[(record.street, record.locality)].append(record)
    streets = []
    for (street, locality), houses in groups.items():
        lat = sum(h.lat for h in houses) / len(houses)
        lon = sum(h.lon for h in houses) / len(houses)
        central = min(houses, key=lambda h: (h.lat - lat) ** 2 + (h.lon - lon) ** 2)
        streets.append(
            PlaceRecord(PlaceKind.STREET, central.lat, central.lon, name=street, locality=locality)
        )
    return streets


class GazetteerIndex:
    """An immutable search structure over records (build a new one when they change)."""

    def __init__(self, records: Iterable[PlaceRecord]) -> None:
        self.records = list(records)
        self.records.extend(_virtual_streets(self.records))
        self.key_ids: dict[str, int] = {}
        self.targets: list[list[int]] = []  # per key: streets, places, named addresses
        self.houses: list[dict[str, list[int]]] = []  # per key: house key → addresses
        # per key: digits → the house keys that are more than digits ("22" → ["22a", "22/1"])
        self.house_variants: list[dict[str, list[str]]] = []
        for index, record in enumerate(self.records):
            self._file(index, record)
        self.keys = list(self.key_ids)
        self.skeletons = [skeleton(key) for key in self.keys]
        self.skeleton_ids: dict[str, list[int]] = defaultdict(list)
        for kid, skel in enumerate(self.skeletons):
            self.skeleton_ids[skel].append(kid)
        self._sorted, self._sorted_ids = self._sorted_with_ids(
            (key, kid) for kid, key in enumerate(self.keys)
        )
        self._words, self._word_ids = self._sorted_with_ids(self._word_starts(self.keys, False))
        self._skel_words, self._skel_word_ids = self._sorted_with_ids(
            self._word_starts(self.skeletons, True)
        )
        self._truncated: dict[int, list[str]] = {}
        self.lat = np.array([r.lat for r in self.records], dtype=np.float64)
        self.lon = np.array([r.lon for r in self.records], dtype=np.float64)
        self.bonus = [_bonus(r) for r in self.records]
        self.types = [
            street_types((r.street if r.kind is PlaceKind.ADDRESS else r.name) or "")
            for r in self.records
        ]
        self.locality_of = [match_key(r.locality) if r.locality else "" for r in self.records]
        self.localities = set(self.locality_of) - {""}
        self.localities.update(
            match_key(r.name or "")
            for r in self.records
            if r.kind is PlaceKind.PLACE and r.place_type in KIND_BONUS
        )

    def _file(self, index: int, record: PlaceRecord) -> None:
        """File the record at `index` under its keys: an address under its street's key and
        house number, a street, place or named address under every key of every name."""
        if record.kind is PlaceKind.ADDRESS and record.street:
            number = house_key(record.housenumber or "")
            # Under the street's main key only: queries are looked up by that form.
            kid = self._key_id(match_key(record.street))
            houses = self.houses[kid]
            if number not in houses:
                houses[number] = []
                digits = number_part(number)
                if digits != number:
                    self.house_variants[kid].setdefault(digits, []).append(number)
            houses[number].append(index)
        if record.kind is not PlaceKind.ADDRESS or record.name:
            for key in {key for name in all_names(record) for key in name_keys(name)}:
                self.targets[self._key_id(key)].append(index)

    def _key_id(self, key: str) -> int:
        kid = self.key_ids.get(key)
        if kid is None:
            kid = self.key_ids[key] = len(self.targets)
            self.targets.append([])
            self.houses.append({})
            self.house_variants.append({})
        return kid

    @staticmethod
    def _word_starts(texts: list[str], with_first: bool) -> Iterator[tuple[str, int]]:
        for kid, text in enumerate(texts):
            if with_first:
                yield text, kid
            at = text.find(" ")
            while at >= 0:
                yield text[at + 1 :], kid
                at = text.find(" ", at + 1)

    @staticmethod
    def _sorted_with_ids(pairs: Iterable[tuple[str, int]]) -> tuple[list[str], list[int]]:
        ordered = sorted(pairs)
        return [text for text, _ in ordered], [kid for _, kid in ordered]

    @staticmethod
    def _prefixed(texts: list[str], ids: list[int], prefix: str) -> Iterator[tuple[int, str]]:
        at = bisect_left(texts, prefix)
        for position in range(at, min(at + PREFIX_SCAN, len(texts))):
            if not texts[position].startswith(prefix):
                break
            yield ids[position], texts[position]

    def _truncated_skeletons(self, length: int) -> list[str]:
        if length not in self._truncated:
            self._truncated[length] = [text[:length] for text in self._skel_words]
        return self._truncated[length]

    def name_scores(self, query: str) -> dict[int, float]:
        """{key id: how well the key matches the query's name part (a match key)}."""
        scores: dict[int, float] = {}

        def put(kid: int, score: float) -> None:
            if score > scores.get(kid, 0.0):
                scores[kid] = score

        if query in self.key_ids:
            put(self.key_ids[query], EXACT)
        for kid, text in self._prefixed(self._sorted, self._sorted_ids, query):
            put(kid, 86.0 + 6.0 * len(query) / len(text))
        for kid, text in self._prefixed(self._words, self._word_ids, query):
            put(kid, 80.0 + 6.0 * len(query) / len(text))
        skel = skeleton(query)
        for kid in self.skeleton_ids.get(skel, ()):
            put(kid, SKELETON_EXACT)
        for kid, text in self._prefixed(self._skel_words, self._skel_word_ids, skel):
            put(kid, 76.0 + 6.0 * len(skel) / len(text))
        if len(skel) >= 4 and self.keys:
            self._fuzzy(skel, put)
        return scores

    def _fuzzy(self, skel: str, put: Any) -> None:
        cutoff = 75 if len(skel) <= 5 else 70
        whole = process.cdist([skel], self.skeletons, scorer=fuzz.ratio, score_cutoff=cutoff)[0]
        for kid in np.flatnonzero(whole):
            put(int(kid), 0.86 * float(whole[kid]))
        for length in (len(skel), len(skel) + 1):
            starts = process.cdist(
                [skel], self._truncated_skeletons(length), scorer=fuzz.ratio, score_cutoff=cutoff
            )[0]
            for position in np.flatnonzero(starts):
                put(self._skel_word_ids[position], 0.80 * float(starts[position]))

    def _hits_of(self, reading: Reading, scores: dict[int, float]) -> dict[int, float]:
        best = sorted(scores.items(), key=lambda item: -item[1])[:CANDIDATE_KEYS]
        found: dict[int, float] = {}

        def add(index: int, score: float) -> None:
            if reading.locality:
                same = self.locality_of[index] == reading.locality
                score += LOCALITY_BONUS if same else -LOCALITY_BONUS
            if reading.types and self.types[index]:
                score += TYPE_BONUS if reading.types & self.types[index] else -TYPE_BONUS
            if score > found.get(index, -1.0):
                found[index] = score

        wanted = reading.housenumber
        for kid, score in best:
            if wanted is None:
                for index in self.targets[kid]:
                    add(index, score + self.bonus[index])
                continue
            houses = self.houses[kid]
            for index in houses.get(wanted, ()):
                add(index, score)
            digits = number_part(wanted)
            for number in (digits, *self.house_variants[kid].get(digits, ())):
                if number != wanted:
                    for index in houses.get(number, ()):
                        add(index, score - NUMBER_ONLY_PENALTY)
            for index in self.targets[kid]:
                if self.records[index].kind is not PlaceKind.ADDRESS:
                    add(index, score - STREET_INSTEAD_PENALTY + self.bonus[index])
        return found

    def search(
        self, query: str, limit: int = 10, near: tuple[float, float] | None = None
    ) -> list[Hit]:
        """The best `limit` entries for a typed query; `near` is (lat, lon) in degrees."""
        found: dict[int, float] = {}
        scored: dict[str, dict[int, float]] = {}
        for reading in readings(query, self.localities.__contains__):
            if reading.name not in scored:
                scored[reading.name] = self.name_scores(reading.name)
            for index, score in self._hits_of(reading, scored[reading.name]).items():
                if score > found.get(index, -1.0):
                    found[index] = score
        if not found:
            # "парк Шевченка, вул. Володимирська, 57": a landmark before the address. Without
            # a match for the whole, the rest after the first comma may be one.
            rest = query.split(",", 1)[1] if "," in query else ""
            return self.search(rest, limit, near) if any(c.isalpha() for c in rest) else []
        indices = np.fromiter(found, dtype=np.int64, count=len(found))
        scores = np.fromiter(found.values(), dtype=np.float64, count=len(found))
        if near is not None:
            km = haversine_m(near[0], near[1], self.lat[indices], self.lon[indices]) / 1000.0
            scores = scores - np.minimum(10.0, 4.0 * np.log10(1.0 + km))
        return self._top(indices, scores, limit)

    def nearest(self, lat: float, lon: float, max_m: float = NEAREST_M) -> Hit | None:
        """What to call a position (degrees): the nearest address within `max_m` metres, else
        the nearest street or named place within it; None when nothing is that near. The
        score is the distance in metres."""
        if not self.records:
            return None
        metres = haversine_m(lat, lon, self.lat, self.lon)
        addresses = np.array([r.kind is PlaceKind.ADDRESS for r in self.records])
        for wanted in (addresses, ~addresses):
            inside = np.flatnonzero(wanted & (metres <= max_m))
            if inside.size:
                best = int(inside[np.argmin(metres[inside])])
                return Hit(self.records[best], float(metres[best]))
        return None

    def suggest(self, query: str, limit: int = 3) -> list[Hit]:
        """Streets and places whose names look most like the query's name part, however weakly
        (rapidfuzz ratio of skeletons ≥ SUGGEST_CUTOFF): what to offer when `search` finds
        nothing, so that a resident is never left at a dead end."""
        found: dict[int, float] = {}
        for name in {reading.name for reading in readings(query)}:
            skel = skeleton(name)
            if len(skel) < 3 or not self.keys:
                continue
            matches = process.extract(
                skel, self.skeletons, scorer=fuzz.ratio, limit=20, score_cutoff=SUGGEST_CUTOFF
            )
            for _choice, score, kid in matches:
                for index in self.targets[kid]:
                    if self.records[index].kind is not PlaceKind.ADDRESS:
                        found[index] = max(found.get(index, 0.0), score + self.bonus[index])
        if not found:
            return []
        indices = np.fromiter(found, dtype=np.int64, count=len(found))
        scores = np.fromiter(found.values(), dtype=np.float64, count=len(found))
        return self._top(indices, scores, limit)

    def _top(self, indices: np.ndarray, scores: np.ndarray, limit: int) -> list[Hit]:
        order = np.lexsort((indices, -scores))
        hits: list[Hit] = []
        shown: set[tuple[str | None, ...]] = set()
        for position in order:
            record = self.records[int(indices[position])]
            # An address tagged on a building and on its entrance is one address to a resident.
            seen = (record.kind, record.name, record.street, record.housenumber, record.locality)
            if seen in shown:
                continue
            shown.add(seen)
            hits.append(Hit(record, max(0.0, min(100.0, float(scores[position])))))
            if len(hits) >= limit:
                break
        return hits
