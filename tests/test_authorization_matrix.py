"""The authorization matrix: every route of the app that writes (API and HTML forms alike) ×
every role, generated from the route table.

`TABLE` maps each (method, path template) to one or more cases: how to build a valid request
for it, and which roles may send it. Each case is sent as every role. An allowed role succeeds
(2xx or 3xx) and writes; a refused role gets 401, 403 or 404 (or the form's refusal redirect)
and nothing at all is written: every row of every table is compared before and after. A write
route without an entry fails `test_every_write_route_has_a_rule`, naming it; so does an entry
for a route that is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi import APIRouter

from nezlam.store import accounts, visits
from tests.authorization_support import (
    ROLES,
    Attempt,
    World,
    acknowledge_all,
    api,
    api_on,
    api_sign_in,
    application_form,
    checklist,
    claim_batch,
    delivery_form,
    device_key_form,
    device_ping,
    device_revoke_form,
    donor,
    edit_form,
    emergency_form,
    fellow_coordinator,
    form,
    fresh_application,
    fresh_claim,
    fresh_need,
    fresh_notification,
    fresh_pledge,
    fresh_task,
    generator_api_remove,
    generator_form,
    generator_remove_form,
    give_point,
    login_form,
    member_of_a,
    new_point,
    new_point_for,
    on_user,
    operator_of_a,
    own_password,
    own_telegram,
    own_username,
    refused,
    reset_form,
    revoke_on_users_screen,
    signal_undo,
    signed_in_writes,
    someone_elses_telegram,
    stop_form,
    stop_remove_form,
    telegram_code,
    telegram_of_an_operator_of_a,
    write_routes,
)
from tests.conftest import REGION_A, REGION_B

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
ADMIN = frozenset({"admin"})
COORDINATOR_A = ADMIN | {"coordinator_a"}
COORDINATORS = COORDINATOR_A | {"coordinator_b"}
POINT_A_TEAM = COORDINATOR_A | {"operator_a", "org_operator_a"}  # who answers for point-a
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[World, str], Attempt]
    allowed: frozenset[str]
    writes: Callable[[str], bool] = lambda role: True  # whether a success by `role` writes
    # A form may refuse a point that is not the sender's to choose beside the field (422):
    # they are never offered it, and it names nothing of anyone else's.
    also_refused: frozenset[int] = frozenset()
    postgres: bool = False  # also run on PostgreSQL (a representative subset)


GRANT_A = {"role": "operator", "point_id": "point-a"}


def fresh_comment(world: World) -> int:
    """A visitor's comment on a fresh point of region A, waiting for moderation."""
    point_id = world.new_point()
    with world.db.write() as session:
        answers = visits.Answers(warm=True)
        done = visits.record(
            session, point_id, answers, "Тепло", language="uk", source="web", now=world.now()
        )
    assert done.comment_id is not None
    return done.comment_id


