"""Signing in with a password: a session cookie that reports can use, guarded against CSRF."""

import pytest

from nezlam.domain.points import UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.web.plumbing.deps import SESSION_COOKIE


@pytest.fixture
def olena(app_client, network, db):
    """An operator of point A who signs in with a password."""
    from nezlam.domain.points import RoleGrantCreate

    with db.write() as session:
        user = accounts.create_user(
            session, UserCreate(username="olena", password="a long passphrase"), CLI
        )
        accounts.grant_role(
            session, user, RoleGrantCreate(role="operator", point_id="point-a"), CLI
        )
    return "olena"


def sign_in(client, password="a long passphrase"):
    return client.post("/api/v1/session", json={"username": "olena", "password": password})


def test_signed_in_operator_reports_with_the_cookie_and_csrf_token(app_client, olena):
    signed = sign_in(app_client)
    assert signed.status_code == 200
    csrf = signed.json()["csrf_token"]
    cookie = signed.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    sent = app_client.post(
        "/api/v1/points/point-a/reports", json={"verify": True}, headers={"X-CSRF-Token": csrf}
    )
    assert sent.status_code == 201
    elsewhere = app_client.post(
        "/api/v1/points/point-b/reports", json={"verify": True}, headers={"X-CSRF-Token": csrf}
    )
    assert elsewhere.status_code == 403
    assert app_client.get("/api/v1/me").json()["username"] == "olena"


def test_a_write_with_the_cookie_but_without_its_csrf_token_is_refused(app_client, olena):
    sign_in(app_client)
    for headers in ({}, {"X-CSRF-Token": "guessed"}):
        forged = app_client.post(
            "/api/v1/points/point-a/reports", json={"verify": True}, headers=headers
        )
        assert forged.status_code == 403
        assert forged.json()["errors"][0]["field"] == "X-CSRF-Token"


def test_each_sign_in_gets_a_new_session_and_signing_out_ends_it(app_client, olena):
    first = sign_in(app_client).cookies.get(SESSION_COOKIE)
    second = sign_in(app_client)
    assert second.cookies.get(SESSION_COOKIE) != first  # no session fixation
    assert app_client.delete("/api/v1/session").status_code == 204
    app_client.cookies.set(SESSION_COOKIE, second.cookies.get(SESSION_COOKIE))
    assert app_client.get("/api/v1/me").status_code == 401


def test_wrong_password_is_refused_and_guessing_is_rate_limited(app_client, olena):
    answers = [sign_in(app_client, password=f"wrong guess {i}").status_code for i in range(11)]
    assert answers[:10] == [401] * 10 and answers[10] == 429
    assert sign_in(app_client).status_code == 429  # even the right one, for a while


def test_a_session_left_unused_too_long_is_refused(app_client, olena, clock):
    sign_in(app_client)
    clock.advance(hours=25, seconds=1)  # a day unused, and the hour before a renewal may come
    assert app_client.get("/api/v1/me").status_code == 401
