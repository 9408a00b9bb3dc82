"""`PointPublic`: exactly what the public may see of one point, for one asker at one moment.

Every public answer is made of these: the nearest answer and its fast path, the listings and
feeds, the finder's cards and point pages, the poster, the command-line export. One is built
from a point snapshot (`domain.point_view.PointView`) and what the asker brings — the language
they read, the moment they ask and, in a nearest answer, how far the point is from them — and
decides, once:

- what hides a protected point (`reading.protection`): no address, no position, distances
  rounded;
- the status shown after the freshness rule (`domain.freshness`; the index has it already for
  its hits);
- open now and the next change by the published hours (an "open" report outside them is not
  open now);
- the faults an inspection found (their services are shown as not working);
- whether the distance was walked on the streets or is a straight line, and whether the walk,
  measured or estimated, is longer than an hour's (`domain.walk_estimate`).

The part a snapshot fixes (`PublicDetails`) is built once per snapshot and language and kept
on the snapshot, as are its serialised forms (`reading.features`): a nearest answer then costs
little more than its live part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from nezlam.domain import opening_hours
from nezlam.domain.device_snapshot import DeviceSnapshot
from nezlam.domain.freshness import shown_status
from nezlam.domain.outage_timeline import runs_on_generator
from nezlam.domain.point_view import DEFAULT_LANGUAGE, PointView, pick_name
from nezlam.domain.vocabulary import ITEM_SERVICES, ShownStatus
from nezlam.domain.walk_estimate import distance_facts
from nezlam.reading import protection


@dataclass(frozen=True, slots=True)
class Asker:
    """Whom a public answer is for: the language they read (uk, en), the moment they ask and,
    for a nearest answer, where they stand ((lat, lon) in degrees WGS84)."""

    lang: str
    now: datetime
    position: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class PublicFault:
    """What an inspection found not working, as everyone may read it."""

    item: str  # the checklist item
    services: tuple[str, ...]  # the services it puts out of order
    since: str | None  # when it was found, ISO 8601 UTC
    checked_by: str | None  # a name only if the inspector chose to show one


@dataclass(frozen=True, slots=True)
class PublicDetails:
    """The part of a point's public view that one snapshot of it fixes, in one language."""

    id: str
    name: str  # in the asker's language, else Ukrainian
    names: dict[str, str]
    category: str
    kind: str
    anchor: bool
    organisation: str | None
    phone: str | None
    address: str | None  # None for a protected point
    locality: str
    region: str
    location_precision: str  # "exact", or "locality" for a protected point
    timezone: str
    services: tuple[str, ...]  # all it offers; `faults` says which are not working
    capacity: int | None
    opening_hours: str | None
    notes: str | None
    faults: tuple[PublicFault, ...]
    demo: bool
    position: tuple[float, float] | None  # (lat, lon) degrees WGS84; None for a protected point
    reported_status: str | None  # as last reported, before the freshness rule
    power: str | None
    heating: bool | None
    internet: bool | None
    occupancy: int | None
    updated_at: datetime | None
    verified_at: datetime | None
    flagged: bool  # visitors recently said something is wrong
    # Whose outage schedule its power follows (issue 12), and whether it has a generator of
    # its own to go on with when the schedule cuts the power (on one now, or fuel reported).
    outage_region: str | None = None
    outage_queue: str | None = None
    has_generator: bool = False
    # What its devices say (machine facts: never its status), None without devices.
    devices: DeviceSnapshot | None = None
    # The renderers' serialised forms of these details (reading.features), made once.
    rendered: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def protected(self) -> bool:
        return self.location_precision == protection.LOCALITY


