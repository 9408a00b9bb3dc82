"""How long a browser stays signed in (review O5): while it is used, renewed now and then (not
on every request), up to an absolute limit; and signing out, a password change, deactivation or
a role taken away still count at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from nezlam.config import ConfigError, Settings
from nezlam.domain.login_lifetime import LoginLifetime
from nezlam.domain.points import UserCreate, UserUpdate
from nezlam.store import accounts, resets
from nezlam.store.actor import CLI
from nezlam.store.tables import LoginSession, RoleGrant, User
from nezlam.web.plumbing.session_cookie import SESSION_COOKIE, may_renew
from tests.conftest import sign_in_as

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
FIRST_END = 25 * 3600  # a day, and the hour until a renewal may come


# --- the rule, without HTTP --------------------------------------------------------------------

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_use_renews_only_once_the_slack_has_passed_and_then_grants_the_whole_window():
    rule = LoginLifetime()  # 24 h unused, 14 days at most
    end = rule.first_expiry(T0)
    assert end == T0 + 25 * HOUR
    assert rule.renewal(T0, end, T0 + HOUR) is None  # an hour since: not yet
    later = T0 + HOUR + timedelta(seconds=1)
    assert rule.renewal(T0, end, later) == later + 25 * HOUR


def test_renewals_stop_at_the_absolute_limit_and_a_shorter_one_counts_at_once():
    rule = LoginLifetime()
    near_the_end = T0 + 14 * DAY - 3 * HOUR
    assert rule.renewal(T0, near_the_end, near_the_end - 2 * HOUR) == T0 + 14 * DAY
    assert rule.renewal(T0, T0 + 14 * DAY, T0 + 14 * DAY - HOUR) is None  # nothing to gain
    shorter = LoginLifetime(longest=2 * DAY)
    assert shorter.ends_at(T0, T0 + 5 * DAY) == T0 + 2 * DAY


def test_an_answer_a_shared_cache_may_keep_or_one_that_signs_in_or_out_is_left_alone():
    assert may_renew([(b"content-type", b"text/html"), (b"set-cookie", b"lang=en; Path=/")])
    assert not may_renew([(b"Cache-Control", b"Public, max-age=30")])
    assert not may_renew([(b"set-cookie", f'{SESSION_COOKIE}=""; Max-Age=0'.encode())])


# --- the settings --------------------------------------------------------------------------------


def test_both_windows_are_settings_and_the_limit_is_never_shorter_than_the_idle_one(monkeypatch):
    for name in ("NEZLAM_SESSION_IDLE", "NEZLAM_SESSION_MAX"):
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().sessions == LoginLifetime(24 * HOUR, 14 * DAY)
    monkeypatch.setenv("NEZLAM_SESSION_IDLE", "12h")
    monkeypatch.setenv("NEZLAM_SESSION_MAX", "7d")
    assert Settings.from_env().sessions == LoginLifetime(12 * HOUR, 7 * DAY)
    monkeypatch.setenv("NEZLAM_SESSION_MAX", "6h")
    with pytest.raises(ConfigError, match="NEZLAM_SESSION_MAX: must be at least"):
        Settings.from_env()


@pytest.mark.parametrize(
    ("name", "other", "lowest", "highest", "below", "above"),
    [
        ("NEZLAM_SESSION_IDLE", ("NEZLAM_SESSION_MAX", "365d"), "10m", "30d", "9m", "31d"),
        ("NEZLAM_SESSION_MAX", ("NEZLAM_SESSION_IDLE", "10m"), "1h", "365d", "59m", "366d"),
    ],
)
def test_each_window_has_the_range_the_readme_gives(
    monkeypatch, name, other, lowest, highest, below, above
):
    monkeypatch.setenv(*other)  # so that only the range is in question
    for good in (lowest, highest):
        monkeypatch.setenv(name, good)
        Settings.from_env()
    for bad in (below, above):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name):
            Settings.from_env()


# --- through the app ---------------------------------------------------------------------------


def me(client) -> int:
    return client.get("/api/v1/me").status_code


def max_age(answer) -> int | None:
    """The Max-Age of the session cookie the answer sets, or None when it sets none."""
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            return int(re.search(r"Max-Age=(\d+)", header, re.IGNORECASE)[1])
    return None


def stored_end(db) -> datetime:
    with db.read() as session:
        return session.execute(sa.select(LoginSession.expires_at)).scalar_one()


@contextmanager
def renewals_written(db) -> Iterator[list[str]]:
    """The UPDATEs that move a session's end, as the database is sent them."""
    seen: list[str] = []

    def count(_connection, _cursor, statement, _parameters, _context, _many) -> None:
        if re.match(r"\s*UPDATE login_sessions SET expires_at", statement, re.IGNORECASE):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_a_session_used_every_few_hours_stays_signed_in_for_days(app_client, db, clock):
    sign_in_as(app_client, db, "operator_a", clock())
    # A point open by day: taps through the day, then the night (13 to 15 h), for three days,
    # and one day of rest (23 h): far past the 12 h that sessions used to end at.
    for gap in (4, 4, 13, 4, 4, 15, 5, 5, 23, 3):
        clock.advance(hours=gap)
        assert me(app_client) == 200, clock()


