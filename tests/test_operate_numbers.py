"""Numbers an operator or the API sends that no point can have (review O3): a typo in fuel or
people is said beside its field, in words, with what was typed kept — never "not a known
action" nor "you were signed out" — and fuel above the tank (5,000 l when its size is unknown)
or people far above the places (1.5 ×) are refused on both paths, naming the field (422)."""

import html
import re

import pytest
import sqlalchemy as sa

from nezlam.store import points as point_store
from nezlam.store.tables import StatusReport
from tests.conftest import sign_in_as

DETAILS = {"action": "details", "power": "generator", "heating": "yes", "internet": "no"}
UK = {"Accept": "text/html"}  # no Accept-Language: the page speaks Ukrainian


def stored(db):
    with db.read() as session:
        return session.execute(
            sa.select(StatusReport.occupancy, StatusReport.fuel_litres).order_by(StatusReport.id)
        ).all()


def fuel_and_people(db):
    with db.read() as session:
        point = point_store.get_point(session, "point-a")
        return point.fuel_litres, point.occupancy


def set_point(db, **values):
    with db.write() as session:
        point = point_store.get_point(session, "point-a")
        for name, value in values.items():
            setattr(point, name, value)


def post_details(client, csrf, **numbers):
    data = {**DETAILS, "csrf": csrf, "key": f"k-{sorted(numbers.items())}", **numbers}
    return client.post("/operate/point-a", data=data, headers=UK, follow_redirects=False)


def beside(page, short):
    """The mistake shown beside the field `short` (occ or fuel) of point-a's form."""
    found = re.search(rf'<span class="field-error" id="{short}-point-a-error">([^<]+)</span>', page)
    return html.unescape(found[1]) if found else None


@pytest.mark.parametrize(
    ("fuel", "said"),
    [
        ("abc", "Число, напр. 140 або 37,5."),
        ("-20", "Не може бути менше за 0."),
        ("99999", "Понад 5\u00a0000 л: перевірте число."),
    ],
)
def test_a_bad_fuel_number_is_said_beside_the_field_and_kept(app_client, db, clock, fuel, said):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = post_details(app_client, csrf, fuel_litres=fuel, occupancy_exact="12")
    assert answer.status_code == 422
    page = answer.text
    assert (beside(page, "fuel") or "").startswith(said), page
    assert 'aria-describedby="fuel-point-a-error"' in page and 'aria-invalid="true"' in page
    assert f'name="fuel_litres" inputmode="decimal" value="{fuel}"' in page  # as typed
    assert 'name="occupancy_exact" inputmode="numeric" value="12"' in page
    assert 'value="generator" checked' in page  # the rest of the form as it was set
    assert "невідома дія" not in page and "вийшли з облікового запису" not in page
    assert stored(db) == [] and fuel_and_people(db) == (None, None)


def test_fuel_above_the_points_tank_is_refused_naming_the_tank(app_client, db, clock):
    set_point(db, fuel_tank_litres=200)
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    refused = post_details(app_client, csrf, fuel_litres="250")
    assert refused.status_code == 422
    assert (beside(refused.text, "fuel") or "").startswith("Більше, ніж уміщує бак (200 л).")
    saved = post_details(app_client, csrf, fuel_litres="180,5")
    assert saved.status_code == 303 and "done=saved" in saved.headers["location"]
    assert fuel_and_people(db) == (180.5, None)


def test_people_far_above_the_places_are_refused_and_a_full_point_is_suggested(
    app_client, db, clock
):
    csrf = sign_in_as(app_client, db, "operator_a", clock())  # point-a has 40 places
    refused = post_details(app_client, csrf, occupancy_exact="61")
    assert refused.status_code == 422
    assert (beside(refused.text, "occ") or "").startswith("Людей не може бути більше ніж 60")
    assert post_details(app_client, csrf, occupancy_exact="12.5").status_code == 422
    assert stored(db) == []
    saved = post_details(app_client, csrf, occupancy_exact="45")  # crowded, not impossible
    assert "done=saved" in saved.headers["location"]
    page = app_client.get("/operate", headers=UK).text
    assert "натисніть «Немає місць»" in page  # as many as the places or more: full?
    assert fuel_and_people(db) == (None, 45)


def test_one_more_person_beyond_the_limit_is_refused_one_less_never(app_client, db, clock):
    set_point(db, occupancy=60)
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    data = {"csrf": csrf, "action": "occupancy:+1", "key": "plus"}
    more = app_client.post("/operate/point-a", data=data, headers=UK, follow_redirects=False)
    assert more.headers["location"] == "/operate?done=crowded#p-point-a"
    notice = app_client.get(more.headers["location"], headers=UK).text
    assert "Не збережено: стільки людей — набагато більше, ніж місць у пункті." in notice
    set_point(db, occupancy=70, capacity=40)  # counted before the places were lowered
    data = {"csrf": csrf, "action": "occupancy:-1", "key": "minus"}
    less = app_client.post("/operate/point-a", data=data, headers=UK, follow_redirects=False)
    assert "done=saved" in less.headers["location"]
    assert fuel_and_people(db) == (None, 69)


def test_the_card_writes_fuel_as_its_language_does(app_client, db, clock):
    set_point(db, fuel_litres=140.0)
    sign_in_as(app_client, db, "operator_a", clock())
    page = app_client.get("/operate", headers=UK).text
    assert "пальне 140 л" in page and "140.0" not in page
    set_point(db, fuel_litres=37.5)
    page = app_client.get("/operate", headers=UK).text
    assert "пальне 37,5 л" in page and 'value="37,5"' in page


def test_an_ended_session_sends_the_tap_to_sign_in_not_to_a_refusal(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    clock.advance(hours=25, seconds=1)  # unused for a day, and the hour a renewal may add
    data = {"csrf": csrf, "action": "status:open", "key": "late"}
    answer = app_client.post("/operate/point-a", data=data, headers=UK, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/operate"
    assert stored(db) == []


# --- the API's reports pass the same check --------------------------------------------------


def report(client, network, body):
    return client.post(
        f"/api/v1/points/{network.point_a}/reports",
        json=body,
        headers=network.headers("operator_a"),
    )


def test_the_api_refuses_fuel_above_the_tank_naming_the_field(app_client, network, db):
    refused = report(app_client, network, {"fuel_litres": 99999})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "fuel_litres" and "5000 l" in error["problem"]
    assert report(app_client, network, {"fuel_litres": 4000}).status_code == 201
    set_point(db, fuel_tank_litres=200)
    refused = report(app_client, network, {"fuel_litres": 250})
    assert refused.status_code == 422 and "the tank holds (200 l)" in refused.text
    assert [fuel for _people, fuel in stored(db)] == [4000]


def test_the_api_refuses_people_far_above_the_places(app_client, network, db):
    refused = report(app_client, network, {"occupancy": 61})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "occupancy"
    assert report(app_client, network, {"occupancy": 60}).status_code == 201
    step = report(app_client, network, {"occupancy_change": 1})
    assert step.status_code == 422 and step.json()["errors"][0]["field"] == "occupancy_change"
    assert [people for people, _fuel in stored(db)] == [60]