TABLE: dict[tuple[str, str], tuple[Case, ...]] = {
    # --- Public: anyone may send these ---------------------------------------------------------
    ("POST", "/points/{point_id}/signal"): (
        Case(
            "visitor signal form",
            lambda w, r: form(f"/points/{w.new_point()}/signal", kind="full"),
            EVERYONE,
        ),
    ),
    ("POST", "/points/{point_id}/visit"): (
        Case(
            "after-a-visit answers and a comment",
            lambda w, r: form(f"/points/{w.new_point()}/visit", was_open="yes", comment="Тепло"),
            EVERYONE,
        ),
    ),
    ("POST", "/points/{point_id}/signal/undo"): (
        Case("undo of one's own visitor signal, with its receipt", signal_undo, EVERYONE),
    ),
    ("POST", "/api/v1/points/{point_id}/signals"): (
        Case(
            "visitor signal",
            lambda w, r: api("POST", f"/api/v1/points/{w.new_point()}/signals", {"kind": "full"}),
            EVERYONE,
        ),
    ),
    ("POST", "/apply"): (Case("apply with a point", application_form, EVERYONE),),
    ("POST", "/login"): (Case("sign in", login_form, EVERYONE),),
    ("POST", "/logout"): (
        Case("sign out", lambda w, r: form("/logout"), EVERYONE, writes=signed_in_writes),
    ),
    ("POST", "/api/v1/session"): (Case("sign in", api_sign_in, EVERYONE),),
    # An SMS gateway's webhooks answer to the gateway's signature, never to a role: here no
    # gateway is configured, so nobody gets through (tests/test_sms.py: forged ones are refused).
    ("POST", "/api/v1/sms/twilio"): (
        Case(
            "an SMS without a gateway", lambda w, r: api("POST", "/api/v1/sms/twilio", {}), NOBODY
        ),
    ),
    ("POST", "/api/v1/sms/android"): (
        Case(
            "an SMS without a gateway", lambda w, r: api("POST", "/api/v1/sms/android", {}), NOBODY
        ),
    ),
    # Telegram's webhook answers to its secret token, never to a role: here no bot is
    # configured, so nobody gets through (tests/test_telegram.py: a wrong secret is refused).
    ("POST", "/api/v1/telegram/webhook"): (
        Case(
            "a Telegram update without a bot",
            lambda w, r: api("POST", "/api/v1/telegram/webhook", {}),
            NOBODY,
        ),
    ),
    # A device's ping answers to its key, never to a role: with a live key of point-a anyone
    # gets through (the matrix sends each role's token beside it, which counts for nothing),
    # with a revoked key or none nobody does (tests/test_heartbeats.py has the rest).
    ("POST", "/api/v1/heartbeat"): (
        Case(
            "a ping with a device key of point-a",
            device_ping(revoked=False),
            EVERYONE,
            postgres=True,
        ),
        Case("a ping with a revoked device key", device_ping(revoked=True), NOBODY),
        Case(
            "a ping without a device key",
            lambda w, r: api("POST", "/api/v1/heartbeat", {"power": "grid"}),
            NOBODY,
        ),
    ),
    ("DELETE", "/api/v1/session"): (
        Case(
            "sign out",
            lambda w, r: api("DELETE", "/api/v1/session", session=True),
            EVERYONE,
            writes=signed_in_writes,
        ),
    ),
    ("POST", "/reset/{token}"): (Case("set a password with the link", reset_form, EVERYONE),),
    # --- One point: those who answer for it ----------------------------------------------------
    ("POST", "/operate/{point_id}"): (
        Case(
            "tap still current",
            lambda w, r: form("/operate/point-a", action="verify"),
            POINT_A_TEAM,
            postgres=True,
        ),
    ),
    ("POST", "/operate/{point_id}/edit"): (Case("edit details", edit_form, POINT_A_TEAM),),
    ("POST", "/coordinate/outages/emergency"): (
        Case("emergency shutdowns where point-a's schedule is", emergency_form, COORDINATOR_A),
    ),
    ("POST", "/operate/{point_id}/stops"): (
        Case("a stop of point-a's schedule", stop_form, POINT_A_TEAM),
    ),
    ("POST", "/operate/{point_id}/stops/{stop_id}/remove"): (
        Case("remove a stop of point-a", stop_remove_form, POINT_A_TEAM),
    ),
    ("POST", "/operate/{point_id}/fuel/generators"): (
        Case("a generator of point-a", generator_form, POINT_A_TEAM),
    ),
    ("POST", "/operate/{point_id}/fuel/generators/{generator_id}/remove"): (
        Case("remove a generator of point-a", generator_remove_form, POINT_A_TEAM),
    ),
    ("POST", "/operate/{point_id}/fuel/deliveries"): (
        Case("a fuel delivery to point-a", delivery_form, POINT_A_TEAM, postgres=True),
    ),
    ("POST", "/operate/{point_id}/devices"): (
        Case("a device key for the point", device_key_form, POINT_A_TEAM, postgres=True),
    ),
    ("POST", "/operate/{point_id}/devices/{device_id}/revoke"): (
        Case("revoke a device key of the point", device_revoke_form, POINT_A_TEAM),
    ),
    # --- One's own account: a signed-in person links and unlinks only their own Telegram ------
    ("POST", "/operate/telegram/code"): (
        Case("a code to link one's own Telegram", telegram_code, SIGNED_IN, postgres=True),
    ),
    ("POST", "/operate/telegram/unlink"): (
        Case("unlink one's own Telegram", own_telegram, SIGNED_IN),
        Case("unlink someone else's Telegram", someone_elses_telegram, NOBODY),
    ),
    ("POST", "/operate/{point_id}/needs"): (
        Case(
            "post a need",
            lambda w, r: form(
                "/operate/point-a/needs",
                action="post",
                item="water",
                quantity="50",
                urgency="normal",
            ),
            POINT_A_TEAM,
        ),
    ),
    ("POST", "/api/v1/points/{point_id}/reports"): (
        Case(
            "report a status",
            lambda w, r: api("POST", "/api/v1/points/point-a/reports", {"status": "open"}),
            POINT_A_TEAM,
            postgres=True,
        ),
        Case(
            "confirm, signed in with a session",
            lambda w, r: api(
                "POST", "/api/v1/points/point-a/reports", {"verify": True}, session=True
            ),
            POINT_A_TEAM,
        ),
    ),
    ("POST", "/api/v1/points/{point_id}/generators"): (
        Case(
            "add a generator",
            lambda w, r: api("POST", "/api/v1/points/point-a/generators", {"rated_kw": 20}),
            POINT_A_TEAM,
        ),
    ),
    ("DELETE", "/api/v1/points/{point_id}/generators/{generator_id}"): (
        Case("remove a generator", generator_api_remove, POINT_A_TEAM),
    ),
    ("POST", "/api/v1/points/{point_id}/fuel-deliveries"): (
        Case(
            "record a fuel delivery",
            lambda w, r: api("POST", "/api/v1/points/point-a/fuel-deliveries", {"litres": 10}),
            POINT_A_TEAM,
            postgres=True,
        ),
    ),
    ("PATCH", "/api/v1/points/{point_id}"): (
        Case(
            "edit details",
            lambda w, r: api("PATCH", "/api/v1/points/point-a", {"capacity": next(w.counter)}),
            POINT_A_TEAM,
        ),
        Case(
            "hide",
            lambda w, r: api("PATCH", f"/api/v1/points/{w.new_point()}", {"visibility": "hidden"}),
            COORDINATOR_A,
        ),
        Case(
            "give to org-a",
            lambda w, r: api(
                "PATCH",
                f"/api/v1/points/{w.new_point(organisation=None)}",
                {"organisation": "org-a"},
            ),
            COORDINATOR_A,
        ),
        Case("give to a new, empty organisation", give_point(member=False), COORDINATOR_A),
        Case("give to an organisation with a member", give_point(member=True), ADMIN),
        Case(
            "move to region B",
            lambda w, r: api("PATCH", f"/api/v1/points/{w.new_point()}", {"region": REGION_B}),
            ADMIN,
        ),
    ),
    ("POST", "/api/v1/points"): (
        Case("create in region A", new_point, COORDINATOR_A),
        Case("create for an organisation with people elsewhere", new_point_for, ADMIN),
    ),
    # --- Coordination ------------------------------------------------------------------------
    ("POST", "/coordinate/notifications/{notification_id}/acknowledge"): (
        Case(
            "acknowledge",
            lambda w, r: form(f"/coordinate/notifications/{fresh_notification(w)}/acknowledge"),
            COORDINATOR_A,
        ),
    ),
    ("POST", "/coordinate/notifications/acknowledge"): (
        Case(
            "acknowledge all in one's regions",
            acknowledge_all,
            COORDINATORS,
        ),
    ),
    ("POST", "/coordinate/calls/claim"): (Case("claim a batch", claim_batch, COORDINATORS),),
    ("POST", "/coordinate/calls/{claim_id:int}"): (
        Case(
            "record a call on coordinator_a's claim",
            lambda w, r: form(f"/coordinate/calls/{fresh_claim(w)}", outcome="confirmed"),
            frozenset({"coordinator_a"}),
        ),
    ),
    ("POST", "/coordinate/signals/{point_id}/claim"): (
        Case(
            "claim one point",
            lambda w, r: form(f"/coordinate/signals/{w.new_point()}/claim"),
            COORDINATOR_A,
        ),
    ),
    ("POST", "/coordinate/comments/{comment_id:int}"): (
        Case(
            "publish a visitor's comment on a point of region A",
            lambda w, r: form(f"/coordinate/comments/{fresh_comment(w)}", action="publish"),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "reject a visitor's comment on a point of region A",
            lambda w, r: form(f"/coordinate/comments/{fresh_comment(w)}", action="reject"),
            COORDINATOR_A,
        ),
    ),
    ("POST", "/coordinate/needs/{need_id}/pledge"): (
        Case(
            "pledge",
            lambda w, r: form(f"/coordinate/needs/{fresh_need(w)}/pledge", quantity="5"),
            frozenset({"member_a"}),
            postgres=True,
        ),
    ),
    ("POST", "/coordinate/pledges/{pledge_id}/delivered"): (
        Case(
            "mark delivered",
            lambda w, r: form(f"/coordinate/pledges/{fresh_pledge(w)}/delivered"),
            POINT_A_TEAM | {"member_a"},
        ),
    ),
    ("POST", "/coordinate/pledges/{pledge_id}/withdraw"): (
        Case(
            "withdraw",
            lambda w, r: form(f"/coordinate/pledges/{fresh_pledge(w)}/withdraw"),
            frozenset({"member_a"}),
        ),
    ),
    ("POST", "/coordinate/points/{point_id}/inspect"): (
        Case(
            "inspect",
            lambda w, r: form("/coordinate/points/point-a/inspect", **checklist("pass")),
            COORDINATOR_A,
        ),
    ),
    ("POST", "/coordinate/tasks/{task_id}/plan"): (
        Case(
            "plan a task",
            lambda w, r: form(
                f"/coordinate/tasks/{fresh_task(w)}/plan", priority="high", assignee="admin"
            ),
            COORDINATOR_A,
        ),
    ),
    ("POST", "/coordinate/tasks/{task_id}/done"): (
        Case(
            "task done",
            lambda w, r: form(f"/coordinate/tasks/{fresh_task(w)}/done"),
            COORDINATOR_A,
        ),
    ),
    ("POST", "/coordinate/applications/{application_id}"): (
        Case(
            "approve",
            lambda w, r: form(f"/coordinate/applications/{fresh_application(w)}", action="approve"),
            COORDINATOR_A,
        ),
    ),
    # --- People and organisations (M5) ---------------------------------------------------------
    ("POST", "/coordinate/users"): (
        Case(
            "new operator of point-a",
            lambda w, r: form("/coordinate/users", username=w.unique("new"), point="point-a"),
            COORDINATOR_A,
            also_refused=frozenset({422}),
            postgres=True,
        ),
    ),
    ("POST", "/coordinate/users/{user_id}"): (
        Case(
            "deactivate a member of org-a",
            on_user("deactivate", member_of_a),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "reset link for an operator of point-a", on_user("reset", operator_of_a), COORDINATOR_A
        ),
        Case(
            "make a member of org-a operator of point-a",
            on_user("grant", member_of_a, point="point-a"),
            COORDINATOR_A,
        ),
        Case("take away a role on point-a", revoke_on_users_screen, COORDINATOR_A),
        Case(
            "unlink the Telegram of an operator of point-a",
            telegram_of_an_operator_of_a,
            COORDINATOR_A,
        ),
        Case("deactivate a donor", on_user("deactivate", donor), ADMIN, postgres=True),
        Case("reset link for a donor", on_user("reset", donor), ADMIN),
        Case("reset link for a coordinator", on_user("reset", fellow_coordinator), ADMIN),
    ),
    ("PATCH", "/api/v1/users/{username}"): (
        Case(
            "set a donor's password",
            api_on("PATCH", "/api/v1/users/{}", donor, {"password": "hijacked-pass-1"}),
            NOBODY,
            postgres=True,
        ),
        Case(
            "set the password of an operator of point-a",
            api_on("PATCH", "/api/v1/users/{}", operator_of_a, {"password": "hijacked-pass-1"}),
            NOBODY,
        ),
        Case("change one's own password", own_password, SIGNED_IN),
        Case(
            "deactivate a member of org-a",
            api_on("PATCH", "/api/v1/users/{}", member_of_a, {"is_active": False}),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "rename operator_a",
            lambda w, r: api(
                "PATCH", "/api/v1/users/operator_a", {"display_name": w.unique("Олена")}
            ),
            COORDINATOR_A | {"operator_a"},
        ),
        Case(
            "deactivate a donor",
            api_on("PATCH", "/api/v1/users/{}", donor, {"is_active": False}),
            ADMIN,
        ),
        Case(
            "deactivate a coordinator of region A",
            api_on("PATCH", "/api/v1/users/{}", fellow_coordinator, {"is_active": False}),
            ADMIN,
        ),
    ),
    ("POST", "/api/v1/organisations"): (
        Case(
            "register",
            lambda w, r: api(
                "POST",
                "/api/v1/organisations",
                {"slug": w.unique("org"), "name": "N", "kind": "ngo"},
            ),
            COORDINATORS,
        ),
    ),
    ("PATCH", "/api/v1/organisations/{slug}"): (
        Case(
            "rename org-a, which works in region A only",
            lambda w, r: api("PATCH", "/api/v1/organisations/org-a", {"name": w.unique("Org")}),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "rename an organisation without points",
            lambda w, r: api("PATCH", "/api/v1/organisations/volunteers", {"name": w.unique("V")}),
            ADMIN,
        ),
    ),
    ("POST", "/api/v1/users"): (
        Case(
            "create a member of org-a",
            lambda w, r: api(
                "POST", "/api/v1/users", {"username": w.unique("n"), "organisation": "org-a"}
            ),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "create a member of an organisation without points",
            lambda w, r: api(
                "POST", "/api/v1/users", {"username": w.unique("n"), "organisation": "volunteers"}
            ),
            ADMIN,
        ),
        Case(
            "create a user tied to nothing",
            lambda w, r: api("POST", "/api/v1/users", {"username": w.unique("n")}),
            ADMIN,
        ),
    ),
    ("POST", "/api/v1/users/{username}/roles"): (
        Case(
            "operator of point-a, to a member of org-a",
            api_on("POST", "/api/v1/users/{}/roles", member_of_a, GRANT_A),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "operator of point-a, to a donor",
            api_on("POST", "/api/v1/users/{}/roles", donor, GRANT_A),
            ADMIN,
        ),
        Case(
            "coordinator of region A",
            api_on(
                "POST",
                "/api/v1/users/{}/roles",
                member_of_a,
                {"role": "coordinator", "region": REGION_A},
            ),
            ADMIN,
        ),
    ),
    ("DELETE", "/api/v1/roles/{grant_id}"): (
        Case(
            "an operator role on point-a",
            api_on("DELETE", "/api/v1/roles/{}", lambda w: str(w.grant_id(operator_of_a(w)))),
            COORDINATOR_A,
            postgres=True,
        ),
        Case(
            "a coordinator role",
            api_on("DELETE", "/api/v1/roles/{}", lambda w: str(w.grant_id(fellow_coordinator(w)))),
            ADMIN,
        ),
    ),
    ("POST", "/api/v1/tokens"): (
        Case("one's own", lambda w, r: api("POST", "/api/v1/tokens", {"name": "phone"}), SIGNED_IN),
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): (
        Case(
            "one's own",
            lambda w, r: api("DELETE", f"/api/v1/tokens/{w.new_token(own_username(w, r))}"),
            SIGNED_IN,
        ),
        Case(
            "someone else's",
            api_on("DELETE", "/api/v1/tokens/{}", lambda w: str(w.new_token(w.new_user()))),
            ADMIN,
        ),
    ),
}


