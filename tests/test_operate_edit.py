"""Editing a point's services, opening hours and contacts from the operator's workspace
(/operate/{id}/edit): a plain form, checked field by field, saved with an audit entry — only by
those who answer for the point, and only with the session's CSRF token."""

import html
import re

import pytest

from nezlam.store import audit
from nezlam.store import points as point_store
from tests.conftest import sign_in_as
from tests.test_outage_warnings import schedule_imported

EDIT = "/operate/point-a/edit"
PAGE = {"Accept": "text/html", "Accept-Language": "en"}
GOOD = {
    "services": ["heat", "water", "wifi"],
    "opening_hours": "Mo-Fr 08:00-20:00; Su off",
    "phone": "+380 44 123 45 67",
    "capacity": "55",
    "notes_uk": "Вхід з двору",
    "notes_en": "Entrance from the yard",
}


def point_a(db):
    with db.read() as session:
        point = point_store.get_point(session, "point-a")
        return {
            "services": point.services,
            "opening_hours": point.opening_hours,
            "phone": point.phone,
            "capacity": point.capacity,
            "notes": point.notes,
        }


def point_edits(db):
    with db.read() as session:
        return [
            (entry.actor, entry.after)
            for entry in audit.entries(session, "point", "point-a")
            if entry.action == "update"
        ]


def save(client, csrf, **fields):
    data = {**GOOD, **fields}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(EDIT, data=data, headers=PAGE, follow_redirects=False)


