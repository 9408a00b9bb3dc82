"""Organisation onboarding: an organisation applies on /apply with its point(s); the points are in
no public view until a coordinator of their region approves on /coordinate/applications."""

from __future__ import annotations

import io
import re
from html import unescape

import orjson
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from nezlam.interchange.exporter import export_public
from nezlam.places.records import PlaceKind, PlaceRecord
from nezlam.places.store import add_places
from nezlam.store import onboarding
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.tables import (
    Application,
    AuditEntry,
    Organisation,
    Point,
    RoleGrant,
    User,
)
from tests.conftest import REGION_A, REGION_B, point_create, sign_in_as

NAME = "Юрта Степова"
ADDRESS = "вул. Степова, 9"
CANARIES = [NAME, "Степова", "50.46513", "30.50017"]  # the searches use fewer digits
FORM = {
    "organisation_name": "ТОВ «Степ Юрт»",
    "organisation_kind": "business",
    "contact_name": "Айдос Нурланов",
    "phone": "+380 67 555 1212",
    "username": "step-yurt",
    "password": "a long enough passphrase",
    "region": REGION_A,
    "message": "Юрту вже поставили.",
    "p1_name": NAME,
    "p1_address": ADDRESS,
    "p1_locality": "Київ",
    "p1_lat": "50,46513",  # a decimal comma, as a phone keyboard may give it
    "p1_lon": "30.50017",
    "p1_services": ["heat", "power", "hot_drinks"],
    "p1_opening_hours": "24/7",
    "p1_capacity": "40",
}
PUBLIC_URLS = [
    "/?lat=50.4651&lon=30.5001&f=1",
    "/?q=50.4651%2C+30.5001&f=1&lang=en",
    "/api/v1/points/nearest?lat=50.4651&lon=30.5001&k=20",
    "/api/v1/points?bbox=30,50,31,51",
    "/api/v1/points",
    "/api/v1/feeds/points.geojson",
    "/api/v1/feeds/points.csv",
    "/api/v1/feeds/points.hxl.csv",
    "/api/v1/feeds/points.geojson?changed_since=0-0",
]


def form_token(client) -> str:
    page = client.get("/apply")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


def apply(client, **changes):
    data = {**FORM, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    data.setdefault("csrf", form_token(client))
    return client.post("/apply", data=data, follow_redirects=False)


def counts(db) -> dict[str, int]:
    with db.read() as session:
        return {
            table.__tablename__: session.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in (Organisation, User, Point, Application, RoleGrant)
        }


def the_application(db) -> Application:
    with db.read() as session:
        return session.execute(sa.select(Application)).scalar_one()


def applied_point(db) -> str:
    return the_application(db).point_ids[0]


def public_texts(client, point_id: str) -> dict[str, str]:
    """Every public view there is, by where it was read."""
    texts = {url: client.get(url).text for url in PUBLIC_URLS}
    texts["/points/{id}"] = client.get(f"/points/{point_id}").text
    texts["/api/v1/points/{id}"] = client.get(f"/api/v1/points/{point_id}").text
    poster = client.get("/poster?lat=50.465&lon=30.5")
    assert poster.status_code == 200
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(poster.content)).pages)
    texts["/poster"] = re.sub(r"\s+", " ", pdf)
    return texts


@pytest.fixture
def applied(app_client, db):
    answer = apply(app_client)
    assert answer.status_code == 303, answer.text
    app_client.app.state.nezlam.sync.refresh()  # as the index poller would
    return applied_point(db)


def decide(client, db, clock, who: str, action: str, note: str = "", csrf: str | None = None):
    token = sign_in_as(client, db, who, clock())
    application = the_application(db)
    return client.post(
        f"/coordinate/applications/{application.id}",
        data={"csrf": token if csrf is None else csrf, "action": action, "note": note},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )


