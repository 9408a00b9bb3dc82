"""What a point's devices say about it: machine facts, derived from their last pings (issue 12).

A device (an old phone, an ESP32 on the mains) pings now and then, sometimes saying what it
runs on, its battery, whether the point's internet works and how many people are in. From the
last-known facts of every device of a point this module derives, at a moment `now`:

- each device online or offline: no ping within `offline_after` (5 minutes by default) is
  offline, and has been silent since its last ping;
- the point online (any device heard within the window), and since when;
- the mains at the point: on, off or unknown, and since when (`mains_at_point` has the rules);
- the point's internet: up, down or unknown, and since when.

These are machine facts: nothing here verifies a point's status. A point that pings is not a
point somebody confirmed open ("updated is not verified"), so nothing derived here is ever a
reason to move a point's `verified_at`.

All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from nezlam.domain.points import Latitude, Longitude, NotBoolean, Strict
from nezlam.domain.vocabulary import Power

DEFAULT_OFFLINE_AFTER = timedelta(minutes=5)
OCCUPANCY_MAX = 100_000  # as a report's count


class PoweredBy(StrEnum):
    """What keeps a device running, which says what its silence means."""

    MAINS = "mains"  # dies with the mains (a SvitloBot-style ESP32): its silence is a power cut
    BATTERY = "battery"  # its own battery or a UPS: pings through a cut, says what it runs on


class HeartbeatCreate(Strict):
    """What a device may say with a ping; every field optional (an empty ping says "alive")."""

    power: Literal["grid", "battery", "generator"] | None = Field(
        None, description="what the device runs on now: the mains (grid), a battery, a generator"
    )
    battery_pct: Annotated[int, NotBoolean] | None = Field(
        None, ge=0, le=100, description="the device's battery, in percent"
    )
    internet: bool | None = Field(None, description="whether the point's own internet works")
    occupancy: Annotated[int, NotBoolean] | None = Field(
        None, ge=0, le=OCCUPANCY_MAX, description="people at the point, as a counter saw them"
    )
    # A mobile point's device says where it is (the OsmAnd / Traccar fields); a fixed point's
    # position is never moved by its device.
    lat: Latitude | None = Field(None, description="where the device is, for a mobile point")
    lon: Longitude | None = Field(
        None, validate_default=True, description="where the device is, for a mobile point"
    )
    accuracy: Annotated[float, NotBoolean] | None = Field(
        None, ge=0, le=100_000, description="how far off the position may be, in metres"
    )

    @field_validator("lon")
    @classmethod
    def _position_whole(cls, lon: float | None, info: ValidationInfo) -> float | None:
        if (info.data.get("lat") is None) != (lon is None) and "lat" in info.data:
            raise ValueError("lat and lon go together: a position needs both")
        return lon

    @field_validator("accuracy")
    @classmethod
    def _accuracy_of_a_position(cls, accuracy: float | None, info: ValidationInfo) -> object:
        if accuracy is not None and info.data.get("lat") is None:
            raise ValueError("accuracy is of a position: send lat and lon with it")
        return accuracy


@dataclass(frozen=True)
class DeviceFacts:
    """A device's last-known facts, as stored: `last_seen_at` is its last ping, `online_since`
    the first ping after its last silence, and each `…_since` when that value was first said."""

    device_id: int
    powered_by: PoweredBy = PoweredBy.MAINS
    last_seen_at: datetime | None = None
    online_since: datetime | None = None
    power: Power | None = None
    power_since: datetime | None = None
    internet: bool | None = None
    internet_since: datetime | None = None
    battery_pct: int | None = None
    occupancy: int | None = None


@dataclass(frozen=True)
class Fact:
    """A derived yes/no with since when; None for either is "unknown"."""

    value: bool | None = None
    since: datetime | None = None


UNKNOWN = Fact()


@dataclass(frozen=True)
class DeviceState:
    """One device at `now`: its facts, and online (since its return) or offline (since its last
    ping); Fact() for a device never heard."""

    facts: DeviceFacts
    online: Fact


@dataclass(frozen=True)
class PointFacts:
    """What a point's devices say about it at `now`."""

    devices: tuple[DeviceState, ...]
    online: Fact  # any device heard within the window
    mains: Fact  # the mains at the point on (True) or off (False)
    supply: Power | None  # what the point runs on, when a device said so or the mains is on
    internet: Fact
    occupancy: int | None  # the count of the device heard last that gave one

    @property
    def without_power(self) -> bool:
        """The mains is off and no device says a generator runs: a point that may go dark."""
        return self.mains.value is False and self.supply != Power.GENERATOR


def is_online(last_seen_at: datetime | None, now: datetime, offline_after: timedelta) -> bool:
    """Heard within the window. A ping stamped after `now` (another worker's clock, a moment
    ahead) counts as heard now."""
    return last_seen_at is not None and now - last_seen_at < offline_after


def device_state(facts: DeviceFacts, now: datetime, offline_after: timedelta) -> DeviceState:
    if facts.last_seen_at is None:
        return DeviceState(facts, UNKNOWN)
    if is_online(facts.last_seen_at, now, offline_after):
        return DeviceState(facts, Fact(True, facts.online_since or facts.last_seen_at))
    return DeviceState(facts, Fact(False, facts.last_seen_at))


