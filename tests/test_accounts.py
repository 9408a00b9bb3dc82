"""Accounts: argon2 passwords, tokens hashed at rest and shown once, scoped like their user."""

import pytest
import sqlalchemy as sa

from nezlam.domain.errors import Unauthenticated
from nezlam.domain.points import UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.store.tables import ApiToken, AuditEntry, User


def test_passwords_are_stored_as_argon2_hashes_and_checked(db):
    with db.write() as session:
        accounts.create_user(
            session, UserCreate(username="olena", password="a long passphrase"), CLI
        )
    with db.read() as session:
        stored = session.execute(sa.select(User.password_hash)).scalar_one()
        assert stored.startswith("$argon2id$") and "a long passphrase" not in stored
        assert accounts.authenticate(session, "olena", "a long passphrase").username == "olena"
        with pytest.raises(Unauthenticated):
            accounts.authenticate(session, "olena", "a wrong passphrase")
        with pytest.raises(Unauthenticated):
            accounts.authenticate(session, "nobody", "a long passphrase")


def test_short_passwords_are_refused():
    with pytest.raises(ValueError, match="at least 10"):
        UserCreate(username="olena", password="short")


def test_token_is_shown_once_and_only_its_hash_is_kept(app_client, network, db):
    created = app_client.post(
        "/api/v1/tokens", json={"name": "yurt tablet"}, headers=network.headers("operator_a")
    )
    token = created.json()["token"]
    assert token.startswith("nzl_") and len(token) > 40
    with db.read() as session:
        hashes = session.execute(sa.select(ApiToken.token_hash)).scalars().all()
    assert token not in hashes and accounts.hash_token(token) in hashes
    listed = app_client.get("/api/v1/tokens", headers=network.headers("operator_a")).text
    assert token not in listed and "yurt tablet" in listed
    # The new token acts with its user's scope: point A yes, point B no.
    bearer = {"Authorization": f"Bearer {token}"}
    assert (
        app_client.post(
            "/api/v1/points/point-a/reports", json={"verify": True}, headers=bearer
        ).status_code
        == 201
    )
    assert (
        app_client.post(
            "/api/v1/points/point-b/reports", json={"verify": True}, headers=bearer
        ).status_code
        == 403
    )


def test_me_lists_roles(app_client, network):
    me = app_client.get("/api/v1/me", headers=network.headers("coordinator_a")).json()
    assert me["roles"] == [
        {"role": "coordinator", "region": "Київ", "point_id": None, "organisation_id": None}
    ]


def test_bad_role_scopes_are_refused(app_client, network):
    headers = network.headers("admin")
    for body, problem in (
        ({"role": "coordinator"}, "needs a region"),
        ({"role": "operator"}, "exactly one"),
        ({"role": "admin", "region": "Київ"}, "no scope"),
    ):
        response = app_client.post("/api/v1/users/operator_b/roles", json=body, headers=headers)
        assert response.status_code == 422 and problem in response.text


def test_a_deactivated_users_tokens_stop_working(app_client, network):
    off = app_client.patch(
        "/api/v1/users/operator_a",
        json={"is_active": False},
        headers=network.headers("coordinator_a"),
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    refused = app_client.post(
        "/api/v1/points/point-a/reports",
        json={"verify": True},
        headers=network.headers("operator_a"),
    )
    assert refused.status_code == 401


def give_password(db, username: str, password: str) -> None:
    with db.write() as session:
        accounts.set_password(session, accounts.get_user(session, username), password, CLI)


def user_row(db, username: str) -> tuple:
    with db.read() as session:
        return tuple(
            session.execute(
                sa.select(User.password_hash, User.is_active, User.display_name).where(
                    User.username == username
                )
            ).one()
        )


def audit_count(db) -> int:
    with db.read() as session:
        return session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


def test_users_change_their_own_password_with_their_current_one(app_client, network, db):
    give_password(db, "operator_a", "the first passphrase")
    headers = network.headers("operator_a")
    url = "/api/v1/users/operator_a"
    before, entries = user_row(db, "operator_a"), audit_count(db)
    for body, status, field in (
        ({"password": "a brand new passphrase"}, 422, "current_password"),
        (
            {"password": "a brand new passphrase", "current_password": "not the first one"},
            403,
            "current_password",
        ),
    ):
        refused = app_client.patch(url, json=body, headers=headers)
        assert refused.status_code == status, refused.text
        assert refused.json()["errors"][0]["field"] == field
    assert (user_row(db, "operator_a"), audit_count(db)) == (before, entries)
    changed = app_client.patch(
        url,
        json={"password": "a brand new passphrase", "current_password": "the first passphrase"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    with db.read() as session:
        assert accounts.authenticate(session, "operator_a", "a brand new passphrase")
    reactivate = app_client.patch(url, json={"is_active": True}, headers=headers)
    assert reactivate.status_code == 403


@pytest.mark.parametrize("who", ["coordinator_a", "admin"])
def test_nobody_sets_another_persons_password(app_client, network, db, who):
    """Not even an admin, nor the coordinator who manages the user: they hand out a one-time
    reset link, so the owner chooses the password and nobody else ever knows it."""
    give_password(db, "operator_a", "the owners passphrase")
    before, entries = user_row(db, "operator_a"), audit_count(db)
    for body in (
        {"password": "chosen by someone else"},
        {"password": "chosen by someone else", "current_password": "the owners passphrase"},
        {"display_name": "Олена", "password": "chosen by someone else"},
    ):
        refused = app_client.patch(
            "/api/v1/users/operator_a", json=body, headers=network.headers(who)
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["field"] == "password"
    created = app_client.post(
        "/api/v1/users",
        json={"username": "olena", "organisation": "org-a", "password": "chosen for her"},
        headers=network.headers(who),
    )
    assert created.status_code == 403 and created.json()["errors"][0]["field"] == "password"
    assert (user_row(db, "operator_a"), audit_count(db)) == (before, entries)
    with db.read() as session:
        assert session.execute(sa.select(User.id).where(User.username == "olena")).first() is None
