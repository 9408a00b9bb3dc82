"""What a point's devices say about it (issue 12's heartbeats), derived without I/O on a fake
clock: a device's window, the mains from two devices, the internet, and what a ping changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from nezlam.config import ConfigError, Settings
from nezlam.domain.device_facts import (
    DEFAULT_OFFLINE_AFTER,
    DeviceFacts,
    Fact,
    HeartbeatCreate,
    PoweredBy,
    after_ping,
    changed_facts,
    point_facts,
)
from nezlam.domain.vocabulary import Power
from tests.conftest import FakeClock

START = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
WINDOW = DEFAULT_OFFLINE_AFTER


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


class Device:
    """A device that pings on the fake clock, keeping its facts as the store would."""

    def __init__(self, clock: FakeClock, device_id: int, powered_by: PoweredBy) -> None:
        self.clock = clock
        self.facts = DeviceFacts(device_id, powered_by)

    def ping(self, **said: object) -> dict[str, object]:
        before = self.facts
        self.facts = after_ping(before, HeartbeatCreate(**said), self.clock(), WINDOW)
        return changed_facts(before, self.facts)


def facts_of(clock: FakeClock, *devices: Device, window: timedelta = WINDOW):
    return point_facts([device.facts for device in devices], clock(), window)


def test_a_device_is_online_within_the_window_and_offline_from_its_end(clock):
    esp = Device(clock, 1, PoweredBy.MAINS)
    esp.ping()
    heard = clock()
    clock.advance(minutes=4, seconds=59)
    assert facts_of(clock, esp).devices[0].online == Fact(True, heard)
    clock.advance(seconds=1)  # five minutes without a ping
    assert facts_of(clock, esp).devices[0].online == Fact(False, heard)
    assert facts_of(clock, esp).online == Fact(False, heard)


def test_the_window_is_the_one_given(clock):
    esp = Device(clock, 1, PoweredBy.MAINS)
    esp.ping()
    clock.advance(minutes=3)
    assert facts_of(clock, esp, window=timedelta(minutes=2)).online.value is False
    assert facts_of(clock, esp, window=timedelta(minutes=10)).online.value is True


def test_a_point_without_devices_or_never_heard_knows_nothing(clock):
    nothing = point_facts([], clock())
    never = facts_of(clock, Device(clock, 1, PoweredBy.MAINS))
    for derived in (nothing, never):
        assert derived.online == derived.mains == derived.internet == Fact()
        assert derived.supply is None and derived.occupancy is None
        assert not derived.without_power
    assert never.devices[0].online == Fact()


def test_a_mains_device_gone_silent_while_a_battery_device_pings_is_a_power_cut(clock):
    esp, phone = Device(clock, 1, PoweredBy.MAINS), Device(clock, 2, PoweredBy.BATTERY)
    esp.ping(), phone.ping()
    came = clock()
    clock.advance(minutes=3)
    assert facts_of(clock, esp, phone).mains == Fact(True, came)
    for _minute in range(2):
        esp.ping(), phone.ping()
        clock.advance(minutes=1)
    last_esp = clock()
    esp.ping(), phone.ping()  # 14:05: the mains goes off, the ESP32 with it
    for _minute in range(10):
        clock.advance(minutes=1)
        phone.ping()
    derived = facts_of(clock, esp, phone)
    assert derived.mains == Fact(False, last_esp)
    assert derived.supply is None and derived.without_power
    assert derived.online == Fact(True, came)  # the point is heard: through the phone


def test_silence_everywhere_says_nothing_of_the_mains(clock):
    esp, phone = Device(clock, 1, PoweredBy.MAINS), Device(clock, 2, PoweredBy.BATTERY)
    esp.ping()
    clock.advance(minutes=1)
    phone.ping()
    last = clock()
    clock.advance(minutes=30)
    derived = facts_of(clock, esp, phone)
    assert derived.mains == Fact() and not derived.without_power
    assert derived.online == Fact(False, last)  # silent since the last device's ping
    alone = facts_of(clock, esp)  # a lone mains device gone silent: power or internet?
    assert alone.mains == Fact()


def test_a_silent_mains_device_is_outvoted_by_one_that_still_pings(clock):
    broken, working = Device(clock, 1, PoweredBy.MAINS), Device(clock, 2, PoweredBy.MAINS)
    phone = Device(clock, 3, PoweredBy.BATTERY)
    broken.ping()
    clock.advance(minutes=20)
    working.ping(), phone.ping()
    assert facts_of(clock, broken, working, phone).mains == Fact(True, clock())


def test_a_device_that_says_generator_turns_the_mains_off_but_keeps_the_power(clock):
    esp, phone = Device(clock, 1, PoweredBy.MAINS), Device(clock, 2, PoweredBy.BATTERY)
    esp.ping(), phone.ping(power="grid")
    clock.advance(minutes=2)
    switched = clock()
    esp.ping(), phone.ping(power="generator")  # the ESP32 pings on: the generator feeds it
    clock.advance(minutes=1)
    esp.ping(), phone.ping(power="generator")
    derived = facts_of(clock, esp, phone)
    assert derived.mains == Fact(False, switched)
    assert derived.supply == Power.GENERATOR and not derived.without_power


def test_a_phone_on_its_battery_is_a_power_cut_since_it_first_said_so(clock):
    phone = Device(clock, 2, PoweredBy.BATTERY)
    phone.ping(power="grid")
    assert facts_of(clock, phone).mains == Fact(True, clock())
    clock.advance(minutes=1)
    cut = clock()
    phone.ping(power="battery", battery_pct=96)
    clock.advance(minutes=1)
    phone.ping(battery_pct=95)  # says nothing of power: what it said stands
    derived = facts_of(clock, phone)
    assert derived.mains == Fact(False, cut) and derived.supply == Power.BATTERY
    assert derived.devices[0].facts.battery_pct == 95


def test_what_a_silent_device_last_said_counts_for_nothing(clock):
    phone, esp = Device(clock, 2, PoweredBy.BATTERY), Device(clock, 1, PoweredBy.MAINS)
    phone.ping(power="battery", internet=False)
    clock.advance(minutes=10)
    esp.ping()
    derived = facts_of(clock, phone, esp)
    assert derived.mains == Fact(True, clock())  # the ESP32 on the mains, not the phone's word
    assert derived.internet == Fact(True, clock())


def test_the_internet_is_down_when_a_pinging_device_says_so_and_up_when_one_pings(clock):
    esp, phone = Device(clock, 1, PoweredBy.MAINS), Device(clock, 2, PoweredBy.BATTERY)
    esp.ping(), phone.ping(internet=True)
    up = clock()
    assert facts_of(clock, esp, phone).internet == Fact(True, up)
    clock.advance(minutes=1)
    down = clock()
    esp.ping(), phone.ping(internet=False)  # the phone pings over mobile data
    clock.advance(minutes=1)
    esp.ping(), phone.ping(internet=False)
    assert facts_of(clock, esp, phone).internet == Fact(False, down)
    clock.advance(minutes=30)
    assert facts_of(clock, esp, phone).internet == Fact()  # nobody heard: unknown


def test_occupancy_is_the_latest_count_of_a_pinging_device(clock):
    door, hall = Device(clock, 1, PoweredBy.BATTERY), Device(clock, 2, PoweredBy.BATTERY)
    door.ping(occupancy=12)
    clock.advance(minutes=1)
    hall.ping(occupancy=15)
    assert facts_of(clock, door, hall).occupancy == 15
    clock.advance(minutes=1)
    door.ping(occupancy=11)
    assert facts_of(clock, door, hall).occupancy == 11


def test_a_ping_that_says_nothing_new_changes_only_the_last_seen_time(clock):
    phone = Device(clock, 2, PoweredBy.BATTERY)
    first = phone.ping(power="battery", internet=True, battery_pct=80, occupancy=3)
    assert first == {
        "online_since": START, "power": Power.BATTERY, "power_since": START, "internet": True,
        "internet_since": START, "battery_pct": 80, "occupancy": 3,
    }  # fmt: skip
    clock.advance(minutes=1)
    assert phone.ping(power="battery", internet=True, battery_pct=80) == {}
    assert phone.ping() == {}
    assert phone.facts.last_seen_at == clock() and phone.facts.power_since == START
    clock.advance(minutes=1)
    assert phone.ping(battery_pct=79) == {"battery_pct": 79}
    assert phone.ping(power="grid") == {"power": Power.GRID, "power_since": clock()}


def test_a_device_back_from_silence_forgets_what_it_said_before(clock):
    phone = Device(clock, 2, PoweredBy.BATTERY)
    phone.ping(power="battery", internet=False, battery_pct=4, occupancy=20)
    clock.advance(hours=3)  # its battery ran out
    back = phone.ping(internet=True)
    assert phone.facts == DeviceFacts(
        2, PoweredBy.BATTERY, last_seen_at=clock(), online_since=clock(), internet=True,
        internet_since=clock(),
    )  # fmt: skip
    assert set(back) == {"online_since", "power", "power_since", "internet", "internet_since",
                         "battery_pct", "occupancy"}  # fmt: skip
    assert facts_of(clock, phone).mains == Fact()  # a battery device that says nothing


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"power": "wind"}, "power"),
        ({"power": "none"}, "power"),
        ({"battery_pct": 101}, "battery_pct"),
        ({"battery_pct": -1}, "battery_pct"),
        ({"battery_pct": True}, "battery_pct"),
        ({"internet": "maybe"}, "internet"),
        ({"occupancy": -1}, "occupancy"),
        ({"occupancy": 2.5}, "occupancy"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_ping_with_a_bad_field_is_refused_naming_it(body, field):
    with pytest.raises(ValidationError) as refused:
        HeartbeatCreate.model_validate(body)
    assert [error["loc"][0] for error in refused.value.errors()] == [field]


def test_the_window_is_a_setting_of_a_minute_to_a_day(monkeypatch):
    monkeypatch.delenv("NEZLAM_DEVICE_OFFLINE_AFTER", raising=False)
    assert Settings.from_env().device_offline_after == DEFAULT_OFFLINE_AFTER == timedelta(minutes=5)
    monkeypatch.setenv("NEZLAM_DEVICE_OFFLINE_AFTER", "90s")
    assert Settings.from_env().device_offline_after == timedelta(seconds=90)
    for bad in ("30s", "2d", "soon"):
        monkeypatch.setenv("NEZLAM_DEVICE_OFFLINE_AFTER", bad)
        with pytest.raises(ConfigError, match="NEZLAM_DEVICE_OFFLINE_AFTER"):
            Settings.from_env()
