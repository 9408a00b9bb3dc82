"""How long a point's fuel lasts (issue 13): its generators' consumption, the hours they have
run since the last fuel reading, and the runway left — pure functions, the clock passed in.

- **Consumption**: what the operator measured (litres an hour at the usual load), or else an
  estimate from the rated power on a Willans line, litres/h = rated kW × (idle + slope × load).
  For diesel the line goes through the usual sets' published figures (a 20 kW set burns about
  3.4 L/h at half load and 6.1 L/h at full load); petrol and gas sets burn more per kWh. A
  backup set (one that starts only when the main one fails) burns nothing in the runway.
- **Duty cycle**: a generator is stopped for maintenance about 30 minutes in every 5 hours (the
  State Emergency Service's advice), so an hour on generator power burns 5/5.5 of an hour's
  fuel, and the fuel lasts that much longer on the clock.
- **Hours run**: the point's reports (and its devices) say when it runs on its generator. The
  point keeps, in its state times, the hours run since the last fuel reading and when the
  present run began (`advance_burn`); the runway advances by them (`runway`).
- **Runway**: hours left on the clock while the point runs on its generator = the litres still
  in the tank ÷ consumption, and the hours until the **reserve** (`reserve_hours` of running
  that must stay in the tank for the truck to come) is reached.

All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

BURN_KEY = "fuel_burn"  # in a point's state_times
GENERATOR = "generator"  # the point's power (vocabulary.Power) while its generator runs
HOUR = timedelta(hours=1)
DEFAULT_RESERVE = timedelta(hours=6)  # Settings.fuel_reserve


class Fuel(StrEnum):
    DIESEL = "diesel"
    PETROL = "petrol"
    GAS = "gas"  # liquefied petroleum gas, counted in litres of liquid


# Willans line per fuel: litres an hour per rated kW = idle + slope × load (0–1).
# Diesel: through 3.4 L/h at half and 6.1 L/h at full load of a 20 kW set (idle 0.035, slope 0.27).
WILLANS = {
    Fuel.DIESEL: (0.035, 0.27),
    Fuel.PETROL: (0.10, 0.40),  # a 5 kW petrol set at half load: about 1.5 L/h
    Fuel.GAS: (0.11, 0.46),  # LPG burns about 15 % more litres than petrol
}
USUAL_LOAD = 0.5


@dataclass(frozen=True)
class DutyCycle:
    """A generator runs `run`, then rests `rest` (maintenance, cooling, an oil check)."""

    run: timedelta = timedelta(hours=5)
    rest: timedelta = timedelta(minutes=30)

    @property
    def running_share(self) -> float:
        return self.run / (self.run + self.rest)


DEFAULT_DUTY = DutyCycle()


@dataclass(frozen=True)
class Generator:
    rated_kw: float
    fuel: Fuel = Fuel.DIESEL
    tank_litres: float | None = None
    litres_per_hour: float | None = None  # the operator's own figure at the usual load
    backup: bool = False

    @property
    def consumption(self) -> float:
        """Litres an hour while it runs at the usual load: the operator's figure, else the
        estimate from its rated power."""
        if self.litres_per_hour is not None:
            return self.litres_per_hour
        return estimated_consumption(self.rated_kw, self.fuel)


def estimated_consumption(rated_kw: float, fuel: Fuel, load: float = USUAL_LOAD) -> float:
    """Litres an hour of a set of `rated_kw` at `load` (a share of its rating), on its
    fuel's Willans line."""
    idle, slope = WILLANS[fuel]
    return round(rated_kw * (idle + slope * min(max(load, 0.0), 1.0)), 2)


def point_consumption(generators: list[Generator]) -> float | None:
    """Litres an hour the point burns on generator power: its sets that are not backups, as
    they run together. None when it has none (no runway can be told)."""
    running = [g.consumption for g in generators if not g.backup]
    return round(sum(running), 2) if running else None


def tank_litres(generators: list[Generator]) -> float | None:
    """The fuel all its sets hold, when every tank is known."""
    tanks = [g.tank_litres for g in generators]
    if not tanks or any(t is None for t in tanks):
        return None
    return float(sum(t for t in tanks if t is not None))