def test_applying_creates_organisation_account_hidden_points_and_a_pending_application(
    app_client, db
):
    before = counts(db)
    answer = apply(
        app_client,
        p2_name="Пункт у школі",
        p2_address="вул. Шкільна, 1",
        p2_locality="Київ",
        p2_lat="50.47",
        p2_lon="30.51",
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/apply?submitted=%D0%9A%D0%B8%D1%97%D0%B2"
    confirmation = app_client.get(answer.headers["location"], headers={"Accept-Language": "en"})
    assert "A coordinator of Київ will review it." in confirmation.text
    after = counts(db)
    assert {k: after[k] - before[k] for k in after} == {
        "organisations": 1,
        "users": 1,
        "points": 2,
        "applications": 1,
        "role_grants": 2,
    }
    with db.read() as session:
        application = session.execute(sa.select(Application)).scalar_one()
        org = session.get(Organisation, application.organisation_id)
        user = session.get(User, application.user_id)
        points = [session.get(Point, p) for p in application.point_ids]
        grants = list(
            session.execute(sa.select(RoleGrant).where(RoleGrant.user_id == user.id)).scalars()
        )
        audit = session.execute(
            sa.select(AuditEntry.entity, AuditEntry.action, AuditEntry.actor).where(
                AuditEntry.entity.in_(["application", "point"]),
                AuditEntry.entity_id.in_([str(application.id), *application.point_ids]),
            )
        ).all()
    assert (application.status, application.region, application.contact_name) == (
        "pending",
        REGION_A,
        "Айдос Нурланов",
    )
    assert (org.name, org.kind, org.phone) == ("ТОВ «Степ Юрт»", "business", "+380 67 555 1212")
    assert org.slug == "tov-step-yurt"  # transliterated by the national table
    assert user.username == "step-yurt" and user.organisation_id == org.id
    assert user.password_hash and "a long enough" not in user.password_hash
    assert sorted((g.role, g.point_id) for g in grants) == sorted(
        ("operator", p.id) for p in points
    )
    first = points[0]
    assert (first.name, first.visibility, first.region, first.organisation_id) == (
        {"uk": NAME},
        "hidden",
        REGION_A,
        org.id,
    )
    assert (first.lat, first.lon, first.services, first.capacity, first.category) == (
        50.46513,
        30.50017,
        ["heat", "power", "hot_drinks"],
        40,
        "business",
    )
    assert ("application", "submit", "user:step-yurt") in audit
    assert audit.count(("point", "create", "user:step-yurt")) == 2


def test_hidden_points_are_in_no_public_view_until_approved(app_client, db, clock, applied):
    texts = public_texts(app_client, applied)
    # An incremental feed names points that left the public view since the cursor; a point that
    # was never public is not among them: not even its id leaves the server.
    changes = orjson.loads(texts.pop("/api/v1/feeds/points.geojson?changed_since=0-0"))
    assert applied not in {f["id"] for f in changes["features"]}
    assert applied not in changes["removed"]
    assert NAME not in str(changes) and "50.46513" not in str(changes)
    for where, text in texts.items():
        if "{id}" not in where:  # those answer 404 "no point with id …"
            assert applied not in text, f"{where} shows the hidden point"
        for canary in CANARIES:
            assert canary not in text, f"{canary!r} leaked through {where}"
    assert app_client.get(f"/points/{applied}").status_code == 404
    assert app_client.get(f"/api/v1/points/{applied}").status_code == 404
    for fmt in ("geojson", "csv", "hxl"):
        exported = export_public(app_client.app.state.nezlam.settings, db, fmt).decode()
        assert applied not in exported and NAME not in exported

    assert decide(app_client, db, clock, "coordinator_a", "approve").status_code == 303
    app_client.cookies.clear()
    shown = public_texts(app_client, applied)
    for where in ("/?lat=50.4651&lon=30.5001&f=1", "/points/{id}", "/poster"):
        assert NAME in shown[where], f"{where} does not show the approved point"
    for where in PUBLIC_URLS[2:] + ["/api/v1/points/{id}"]:
        assert applied in shown[where], f"{where} does not list the approved point"
    exported = export_public(app_client.app.state.nezlam.settings, db, "geojson").decode()
    assert applied in exported


def test_approval_is_audited_and_listed_with_who_and_when(app_client, db, clock, applied):
    clock.advance(minutes=5)
    answer = decide(app_client, db, clock, "coordinator_a", "approve")
    assert answer.headers["location"] == "/coordinate/applications?done=approved"
    application = the_application(db)
    assert application.status == "approved" and application.decided_at == clock()
    with db.read() as session:
        decider = session.get(User, application.decided_by).username
        changes = session.execute(
            sa.select(AuditEntry.actor, AuditEntry.before, AuditEntry.after).where(
                AuditEntry.entity == "point",
                AuditEntry.entity_id == applied,
                AuditEntry.action == "update",
            )
        ).all()
        seq = session.get(Point, applied).change_seq
    assert decider == "coordinator_a"
    assert changes == [("user:coordinator_a", {"visibility": "hidden"}, {"visibility": "public"})]
    assert seq > 0
    page = app_client.get("/coordinate/applications", headers={"Accept-Language": "en"})
    assert "Approved: the points are now shown to the public." not in page.text  # no ?done
    recent = page.text[page.text.index("Recent decisions") :]
    # In English the organisation's name is in the national transliteration.
    assert "TOV «Step Yurt»" in recent and "approved" in recent and "coordinator_a" in recent
    assert "24.11.2026 20:05" in recent  # Kyiv time


def test_a_rejected_application_keeps_its_points_hidden_and_needs_a_reason(
    app_client, db, clock, applied
):
    no_reason = decide(app_client, db, clock, "coordinator_a", "reject", note="  ")
    assert no_reason.status_code == 422
    assert "Вкажіть причину" in no_reason.text
    assert the_application(db).status == "pending"
    answer = decide(app_client, db, clock, "coordinator_a", "reject", note="Немає генератора")
    assert answer.headers["location"] == "/coordinate/applications?done=rejected"
    application = the_application(db)
    assert (application.status, application.decision_note) == ("rejected", "Немає генератора")
    with db.read() as session:
        assert session.get(Point, applied).visibility == "hidden"
    app_client.cookies.clear()
    assert app_client.get(f"/api/v1/points/{applied}").status_code == 404
    again = decide(app_client, db, clock, "coordinator_a", "approve")
    assert again.status_code == 409  # decided once, for good
    with db.read() as session:
        assert session.get(Point, applied).visibility == "hidden"


def test_a_coordinator_of_another_region_neither_sees_nor_decides_it(
    app_client, db, clock, applied
):
    sign_in_as(app_client, db, "coordinator_b", clock())
    page = app_client.get("/coordinate/applications")
    assert page.status_code == 200
    assert "Степ Юрт" not in page.text and NAME not in page.text and applied not in page.text
    answer = decide(app_client, db, clock, "coordinator_b", "approve")
    assert answer.status_code == 404
    assert the_application(db).status == "pending"
    sign_in_as(app_client, db, "coordinator_a", clock())
    page = app_client.get("/coordinate/applications")
    assert "ТОВ «Степ Юрт»" in page.text and NAME in page.text and ADDRESS in page.text
    assert "50.46513, 30.50017" in page.text and "+380 67 555 1212" in page.text


def test_an_admin_decides_in_any_region(app_client, db, clock, applied):
    assert decide(app_client, db, clock, "admin", "approve").status_code == 303
    assert the_application(db).status == "approved"


def test_operators_and_anonymous_visitors_are_kept_out(app_client, db, clock, applied):
    anonymous = app_client.get("/coordinate/applications", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/coordinate/applications"
    application = the_application(db)
    posted = app_client.post(
        f"/coordinate/applications/{application.id}",
        data={"action": "approve"},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
    sign_in_as(app_client, db, "operator_a", clock())
    page = app_client.get("/coordinate/applications", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert decide(app_client, db, clock, "operator_a", "approve").status_code == 403
    assert the_application(db).status == "pending"


def test_a_decision_without_the_sessions_csrf_token_changes_nothing(app_client, db, clock, applied):
    for csrf in ("", "forged"):
        assert (
            decide(app_client, db, clock, "coordinator_a", "approve", csrf=csrf).status_code == 403
        )
    assert the_application(db).status == "pending"
    with db.read() as session:
        assert session.get(Point, applied).visibility == "hidden"


def test_every_wrong_field_is_named_and_nothing_is_created(app_client, db):
    before = counts(db)
    answer = apply(
        app_client,
        organisation_name="",
        organisation_kind="spaceship",
        phone="call me",
        username="a b",
        password="short",
        region="Атлантида",
        p1_lat="north",
        p1_lon="300",
        p1_opening_hours="whenever",
        p1_capacity="many",
        p2_name="Друга точка",  # a second point begun, its address etc. missing
    )
    assert answer.status_code == 422
    assert counts(db) == before
    html = unescape(answer.text)
    errors = dict(re.findall(r'<span class="error" id="e-([a-z0-9_]+)">([^<]+)</span>', html))
    assert errors == {
        "organisation_name": "Обов'язкове поле.",
        "organisation_kind": "Виберіть один із варіантів.",
        "phone": "Лише цифри, пробіли та + ( ) -, напр. +380 67 123 4567.",
        "username": "Від 3 до 64 літер, цифр або . _ @ - (без пробілів).",
        "password": "Щонайменше 10 символів.",
        "p1_lat": "Широта в градусах, від -90 до 90 (Київ — близько 50.45).",
        "p1_lon": "Довгота в градусах, від -180 до 180 (Київ — близько 30.52).",
        "p1_opening_hours": (
            "Розклад не розпізнано: незрозуміле слово «whenever». "
            "Пишіть, наприклад, «Пн-Пт 9-18; Сб 10-14; Нд вихідний» або «цілодобово»."
        ),
        "p1_capacity": "Ціле число людей, від 0 до 100000.",
        "p2_address": "Обов'язкове поле.",
        "p2_locality": "Обов'язкове поле.",
    }  # no coordinates asked for: the address gives them
    # What was typed comes back (never the password), each error tied to its field.
    assert 'value="call me"' in html and 'value="Друга точка"' in html
    assert "short" not in html
    assert 'aria-describedby="e-phone h-phone"' in html and 'aria-invalid="true"' in html
    # The list at the top names each field and links to it.
    assert '<a href="#f-p1_lat">Широта (Пункт 1): Широта в градусах' in html
    assert '<a href="#f-phone">Телефон: Лише цифри' in html


# --- What the coordinator checks before approving ------------------------------------------------


def test_each_applied_point_is_shown_with_the_points_already_around_it(
    app_client, db, clock, applied
):
    with db.write() as session:
        for point_id, lat, lon, name in [
            ("next-door", 50.4655, 30.5004, "Школа № 12"),  # about 45 m from the yurt
            ("namesake", 50.41, 30.61, NAME),  # the same name, elsewhere in Kyiv
            ("far-away", 50.40, 30.40, "Бібліотека"),
        ]:
            data = point_create(point_id, REGION_A, lat, lon, name={"uk": name})
            point_store.create_point(session, data, CLI, now=clock())
    sign_in_as(app_client, db, "coordinator_a", clock())
    html = app_client.get("/coordinate/applications", headers={"Accept-Language": "en"}).text
    offered = html[html.index(f'id="ap-{applied}"') :]
    offered = offered[: offered.index('<div class="decide">')]
    assert 'class="mini-map" data-lat="50.46513" data-lon="30.50017"' in offered
    assert "vul. Stepova, 9, Kyiv" in offered  # the address, in English transliterated
    warning = offered[offered.index("Points already there") :]
    listed = re.findall(r'href="/coordinate/points/([^"]+)"', warning)
    assert listed == ["next-door", "namesake"]  # nearest first; the far one is not there
    assert re.search(r"Школа № 12</a>.*?<strong>4\d m away</strong>", warning, re.S)
    assert re.search(rf"{NAME}</a>.*?<strong>the same name</strong>", warning, re.S)


def test_a_point_with_nothing_around_says_so(app_client, db, clock, applied):
    sign_in_as(app_client, db, "coordinator_a", clock())
    html = app_client.get("/coordinate/applications", headers={"Accept-Language": "en"}).text
    assert "No other point within 100 m, and none of this name in Kyiv." in html
    assert "Points already there" not in html


# --- Where the point is: from its address ------------------------------------------------------


@pytest.fixture
def gazetteer(db):
    """The address of the applied yurt, as `nezlam places import` would have stored it."""
    with db.write() as session:
        add_places(
            session,
            "test",
            [
                PlaceRecord(
                    kind=PlaceKind.ADDRESS, street="вулиця Степова", housenumber="9",
                    locality="Київ", lat=50.465, lon=30.5002,
                ),
                PlaceRecord(kind=PlaceKind.PLACE, name="Оболонь", lat=50.5, lon=30.5),
            ],
        )  # fmt: skip


def found_label(html: str) -> str | None:
    found = re.search(r'class="notice ok found-place"[^>]*>\s*<p><strong>([^<]+)</strong>', html)
    return unescape(found[1]) if found else None


def field_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="text" value="([^"]*)"', html)[1]


def test_an_address_the_gazetteer_finds_is_shown_back_then_applied_there(app_client, db, gazetteer):
    before = counts(db)
    first = apply(app_client, p1_lat="", p1_lon="")
    assert first.status_code == 200 and counts(db) == before  # nothing yet: confirm first
    html = first.text
    assert found_label(html) == "Знайдено: вулиця Степова, 9, Київ"
    assert (field_value(html, "p1_lat"), field_value(html, "p1_lon")) == ("50.465000", "30.500200")
    assert "введіть пароль ще раз" in html and 'type="password" value' not in html
    # Sent again as it came back (the password typed again): applied at the address found.
    located = re.search(r'name="p1_located" value="([^"]*)"', html)[1]
    again = apply(app_client, p1_lat="50.465000", p1_lon="30.500200", p1_located=unescape(located))
    assert again.status_code == 303
    with db.read() as session:
        point = session.get(Point, applied_point(db))
    assert (point.lat, point.lon, point.address) == (50.465, 30.5002, ADDRESS)


def test_find_this_address_looks_it_up_and_stores_nothing(app_client, db, gazetteer):
    before = counts(db)
    for _ in range(onboarding_limit() + 1):  # a lookup is not an application: never limited
        answer = apply(app_client, locate="1", password=None)
        assert answer.status_code == 200
    assert found_label(answer.text) == "Знайдено: вулиця Степова, 9, Київ"
    assert field_value(answer.text, "p1_lat") == "50.465000"  # replaces what was typed
    assert counts(db) == before


def test_an_address_nobody_can_find_asks_for_coordinates(app_client, db, gazetteer):
    before = counts(db)
    for address in ("вул. Неіснуюча, 404", "Оболонь"):  # nothing, or only a whole district
        answer = apply(app_client, p1_address=address, p1_lat="", p1_lon="")
        assert answer.status_code == 422 and counts(db) == before
        errors = dict(
            re.findall(r'<span class="error" id="e-([a-z0-9_]+)">([^<]+)</span>', answer.text)
        )
        assert list(errors) == ["p1_address"] and "не вдалося знайти" in unescape(
            errors["p1_address"]
        )
    # Typed coordinates need no lookup at all.
    assert apply(app_client, p1_address="вул. Неіснуюча, 404").status_code == 303


def test_an_address_changed_after_it_was_found_is_looked_up_again(app_client, db, gazetteer):
    stale = apply(
        app_client,
        p1_address="вул. Неіснуюча, 404",
        p1_lat="50.465000",
        p1_lon="30.500200",
        p1_located=f"{ADDRESS}|Київ",  # the coordinates were found for the old address
    )
    assert stale.status_code == 422 and "p1_address" in stale.text
    assert the_count(db, Application) == 0


def test_an_unknown_region_and_a_taken_username_are_refused_by_field(app_client, db):
    before = counts(db)
    unknown = apply(app_client, region="Атлантида")
    assert unknown.status_code == 422
    assert re.search(r'id="e-region">Виберіть один із наведених регіонів', unknown.text)
    taken = apply(app_client, username="operator_a")
    assert taken.status_code == 422
    assert 'id="e-username">Це ім\'я користувача зайняте' in unescape(taken.text)
    assert counts(db) == before


def test_an_application_without_the_form_token_stores_nothing(app_client, db):
    before = counts(db)
    form_token(app_client)  # the browser has its cookie; the form's copy is forged
    forged = app_client.post(
        "/apply", data={**FORM, "csrf": "forged"}, headers={"Accept": "text/html"}
    )
    assert forged.status_code == 403
    app_client.cookies.clear()  # a page on another site: no same-site cookie comes along
    token = "copied-from-somewhere"
    answer = app_client.post(
        "/apply", data={**FORM, "csrf": token}, headers={"Accept": "text/html"}
    )
    assert answer.status_code == 403
    assert counts(db) == before


def test_applications_are_rate_limited_per_client(app_client, db):
    token = form_token(app_client)
    for _ in range(onboarding_limit()):
        assert apply(app_client, csrf=token, username="").status_code == 422
    refused = apply(app_client, csrf=token)
    assert refused.status_code == 429
    assert "Забагато заявок" in refused.text
    assert the_count(db, Application) == 0


def onboarding_limit() -> int:
    from nezlam.web.pages.onboarding import APPLICATIONS_PER_HOUR

    return APPLICATIONS_PER_HOUR


def the_count(db, table) -> int:
    with db.read() as session:
        return session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_the_form_is_in_ukrainian_and_english_with_labels(app_client):
    uk = app_client.get("/apply")
    assert "Відкрити пункт незламності" in uk.text
    en = app_client.get("/apply", headers={"Accept-Language": "en"})
    assert "Open an invincibility point" in en.text
    for name in ("organisation_name", "phone", "username", "password", "p1_lat", "p3_lon"):
        assert f'<label for="f-{name}">' in en.text, name
    assert REGION_A in en.text and REGION_B in en.text  # regions to choose from


def test_demo_application_waits_for_the_kyiv_coordinator(db, clock):
    from nezlam.domain.points import OrganisationCreate, PointCreate
    from nezlam.store import accounts, points
    from nezlam.store.actor import CLI

    with db.write() as session:
        accounts.create_organisation(
            session, OrganisationCreate(slug="kz", name="KZ", kind="business"), CLI
        )
        points.create_point(
            session,
            PointCreate(
                name={"uk": "x"},
                category="state",
                lat=50.4,
                lon=30.5,
                locality="Київ",
                region="Київ",
            ),
            CLI,
        )
        application = onboarding.demo_applications(session, clock())
        application_id = application.id
    with db.read() as session:
        found = onboarding.pending_applications(session, frozenset({"Київ"}))
        assert [v.application.id for v in found] == [application_id]
        assert found[0].points[0].visibility == "hidden" and found[0].points[0].demo
        assert onboarding.pending_applications(session, frozenset({"Львівська область"})) == []
