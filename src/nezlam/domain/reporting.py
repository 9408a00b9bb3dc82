"""How a status report changes a point's state: pure, so the rule is tested without a database.

A report counts from when the operator tapped (`effective_at`, see `freshness.effective_time`),
not from when it arrived. Each reported field carries the time of the value the point shows
(`state_times`); a report changes a field only if it is at least as new as that value, so a tap
queued offline at 20:00 and delivered at 03:00 never overrides a "closed" sent at 22:00. What a
late report could not change is named in `superseded`, and it is still stored in the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nezlam.domain.device_snapshot import answered
from nezlam.domain.fuel_runway import burn_times
from nezlam.domain.points import ReportCreate

REPORTED_FIELDS = ("status", "power", "heating", "internet", "occupancy", "fuel_litres")
# An absolute head count's time: steps (+1/-1) count from it, and an older step is already in it.
COUNT_TIME = "occupancy"


@dataclass
class Outcome:
    """What to write on the point, and what the report said that newer news had replaced."""

    changes: dict[str, Any] = field(default_factory=dict)
    superseded: list[str] = field(default_factory=list)
    state_times: dict[str, str] = field(default_factory=dict)


def known_times(point: Any) -> dict[str, str]:
    """When each value the point shows was reported. A point from before these times were kept
    has none: its last update stands for every value it holds (the safe side)."""
    if point.state_times is not None:
        return dict(point.state_times)
    if point.updated_at is None:
        return {}
    since = point.updated_at.isoformat()
    return {name: since for name in REPORTED_FIELDS if getattr(point, name) is not None}


def field_time(times: dict[str, str], name: str) -> datetime | None:
    text = times.get(name)
    return datetime.fromisoformat(text) if text else None


def apply_report(point: Any, report: ReportCreate, effective_at: datetime) -> Outcome:
    """The changes `report`, made at `effective_at`, brings to `point` (attributes by column)."""
    times = known_times(point)
    outcome = Outcome()
    for name in REPORTED_FIELDS:
        value = getattr(report, name)
        if value is None:
            continue
        if _is_newer(effective_at, field_time(times, name)):
            outcome.changes[name] = str(value) if name in ("status", "power") else value
            times[name] = effective_at.isoformat()
        else:
            outcome.superseded.append(name)
    if report.occupancy_change is not None:
        _apply_step(point, report.occupancy_change, effective_at, times, outcome)
    _apply_times(point, report, effective_at, outcome)
    if report.confirms_status:  # what the devices flagged is answered by a person's word
        times = answered(times, effective_at)
    outcome.state_times = burn_times(
        times,
        power_before=point.power,
        power_after=outcome.changes.get("power", point.power),
        fuel_read="fuel_litres" in outcome.changes,
        at=effective_at,
    )
    return outcome


def _apply_step(
    point: Any, step: int, effective_at: datetime, times: dict[str, str], outcome: Outcome
) -> None:
    """A step counts from the stored count (two people at one door both count), unless a head
    count made after the step already includes it."""
    counted_at = field_time(times, COUNT_TIME)
    if counted_at is not None and effective_at < counted_at:
        outcome.superseded.append("occupancy_change")
        return
    outcome.changes["occupancy"] = max(0, (point.occupancy or 0) + step)


def _apply_times(
    point: Any, report: ReportCreate, effective_at: datetime, outcome: Outcome
) -> None:
    """`updated_at` and `verified_at` move forward only: a late tap dates them to the tap."""
    if point.updated_at is None or effective_at > point.updated_at:
        outcome.changes["updated_at"] = effective_at
    if not report.confirms_status:
        return
    if point.verified_at is None or effective_at > point.verified_at:
        outcome.changes["verified_at"] = effective_at
    # Whoever answers for the point has spoken since the visitors' flag: it is answered.
    if point.flagged_at is not None and effective_at >= point.flagged_at:
        outcome.changes["flagged_at"] = None


def _is_newer(effective_at: datetime, shown_since: datetime | None) -> bool:
    return shown_since is None or effective_at >= shown_since
