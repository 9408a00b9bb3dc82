"""What leaves the server about a point. The one place that hides a protected point's address.

A `PointView` is an immutable snapshot of a point row; `public_properties` renders it for
anyone, `private_properties` adds what only its operators and coordinators may see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from nezlam.domain import opening_hours
from nezlam.domain.freshness import shown_status
from nezlam.domain.vocabulary import ITEM_SERVICES, ShownStatus, Visibility
from nezlam.domain.walk_estimate import distance_facts
from nezlam.geo.distance import coarse_position

DEFAULT_LANGUAGE = "uk"


@dataclass(frozen=True, slots=True)
class PointView:
    id: str
    name: dict[str, str]
    category: str
    kind: str
    anchor: bool
    organisation_id: int | None
    organisation: str | None
    phone: str | None
    lat: float
    lon: float
    address: str | None
    locality: str
    region: str
    timezone: str
    visibility: str
    services: tuple[str, ...]
    capacity: int | None
    opening_hours: str | None
    notes: dict[str, str] | None
    demo: bool
    status: str | None
    power: str | None
    heating: bool | None
    internet: bool | None
    occupancy: int | None
    fuel_litres: float | None
    updated_at: datetime | None
    verified_at: datetime | None
    flagged_at: datetime | None
    edited_at: datetime | None
    change_seq: int
    external_id: str | None = None
    faults: dict[str, Any] | None = None  # checklist item -> {since, by, note}: see inspections
    _static: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def protected(self) -> bool:
        return self.visibility == Visibility.LOCALITY_ONLY

    @property
    def out_of_order(self) -> frozenset[str]:
        """Services an inspection found not working: shown so, and matching no filter."""
        return frozenset(s for item in self.faults or () for s in ITEM_SERVICES.get(item, ()))

    @property
    def working_services(self) -> tuple[str, ...]:
        broken = self.out_of_order
        return tuple(s for s in self.services if s not in broken) if broken else self.services

    @property
    def public_position(self) -> tuple[float, float]:
        """(lat, lon) the public may learn: exact, or the grid cell of a protected point."""
        return coarse_position(self.lat, self.lon) if self.protected else (self.lat, self.lon)

    @classmethod
    def from_row(cls, row: Any, organisation: str | None) -> PointView:
        return cls(
            **{name: getattr(row, name) for name in VIEW_COLUMNS},
            services=tuple(row.services or ()),
            organisation=organisation,
        )


VIEW_COLUMNS = (
    "id", "name", "category", "kind", "anchor", "organisation_id", "phone", "lat", "lon",
    "address", "locality", "region", "timezone", "visibility", "capacity", "opening_hours",
    "notes", "demo", "status", "power", "heating", "internet", "occupancy", "fuel_litres",
    "updated_at", "verified_at", "flagged_at", "edited_at", "change_seq", "external_id",
    "faults",
)  # fmt: skip


def pick_name(names: dict[str, str], lang: str) -> str:
    return names.get(lang) or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()))


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def static_properties(view: PointView, lang: str) -> dict[str, Any]:
    """The parts that change only when the point is edited; cached on the view per language."""
    cached = view._static.get(lang)
    if cached is not None:
        return cached
    props = {
        "id": view.id,
        "name": pick_name(view.name, lang),
        "names": view.name,
        "category": view.category,
        "kind": view.kind,
        "anchor": view.anchor,
        "organisation": view.organisation,
        "phone": view.phone,
        "address": None if view.protected else view.address,
        "locality": view.locality,
        "region": view.region,
        "location_precision": "locality" if view.protected else "exact",
        "timezone": view.timezone,
        "services": list(view.services),
        "capacity": view.capacity,
        "opening_hours": view.opening_hours,
        "notes": (view.notes or {}).get(lang) or (view.notes or {}).get(DEFAULT_LANGUAGE),
        "faults": public_faults(view),
        "demo": view.demo,
    }
    view._static[lang] = props
    return props


def public_faults(view: PointView) -> list[dict[str, Any]]:
    """What an inspection found not working, for everyone: the item, the services it puts out of
    order, when, and who checked (a name only if the inspector chose to show one)."""
    return [
        {
            "item": item,
            "services": list(ITEM_SERVICES.get(item, ())),
            "since": fault.get("since", "").replace("+00:00", "Z") or None,
            "checked_by": fault.get("by"),
        }
        for item, fault in sorted((view.faults or {}).items())
    ]


def open_now(view: PointView, now: datetime) -> bool | None:
    return opening_hours.window(view.opening_hours, view.timezone, now)[0]


def next_hours_change(view: PointView, now: datetime) -> datetime | None:
    """When the point next opens or closes by its hours (None: no hours, or never)."""
    until = opening_hours.window(view.opening_hours, view.timezone, now)[1]
    return None if math.isinf(until) else datetime.fromtimestamp(until, UTC)


def public_properties(
    view: PointView,
    *,
    now: datetime,
    stale_after: timedelta,
    no_response_after: timedelta,
    lang: str = DEFAULT_LANGUAGE,
    shown: ShownStatus | None = None,
    distance_m: float | None = None,
    walking_m: float | None = None,
    is_open: bool | None = None,
    compute_open: bool = True,
) -> dict[str, Any]:
    if shown is None:
        shown = shown_status(
            view.status, view.updated_at, view.verified_at, now, stale_after, no_response_after
        )
    props = dict(static_properties(view, lang))
    props.update(
        live_properties(
            view,
            shown,
            is_open if not compute_open else open_now(view, now),
            distance_m,
            walking_m,
            next_change=next_hours_change(view, now),
        )
    )
    return props


def live_properties(
    view: PointView,
    shown: ShownStatus,
    is_open: bool | None,
    distance_m: float | None,
    walking_m: float | None = None,
    next_change: datetime | None = None,
) -> dict[str, Any]:
    """The part that changes with reports, time and the asker's position. `open_now` is by the
    published hours and `next_change` when they next open or close the point: an "open" report
    outside the hours is not open now."""
    updated, verified = _times(view)
    live = {
        "status": shown.value,
        "reported_status": view.status,
        "power": view.power,
        "heating": view.heating,
        "internet": view.internet,
        "occupancy": view.occupancy,
        "updated_at": updated,
        "verified_at": verified,
        "flagged": view.flagged_at is not None,
        "open_now": is_open,
        "next_change": iso(next_change),
    }
    if distance_m is not None:
        live["distance_m"] = round(distance_m, -3) if view.protected else round(distance_m)
    if walking_m is not None:  # on the streets, to where the point's public position meets them
        live["walking_m"] = round(walking_m, -2) if view.protected else round(walking_m)
    if distance_m is not None:  # measured on the streets or not; more than an hour's walk or not
        live.update(distance_facts(live["distance_m"], live.get("walking_m")))
    return live


def _times(view: PointView) -> tuple[str | None, str | None]:
    """ISO texts of the view's report times, formatted once per view (views are immutable)."""
    cached = view._static.get("times")
    if cached is None:
        cached = view._static["times"] = (iso(view.updated_at), iso(view.verified_at))
    return cached


