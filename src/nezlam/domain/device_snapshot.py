"""What a point's devices say, as written onto the point (issue 12): the snapshot a ping or the
sweeper compares with, and the point's own fields it moves.

The derived facts (`device_facts.point_facts`) are kept on the point, in its `state_times`
under "devices", as plain JSON: whether its devices are heard and since when, the mains at
the point and since when, what it runs on, and its internet. A ping or a sweep writes the
point only when this snapshot changes, and then moves the point's `power` and `internet` for
the facts that changed (never one a person reported since, unless the machine learnt something
new), its `updated_at` and its change number; never `verified_at`: updated is not verified.

Pure: tested without a database. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nezlam.domain.device_facts import PointFacts
from nezlam.domain.fuel_runway import burn_times
from nezlam.domain.vocabulary import Power

SNAPSHOT_KEY = "devices"  # in the point's state_times


@dataclass(frozen=True)
class DeviceSnapshot:
    """The point's machine facts; None for a fact unknown (or no device at all)."""

    online: bool | None = None
    online_since: datetime | None = None
    mains: bool | None = None
    mains_since: datetime | None = None
    supply: str | None = None  # grid, battery, generator, as a device said or the mains gives
    internet: bool | None = None
    internet_since: datetime | None = None

    @property
    def offline(self) -> bool:
        """Every device of the point silent past the window."""
        return self.online is False

    @property
    def without_power(self) -> bool:
        """The mains is off and no device says a generator runs."""
        return self.mains is False and self.supply != Power.GENERATOR

    @property
    def alarming(self) -> bool:
        """Flagged for coordinators and called first: silent, or the mains gone with no
        generator said."""
        return self.offline or self.without_power

    def as_json(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in FIELDS}


FIELDS = tuple(DeviceSnapshot.__dataclass_fields__)


def snapshot_of(facts: PointFacts) -> DeviceSnapshot:
    """The snapshot of what the devices say now; all unknown for a point without devices."""
    if not facts.devices:
        return DeviceSnapshot()
    return DeviceSnapshot(
        online=facts.online.value,
        online_since=facts.online.since,
        mains=facts.mains.value,
        mains_since=facts.mains.since,
        supply=str(facts.supply) if facts.supply is not None else None,
        internet=facts.internet.value,
        internet_since=facts.internet.since,
    )


def stored_snapshot(state_times: dict[str, Any] | None) -> DeviceSnapshot:
    """The snapshot kept on a point (its `state_times`); all unknown if none was."""
    kept = (state_times or {}).get(SNAPSHOT_KEY)
    if not isinstance(kept, dict):
        return DeviceSnapshot()
    values = {name: kept.get(name) for name in FIELDS}
    for name in ("online_since", "mains_since", "internet_since"):
        text = values[name]
        values[name] = datetime.fromisoformat(text) if isinstance(text, str) else None
    return DeviceSnapshot(**values)


def point_power(snapshot: DeviceSnapshot) -> str | None:
    """The point's `power` as the devices tell it: grid with the mains on, the generator or
    battery a device says it runs on, none when the mains went with nothing said; None
    (leave it as reported) when the mains is unknown."""
    if snapshot.mains is None:
        return None
    if snapshot.mains:
        return str(Power.GRID)
    return snapshot.supply if snapshot.supply is not None else str(Power.NONE)


def point_changes(
    point: Any, before: DeviceSnapshot, after: DeviceSnapshot, now: datetime
) -> dict[str, Any]:
    """What to write on `point` (attributes by column) when its snapshot goes from `before` to
    `after` at `now`: {} when it did not change. `power` and `internet` move only with their own
    fact (a device going silent does not undo a generator an operator reported), and their
    state time is `now`, when the machine learnt it; `verified_at` never moves."""
    if before == after:
        return {}
    times = dict(point.state_times or {})
    times[SNAPSHOT_KEY] = after.as_json()
    changes: dict[str, Any] = {}
    power = point_power(after)
    if power is not None and (before.mains, before.supply) != (after.mains, after.supply):
        changes["power"] = power
        times["power"] = now.isoformat()
    if after.internet is not None and before.internet != after.internet:
        changes["internet"] = after.internet
        times["internet"] = now.isoformat()
    times[SNAPSHOT_KEY].update(_alarm(point.state_times, before, after, now))
    power_after = changes.get("power", point.power)
    changes["state_times"] = burn_times(
        times, power_before=point.power, power_after=power_after, fuel_read=False, at=now
    )
    if point.updated_at is None or now > point.updated_at:
        changes["updated_at"] = now
    return changes


def _alarm(
    state_times: dict[str, Any] | None, before: DeviceSnapshot, after: DeviceSnapshot, now: datetime
) -> dict[str, Any]:
    """The flag for coordinators: up at `now` when the point's devices newly say it is silent
    or without power; as it was (answered or not) while they say the same; down otherwise."""
    if not after.alarming:
        return {"alarm": False, "alarm_since": None}
    if (after.offline, after.without_power) != (before.offline, before.without_power):
        return {"alarm": True, "alarm_since": now.isoformat()}
    kept = (state_times or {}).get(SNAPSHOT_KEY) or {}
    return {"alarm": kept.get("alarm") is True, "alarm_since": kept.get("alarm_since")}


def has_snapshot(state_times: dict[str, Any] | None) -> bool:
    return isinstance((state_times or {}).get(SNAPSHOT_KEY), dict)


def alarm_raised(state_times: dict[str, Any] | None) -> bool:
    """Whether the point's devices flag it for coordinators: silent, or the mains gone without
    a generator, and nobody has confirmed the point since (`answered`)."""
    kept = (state_times or {}).get(SNAPSHOT_KEY)
    return isinstance(kept, dict) and kept.get("alarm") is True


def answered(times: dict[str, Any], confirmed_at: datetime) -> dict[str, Any]:
    """The state times once a person confirms the point at `confirmed_at`: the devices' flag is
    lowered if it went up before (the facts stay, and are still shown); a confirmation made
    before the flag went up (a late tap) leaves it up."""
    kept = times.get(SNAPSHOT_KEY)
    if not isinstance(kept, dict) or kept.get("alarm") is not True:
        return times
    raised = kept.get("alarm_since")
    if isinstance(raised, str) and confirmed_at < datetime.fromisoformat(raised):
        return times
    return {**times, SNAPSHOT_KEY: {**kept, "alarm": False}}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