def test_a_session_left_unused_ends_after_the_idle_window(app_client, db, clock):
    sign_in_as(app_client, db, "operator_a", clock())
    clock.advance(minutes=30)
    assert me(app_client) == 200  # used, too soon to renew: it still ends 25 h after signing in
    clock.advance(hours=24, minutes=30, seconds=1)
    assert me(app_client) == 401
    sign_in_as(app_client, db, "operator_a", clock())
    clock.advance(hours=24)
    assert me(app_client) == 200  # unused for the whole window: still signed in, and renewed
    clock.advance(hours=25, seconds=1)
    assert me(app_client) == 401


def test_no_session_outlives_the_absolute_limit_however_much_it_is_used(app_client, db, clock):
    signed_in_at = clock()
    sign_in_as(app_client, db, "operator_a", signed_in_at)
    limit = signed_in_at + 14 * DAY
    while clock() + 6 * HOUR < limit:
        clock.advance(hours=6)
        answer = app_client.get("/api/v1/me")
        assert answer.status_code == 200
        given = max_age(answer)
        assert given is None or clock() + timedelta(seconds=given) <= limit  # the cookie too
    clock.now = limit - timedelta(seconds=1)
    assert me(app_client) == 200
    clock.now = limit
    assert me(app_client) == 401


def test_renewal_writes_about_once_an_hour_not_on_every_request(app_client, db, clock):
    sign_in_as(app_client, db, "operator_a", clock())
    with renewals_written(db) as writes:
        cookies = 0
        for _ in range(60):  # ten hours, a request every ten minutes
            clock.advance(minutes=10)
            answer = app_client.get("/api/v1/me")
            assert answer.status_code == 200
            given = max_age(answer)
            if given is not None:  # the cookie ends when the server's session does
                cookies += 1
                assert given == (stored_end(db) - clock()).total_seconds() == FIRST_END
    # Renewed at 70, 140, …, 560 minutes: each time just over an hour after the last.
    assert len(writes) == cookies == 8