def feature_json(
    view: PointView,
    lang: str,
    shown: ShownStatus,
    is_open: bool | None,
    distance_m: float | None,
    walking_m: float | None = None,
    next_change: datetime | None = None,
) -> bytes:
    """`feature(view, public_properties(...))` serialised, byte for byte the same JSON, with the
    unchanging part serialised once per view and language: the hot path's renderer."""
    key = ("json", lang)
    head = view._static.get(key)
    if head is None:
        geometry = (
            b"null"
            if view.protected
            else orjson.dumps({"type": "Point", "coordinates": [view.lon, view.lat]})
        )
        head = view._static[key] = (
            b'{"type":"Feature","id":'
            + orjson.dumps(view.id)
            + b',"geometry":'
            + geometry
            + b',"properties":'
            + orjson.dumps(static_properties(view, lang))[:-1]
            + b","
        )
    live = orjson.dumps(
        live_properties(view, shown, is_open, distance_m, walking_m, next_change=next_change)
    )
    return head + live[1:] + b"}"


def private_properties(view: PointView) -> dict[str, Any]:
    """Added for the point's operators, its coordinators and admins."""
    return {
        "address": view.address,
        "lat": view.lat,
        "lon": view.lon,
        "visibility": view.visibility,
        "fuel_litres": view.fuel_litres,
        "flagged_at": iso(view.flagged_at),
        "external_id": view.external_id,
        "fault_notes": {item: f.get("note") for item, f in (view.faults or {}).items()},
        "location_precision": "exact",
    }


def feature(
    view: PointView, properties: dict[str, Any], *, privileged: bool = False
) -> dict[str, Any]:
    """An RFC 7946 Feature; a protected point has no geometry for the public."""
    if privileged:
        properties = {**properties, **private_properties(view)}
        geometry: dict[str, Any] | None = {"type": "Point", "coordinates": [view.lon, view.lat]}
    elif view.protected:
        geometry = None
    else:
        geometry = {"type": "Point", "coordinates": [view.lon, view.lat]}
    return {"type": "Feature", "id": view.id, "geometry": geometry, "properties": properties}


Hit = tuple[int, float, int, bool | None]
"""An index answer: (row in the snapshot, metres, shown-status code, open now by hours)."""

SHOWN_BY_CODE = list(ShownStatus)


def render_hits(
    views: list[PointView],
    hits: list[Hit],
    *,
    now: datetime,
    stale_after: timedelta,
    no_response_after: timedelta,
    lang: str,
    with_distance: bool,
    walking: dict[int, float] | None = None,
) -> list[dict[str, Any]]:
    """Public Features for index answers, in their order; `walking` holds walking metres by
    row when the answer was measured on the streets."""
    walking = walking or {}
    out = []
    for row, metres, shown, is_open in hits:
        view = views[row]
        props = public_properties(
            view,
            now=now,
            stale_after=stale_after,
            no_response_after=no_response_after,
            lang=lang,
            shown=SHOWN_BY_CODE[shown],
            distance_m=metres if with_distance else None,
            walking_m=walking.get(row),
            is_open=is_open,
            compute_open=False,
        )
        props["next_change"] = iso(next_hours_change(view, now))
        out.append(feature(view, props))
    return out


def render_hits_json(
    views: list[PointView],
    hits: list[Hit],
    lang: str,
    with_distance: bool,
    walking: dict[int, float] | None = None,
    *,
    now: datetime,
) -> list[bytes]:
    """`render_hits`, serialised: one JSON Feature per hit."""
    walking = walking or {}
    return [
        feature_json(
            views[row],
            lang,
            SHOWN_BY_CODE[shown],
            is_open,
            metres if with_distance else None,
            walking.get(row),
            next_change=next_hours_change(views[row], now),
        )
        for row, metres, shown, is_open in hits
    ]
