"""The operator's first screens: sign in, my points, one-tap "still current", status and
occupancy buttons — each a plain form with a CSRF token and an idempotency key."""

import re

import pytest
import sqlalchemy as sa

from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.store.tables import StatusReport


@pytest.fixture
def taras(app_client, network, db):
    with db.write() as session:
        user = accounts.create_user(
            session, UserCreate(username="taras", password="a long passphrase"), CLI
        )
        accounts.grant_role(
            session, user, RoleGrantCreate(role="operator", point_id="point-a"), CLI
        )
    return app_client


def sign_in(client, password="a long passphrase", next_="/operate"):
    return client.post(
        "/login",
        data={"username": "taras", "password": password, "next": next_},
        follow_redirects=False,
    )


def form_of(html, point_id):
    section = html[html.index(f'id="p-{point_id}"') :]
    return {
        "csrf": re.search(r'name="csrf" value="([^"]+)"', section)[1],
        "key": re.search(r'name="key" value="([^"]+)"', section)[1],
    }


def reports(db):
    with db.read() as session:
        return session.execute(
            sa.select(StatusReport.status, StatusReport.verify, StatusReport.occupancy).order_by(
                StatusReport.id
            )
        ).all()


def test_my_points_needs_signing_in(taras):
    answer = taras.get("/operate", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/operate"


def test_wrong_password_says_so_and_right_one_lands_on_my_points(taras):
    wrong = sign_in(taras, password="not my password")
    assert wrong.status_code == 401 and (
        "Wrong username" in wrong.text or "Неправильне" in wrong.text
    )
    right = sign_in(taras)
    assert right.status_code == 303 and right.headers["location"] == "/operate"
    page = taras.get("/operate", headers={"Accept-Language": "en"})
    assert "Point point-a" in page.text and "Point point-b" not in page.text


def test_sign_in_never_sends_you_to_another_site(taras):
    assert sign_in(taras, next_="//evil.example/x").headers["location"] == "/operate"
    assert sign_in(taras, next_="https://evil.example").headers["location"] == "/operate"


def test_still_current_status_and_occupancy_in_one_tap_each(taras, db):
    sign_in(taras)
    for action in ("status:open", "verify", "occupancy:+1", "occupancy:+1", "occupancy:-1"):
        form = form_of(taras.get("/operate").text, "point-a")
        done = taras.post(
            "/operate/point-a", data={**form, "action": action}, follow_redirects=False
        )
        assert done.status_code == 303 and "done=saved" in done.headers["location"], action
    assert reports(db) == [
        ("open", False, None),
        (None, True, None),
        (None, False, 1),
        (None, False, 2),
        (None, False, 1),
    ]
    props = taras.get("/api/v1/points/point-a").json()["properties"]
    assert props["status"] == "open" and props["occupancy"] == 1


def test_two_people_counting_on_pages_loaded_at_once_both_count(taras, db):
    sign_in(taras)
    first, second = (form_of(taras.get("/operate").text, "point-a") for _ in range(2))
    for form in (first, second):  # each page still shows 0 people inside
        done = taras.post(
            "/operate/point-a", data={**form, "action": "occupancy:+1"}, follow_redirects=False
        )
        assert "done=saved" in done.headers["location"]
    assert [row.occupancy for row in reports(db)] == [1, 2]
    assert taras.get("/api/v1/points/point-a").json()["properties"]["occupancy"] == 2
    for _ in range(3):  # never below nobody
        form = form_of(taras.get("/operate").text, "point-a")
        taras.post("/operate/point-a", data={**form, "action": "occupancy:-1"})
    assert [row.occupancy for row in reports(db)] == [1, 2, 1, 0, 0]


def test_the_api_takes_a_step_of_people_too(taras, network):
    path = "/api/v1/points/point-a/reports"
    headers = network.headers("operator_a")
    for step, expected in ((5, 5), (-2, 3), (-9, 0)):
        answer = taras.post(path, json={"occupancy_change": step}, headers=headers)
        assert answer.status_code == 201 and answer.json()["occupancy"] == expected, answer.text
    both = taras.post(path, json={"occupancy": 3, "occupancy_change": 1}, headers=headers)
    too_many = taras.post(path, json={"occupancy_change": 51}, headers=headers)
    assert both.status_code == too_many.status_code == 422
    assert "occupancy_change" in both.text and "occupancy_change" in too_many.text


def test_each_card_links_its_details_and_needs_and_says_when_it_is_not_public(taras, db, network):
    from nezlam.domain.points import PointUpdate
    from nezlam.store import points as point_store

    sign_in(taras)
    page = taras.get("/operate", headers={"Accept-Language": "en"}).text
    assert 'href="/operate/point-a/edit"' in page and 'href="/operate/point-a/needs"' in page
    assert "not shown to the public" not in page
    with db.write() as session:
        point_store.update_point(session, "point-a", PointUpdate(visibility="hidden"), CLI)
    taras.app.state.nezlam.sync.load_all()
    page = taras.get("/operate", headers={"Accept-Language": "en"}).text
    card = page[page.index('id="p-point-a"') :]
    assert "Awaiting approval · not shown to the public" in card


def test_my_points_loads_the_offline_queue_script_from_this_server(taras):
    sign_in(taras)
    page = taras.get("/operate")
    assert re.search(r'<script src="/static/operate\.js\?v=\w+" defer></script>', page.text)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert taras.get("/static/operate.js").status_code == 200
    worker = taras.get("/sw.js").text
    assert '"/operate"' in worker and 'request.method !== "GET"' in worker


def test_a_double_tap_is_stored_once(taras, db):
    sign_in(taras)
    form = form_of(taras.get("/operate").text, "point-a")
    for _ in range(2):
        taras.post("/operate/point-a", data={**form, "action": "status:full"})
    assert reports(db) == [("full", False, None)]


def test_a_form_without_the_sessions_csrf_token_stores_nothing(taras, db):
    sign_in(taras)
    form = form_of(taras.get("/operate").text, "point-a")
    for csrf in ("", "forged"):
        answer = taras.post(
            "/operate/point-a",
            data={**form, "csrf": csrf, "action": "verify"},
            follow_redirects=False,
        )
        # The page a redirect brings back carries the session's token: "tap again" works.
        assert answer.headers["location"] == "/operate?done=outdated"
    assert reports(db) == []


def test_an_operator_cannot_report_for_someone_elses_point(taras, db):
    sign_in(taras)
    form = form_of(taras.get("/operate").text, "point-a")
    answer = taras.post(
        "/operate/point-b", data={**form, "action": "verify"}, follow_redirects=False
    )
    assert "done=refused" in answer.headers["location"] and reports(db) == []


def test_signing_out_ends_the_session(taras):
    from nezlam.web.plumbing.deps import SESSION_COOKIE

    secret = sign_in(taras).cookies.get(SESSION_COOKIE)
    form = form_of(taras.get("/operate").text, "point-a")
    taras.post("/logout", data={"csrf": form["csrf"]})
    assert taras.get("/operate", follow_redirects=False).status_code == 303
    taras.cookies.set(SESSION_COOKIE, secret)  # the old cookie, kept by a thief
    assert taras.get("/operate", follow_redirects=False).status_code == 303


def test_power_heating_internet_people_and_fuel_in_one_form(taras, db):
    sign_in(taras)
    form = form_of(taras.get("/operate").text, "point-a")
    saved = taras.post(
        "/operate/point-a",
        follow_redirects=False,
        data={
            "csrf": form["csrf"],
            "key": "details-1",
            "action": "details",
            "power": "generator",
            "heating": "yes",
            "internet": "no",
            "occupancy_exact": "17",
            "fuel_litres": "42,5",
        },
    )
    assert "done=saved" in saved.headers["location"]
    with db.read() as session:
        row = session.execute(
            sa.select(
                StatusReport.power,
                StatusReport.heating,
                StatusReport.internet,
                StatusReport.occupancy,
                StatusReport.fuel_litres,
            )
        ).one()
    assert tuple(row) == ("generator", True, False, 17, 42.5)
    nonsense = taras.post(
        "/operate/point-a",
        follow_redirects=False,
        data={
            "csrf": form["csrf"],
            "key": "details-2",
            "action": "details",
            "occupancy_exact": "-4",
        },
    )
    # Said beside the field, as typed (tests/test_operate_numbers.py): never "not an action".
    assert nonsense.status_code == 422 and 'value="-4"' in nonsense.text


# --- where each role lands (review C1) -----------------------------------------------------------


@pytest.fixture
def people(taras, db, network):
    """A coordinator, an admin, a donor (an organisation's member who runs no point), and a
    coordinator who also runs point A; each with a password."""
    from nezlam.domain.points import OrganisationCreate

    with db.write() as session:
        org = accounts.create_organisation(
            session, OrganisationCreate(slug="donors", name="Donors", kind="ngo"), CLI
        )
        for name, grants in {
            "kateryna": [RoleGrantCreate(role="coordinator", region="Київ")],
            "root": [RoleGrantCreate(role="admin")],
            "maria": [],
            "bohdan": [
                RoleGrantCreate(role="coordinator", region="Київ"),
                RoleGrantCreate(role="operator", point_id="point-a"),
            ],
        }.items():
            user = accounts.create_user(
                session,
                UserCreate(
                    username=name,
                    password="a long passphrase",
                    organisation="donors" if name == "maria" else None,
                ),
                CLI,
            )
            for grant in grants:
                accounts.grant_role(session, user, grant, CLI)
        assert org.id
    return taras


def sign_in_user(client, username, next_=None):
    data = {"username": username, "password": "a long passphrase"}
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data, follow_redirects=False)