def test_pages_and_taps_renew_the_session_too(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    clock.advance(hours=2)
    page = app_client.get("/operate")
    assert page.status_code == 200 and max_age(page) == FIRST_END
    assert stored_end(db) == clock() + 25 * HOUR
    clock.advance(hours=2)
    tapped = app_client.post(
        "/operate/point-a",
        data={"csrf": csrf, "key": "tap-1", "action": "verify"},
        follow_redirects=False,
    )
    assert tapped.status_code == 303 and "done=saved" in tapped.headers["location"]
    assert max_age(tapped) == FIRST_END and stored_end(db) == clock() + 25 * HOUR
    assert max_age(app_client.get("/operate")) is None  # just renewed: no write, no cookie


def test_signing_out_ends_a_session_at_once_and_the_answer_never_renews_it(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    secret = app_client.cookies.get(SESSION_COOKIE)
    clock.advance(hours=2)  # a renewal is due, and this use is signing out
    with renewals_written(db) as writes:
        out = app_client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and writes == []
    assert [c for c in out.headers.get_list("set-cookie") if "Max-Age=0" not in c] == []
    app_client.cookies.set(SESSION_COOKIE, secret)  # the old cookie, kept by a thief
    assert me(app_client) == 401


def take_role(session, user) -> None:
    grant = session.execute(sa.select(RoleGrant).where(RoleGrant.user_id == user.id)).scalar_one()
    accounts.revoke_role(session, grant.id, CLI)


ACCOUNT_CHANGES = {
    "a password reset": lambda session, user, now: resets.end_sessions(session, user, now),
    "deactivation": lambda session, user, _now: accounts.update_user(
        session, user, UserUpdate(is_active=False), CLI
    ),
    "the role taken away": lambda session, user, _now: take_role(session, user),
}


@pytest.mark.parametrize("change", ACCOUNT_CHANGES)
def test_a_renewed_session_still_yields_at_once_to_a_change_of_its_account(
    app_client, db, clock, change
):
    sign_in_as(app_client, db, "operator_a", clock())
    clock.advance(hours=3)
    renewed = app_client.get("/operate/point-a/edit")
    assert renewed.status_code == 200 and max_age(renewed) == FIRST_END
    with db.write() as session:
        user = session.execute(sa.select(User).where(User.username == "operator_a")).scalar_one()
        ACCOUNT_CHANGES[change](session, user, clock())
    after = app_client.get("/operate/point-a/edit", follow_redirects=False)
    if change == "the role taken away":  # still signed in, and no longer this point's operator
        assert after.status_code == 403 and app_client.get("/api/v1/me").json()["roles"] == []
    else:
        assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_changing_ones_password_signs_every_browser_out(app_client, network, db, clock):
    with db.write() as session:
        user = accounts.get_user(session, "operator_a")
        accounts.set_password(session, user, "the first passphrase", CLI)
    sign_in_as(app_client, db, "operator_a", clock())
    changed = app_client.patch(
        "/api/v1/users/operator_a",
        json={"password": "a brand new passphrase", "current_password": "the first passphrase"},
        headers=network.headers("operator_a"),  # with the API token, which is asked first
    )
    assert changed.status_code == 200, changed.text
    assert me(app_client) == 401  # the browser signed in with the old password


def test_the_sign_in_page_says_what_the_settings_are(app_client, db, clock):
    english = app_client.get("/login", headers={"Accept-Language": "en"}).text
    assert "at least once every 24 hours, for at most 14 days after signing in" in english
    ukrainian = app_client.get("/login", headers={"Accept-Language": "uk"}).text
    assert "щонайменше раз на 24 години, але не довше ніж 14 днів після входу" in ukrainian
    state = app_client.app.state.nezlam
    state.settings = replace(state.settings, sessions=LoginLifetime(2 * HOUR, DAY))
    english = app_client.get("/login", headers={"Accept-Language": "en"}).text
    assert "at least once every 2 hours, for at most 24 hours after signing in" in english


def test_the_settings_are_what_the_server_keeps_to(app_client, db, clock):
    with db.write() as session:
        accounts.create_user(
            session, UserCreate(username="olha", password="a long passphrase"), CLI
        )
    state = app_client.app.state.nezlam
    state.settings = replace(state.settings, sessions=LoginLifetime(2 * HOUR, 3 * HOUR))
    signed = app_client.post(
        "/api/v1/session", json={"username": "olha", "password": "a long passphrase"}
    )
    assert signed.status_code == 200
    assert signed.json()["expires_in"] == max_age(signed) == 2 * 3600 + 5 * 60
    clock.advance(hours=2, minutes=5, seconds=1)
    assert me(app_client) == 401
    app_client.post("/api/v1/session", json={"username": "olha", "password": "a long passphrase"})
    for _ in range(5):  # used every 35 minutes, until the limit of 3 hours
        clock.advance(minutes=35)
        assert me(app_client) == 200
    clock.advance(minutes=5)
    assert me(app_client) == 401