# --- The tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_write_route_has_a_rule(client):
    served = write_routes(client.app.app)  # the FastAPI app inside the served FastPath
    missing = sorted(served - TABLE.keys())
    gone = sorted(TABLE.keys() - served)
    assert not missing, f"write routes with no rule in the authorization matrix: {missing}"
    assert not gone, f"rules in the authorization matrix for routes that are gone: {gone}"
    assert len(served) >= 30  # the walk found the included routers' routes, not just the app's


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_new_write_route_without_a_rule_is_noticed(client):
    """What the check above relies on: a route added by any router, however deeply included,
    is found by the walk (a new endpoint cannot slip past the matrix)."""
    inner, outer = APIRouter(), APIRouter(prefix="/api/v1")

    @inner.put("/things/{thing_id}")
    def change_thing(thing_id: int) -> None: ...

    outer.include_router(inner, prefix="/nested")
    app = client.app.app
    served = write_routes(app)
    app.include_router(outer)
    assert write_routes(app) - served == {("PUT", "/api/v1/nested/things/{thing_id}")}


def cases(postgres: bool) -> list[object]:
    found = []
    for (method, path), entries in TABLE.items():
        for number, entry in enumerate(entries):
            if postgres and not entry.postgres:
                continue
            found.append(pytest.param(method, path, number, id=f"{method} {path} {entry.name}"))
    return found