@pytest.mark.parametrize(
    ("username", "lands"),
    [
        ("kateryna", "/coordinate"),
        ("root", "/coordinate"),
        ("maria", "/coordinate/needs"),
        ("taras", "/operate"),
        ("bohdan", "/coordinate"),
    ],
)
def test_each_role_lands_where_its_work_is(people, username, lands):
    assert sign_in_user(people, username).headers["location"] == lands
    assert sign_in_user(people, username, next_="").headers["location"] == lands
    form = people.get("/login", headers={"Accept-Language": "en"}).text
    assert 'name="next" value=""' in form  # the form itself no longer asks for My points


def test_an_explicit_next_wins_over_the_landing(people):
    asked = sign_in_user(people, "kateryna", next_="/operate/point-a/edit")
    assert asked.headers["location"] == "/operate/point-a/edit"
    page = people.get("/login?next=/coordinate/calls").text
    assert 'name="next" value="/coordinate/calls"' in page


@pytest.mark.parametrize(
    "target", ["/\\evil.example", "/\\/evil.example", "/ok\tx", "javascript:x"]
)
def test_a_next_that_a_browser_reads_as_another_site_is_ignored(people, target):
    assert sign_in_user(people, "taras", next_=target).headers["location"] == "/operate"


def test_a_coordinator_sees_on_my_points_only_the_points_they_run(people):
    sign_in_user(people, "kateryna")
    page = people.get("/operate", headers={"Accept-Language": "en"}).text
    assert 'id="p-point-a"' not in page and 'value="verify"' not in page
    assert 'href="/coordinate"' in page and "on the dashboard" in page
    assert "Ask your coordinator" not in page
    people.cookies.clear()
    sign_in_user(people, "bohdan")
    theirs = people.get("/operate", headers={"Accept-Language": "en"}).text
    assert theirs.count('value="verify"') == 1 and 'id="p-point-a"' in theirs


