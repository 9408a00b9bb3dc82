"""When a point's state deserves a coordinator's attention, and what a webhook may ask for.

A notification marks a *turn*: the report that made a point full, closed, powerless or low on
fuel. A point that stays full through ten reports gives one notification, not ten; it gives a
new one only after it has been something else in between. The rule looks at the state before
and after one report and nothing else, so it costs a few comparisons on the ingest path when
nothing happened (most reports).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from nezlam.domain.points import Strict
from nezlam.domain.vocabulary import NotificationKind, Power, Status

DEFAULT_LOW_FUEL_LITRES = 20.0


@dataclass(frozen=True)
class NotificationRules:
    """What turns a report into a notification beyond the status itself: less generator fuel
    than `low_fuel_litres` (Settings.low_fuel_litres, NEZLAM_LOW_FUEL_LITRES)."""

    low_fuel_litres: float = DEFAULT_LOW_FUEL_LITRES


def is_low_fuel(litres: float | None, threshold: float) -> bool:
    """Less than `threshold` litres of generator fuel left; unknown fuel is not low."""
    return litres is not None and litres < threshold


def turned_into(
    before: Mapping[str, Any], after: Mapping[str, Any], low_fuel_litres: float
) -> tuple[NotificationKind, ...]:
    """The kinds a point became with one report: `before` and `after` hold its `status`,
    `power` (as strings) and `fuel_litres`. A kind that held before already is not repeated."""
    kinds: list[NotificationKind] = []
    status, power = after.get("status"), after.get("power")
    if status == Status.FULL and before.get("status") != Status.FULL:
        kinds.append(NotificationKind.FULL)
    if status == Status.CLOSED and before.get("status") != Status.CLOSED:
        kinds.append(NotificationKind.CLOSED)
    if power == Power.NONE and before.get("power") != Power.NONE:
        kinds.append(NotificationKind.NO_POWER)
    if is_low_fuel(after.get("fuel_litres"), low_fuel_litres) and not is_low_fuel(
        before.get("fuel_litres"), low_fuel_litres
    ):
        kinds.append(NotificationKind.LOW_FUEL)
    return tuple(kinds)


def residents_turn(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """What the residents who follow a point are told a report did: "opened" when it became
    open, "closed" when an open, standby or full point closed; None for everything else (an
    operator's "still current" tells no one)."""
    was, now = before.get("status"), after.get("status")
    if now == Status.OPEN and was != Status.OPEN:
        return "opened"
    if now == Status.CLOSED and was in (Status.OPEN, Status.STANDBY, Status.FULL):
        return "closed"
    return None


class WebhookCreate(Strict):
    """A receiver of signed notifications. `region` None: every region; `kinds` None: all."""

    url: str = Field(max_length=500)
    secret: str = Field(min_length=16, max_length=200)
    region: str | None = Field(None, min_length=1, max_length=120)
    kinds: list[NotificationKind] | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("kinds")
    @classmethod
    def _some_kinds(cls, value: list[NotificationKind] | None) -> list[NotificationKind] | None:
        if value is not None and not value:
            raise ValueError("name at least one kind, or none at all for every kind")
        return sorted(set(value), key=list(NotificationKind).index) if value else value
