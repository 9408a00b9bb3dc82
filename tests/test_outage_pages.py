"""A point's own power by its outage schedule, on the residents' pages (issue 12): the point page
and the finder's card say "світла за графіком не буде 08:00–11:30 — пункт може зачинитись"
before a definite outage of the point's queue, "… немає до 11:30" while it is on, and "пункт
працює на генераторі" for a point with fuel; nothing for a point without a schedule, past the
day ahead, or closed. On the real Vinnytsia schedule (queue 1.1: Dec 6 08:00–11:30 and
15:00–22:00 Kyiv time), a fake clock, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nezlam.domain.outages import Kind, Outage, next_outage
from nezlam.domain.points import ReportCreate
from nezlam.store.actor import CLI
from nezlam.store.reports import add_report
from tests.test_device_pages import page
from tests.test_outage_warnings import follows, schedule_imported

NEAR_A = {"lat": "50.45", "lon": "30.52"}  # the network's point A
MORNING = datetime(2025, 12, 6, 3, 0, tzinfo=UTC)  # 05:00 in Kyiv, three hours before
NOT_YET = "світла за графіком не буде 08:00–11:30"
MAY_CLOSE = "пункт може зачинитись"
GENERATOR = "пункт працює на генераторі"


def hour(h: int) -> Outage:
    return Outage(MORNING + timedelta(hours=h), MORNING + timedelta(hours=h + 1), Kind.DEFINITE)


def test_the_next_outage_is_the_one_on_or_the_first_within_the_horizon():
    outages = [hour(-2), hour(1), hour(5)]
    assert next_outage(outages, MORNING, timedelta(hours=24)) == hour(1)
    assert next_outage(outages, MORNING + timedelta(minutes=90), timedelta(hours=24)) == hour(1)
    assert next_outage(outages, MORNING + timedelta(hours=2), timedelta(hours=24)) == hour(5)
    assert next_outage(outages, MORNING + timedelta(hours=2), timedelta(hours=3)) is None
    assert next_outage([hour(-2)], MORNING, timedelta(hours=24)) is None  # over


@pytest.fixture
def scheduled(app_client, db, network, clock):
    """Point A open and following vinnytsia 1.1, the schedule imported at 05:00 Kyiv time."""
    clock.now = MORNING
    schedule_imported(db, clock())
    follows(db, network.point_a, "open", clock)
    return app_client


def test_the_point_page_says_when_the_schedule_cuts_its_power(scheduled, db, network, clock):
    html = page(scheduled, f"/points/{network.point_a}", "uk")
    assert f"{NOT_YET} — {MAY_CLOSE}" in html
    assert "за графіком відключень енергокомпанії" in html  # whose word it is
    assert "Відчинено" in html  # beside the status, not in its place
    english = page(scheduled, f"/points/{network.point_a}", "en")
    assert "no power by the schedule 08:00–11:30 — the point may close" in english

    with db.write() as session:  # the operator reports fuel: it has a generator
        add_report(session, network.point_a, ReportCreate(fuel_litres=40), CLI, now=clock())
    assert f"{NOT_YET} — {GENERATOR}" in page(scheduled, f"/points/{network.point_a}", "uk")

    clock.now = datetime(2025, 12, 6, 7, 0, tzinfo=UTC)  # 09:00 in Kyiv: it is on
    html = page(scheduled, f"/points/{network.point_a}", "uk")
    assert f"світла за графіком немає до 11:30 — {GENERATOR}" in html
    clock.now = datetime(2025, 12, 6, 10, 0, tzinfo=UTC)  # 12:00: the next one, 15:00–22:00
    html = page(scheduled, f"/points/{network.point_a}", "uk")
    assert "світла за графіком не буде 15:00–22:00" in html
    assert "08:00–11:30" not in html


def test_the_finders_card_says_it_too(scheduled, network):
    html = page(scheduled, "/?lat=50.45&lon=30.52", "uk")
    assert f"{NOT_YET} — {MAY_CLOSE}" in html
    assert html.count("світла за графіком") == 1  # point B follows no schedule


def test_nothing_is_said_without_a_schedule_past_it_or_for_a_closed_point(
    scheduled, db, network, clock
):
    assert "світла за графіком" not in page(scheduled, f"/points/{network.point_b}", "uk")
    clock.now = datetime(2025, 12, 20, 3, 0, tzinfo=UTC)  # the schedule's days are past
    assert "світла за графіком" not in page(scheduled, f"/points/{network.point_a}", "uk")
    clock.now = MORNING + timedelta(minutes=1)
    with db.write() as session:
        add_report(session, network.point_a, ReportCreate(status="closed"), CLI, now=clock())
    assert "світла за графіком" not in page(scheduled, f"/points/{network.point_a}", "uk")


def test_the_api_says_the_points_schedule_and_what_its_devices_say(scheduled, db, network, clock):
    """GET /api/v1/points/{id}: its queue, the next outage within a day, and its devices'
    snapshot (machine facts beside, never in place of, its status)."""
    from nezlam.store import emergency_shutdowns
    from tests.test_heartbeats import beat, new_device

    said = scheduled.get(f"/api/v1/points/{network.point_a}").json()["properties"]
    assert (said["outage_region"], said["outage_queue"]) == ("vinnytsia", "1.1")
    assert said["power_schedule"] == {
        "emergency_since": None,
        "next_outage": {"start": "2025-12-06T06:00:00Z", "end": "2025-12-06T09:30:00Z",
                        "possible": False},
    }  # fmt: skip
    assert said["devices"] is None  # no device yet
    other = scheduled.get(f"/api/v1/points/{network.point_b}").json()["properties"]
    assert other["power_schedule"] is None and other["outage_queue"] is None

    key, _device_id = new_device(db)
    assert beat(scheduled, key, {"power": "battery"}).status_code == 200
    scheduled.app.state.nezlam.sync.load_all()
    devices = scheduled.get(f"/api/v1/points/{network.point_a}").json()["properties"]["devices"]
    assert devices["online"] is True and devices["mains"] is False
    assert devices["mains_since"] == "2025-12-06T03:00:00Z" and devices["supply"] == "battery"

    with db.write() as session:
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock())
    clock.advance(minutes=2)
    said = scheduled.get(f"/api/v1/points/{network.point_a}").json()["properties"]
    assert said["power_schedule"]["next_outage"] is None
    assert said["power_schedule"]["emergency_since"] == "2025-12-06T03:00:00Z"