@pytest.fixture
def world(app_client, network, db, clock, monkeypatch) -> World:
    # Passwords are checked and set by the real argon2, with light parameters: what is tested
    # here is who may, and dozens of sign-ins at the production cost would take minutes.
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    return World(app_client, db, clock, network)


def check_every_role(world: World, method: str, path: str, number: int) -> None:
    entry = TABLE[method, path][number]
    problems = []
    # Refused roles first: each then meets rows no allowed role has yet changed.
    for role in sorted(ROLES, key=lambda r: r in entry.allowed):
        attempt = entry.build(world, role)
        before = world.fingerprint()
        response = world.send(role, attempt)
        after = world.fingerprint()
        written = sorted(name for name in before if before[name] != after[name])
        said = f"{role}: {response.status_code} {response.headers.get('location', '')}"
        if role in entry.allowed:
            if not (200 <= response.status_code < 400) or refused(response):
                problems.append(f"{said} — should succeed; {response.text[:200]}")
            elif entry.writes(role) and not written:
                problems.append(f"{said} — succeeded but wrote nothing")
        elif not refused(response, entry.also_refused):
            problems.append(f"{said} — should be refused; {response.text[:200]}")
        elif written:
            problems.append(f"{said} — refused, yet wrote to {written}")
    assert not problems, f"{method} {path} ({entry.name}):\n" + "\n".join(problems)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("method", "path", "number"), cases(postgres=False))
def test_each_role_may_write_only_what_its_rule_allows(world, method, path, number):
    check_every_role(world, method, path, number)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(("method", "path", "number"), cases(postgres=True))
def test_the_rules_hold_on_postgresql_too(world, method, path, number):
    check_every_role(world, method, path, number)
