"""A resident looks up their own queue (/outages, issue 12): on the real Vinnytsia schedule of
Dec 6 2025 at 05:00 Kyiv time, queue 1.1 is off 08:00–11:30 and 15:00–22:00, and 3.1 from
11:30 to 15:00 and from 18:30 to 01:30 the next night; in Ukrainian by default."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from tests.test_outage_pages import MORNING
from tests.test_outage_warnings import schedule_imported

PAGE = "/outages"


def test_the_queues_of_the_imported_schedules_are_offered(app_client, db, clock):
    clock.now = MORNING
    schedule_imported(db, clock())
    html = app_client.get(PAGE).text
    assert "Коли в мене не буде світла?" in html
    offered = re.findall(r'<option value="(vinnytsia/[\d.]+)"', html)
    assert offered[:3] == ["vinnytsia/1.1", "vinnytsia/1.2", "vinnytsia/2.1"]
    assert offered[-1] == "vinnytsia/6.2" and len(offered) == 12


def test_a_queue_says_its_outages_of_the_next_day(app_client, db, clock):
    clock.now = MORNING
    schedule_imported(db, clock())
    answer = app_client.get(PAGE, params={"queue": "vinnytsia/1.1"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=60"
    items = re.findall(r"<li>([^<]+)</li>", answer.text.split('class="queue-outages"')[1])
    assert items[:2] == [
        "світла за графіком не буде 08:00–11:30",
        "світла за графіком не буде 15:00–22:00",
    ]
    assert '<option value="vinnytsia/1.1" selected>' in answer.text
    clock.now = datetime(2025, 12, 6, 17, 0, tzinfo=UTC)  # 19:00 in Kyiv, 3.1's second is on
    english = app_client.get(
        PAGE, params={"queue": "vinnytsia/3.1"}, headers={"Accept-Language": "en"}
    )
    items = re.findall(r"<li>([^<]+)</li>", english.text.split('class="queue-outages"')[1])
    assert items[:2] == [
        "no power by the schedule until 7 Dec, 01:30",
        "no power by the schedule 7 Dec, 08:30–12:00",
    ]


def test_an_unknown_queue_is_refused_beside_the_list(app_client, db, clock):
    clock.now = MORNING
    schedule_imported(db, clock())
    answer = app_client.get(
        PAGE, params={"queue": "vinnytsia/9.9"}, headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 422
    assert "No current schedule has that queue: choose one from the list." in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_without_a_schedule_the_page_says_so(app_client):
    html = unescape(app_client.get(PAGE, headers={"Accept-Language": "en"}).text)
    assert "No power company's schedule is loaded here yet." in html
    assert "<select" not in html
