"""How long a point's fuel lasts (issue 13): the pure arithmetic with a fake clock — the
consumption estimated from a set's rating, the duty cycle, the hours run since a reading as
power comes and goes, and the runway to empty and to the reserve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nezlam.domain.fuel_runway import (
    BURN_KEY,
    Burn,
    DutyCycle,
    Fuel,
    Generator,
    advance_burn,
    burn_of,
    burn_times,
    estimated_consumption,
    point_consumption,
    reserve_within,
    runs_out_within,
    runway,
    tank_litres,
)

T0 = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
NO_REST = DutyCycle(rest=timedelta(0))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_diesel_sets_estimate_goes_through_the_published_figures():
    assert estimated_consumption(20, Fuel.DIESEL) == pytest.approx(3.4)  # half load
    assert estimated_consumption(20, Fuel.DIESEL, load=1.0) == pytest.approx(6.1)
    # More load burns more; petrol and gas burn more than diesel for the same set.
    assert estimated_consumption(20, Fuel.DIESEL, load=0.25) < 3.4
    assert estimated_consumption(20, Fuel.DIESEL) < estimated_consumption(20, Fuel.PETROL)
    assert estimated_consumption(20, Fuel.PETROL) < estimated_consumption(20, Fuel.GAS)
    assert estimated_consumption(5, Fuel.PETROL) == pytest.approx(1.5)


def test_the_operators_own_figure_wins_and_a_backup_burns_nothing():
    main = Generator(rated_kw=20, litres_per_hour=4.2, tank_litres=100)
    backup = Generator(rated_kw=5, fuel=Fuel.PETROL, tank_litres=20, backup=True)
    assert main.consumption == 4.2
    assert point_consumption([main, backup]) == 4.2
    assert point_consumption([main, Generator(rated_kw=10)]) == pytest.approx(4.2 + 1.7)
    assert point_consumption([backup]) is None and point_consumption([]) is None
    assert tank_litres([main, backup]) == 120
    assert tank_litres([main, Generator(rated_kw=10)]) is None  # one tank unknown


def test_the_duty_cycle_rests_half_an_hour_in_five_and_a_half():
    assert DutyCycle().running_share == pytest.approx(5 / 5.5)
    assert NO_REST.running_share == 1.0


def test_hours_run_count_only_the_hours_on_generator_since_the_reading():
    """Read at 06:00 on the mains; the generator 07:00–10:00 and from 16:00: at 18:00, 5 h."""
    burn = advance_burn(
        Burn(), on_generator_before=False, on_generator_after=False, fuel_read=True, at=at(0)
    )
    assert burn == Burn(0.0, None)
    burn = advance_burn(
        burn, on_generator_before=False, on_generator_after=True, fuel_read=False, at=at(1)
    )
    assert burn.since == at(1)
    burn = advance_burn(
        burn, on_generator_before=True, on_generator_after=False, fuel_read=False, at=at(4)
    )
    assert burn == Burn(3.0, None)
    assert burn.hours_at(at(15)) == 3.0  # nothing burns on the mains
    burn = advance_burn(
        burn, on_generator_before=False, on_generator_after=True, fuel_read=False, at=at(10)
    )
    assert burn.hours_at(at(12)) == pytest.approx(5.0)


def test_a_reading_while_running_starts_the_count_from_the_reading():
    running = Burn(7.0, at(-3))
    burn = advance_burn(
        running, on_generator_before=True, on_generator_after=True, fuel_read=True, at=at(0)
    )
    assert burn == Burn(0.0, at(0))
    assert burn.hours_at(at(2)) == pytest.approx(2.0)
    assert burn.hours_at(at(-1)) == 0.0  # a moment before the run began counts nothing


def test_the_runway_advances_by_the_hours_run():
    """100 l, 4 l/h without rest: after 5 h, 80 l — 20 h to empty, 14 h to a 6 h reserve."""
    found = runway(100, 4.0, Burn(0.0, at(0)), now=at(5), reserve_hours=6, duty=NO_REST)
    assert found is not None
    assert found.litres_left == pytest.approx(80)
    assert found.hours_left == pytest.approx(20)
    assert found.hours_to_reserve == pytest.approx(14)
    assert found.reserve_litres == pytest.approx(24)
    assert found.burning and found.empty_at(at(5)) == at(25) and found.reserve_at(at(5)) == at(19)


def test_the_rests_make_the_fuel_last_longer_on_the_clock():
    plain = runway(110, 4.0, Burn(), now=at(0), reserve_hours=0, duty=NO_REST)
    rested = runway(110, 4.0, Burn(), now=at(0), reserve_hours=0)
    assert plain is not None and rested is not None
    assert plain.hours_left == pytest.approx(27.5)
    assert rested.hours_left == pytest.approx(27.5 * 5.5 / 5)  # 30.25 h
    after = runway(110, 4.0, Burn(0.0, at(0)), now=at(11), reserve_hours=0)
    assert after is not None and after.litres_left == pytest.approx(110 - 40)


def test_a_point_not_on_its_generator_keeps_its_runway_and_is_never_warned():
    found = runway(30, 3.0, Burn(2.0, None), now=at(100), reserve_hours=6, duty=NO_REST)
    assert found is not None and not found.burning
    assert found.hours_left == pytest.approx(8) and found.empty_at(at(100)) is None
    assert runs_out_within(found, 12)  # one outage from dark: the dashboard's filter
    assert not reserve_within(found, 12)  # but nothing runs down, nothing to warn of


def test_an_empty_tank_and_unknowns():
    dry = runway(10, 5.0, Burn(0.0, at(0)), now=at(10), reserve_hours=6, duty=NO_REST)
    assert dry is not None and dry.litres_left == 0 and dry.hours_left == 0
    assert dry.hours_to_reserve == 0 and reserve_within(dry, 0)
    assert runway(None, 5.0, Burn(), now=at(0), reserve_hours=6) is None
    assert runway(50, None, Burn(), now=at(0), reserve_hours=6) is None
    assert not runs_out_within(None, 12) and not reserve_within(None, 12)


def test_the_burn_is_kept_in_the_state_times_and_read_back():
    times = burn_times(
        {"power": at(1).isoformat()},
        power_before="grid",
        power_after="generator",
        fuel_read=False,
        at=at(1),
    )
    assert burn_of(times) == Burn(0.0, at(1))
    assert times["power"] == at(1).isoformat()
    unchanged = {"status": "x", BURN_KEY: times[BURN_KEY]}
    assert (
        burn_times(
            unchanged,
            power_before="generator",
            power_after="generator",
            fuel_read=False,
            at=at(3),
        )
        is unchanged
    )
    stopped = burn_times(
        unchanged, power_before="generator", power_after="grid", fuel_read=False, at=at(3)
    )
    assert burn_of(stopped) == Burn(2.0, None)
    assert burn_of(None) == Burn() and burn_of({BURN_KEY: "junk"}) == Burn()