def point_facts(
    devices: Iterable[DeviceFacts], now: datetime, offline_after: timedelta = DEFAULT_OFFLINE_AFTER
) -> PointFacts:
    """Pure: what the devices of one point (revoked ones left out) say about it at `now`."""
    states = tuple(device_state(facts, now, offline_after) for facts in devices)
    online = [state.facts for state in states if state.online.value]
    mains, supply = mains_at_point(states)
    return PointFacts(
        devices=states,
        online=_presence(states),
        mains=mains,
        supply=supply,
        internet=internet_at_point(online),
        occupancy=_latest_occupancy(online),
    )


def _presence(states: Sequence[DeviceState]) -> Fact:
    online = [state.online.since for state in states if state.online.value]
    if online:
        return Fact(True, _earliest(online))
    silent = [state.online.since for state in states if state.online.value is False]
    return Fact(False, _latest(silent)) if silent else UNKNOWN


def mains_at_point(states: Sequence[DeviceState]) -> tuple[Fact, Power | None]:
    """The mains at the point, and what it runs on, from its devices, first rule that applies:

    1. an online device says it runs on a battery or a generator: the mains is off (since the
       earliest such word) — it knows, where a mains device only knows its socket has power,
       which a generator gives too; the safe side wins when devices disagree;
    2. an online device says grid: the mains is on;
    3. a mains-powered device went silent while another device still pings, and no mains
       device pings: the mains is off since the silent one's last ping (SvitloBot's rule);
    4. a mains-powered device pings: the mains is on since it came back;
    5. otherwise (every device silent, or only battery devices that say nothing) unknown:
       silence everywhere may as well be the internet.
    """
    online = [state.facts for state in states if state.online.value]
    off = [facts for facts in online if facts.power in (Power.BATTERY, Power.GENERATOR)]
    if off:
        runs_on = Power.GENERATOR if any(f.power == Power.GENERATOR for f in off) else Power.BATTERY
        return Fact(False, _earliest(f.power_since for f in off)), runs_on
    on = [facts for facts in online if facts.power == Power.GRID]
    if on:
        return Fact(True, _earliest(f.power_since for f in on)), Power.GRID
    mains_online = [facts for facts in online if facts.powered_by == PoweredBy.MAINS]
    mains_silent = [
        state.facts
        for state in states
        if state.online.value is False and state.facts.powered_by == PoweredBy.MAINS
    ]
    if mains_silent and online and not mains_online:
        return Fact(False, _latest(f.last_seen_at for f in mains_silent)), None
    if mains_online:
        since = _earliest(f.online_since or f.last_seen_at for f in mains_online)
        return Fact(True, since), Power.GRID
    return UNKNOWN, None


def internet_at_point(online: Sequence[DeviceFacts]) -> Fact:
    """Down when an online device says so (since it first said it); up when a device pings and
    does not say it is down, as a device on the point's own link does; unknown when none pings.
    A device that says nothing of the internet counts from its return online."""
    down = [facts for facts in online if facts.internet is False]
    if down:
        return Fact(False, _earliest(f.internet_since for f in down))
    if online:
        since = (
            f.internet_since if f.internet else f.online_since or f.last_seen_at for f in online
        )
        return Fact(True, _earliest(since))
    return UNKNOWN


def _latest_occupancy(online: Sequence[DeviceFacts]) -> int | None:
    counted = [
        (f.last_seen_at, f.occupancy)
        for f in online
        if f.last_seen_at is not None and f.occupancy is not None
    ]
    return max(counted, key=lambda pair: pair[0])[1] if counted else None


def _earliest(moments: Iterable[datetime | None]) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


# --- A ping arriving ----------------------------------------------------------------------------

FACT_FIELDS = ("power", "internet", "battery_pct", "occupancy")


def after_ping(
    before: DeviceFacts, ping: HeartbeatCreate, now: datetime, offline_after: timedelta
) -> DeviceFacts:
    """Pure: the device's facts once `ping` arrives at `now`. A value said again keeps its
    `…_since`; a new one starts it now. A device back from silence starts `online_since` now
    and forgets what it said before the silence and does not say again (a battery it ran on
    three hours ago says nothing of now)."""
    returned = not is_online(before.last_seen_at, now, offline_after)
    kept = _forgotten(before) if returned else before
    said: dict[str, Any] = {name: getattr(ping, name) for name in FACT_FIELDS}
    said = {name: value for name, value in said.items() if value is not None}
    if "power" in said:
        said["power"] = Power(said["power"])
    after = replace(kept, **said, last_seen_at=now)
    if returned:
        after = replace(after, online_since=now)
    if after.power is not None and after.power != kept.power:
        after = replace(after, power_since=now)
    if after.internet is not None and after.internet != kept.internet:
        after = replace(after, internet_since=now)
    return after


def _forgotten(facts: DeviceFacts) -> DeviceFacts:
    return replace(
        facts,
        power=None,
        power_since=None,
        internet=None,
        internet_since=None,
        battery_pct=None,
        occupancy=None,
    )


STORED_FIELDS = (
    "online_since", "power", "power_since", "internet", "internet_since", "battery_pct",
    "occupancy",
)  # fmt: skip


def changed_facts(before: DeviceFacts, after: DeviceFacts) -> dict[str, Any]:
    """The stored facts a ping changed, besides its last-seen time: {} for most pings."""
    return {
        name: getattr(after, name)
        for name in STORED_FIELDS
        if getattr(after, name) != getattr(before, name)
    }
