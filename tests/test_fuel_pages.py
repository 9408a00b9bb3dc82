"""A point's fuel where people look (issue 13), on SQLite and PostgreSQL: the operator's fuel
page (generators added and removed, a delivery recorded, a bad value named beside its field),
"≈ N год" on My points, the coordinator's dashboard column, filter and sort, the exports and
the API's runway, only for those who answer for the point."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from nezlam.domain.fuel import GeneratorCreate
from nezlam.domain.points import ReportCreate
from nezlam.store import generators, reports
from nezlam.store.actor import CLI
from nezlam.store.tables import Point
from tests.conftest import sign_in_as
from tests.test_device_pages import page


def burning(db, clock, point_id, litres, lph=4.0):
    """`point_id` on its generator with `litres` in the tank, burning `lph`."""
    with db.write() as session:
        generators.add_generator(
            session, point_id, GeneratorCreate(rated_kw=20, litres_per_hour=lph), CLI, clock()
        )
        reports.add_report(
            session, point_id, ReportCreate(status="open", power="generator", fuel_litres=litres),
            CLI, now=clock(),
        )  # fmt: skip


def test_an_operator_adds_a_generator_and_records_a_delivery(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    empty = page(app_client, "/operate/point-a/fuel", "uk")
    assert "Генераторів ще не записано." in empty and "Рівень пального ще не повідомлено" in empty
    form = {"csrf": csrf, "rated_kw": "20", "fuel": "diesel", "tank_litres": "150",
            "litres_per_hour": "", "label": "<Головний>"}  # fmt: skip
    added = app_client.post("/operate/point-a/fuel/generators", data=form, follow_redirects=False)
    assert added.status_code == 303 and "done=added" in added.headers["location"]
    with db.write() as session:
        reports.add_report(
            session, "point-a", ReportCreate(power="generator", fuel_litres=68), CLI, now=clock()
        )
    clock.advance(hours=11)  # 11 h of running with its rests: 10 h × 3.4 l = 34 l burnt
    shown = page(app_client, "/operate/point-a/fuel", "uk")
    assert "&lt;Головний&gt;: 20 кВт, дизель, бак 150 л — 3,4 л/год (оцінка за кВт)" in shown
    assert "Пального вистачить ≈ на 11 год (≈ 34 л)" in shown and "резерв — о" in shown
    delivery = {"csrf": csrf, "litres": "100,5", "delivered_by": "Машина 2"}
    done = app_client.post("/operate/point-a/fuel/deliveries", data=delivery,
                           follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and "done=delivered" in done.headers["location"]
    with db.read() as session:
        assert session.get(Point, "point-a").fuel_litres == pytest.approx(134.5)
    after = page(app_client, "/operate/point-a/fuel", "uk")
    assert "100.5 л · Машина 2" in after or "100,5 л · Машина 2" in after
    my_points = page(app_client, "/operate", "uk")
    assert "Пального вистачить ≈ на 44 год (≈ 134 л)" in my_points  # 134.5 l / (3.4 l/h × 5/5.5)


@pytest.mark.parametrize(
    ("path", "fields", "named"),
    [
        ("generators", {"rated_kw": "abc"}, "rated_kw"),
        ("generators", {"rated_kw": "20", "tank_litres": "-5"}, "tank_litres"),
        ("generators", {"rated_kw": "20", "fuel": "coal"}, "fuel"),
        ("deliveries", {"litres": "0"}, "litres"),
        ("deliveries", {"litres": "99999"}, "litres"),
    ],
)
def test_a_value_that_cannot_be_is_named_beside_its_field_and_kept(
    app_client, db, clock, path, fields, named
):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = app_client.post(f"/operate/point-a/fuel/{path}", data={"csrf": csrf, **fields})
    assert answer.status_code == 422 and f'id="{named}-error"' in answer.text
    assert f'value="{fields[named]}"' in answer.text or named == "fuel"  # as typed
    with db.read() as session:
        assert generators.generators_of(session, "point-a") == []
        assert generators.deliveries_of(session, "point-a") == []


def test_only_those_who_answer_for_the_point_see_or_change_its_fuel(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_b", clock())
    assert app_client.get("/operate/point-a/fuel").status_code == 403
    form = {"csrf": csrf, "rated_kw": "20", "fuel": "diesel"}
    assert app_client.post("/operate/point-a/fuel/generators", data=form).status_code == 403
    delivery = {"csrf": csrf, "litres": "50"}
    assert app_client.post("/operate/point-a/fuel/deliveries", data=delivery).status_code == 403
    with db.write() as session:
        row = generators.add_generator(
            session, "point-a", GeneratorCreate(rated_kw=10), CLI, clock()
        )
    removal = app_client.post(
        f"/operate/point-b/fuel/generators/{row.id}/remove", data={"csrf": csrf}
    )
    assert removal.status_code == 404  # point-a's generator, through point-b's page
    with db.read() as session:
        assert len(generators.generators_of(session, "point-a")) == 1


def test_the_dashboard_sorts_and_filters_by_the_runway(app_client, db, clock):
    burning(db, clock, "point-a", 20)  # 5.5 h on the clock
    with db.write() as session:
        generators.add_generator(
            session, "point-b", GeneratorCreate(rated_kw=20, litres_per_hour=4), CLI, clock()
        )
        reports.add_report(session, "point-b", ReportCreate(status="open", power="grid",
                           fuel_litres=200), CLI, now=clock())  # fmt: skip
    sign_in_as(app_client, db, "admin", clock())
    html = page(app_client, "/coordinate?sort=runway", "uk")
    assert html.index('data-id="point-a"') < html.index('data-id="point-b"')
    assert "≈ 6 год" in html and "нижче резерву" in html and "≈ 55 год" in html
    within = page(app_client, "/coordinate?runs_out_within=12", "uk")
    assert 'data-id="point-a"' in within and 'data-id="point-b"' not in within
    refused = app_client.get("/coordinate?runs_out_within=-1")
    assert refused.status_code == 422 and "runs_out_within" in refused.text
    exported = app_client.get("/coordinate/export.csv?runs_out_within=12")
    [record] = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert record["id"] == "point-a" and float(record["fuel_runway_hours"]) == pytest.approx(5.5)
    assert record["fuel_reserve_at_utc"]  # on its generator: when its reserve is reached


def test_the_api_gives_the_runway_to_its_coordinators_only(app_client, db, clock, network):
    burning(db, clock, "point-a", 110)
    app_client.app.state.nezlam.sync.refresh()
    clock.advance(hours=5.5)
    mine = app_client.get("/api/v1/points/point-a", headers=network.headers("coordinator_a"))
    runway = mine.json()["properties"]["fuel_runway"]
    assert runway["on_generator"] and runway["litres_left"] == pytest.approx(90)
    assert runway["hours_left"] == pytest.approx(24.75) and runway["hours_to_reserve"] == 18.75
    empty_at = datetime.fromisoformat(runway["empty_at"].replace("Z", "+00:00"))
    assert abs(empty_at - (clock() + timedelta(hours=24.75))) < timedelta(seconds=1)
    public = app_client.get("/api/v1/points/point-a").json()["properties"]
    assert "fuel_runway" not in public and "fuel_litres" not in public


def test_the_api_adds_lists_and_removes_generators_and_records_deliveries(
    app_client, db, clock, network
):
    operator = network.headers("operator_a")
    url = "/api/v1/points/point-a"
    refused = app_client.post(f"{url}/generators", json={"rated_kw": "lots"}, headers=operator)
    assert refused.status_code == 422 and "rated_kw" in refused.text
    added = app_client.post(f"{url}/generators", json={"rated_kw": 20, "tank_litres": 100},
                            headers=operator)  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["consumption_lph"] == 3.4 and not added.json()["consumption_measured"]
    listed = app_client.get(f"{url}/generators", headers=operator).json()["generators"]
    assert [g["id"] for g in listed] == [added.json()["id"]]
    other = network.headers("operator_b")
    assert app_client.get(f"{url}/generators", headers=other).status_code == 403
    came = app_client.post(f"{url}/fuel-deliveries", json={"litres": 150, "delivered_by": "T"},
                           headers=operator)  # fmt: skip
    assert came.status_code == 201 and came.json()["fuel_litres"] == 100  # what the tank holds
    assert came.json()["litres_before"] is None  # never reported before
    gone = app_client.delete(f"{url}/generators/{added.json()['id']}", headers=operator)
    assert gone.status_code == 204
    assert app_client.get(f"{url}/generators", headers=operator).json()["generators"] == []