def test_editing_needs_signing_in(app_client, db):
    answer = app_client.get(EDIT, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/operate/point-a/edit"
    posted = app_client.post(EDIT, data=GOOD, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
    assert point_a(db)["capacity"] == 40 and point_edits(db) == []


@pytest.mark.parametrize(
    ("lang", "water", "heading"),
    [("uk", "Питна вода", "Змінити дані"), ("en", "Drinking water", "Edit details")],
)
def test_the_form_shows_what_the_point_has_in_the_pages_language(
    app_client, db, clock, lang, water, heading
):
    sign_in_as(app_client, db, "operator_a", clock())
    page = app_client.get(EDIT, headers={"Accept-Language": lang}).text
    assert f"{heading}: " in page and water in page
    checked = re.findall(r'name="services" value="(\w+)" checked', page)
    assert checked == ["heat", "power"]
    assert 'name="opening_hours" value="24/7"' in page
    assert 'name="capacity" inputmode="numeric" value="40"' in page


def test_an_operator_saves_services_hours_phone_capacity_and_notes(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = save(app_client, csrf)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/operate?done=edited#p-point-a"
    assert point_a(db) == {
        "services": ["heat", "water", "wifi"],
        "opening_hours": "Mo-Fr 08:00-20:00; Su off",
        "phone": "+380 44 123 45 67",
        "capacity": 55,
        "notes": {"uk": "Вхід з двору", "en": "Entrance from the yard"},
    }
    [(actor, after)] = point_edits(db)
    assert actor == "user:operator_a" and after["capacity"] == 55
    public = app_client.get("/api/v1/points/point-a").json()["properties"]
    assert public["services"] == ["heat", "water", "wifi"] and public["capacity"] == 55
    notice = app_client.get(answer.headers["location"], headers=PAGE).text
    assert "Details saved. Thank you." in notice


def test_emptied_fields_are_cleared_and_notes_in_other_languages_stay(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    with db.write() as session:
        point_store.get_point(session, "point-a").notes = {"de": "Eingang hinten"}
    answer = save(
        app_client, csrf, services=[], opening_hours="", phone="", capacity="", notes_en=""
    )
    assert answer.status_code == 303, answer.text
    assert point_a(db) == {
        "services": [],
        "opening_hours": None,
        "phone": None,
        "capacity": None,
        "notes": {"de": "Eingang hinten", "uk": "Вхід з двору"},
    }


def test_invalid_hours_are_shown_beside_the_field_with_what_was_typed(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    before = point_a(db)
    answer = save(app_client, csrf, opening_hours="Mo-Fr 25:00-20:00", capacity="55")
    assert answer.status_code == 422
    page = answer.text
    error = re.search(r'<span class="field-error" id="opening_hours-error">([^<]+)</span>', page)
    assert error and error[1].startswith("Not valid opening hours: hour 25 does not exist.")
    assert 'value="Mo-Fr 25:00-20:00"' in page and 'aria-invalid="true"' in page
    assert 'aria-describedby="opening_hours-hint opening_hours-error"' in page
    assert 'value="55"' in page and "Entrance from the yard" in page  # the rest as typed
    assert re.findall(r'name="services" value="(\w+)" checked', page) == GOOD["services"]
    assert "phone-error" not in page
    assert point_a(db) == before and point_edits(db) == []


def test_every_invalid_field_is_named_at_once(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = save(
        app_client,
        csrf,
        phone="call me",
        capacity="many",
        services=["heat", "sauna"],
        notes_en="x" * 1001,
    )
    assert answer.status_code == 422
    for field in ("phone", "capacity", "services", "notes_en"):
        assert f'id="{field}-error"' in answer.text, field
    assert "opening_hours-error" not in answer.text
    assert "A whole number of places" in answer.text and "At most 1000 characters" in answer.text
    assert point_a(db)["capacity"] == 40 and point_edits(db) == []


def test_a_forged_post_without_the_sessions_token_stores_nothing(app_client, db, clock):
    sign_in_as(app_client, db, "operator_a", clock())
    for csrf in (None, "", "forged"):
        answer = save(app_client, csrf)
        assert answer.status_code == 403, csrf
    assert point_a(db)["capacity"] == 40 and point_edits(db) == []


@pytest.mark.parametrize("who", ["operator_b", "coordinator_b"])
def test_someone_not_answering_for_the_point_can_neither_see_nor_change_it(
    app_client, db, clock, who
):
    csrf = sign_in_as(app_client, db, who, clock())
    shown = app_client.get(EDIT, headers=PAGE)
    assert shown.status_code == 403 and "Entrance" not in shown.text
    assert "you may not edit this point" in shown.text
    assert save(app_client, csrf).status_code == 403
    assert point_a(db)["capacity"] == 40 and point_edits(db) == []


@pytest.mark.parametrize("who", ["org_operator_a", "coordinator_a", "admin"])
def test_its_organisation_its_coordinator_and_an_admin_may_edit(app_client, db, clock, who):
    csrf = sign_in_as(app_client, db, who, clock())
    assert app_client.get(EDIT, headers=PAGE).status_code == 200
    assert save(app_client, csrf).status_code == 303
    assert [actor for actor, _after in point_edits(db)] == [f"user:{who}"]


def test_an_unknown_point_is_not_found(app_client, db, clock):
    sign_in_as(app_client, db, "operator_a", clock())
    assert app_client.get("/operate/no-such-point/edit", headers=PAGE).status_code == 404


def test_hours_in_ukrainian_words_are_saved_in_openstreetmap_syntax(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = save(app_client, csrf, opening_hours="пн–пт 09:00–18:00; сб 10-14; нд вихідний")
    assert answer.status_code == 303, answer.text
    assert point_a(db)["opening_hours"] == "Mo-Fr 09:00-18:00; Sa 10:00-14:00; Su off"
    shown = app_client.get(EDIT, headers=PAGE).text
    assert 'value="Mo-Fr 09:00-18:00; Sa 10:00-14:00; Su off"' in shown


def test_hours_are_shown_back_normalised_beside_another_mistake(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = save(app_client, csrf, opening_hours="Пн-Пт 9-18", phone="call me")
    assert answer.status_code == 422
    assert 'value="Mo-Fr 09:00-18:00"' in answer.text and 'id="phone-error"' in answer.text
    assert "opening_hours-error" not in answer.text


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Пн-Пт 9-25", "година 25 не існує"),
        ("Пт- 9-18", "незрозумілий день «Пт-»"),
        ("пн-пт 9:75-18", "хвилина 75 не існує"),
    ],
)
def test_a_mistake_in_the_hours_is_said_in_words_beside_the_field(
    app_client, db, clock, typed, said
):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    before = point_a(db)
    answer = app_client.post(
        EDIT, data={**GOOD, "csrf": csrf, "opening_hours": typed}, follow_redirects=False
    )  # no Accept-Language: the page speaks Ukrainian
    assert answer.status_code == 422
    error = re.search(
        r'<span class="field-error" id="opening_hours-error">([^<]+)</span>', answer.text
    )
    assert error, answer.text
    assert html.unescape(error[1]).startswith(f"Розклад не розпізнано: {said}. Пишіть, наприклад")
    assert f'value="{html.escape(typed)}"' in answer.text  # what was typed, kept
    assert point_a(db) == before


# Whose outage schedule the point follows (issue 12)


def outage_fields(db):
    with db.read() as session:
        point = point_store.get_point(session, "point-a")
        return point.outage_region, point.outage_queue


def test_the_form_offers_the_imported_schedules_and_saves_region_and_queue(app_client, db, clock):
    schedule_imported(db, clock())
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    page = app_client.get(EDIT, headers=PAGE).text
    assert "Schedules imported: vinnytsia." in page
    assert '<datalist id="outage-regions"><option value="vinnytsia"></datalist>' in page
    queues = re.search(r'<datalist id="outage-queues">(.*?)</datalist>', page)[1]
    offered = re.findall(r'<option value="([^"]+)">', queues)
    assert offered[:3] == ["1.1", "1.2", "2.1"] and offered[-1] == "6.2"
    # As the files and the companies' sites name them: read as the schedule has them.
    answer = save(app_client, csrf, outage_region=" Vinnytsia ", outage_queue="GPV1.2")
    assert answer.status_code == 303, answer.text
    assert outage_fields(db) == ("vinnytsia", "1.2")
    [(actor, after)] = point_edits(db)
    assert actor == "user:operator_a" and after["outage_queue"] == "1.2"
    again = app_client.get(EDIT, headers=PAGE).text
    assert 'name="outage_region" list="outage-regions" value="vinnytsia"' in again
    cleared = save(app_client, csrf, outage_region="", outage_queue="")
    assert cleared.status_code == 303 and outage_fields(db) == (None, None)


@pytest.mark.parametrize(
    ("fields", "named", "words"),
    [
        ({"outage_region": "vinnytsia"}, "outage_queue", "fill in both, or neither"),
        ({"outage_queue": "1.1"}, "outage_region", "fill in both, or neither"),
        ({"outage_region": "вінниця", "outage_queue": "1.1"}, "outage_region", "Latin letters"),
        ({"outage_region": "vinnytsia", "outage_queue": "one"}, "outage_queue", "e.g. 1.1"),
    ],
)
def test_a_schedule_field_that_is_not_valid_is_named_and_nothing_is_saved(
    app_client, db, clock, fields, named, words
):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = save(app_client, csrf, capacity="55", **fields)
    assert answer.status_code == 422
    error = re.search(rf'<span class="field-error" id="{named}-error">([^<]+)</span>', answer.text)
    assert error and words in html.unescape(error[1])
    assert outage_fields(db) == (None, None) and point_a(db)["capacity"] == 40


def test_without_a_schedule_imported_the_form_says_so_in_ukrainian(app_client, db, clock):
    sign_in_as(app_client, db, "operator_a", clock())
    page = app_client.get(EDIT).text
    assert "Графік відключень світла" in page and "Жодного графіка ще не завантажено." in page
    assert '<datalist id="outage-regions"></datalist>' in page
