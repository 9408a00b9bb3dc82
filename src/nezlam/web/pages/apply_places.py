"""Where an applied point is: from its address, through the gazetteer, when no coordinates were
typed — nobody opening a yurt should have to long-press a map to read off latitude and
longitude.

An address that the gazetteer finds is not taken on trust: the form comes back with the place
it found and its coordinates filled in, for the applicant to confirm by sending it again (or to
correct). Each point remembers which address its coordinates were found for (`p1_located`), so
an address changed afterwards is looked up again rather than keeping the old position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nezlam.web.plumbing.state import AppState

# What may stand for a building's position: an address, or at worst the street (its middle).
USABLE_KINDS = ("address", "street")


@dataclass
class Located:
    """What looking up the points' addresses gave: places found, for the applicant to confirm
    (by form field prefix "p1"), and addresses not found, as errors by field."""

    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def address_key(point: dict[str, Any]) -> str:
    """The address as typed, which found coordinates belong to."""
    return f"{point['address']}|{point['locality']}".strip()


def needs_lookup(point: dict[str, Any]) -> bool:
    """No coordinates typed, or coordinates found for another address than the one now given."""
    if not point["address"]:
        return False
    if not (point["lat"] and point["lon"]):
        return True
    return bool(point.get("located")) and point["located"] != address_key(point)


def best_place(state: AppState, point: dict[str, Any]) -> dict[str, Any] | None:
    """The gazetteer's best address (or street) for the point's address in its locality."""
    try:
        from nezlam.places import search as gazetteer
    except ImportError:  # no gazetteer built into this installation
        return None
    for query in (f"{point['address']}, {point['locality']}", point["address"]):
        hits = gazetteer.search_places(state.db, query, limit=3)
        usable = [hit for hit in hits if hit["kind"] in USABLE_KINDS]
        if usable:
            return usable[0]
    return None


def locate_points(state: AppState, values: dict[str, Any], numbers: list[int], _: Any) -> Located:
    """Fill in the coordinates of each point (of `numbers`) that gave an address but none, or an
    address changed since; say what was found, or that nothing was."""
    located = Located()
    for n in numbers:
        point = values[f"p{n}"]
        if not needs_lookup(point):
            continue
        place = best_place(state, point)
        if place is None:
            located.errors[f"p{n}_address"] = _(
                "We could not find this address. Check the street and the number, or give the "
                "coordinates below."
            )
            point["lat"] = point["lon"] = point["located"] = ""
            continue
        point["lat"], point["lon"] = f"{place['lat']:.6f}", f"{place['lon']:.6f}"
        point["located"] = address_key(point)
        located.found[f"p{n}"] = {
            "label": place["label"],
            "street_only": place["kind"] == "street",
            "lat": point["lat"],
            "lon": point["lon"],
        }
    return located
