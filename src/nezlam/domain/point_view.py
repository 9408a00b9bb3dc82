"""An immutable snapshot of a point row, and what the public may learn of where it is.

A `PointView` holds everything stored about a point, the protected parts included: it is what
the spatial index keeps and what the read side (`nezlam.reading`) turns into the public shape.
Nothing here decides what the public sees, except the one rule the index needs below the read
side: a protected point is known to the public only by the grid cell that holds it
(`public_position`), so its distances and walks are measured from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nezlam.domain.device_snapshot import (
    DeviceSnapshot,
    alarm_raised,
    has_snapshot,
    stored_snapshot,
)
from nezlam.domain.fuel_runway import Burn, burn_of
from nezlam.domain.vocabulary import ITEM_SERVICES, Visibility

DEFAULT_LANGUAGE = "uk"


def coarse_position(lat: float, lon: float, step_deg: float = 0.1) -> tuple[float, float]:
    """The centre of the grid cell (about 11 km × 7 km in Ukraine) that holds a position (lat,
    lon in degrees WGS84): what the public is told of a protected point's whereabouts."""
    return (
        round((math.floor(lat / step_deg) + 0.5) * step_deg, 6),
        round((math.floor(lon / step_deg) + 0.5) * step_deg, 6),
    )


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
    # Whose outage schedule its power follows (a provider's region id, a queue): issue 12.
    outage_region: str | None = None
    outage_queue: str | None = None
    # What its devices say (issue 12): None for a point that has none; machine facts, which
    # are shown beside the status and never verify it.
    devices: DeviceSnapshot | None = None
    device_alarm: bool = False  # silent, or the mains gone without a generator, unanswered
    # Its fuel (issue 13): litres an hour its generators burn, and the hours they ran since the
    # last reading; its runway is told from them at the moment asked.
    fuel_use_lph: float | None = None
    fuel_burn: Burn = field(default_factory=Burn)
    # The read side's renderings of this snapshot, made once (a snapshot never changes).
    _static: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

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
            devices=stored_snapshot(row.state_times) if has_snapshot(row.state_times) else None,
            fuel_use_lph=row.fuel_use_lph,
            fuel_burn=burn_of(row.state_times),
            device_alarm=alarm_raised(row.state_times),
        )


VIEW_COLUMNS = (
    "id", "name", "category", "kind", "anchor", "organisation_id", "phone", "lat", "lon",
    "address", "locality", "region", "timezone", "visibility", "capacity", "opening_hours",
    "notes", "demo", "status", "power", "heating", "internet", "occupancy", "fuel_litres",
    "updated_at", "verified_at", "flagged_at", "edited_at", "change_seq", "external_id",
    "faults", "outage_region", "outage_queue",
)  # fmt: skip


def pick_name(names: dict[str, str], lang: str) -> str:
    return names.get(lang) or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()))


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
