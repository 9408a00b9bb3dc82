"""Opening hours and failed inspections are part of the truth: a point closed by its hours is
never shown as plainly open, and a service an inspection found broken is shown as not working,
with when and by whom, until it is fixed — in the API, the finder, the point page and the poster.

The test clock starts at 2026-11-24 18:00 UTC, 20:00 in Kyiv, a Tuesday."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from nezlam.domain.vocabulary import INSPECTION_ITEMS
from tests.conftest import sign_in_as

EN = {"Accept-Language": "en"}
NEAR_A = {"lat": "50.451", "lon": "30.521", "f": "1"}  # "open now" unticked: every status


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def card_of(html: str, name: str = "Point point-a") -> str:
    start = html.index(f">{name}<")
    return text(html[start : html.index("</article>", start)])


@pytest.fixture
def daytime_point(app_client, network, clock):
    """Point A, open 09:00-21:00 by its hours, reported open just now (20:00 in Kyiv)."""
    admin = network.headers("admin")
    edit = {"opening_hours": "Mo-Su 09:00-21:00"}
    assert app_client.patch("/api/v1/points/point-a", json=edit, headers=admin).status_code == 200
    report = app_client.post(
        "/api/v1/points/point-a/reports", json={"status": "open"}, headers=admin
    )
    assert report.status_code == 201
    return app_client


def test_an_open_report_outside_its_hours_is_closed_now_everywhere(daytime_point, clock):
    clock.advance(hours=2)  # 22:00 in Kyiv: its operator said "open" two hours ago
    props = daytime_point.get("/api/v1/points/point-a").json()["properties"]
    assert (props["status"], props["open_now"]) == ("open", False)
    assert props["next_change"] == "2026-11-25T07:00:00Z"  # 09:00 tomorrow in Kyiv
    nearest = daytime_point.get(
        "/api/v1/points/nearest", params={"lat": 50.45, "lon": 30.52, "k": 1}
    ).json()["features"][0]["properties"]
    assert (nearest["open_now"], nearest["next_change"]) == (False, "2026-11-25T07:00:00Z")

    card = card_of(daytime_point.get("/", params=NEAR_A, headers=EN).text)
    assert "Closed now · opens tomorrow at 09:00" in card
    assert "Open ·" not in card
    page = text(daytime_point.get("/points/point-a", headers=EN).text)
    assert "Closed now" in page and "opens tomorrow at 09:00" in page
    uk = card_of(daytime_point.get("/", params=NEAR_A).text, "Пункт point-a")
    assert "Зараз зачинено · відчиниться завтра о 09:00" in uk


def test_the_open_now_filter_leaves_out_a_point_closed_by_its_hours(daytime_point, clock):
    clock.advance(hours=2)
    default = daytime_point.get("/", params={"lat": "50.451", "lon": "30.521"}, headers=EN)
    assert "Point point-a" not in default.text


def test_a_point_about_to_close_says_how_soon(daytime_point, clock):
    clock.advance(minutes=35)  # 20:35: it closes at 21:00
    card = card_of(daytime_point.get("/", params=NEAR_A, headers=EN).text)
    assert "Open · confirmed 35 minutes ago · closes in 25 min" in card
    clock.advance(minutes=25)
    card = card_of(daytime_point.get("/", params=NEAR_A, headers=EN).text)
    assert "Closed now · opens tomorrow at 09:00" in card


def test_the_poster_does_not_print_confirmed_open_for_a_point_closed_by_its_hours(
    daytime_point, clock, tmp_path
):
    printed_by_day = poster_text(daytime_point, tmp_path / "day.pdf")
    assert "last confirmed open" in printed_by_day
    clock.advance(hours=2)
    assert "last confirmed open" not in poster_text(daytime_point, tmp_path / "night.pdf")


def poster_text(client, path) -> str:
    pdf = client.get("/poster", params={"lat": 50.45, "lon": 30.52, "lang": "en"})
    assert pdf.status_code == 200
    path.write_bytes(pdf.content)
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def inspect(client, csrf, **answers):
    data = {"csrf": csrf, **{item: "pass" for item in INSPECTION_ITEMS}, **answers}
    answer = client.post("/coordinate/points/point-a/inspect", data=data, follow_redirects=False)
    assert answer.status_code == 303 and "/login" not in answer.headers["location"], answer.text
    return answer


def heat_finder(client):
    params = {**NEAR_A, "services": "heat"}
    return client.get("/", params=params, headers=EN).text


def test_a_failed_heating_check_reaches_the_public_until_the_task_is_done(
    app_client, network, db, clock
):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, heating="fail", note_heating="The boiler is cold, +12 inside")
    app_client.cookies.clear()  # the public from here on

    props = app_client.get("/api/v1/points/point-a").json()["properties"]
    assert props["faults"] == [
        {
            "item": "heating",
            "services": ["heat"],
            "since": "2026-11-24T18:00:00Z",
            "checked_by": None,
        }
    ]
    assert "boiler" not in str(props)  # the inspector's note is for coordinators
    assert "Point point-a" not in heat_finder(app_client)  # a broken service matches no filter
    page = text(app_client.get("/points/point-a", headers=EN).text)
    assert "Heating not working · checked just now by a coordinator" in page
    heat_api = app_client.get(
        "/api/v1/points/nearest", params={"lat": 50.45, "lon": 30.52, "services": "heat"}
    ).json()
    assert "point-a" not in [f["id"] for f in heat_api["features"]]

    clock.advance(hours=3)
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    tasks = app_client.get("/coordinate/tasks").text
    task_id = re.search(r'action="/coordinate/tasks/(\d+)/done"', tasks)[1]
    done = app_client.post(
        f"/coordinate/tasks/{task_id}/done", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    app_client.cookies.clear()
    assert app_client.get("/api/v1/points/point-a").json()["properties"]["faults"] == []
    assert "Point point-a" in heat_finder(app_client)


def test_a_later_inspection_that_passes_the_item_fixes_it(app_client, network, db, clock):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, internet="fail")
    props = app_client.get("/api/v1/points/point-a").json()["properties"]
    assert [f["services"] for f in props["faults"]] == [["wifi", "satellite_internet"]]
    clock.advance(days=1)
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf)  # everything passes now
    assert app_client.get("/api/v1/points/point-a").json()["properties"]["faults"] == []
    assert "/coordinate/tasks/" not in app_client.get("/coordinate/tasks").text


def test_the_inspectors_chosen_name_is_shown_with_the_fault(app_client, network, db, clock):
    from nezlam.store.tables import User

    with db.write() as session:
        user = session.query(User).filter_by(username="coordinator_a").one()
        user.display_name = "Олена К."
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, generator="fail")
    app_client.cookies.clear()
    fault = app_client.get("/api/v1/points/point-a").json()["properties"]["faults"][0]
    assert fault["checked_by"] == "Олена К."
    page = text(app_client.get("/points/point-a").text)
    assert "Зарядка пристроїв не працює · перевірено щойно, перевіряв(ла): Олена К." in page


def test_the_feeds_carry_the_hours_next_change_and_the_services_out_of_order(
    daytime_point, db, clock
):
    import csv
    import io

    csrf = sign_in_as(daytime_point, db, "coordinator_a", clock())
    inspect(daytime_point, csrf, heating="fail")
    daytime_point.cookies.clear()
    clock.advance(hours=2)
    feed = daytime_point.get("/api/v1/feeds/points.csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(feed.text))}
    assert rows["point-a"]["open_now"] == "false"
    assert rows["point-a"]["next_change"] == "2026-11-25T07:00:00Z"
    assert rows["point-a"]["out_of_order"] == "heat"
    assert rows["point-b"]["out_of_order"] == ""
    hxl = daytime_point.get("/api/v1/feeds/points.hxl.csv").text.splitlines()
    assert "#date+next_change" in hxl[1] and "#service+out_of_order" in hxl[1]
