"""Session fixation and cookie attributes on the sign-in page: whatever session id a browser
arrives with, signing in hands it a fresh one made by the server."""

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.web.plumbing.deps import SESSION_COOKIE
from tests.conftest import sign_in_as


@pytest.fixture
def olena(app_client, db):
    with db.write() as session:
        user = accounts.create_user(
            session, UserCreate(username="olena", password="a long passphrase"), CLI
        )
        accounts.grant_role(
            session, user, RoleGrantCreate(role="operator", point_id="point-a"), CLI
        )
    return app_client


def sign_in_page(client):
    return client.post(
        "/login",
        data={"username": "olena", "password": "a long passphrase", "next": "/operate"},
        follow_redirects=False,
    )


def test_a_planted_session_id_is_never_adopted(olena):
    olena.cookies.set(SESSION_COOKIE, "attacker-chosen-value")
    answer = sign_in_page(olena)
    issued = answer.cookies.get(SESSION_COOKIE)
    assert answer.status_code == 303 and issued and issued != "attacker-chosen-value"
    olena.cookies.clear()
    olena.cookies.set(SESSION_COOKIE, "attacker-chosen-value")
    assert olena.get("/operate", follow_redirects=False).headers["location"].startswith("/login")


def test_signing_in_over_someone_elses_valid_session_replaces_it(olena, db, clock):
    # The attacker signs in as themselves and plants their session in the victim's browser.
    sign_in_as(olena, db, "operator_b", clock())
    planted = olena.cookies.get(SESSION_COOKIE)
    issued = sign_in_page(olena).cookies.get(SESSION_COOKIE)
    assert issued != planted
    olena.cookies.clear()
    olena.cookies.set(SESSION_COOKIE, issued)
    page = olena.get("/operate", headers={"Accept-Language": "en"})
    assert "olena" in page.text and "operator_b" not in page.text


def test_the_session_cookie_is_http_only_and_same_site(olena):
    header = sign_in_page(olena).headers["set-cookie"].lower()
    assert f"{SESSION_COOKIE}=" in header
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header


def test_a_refusal_reads_as_a_page_in_the_visitors_language(olena, db, clock):
    sign_in_as(olena, db, "operator_a", clock())
    page = olena.get("/coordinate", headers={"Accept": "text/html", "Accept-Language": "uk"})
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Тут цього зробити не можна" in page.text
    assert 'lang="en" class="detail">this page is for coordinators' in page.text
    api = olena.get("/api/v1/points/nope", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["errors"][0]["field"] == "id"  # the API: JSON


# --- cross-site posts (review m8, m9) -----------------------------------------------------------

FROM_ELSEWHERE = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site too
]
FROM_HERE = [
    {},  # not a browser's page: nothing to forge
    {"Origin": "http://testserver"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
]


@pytest.mark.parametrize("headers", FROM_ELSEWHERE)
def test_a_sign_in_posted_from_another_site_is_refused(olena, headers):
    answer = olena.post(
        "/login",
        data={"username": "olena", "password": "a long passphrase", "next": "/operate"},
        headers={**headers, "Accept-Language": "en"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and SESSION_COOKIE not in answer.cookies
    assert "came from another website" in answer.text


@pytest.mark.parametrize("headers", FROM_HERE)
def test_a_sign_in_from_this_sites_page_goes_through(olena, headers):
    answer = olena.post(
        "/login",
        data={"username": "olena", "password": "a long passphrase", "next": "/operate"},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.cookies.get(SESSION_COOKIE)


def test_behind_a_proxy_the_public_url_is_this_site(olena):
    olena.app.state.nezlam.settings = replace(
        olena.app.state.nezlam.settings, public_url="https://nezlam.example"
    )
    posted = {"username": "olena", "password": "a long passphrase", "next": "/operate"}
    ours = olena.post(
        "/login", data=posted, headers={"Origin": "https://nezlam.example"}, follow_redirects=False
    )
    theirs = olena.post(
        "/login", data=posted, headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert (ours.status_code, theirs.status_code) == (303, 403)


def signal_counts(db, point_id):
    import sqlalchemy as sa

    from nezlam.store.tables import VisitorSignal

    with db.read() as session:
        query = sa.select(sa.func.count()).where(VisitorSignal.point_id == point_id)
        return session.execute(query).scalar()


@pytest.mark.parametrize("headers", FROM_ELSEWHERE)
def test_a_visitor_signal_posted_from_another_site_is_refused(olena, db, headers):
    answer = olena.post(
        "/points/point-a/signal",
        data={"kind": "closed"},
        headers={**headers, "Accept": "text/html"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert signal_counts(db, "point-a") == 0


def test_a_visitor_signal_from_the_points_page_is_counted(olena, db):
    answer = olena.post(
        "/points/point-a/signal",
        data={"kind": "closed"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "signal=thanks&" in answer.headers["location"]
    assert signal_counts(db, "point-a") == 1


# --- how many sign-ins (review m8, O5) ----------------------------------------------------------


@pytest.fixture
def limits(monkeypatch):
    """Smaller limits than the real ones: each attempt costs an argon2 hash, slow on purpose."""
    from nezlam.web.plumbing import deps

    monkeypatch.setattr(deps, "FAILURES_PER_ACCOUNT", 3)
    monkeypatch.setattr(deps, "FAILURES_PER_ADDRESS", 5)
    return deps


def from_address(client, address):
    """Another browser on another address, on the same running app."""
    return TestClient(client.app, client=(address, 50000))


def test_guessing_many_accounts_from_one_address_is_limited(olena, limits):
    most = limits.FAILURES_PER_ADDRESS
    answers = [
        sign_in_as_someone(olena, f"user{i}", "wrong password").status_code for i in range(most + 1)
    ]
    assert answers == [401] * most + [429]
    elsewhere = from_address(olena, "203.0.113.9")
    assert sign_in_as_someone(elsewhere, "olena", "a long passphrase").status_code == 303


def test_guessing_one_account_from_many_addresses_is_limited(olena, limits):
    most = limits.FAILURES_PER_ACCOUNT
    answers = [
        sign_in_as_someone(from_address(olena, f"198.51.100.{i}"), "olena", "wrong").status_code
        for i in range(most + 1)
    ]
    assert answers == [401] * most + [429]
    right = sign_in_as_someone(from_address(olena, "198.51.100.200"), "olena", "a long passphrase")
    assert right.status_code == 429  # the account waits, whoever knows its password


def test_signing_in_successfully_never_counts_against_the_limit(olena, limits):
    # A team behind one shared address signs in all day: more often than either limit allows
    # failures, and more than ten, where a limit counting every attempt would have stopped.
    for _ in range(max(limits.FAILURES_PER_ACCOUNT + limits.FAILURES_PER_ADDRESS, 10) + 1):
        assert sign_in_as_someone(olena, "olena", "a long passphrase").status_code == 303
    assert sign_in_as_someone(olena, "olena", "one typo").status_code == 401


def sign_in_as_someone(client, username, password):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        follow_redirects=False,
    )
