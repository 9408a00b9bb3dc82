"""Session fixation and cookie attributes on the sign-in page: whatever session id a browser
arrives with, signing in hands it a fresh one made by the server."""

import pytest

from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.web.deps import SESSION_COOKIE
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
