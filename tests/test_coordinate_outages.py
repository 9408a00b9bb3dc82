"""The coordinator's next 24 hours of scheduled outages (/coordinate/outages, issue 12), on the
real Vinnytsia schedule of Dec 6 2025 at 05:00 Kyiv time: queue 1.1 (and 2.1) off 08:00–11:30
and 15:00–22:00 (2.1 again from 01:30), queue 3.1 off 11:30–15:00 and 18:30–01:30. In Київ,
point A (1.1) and point C (3.1) are open: between them Київ has an open point with power except
18:30–22:00, when only the standby point with fuel, E, would have power — D (2.1) would not."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from nezlam.domain.points import ReportCreate
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.reports import add_report
from nezlam.store.tables import Point
from tests.conftest import REGION_A, point_create, sign_in_as
from tests.test_outage_pages import MORNING
from tests.test_outage_warnings import follows, schedule_imported

PAGE = "/coordinate/outages"


def add_point(db, clock, point_id, status, queue=None, fuel=None):
    """A point of region A (in Київ) with its status, and its queue of vinnytsia and fuel."""
    with db.write() as session:
        created = point_create(point_id, REGION_A, 50.4, 30.5)
        point_store.create_point(session, created, CLI, now=clock())
        report = ReportCreate(status=status, fuel_litres=fuel)
        add_report(session, point_id, report, CLI, now=clock())
        session.execute(sa.update(Point).where(Point.id == point_id).values(outage_queue=queue))
        session.execute(
            sa.update(Point)
            .where(Point.id == point_id)
            .values(outage_region="vinnytsia" if queue else None)
        )


@pytest.fixture
def kyiv(app_client, db, network, clock):
    clock.now = MORNING
    schedule_imported(db, clock())
    follows(db, network.point_a, "open", clock, queue="1.1")
    add_point(db, clock, "point-c", "open", "3.1")
    add_point(db, clock, "point-d", "standby", "2.1")
    add_point(db, clock, "point-e", "standby", "2.1", fuel=60)
    add_point(db, clock, "point-f", "closed")  # no queue: counted as having power, but closed
    follows(db, network.point_b, "open", clock, queue="6.2")  # region B: not coordinator A's
    return app_client


def test_a_coordinator_sees_when_their_locality_has_no_open_point_with_power(kyiv, db, clock):
    sign_in_as(kyiv, db, "coordinator_a", clock())
    answer = kyiv.get(PAGE, headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    html = answer.text
    spells = re.search(r'<ul class="dark-spells">(.*?)</ul>', html, re.S)[1]
    assert "<strong>Київ</strong>: no open point with power 18:30–22:00." in spells
    ready = 'On standby with power then: <a href="/coordinate/points/point-e">Point point-e</a>.'
    assert ready in spells
    assert "point-d" not in spells
    assert "Schedules imported: vinnytsia." in html
    assert "1 of 5 points have no power company and queue" in html  # point F


def test_the_timeline_has_a_row_per_queue_of_the_coordinators_points(kyiv, db, clock):
    sign_in_as(kyiv, db, "coordinator_a", clock())
    html = kyiv.get(PAGE, headers={"Accept-Language": "en"}).text
    table = re.sub(r"</?span[^>]*>", "", html)  # each time in a span that keeps it on one line
    rows = re.findall(r"<tr><td>vinnytsia</td><td>([\d.]+)</td><td>([^<]*)</td>"
                      r"<td>[^<]*</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>",
                      table)  # fmt: skip
    assert rows == [
        ("1.1", "08:00–11:30, 15:00–22:00", "1", "0", "0", "1"),
        ("2.1", "08:00–11:30, 15:00–22:00, 07.12 01:30–05:00", "0", "2", "1", "2"),
        ("3.1", "11:30–15:00, 18:30–01:30", "1", "0", "0", "1"),
    ]  # 6.2 is point B's, in region B
    svg = re.search(r"<svg .*?</svg>", html, re.S)[0]
    assert svg.count('class="outage"') == 7 and svg.count('class="dark-spell"') == 1
    labels = re.findall(r'class="axis-label row-label"[^>]*>([^<]+)<', svg)
    assert labels == ["vinnytsia 1.1 · 1/1", "vinnytsia 2.1 · 0/2", "vinnytsia 3.1 · 1/1", "Київ"]
    assert "07.12" in svg  # midnight's tick says the date


def test_the_other_regions_coordinator_sees_only_theirs_and_a_standby_point_opening_lights_it(
    kyiv, db, clock
):
    sign_in_as(kyiv, db, "coordinator_b", clock())
    html = kyiv.get(PAGE, headers={"Accept-Language": "en"}).text
    assert "<td>6.2</td>" in html and "<td>1.1</td>" not in html and "Київ" not in html
    with db.write() as session:  # E opens on its generator
        add_report(session, "point-e", ReportCreate(status="open"), CLI, now=clock())
    sign_in_as(kyiv, db, "coordinator_a", clock())
    html = kyiv.get(PAGE).text
    assert "Відключення світла на найближчу добу" in html  # Ukrainian by default
    assert "протягом доби буде хоча б один відчинений пункт зі світлом" in html
    assert '<ul class="dark-spells">' not in html


def test_operators_and_strangers_may_not_look(kyiv, db, clock):
    assert kyiv.get(PAGE, follow_redirects=False).status_code == 303  # to sign in
    sign_in_as(kyiv, db, "operator_a", clock())
    assert kyiv.get(PAGE, follow_redirects=False).status_code == 403


def test_without_a_schedule_the_page_says_how_to_import_one(app_client, db, network, clock):
    sign_in_as(app_client, db, "coordinator_a", clock())
    html = app_client.get(PAGE, headers={"Accept-Language": "en"}).text
    assert "No schedule has been imported yet: nezlam outages import" in html
    assert "<svg" not in html