def test_the_sign_in_page_can_show_the_password_and_says_what_to_do_if_forgotten(people):
    page = people.get("/login", headers={"Accept-Language": "en"}).text
    assert '<script src="/static/login.js?v=' in page
    assert 'id="show-password-line" hidden' in page  # shown by the script that makes it work
    assert 'type="checkbox" id="show-password"' in page
    assert "Forgot your password?" in page and "one-time link" in page
    assert people.get("/static/login.js").status_code == 200
    uk = people.get("/login", headers={"Accept-Language": "uk"}).text
    assert "Забули пароль?" in uk and "Показати введене" in uk


def test_with_gloves_the_password_can_be_shown_and_the_form_still_signs_in(people, browser):
    """In Chromium, each request answered by the app in this process (no server needed)."""
    from urllib.parse import urlsplit

    def answer(route):
        request = route.request
        sent = people.request(
            request.method,
            urlsplit(request.url)._replace(scheme="", netloc="").geturl(),
            content=request.post_data_buffer,
            headers={k: v for k, v in request.headers.items() if k != "accept-encoding"},
            follow_redirects=False,
        )
        headers = {k: v for k, v in sent.headers.items() if k not in ("content-encoding",)}
        route.fulfill(status=sent.status_code, headers=headers, body=sent.content)

    context = browser.new_context(base_url="http://testserver", locale="en-GB")
    try:
        context.route("**/*", answer)
        page = context.new_page()
        page.goto("/login")
        box = page.get_by_label("Show what is typed")
        password = page.get_by_label("Password")  # its label alone names it, as before
        assert box.is_visible() and password.get_attribute("type") == "password"
        page.get_by_label("Username").fill("taras")
        password.fill("a long passphrase")
        box.check()
        assert password.get_attribute("type") == "text"
        box.uncheck()
        assert password.get_attribute("type") == "password"
        box.check()
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name="Sign in").click()
        signed = posted.value  # the password went, typed as shown
        assert signed.status == 303 and signed.headers["location"] == "/operate"
    finally:
        context.close()