class PointPublic(NamedTuple):
    """One point as the public may see it, for one asker at one moment. A named tuple rather
    than a frozen dataclass: a nearest answer builds one per point on the hot path, and a
    frozen dataclass of these fields costs eight times as much to build."""

    details: PublicDetails
    status: ShownStatus  # after the freshness rule
    open_now: bool | None  # by the published hours; None: none published
    next_change: datetime | None  # when the hours next open or close it
    distance_m: float | None = None  # straight line, as published (reading.protection)
    walking_m: float | None = None  # on the streets, as published; None: not measured
    distance_by: str | None = None  # "walking" or "straight_line", with a distance
    far: bool | None = None  # more than an hour's walk, measured or estimated

    @property
    def id(self) -> str:
        return self.details.id


def public_details(view: PointView, lang: str) -> PublicDetails:
    """The snapshot's public details in `lang`, built once and kept on the snapshot."""
    cached = view._static.get(lang)
    if cached is None:
        cached = view._static[lang] = _details(view, lang)
    return cached


def _details(view: PointView, lang: str) -> PublicDetails:
    notes = view.notes or {}
    return PublicDetails(
        id=view.id,
        name=pick_name(view.name, lang),
        names=view.name,
        category=view.category,
        kind=view.kind,
        anchor=view.anchor,
        organisation=view.organisation,
        phone=view.phone,
        address=protection.shown_address(view),
        locality=view.locality,
        region=view.region,
        location_precision=protection.location_precision(view),
        timezone=view.timezone,
        services=view.services,
        capacity=view.capacity,
        opening_hours=view.opening_hours,
        notes=notes.get(lang) or notes.get(DEFAULT_LANGUAGE),
        faults=public_faults(view),
        demo=view.demo,
        position=protection.shown_position(view),
        reported_status=view.status,
        power=view.power,
        heating=view.heating,
        internet=view.internet,
        occupancy=view.occupancy,
        updated_at=view.updated_at,
        verified_at=view.verified_at,
        flagged=view.flagged_at is not None,
        outage_region=view.outage_region,
        outage_queue=view.outage_queue,
        has_generator=runs_on_generator(view.power, view.fuel_litres),
        devices=view.devices,
    )


def public_faults(view: PointView) -> tuple[PublicFault, ...]:
    """What an inspection found not working, by checklist item (the note stays private)."""
    return tuple(
        PublicFault(
            item=item,
            services=ITEM_SERVICES.get(item, ()),
            since=fault.get("since", "").replace("+00:00", "Z") or None,
            checked_by=fault.get("by"),
        )
        for item, fault in sorted((view.faults or {}).items())
    )


def next_hours_change(view: PointView, now: datetime) -> datetime | None:
    """When the point next opens or closes by its hours (None: no hours, or never)."""
    until = opening_hours.window(view.opening_hours, view.timezone, now)[1]
    return None if math.isinf(until) else datetime.fromtimestamp(until, UTC)


def found_public(
    view: PointView,
    asker: Asker,
    shown: ShownStatus,
    is_open: bool | None,
    distance_m: float | None = None,
    walking_m: float | None = None,
) -> PointPublic:
    """The view of a point the index found, which has its shown status and open-now already;
    `distance_m` is great-circle metres from the asker, `walking_m` metres on the streets."""
    details = public_details(view, asker.lang)
    next_change = next_hours_change(view, asker.now)
    walk = None if walking_m is None else protection.published_walk(walking_m, view.protected)
    if distance_m is None:
        return PointPublic(details, shown, is_open, next_change, None, walk)
    straight = protection.published_distance(distance_m, view.protected)
    facts = distance_facts(straight, walk)  # from the published figures: `far` tells no more
    return PointPublic(
        details, shown, is_open, next_change, straight, walk, facts["distance_by"], facts["far"]
    )


def point_public(
    view: PointView, asker: Asker, stale_after: timedelta, no_response_after: timedelta
) -> PointPublic:
    """One point's view on its own (its page, its API answer): the freshness rule with these
    thresholds, open now by its hours; no distance."""
    shown = shown_status(
        view.status, view.updated_at, view.verified_at, asker.now, stale_after, no_response_after
    )
    is_open = opening_hours.window(view.opening_hours, view.timezone, asker.now)[0]
    return found_public(view, asker, shown, is_open)