@dataclass(frozen=True)
class Burn:
    """Hours on generator power since the last fuel reading, counted up to `since`; `since` is
    when the present run on the generator began (None while it is not on its generator)."""

    hours: float = 0.0
    since: datetime | None = None

    def hours_at(self, now: datetime) -> float:
        running = max((now - self.since) / HOUR, 0.0) if self.since is not None else 0.0
        return self.hours + running

    def as_json(self) -> dict[str, Any]:
        since = self.since.isoformat() if self.since is not None else None
        return {"hours": round(self.hours, 4), "since": since}


def burn_of(state_times: dict[str, Any] | None) -> Burn:
    """The burn a point's state times keep; none counted when they keep none."""
    kept = (state_times or {}).get(BURN_KEY)
    if not isinstance(kept, dict):
        return Burn()
    since = kept.get("since")
    return Burn(
        hours=float(kept.get("hours") or 0.0),
        since=datetime.fromisoformat(since) if isinstance(since, str) else None,
    )


def advance_burn(
    burn: Burn,
    *,
    on_generator_before: bool,
    on_generator_after: bool,
    fuel_read: bool,
    at: datetime,
) -> Burn:
    """The burn after a change at `at`: a new fuel reading starts the count again (a run under
    way goes on from the reading); a run that ends banks its hours; one that starts begins."""
    if fuel_read:
        return Burn(0.0, at if on_generator_after else None)
    if on_generator_before and not on_generator_after:
        return Burn(burn.hours_at(at), None)
    if on_generator_after and not on_generator_before:
        return Burn(burn.hours, at)
    if on_generator_after and burn.since is None:  # on generator from before the count began
        return Burn(burn.hours, at)
    return burn


@dataclass(frozen=True)
class Runway:
    litres_left: float  # in the tank now, as estimated from the last reading
    hours_left: float  # on the clock, while the point runs on its generator, until empty
    hours_to_reserve: float  # until only the reserve is left (0 when it is already)
    burning: bool  # on its generator now: the runway is running down
    reserve_litres: float

    def empty_at(self, now: datetime) -> datetime | None:
        return now + self.hours_left * HOUR if self.burning else None

    def reserve_at(self, now: datetime) -> datetime | None:
        return now + self.hours_to_reserve * HOUR if self.burning else None


def runway(
    fuel_litres: float | None,
    consumption: float | None,
    burn: Burn,
    *,
    now: datetime,
    reserve_hours: float,
    duty: DutyCycle = DEFAULT_DUTY,
) -> Runway | None:
    """The runway from the last fuel reading advanced by the hours run since; None when the
    fuel or the consumption is not known."""
    if fuel_litres is None or not consumption:
        return None
    per_clock_hour = consumption * duty.running_share
    left = max(fuel_litres - burn.hours_at(now) * per_clock_hour, 0.0)
    hours_left = left / per_clock_hour
    return Runway(
        litres_left=round(left, 1),
        hours_left=hours_left,
        hours_to_reserve=max(hours_left - reserve_hours, 0.0),
        burning=burn.since is not None,
        reserve_litres=round(reserve_hours * per_clock_hour, 1),
    )


def point_runway(point: Any, now: datetime, reserve: timedelta) -> Runway | None:
    """The runway of a point (attributes by column: fuel_litres, fuel_use_lph, state_times)."""
    return runway(
        point.fuel_litres,
        point.fuel_use_lph,
        burn_of(point.state_times),
        now=now,
        reserve_hours=reserve / HOUR,
    )


def reserve_within(found: Runway | None, hours: float) -> bool:
    """On its generator now and at its reserve within `hours`: the warning's test."""
    return found is not None and found.burning and found.hours_to_reserve <= hours


def runs_out_within(found: Runway | None, hours: float) -> bool:
    """Its fuel lasts `hours` or less of running on its generator, burning now or not (a point
    on the mains with 3 hours of fuel is one outage from dark): the dashboard's filter."""
    return found is not None and found.hours_left <= hours


def burn_times(
    times: dict[str, Any],
    *,
    power_before: str | None,
    power_after: str | None,
    fuel_read: bool,
    at: datetime,
) -> dict[str, Any]:
    """`times` (a point's new state times) with the burn advanced by a write at `at` that
    changed its power from `power_before` to `power_after` or read its fuel; as they are when
    it did neither."""
    before = power_before == GENERATOR
    after = power_after == GENERATOR
    if not fuel_read and before == after and not (after and burn_of(times).since is None):
        return times
    burn = advance_burn(
        burn_of(times),
        on_generator_before=before,
        on_generator_after=after,
        fuel_read=fuel_read,
        at=at,
    )
    return {**times, BURN_KEY: burn.as_json()}
