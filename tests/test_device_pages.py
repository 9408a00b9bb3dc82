"""What a point's devices say, on its pages and in the call queue (issue 12): the public page and
the coordinator's dashboard say "device offline 12 min" and "no power at the point since 20:00"
in both languages, beside the status a person reported and never making it verified; such a
point is flagged for coordinators and called before those merely unconfirmed, until a person
confirms it. SQLite and PostgreSQL, on the fake clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from nezlam.device_pings import PingJob
from nezlam.domain.device_facts import HeartbeatCreate, PoweredBy
from nezlam.domain.points import ReportCreate
from nezlam.store import calls, device_points, devices, reports
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.tables import Point
from tests.conftest import REGION_A, point_create, sign_in_as

WINDOW = timedelta(minutes=5)


def new_device(db, point_id, powered_by=PoweredBy.MAINS, name="ESP32"):
    with db.write() as session:
        key, _row = devices.create_device(session, point_id, name, CLI, powered_by)
        return key


def ping(db, key, now):
    with db.write() as session:
        PingJob(key, HeartbeatCreate(), now, WINDOW).write(session)


@pytest.fixture
def silent(app_client, db, clock, network):
    """At 18:12 UTC (20:12 in Kyiv): point-a's ESP32 went dark with the mains at 18:00 while its
    hall phone pings on; point-b's only device went silent at 18:00. Both were confirmed open
    by a person an hour before."""
    with db.write() as session:
        for point_id in ("point-a", "point-b"):
            reports.add_report(
                session, point_id, ReportCreate(status="open", verify=True), CLI,
                now=clock() - timedelta(hours=1),
            )  # fmt: skip
    esp, phone = new_device(db, "point-a"), new_device(db, "point-a", PoweredBy.BATTERY, "phone")
    lone = new_device(db, "point-b")
    for key in (esp, phone, lone):
        ping(db, key, clock())
    for _minute in range(12):
        clock.advance(minutes=1)
        ping(db, phone, clock())
    with db.write() as session:
        assert device_points.sweep(session, clock(), WINDOW) == ["point-a", "point-b"]
    return app_client


def page(client, path, lang):
    answer = client.get(path, headers={"Accept-Language": lang})
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.mark.parametrize(
    ("lang", "offline", "no_power", "open_"),
    [
        ("en", "device offline 12 min", "no power at the point since 20:00", "Open"),
        ("uk", "пристрій не на зв&#39;язку 12 хв", "немає світла в пункті з 20:00", "Відчинено"),
    ],
)
def test_the_public_page_says_what_the_devices_say_beside_the_status(
    silent, db, lang, offline, no_power, open_
):
    a, b = page(silent, "/points/point-a", lang), page(silent, "/points/point-b", lang)
    assert no_power in a and offline not in a
    assert offline in b and no_power not in b  # every device silent: the mains is unknown
    for html in (a, b):  # the person's status stands beside it
        headline = re.search(r'<h2 id="now" class="headline">([^<]*)</h2>', html).group(1)
        assert open_ in headline
    with db.read() as session:
        for point_id in ("point-a", "point-b"):
            assert session.get(Point, point_id).verified_at == silent.app.state.nezlam.clock() - (
                timedelta(hours=1, minutes=12)
            )


@pytest.mark.parametrize(
    ("lang", "offline", "flag"),
    [
        ("en", "device offline 12 min", "by its device"),
        ("uk", "пристрій не на зв", "його пристроєм"),
    ],
)
def test_the_coordinators_dashboard_flags_the_points_and_says_why(
    silent, db, clock, lang, offline, flag
):
    sign_in_as(silent, db, "admin", clock())
    html = page(silent, "/coordinate", lang)
    rows = dict(re.findall(r'<tr data-id="([^"]+)" role="row">(.*?)</tr>', html, re.S))
    assert "20:00" in rows["point-a"] and flag in rows["point-a"]
    assert offline in rows["point-b"] and flag in rows["point-b"]


def test_a_device_flagged_point_is_called_before_the_unconfirmed_until_a_person_confirms(
    silent, db, clock
):
    with db.write() as session:  # open, nobody confirmed for 8 hours: residents see it in doubt
        point_store.create_point(
            session, point_create("k-stale", REGION_A, 50.41, 30.5), CLI, now=clock()
        )
        reports.add_report(
            session, "k-stale", ReportCreate(status="open"), CLI, now=clock() - timedelta(hours=8)
        )

    def pool():
        with db.read() as session:
            return [p.id for p in calls.pool(session, [REGION_A], clock(), calls.CallRules())]

    assert pool() == ["point-a", "k-stale"]  # point-a was confirmed an hour ago, all the same
    clock.advance(minutes=3)
    with db.write() as session:  # a coordinator called: it is open, on a generator now
        reports.add_report(
            session, "point-a", ReportCreate(status="open", power="generator"), CLI, now=clock()
        )
    assert pool() == ["k-stale"]  # answered
    assert "no power at the point" not in page(silent, "/points/point-a", "en")  # not gainsaid
    with db.read() as session:
        assert session.get(Point, "point-a").power == "generator"
    assert "device offline 15 min" in page(silent, "/points/point-b", "en")  # never answered


def test_the_call_card_says_why_the_devices_put_the_point_there(silent, db, clock):
    from nezlam.store import accounts

    with db.write() as session:
        who = accounts.principal_for(session, accounts.get_user(session, "coordinator_a"))
        taken = calls.claim_batch(session, who, [REGION_A], 10, clock(), calls.CallRules())
        assert [claim.point_id for claim in taken] == ["point-a"]
    sign_in_as(silent, db, "coordinator_a", clock())
    html = page(silent, "/coordinate/calls", "uk")
    assert "⚑ немає світла в пункті з 20:00" in html
    assert "Пункти, чий пристрій замовк" in html
    assert "no power at the point since 20:00" in page(silent, "/coordinate/calls", "en")
