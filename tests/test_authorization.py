"""Who may manage whom: the rules of `domain.permissions` on their own, and what the review's
account takeover (M5) tried, through the API and the users screen alike.

Every write route × every role is in tests/test_authorization_matrix.py; this module tells the
stories around users and organisations: a coordinator manages the people and organisations
that work wholly within their regions, and nobody else.
"""

import pytest
import sqlalchemy as sa

from nezlam.domain.permissions import (
    Grant,
    OrganisationScope,
    PointScope,
    Principal,
    UserScope,
    can_create_user,
    can_give_point_to,
    can_grant_to,
    can_manage_organisation,
    can_manage_user,
)
from nezlam.domain.points import OrganisationCreate, RoleGrantCreate, UserCreate
from nezlam.domain.vocabulary import Role
from nezlam.store import accounts, points
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, Organisation, User
from tests.conftest import REGION_A, REGION_B, point_create, sign_in_as

A, B = REGION_A, REGION_B
COORDINATOR_A = Principal(1, "coordinator_a", (Grant(Role.COORDINATOR, region=A),))
ADMIN = Principal(2, "admin", (Grant(Role.ADMIN),))
ORG_A = OrganisationScope(10, frozenset({A}))
ORG_AB = OrganisationScope(11, frozenset({A, B}))
ORG_NOWHERE = OrganisationScope(12)  # no points, no pending application (e.g. donors)
ORGS = {org.id: org for org in (ORG_A, ORG_AB, ORG_NOWHERE)}
POINTS = {"pa": A, "pb": B}


def user(*grants: Grant, organisation: OrganisationScope | None = None) -> UserScope:
    return UserScope(99, grants, organisation.id if organisation else None, POINTS, ORGS)


def operator(point_id: str) -> Grant:
    return Grant(Role.OPERATOR, point_id=point_id)


@pytest.mark.parametrize(
    ("target", "manageable"),
    [
        (user(operator("pa")), True),
        (user(organisation=ORG_A), True),  # a member (a donor) of an organisation of region A
        (user(operator("pa"), organisation=ORG_A), True),
        (user(Grant(Role.OPERATOR, organisation_id=ORG_A.id)), True),
        (user(), False),  # tied to no region: admins only
        (user(organisation=ORG_NOWHERE), False),  # the review's donor
        (user(organisation=ORG_AB), False),  # the organisation works in region B too
        (user(Grant(Role.OPERATOR, organisation_id=ORG_AB.id)), False),
        (user(operator("pa"), operator("pb")), False),
        (user(operator("pa"), organisation=ORG_NOWHERE), False),
        (user(operator("pa"), Grant(Role.COORDINATOR, region=A)), False),  # a fellow coordinator
        (user(Grant(Role.ADMIN)), False),
    ],
)
def test_a_coordinator_manages_a_user_only_if_all_of_them_lies_in_their_regions(target, manageable):
    assert can_manage_user(COORDINATOR_A, target) is manageable
    assert can_manage_user(ADMIN, target)
    assert not can_manage_user(None, target)
    assert not can_manage_user(Principal(3, "operator", (operator("pa"),)), target)


def test_a_coordinator_manages_organisations_working_only_in_their_regions():
    assert can_manage_organisation(COORDINATOR_A, ORG_A)
    assert not can_manage_organisation(COORDINATOR_A, ORG_AB)
    assert not can_manage_organisation(COORDINATOR_A, ORG_NOWHERE)
    assert all(can_manage_organisation(ADMIN, org) for org in ORGS.values())
    assert can_create_user(COORDINATOR_A, ORG_A)
    assert not can_create_user(COORDINATOR_A, ORG_AB)
    assert not can_create_user(COORDINATOR_A)  # a user tied to nothing: admins only
    assert can_create_user(ADMIN)


def test_a_point_is_given_only_to_an_organisation_nobody_else_answers_for():
    """Where an organisation's points lie decides who manages its people, so a coordinator
    must not move one of their points to a donor organisation to capture its members."""
    assert can_give_point_to(COORDINATOR_A, ORG_A)
    assert can_give_point_to(COORDINATOR_A, OrganisationScope(13))  # new: nobody in it yet
    assert not can_give_point_to(COORDINATOR_A, OrganisationScope(12, has_people=True))
    assert not can_give_point_to(COORDINATOR_A, ORG_AB)
    assert can_give_point_to(ADMIN, OrganisationScope(12, has_people=True))
    assert not can_give_point_to(Principal(3, "operator", (operator("pa"),)), OrganisationScope(13))


def test_a_role_is_given_only_to_someone_who_already_works_in_the_region():
    """Otherwise a first role would make an account tied to nothing the coordinator's own."""
    wanted = operator("pa")
    point = PointScope("pa", A, None)
    assert can_grant_to(COORDINATOR_A, user(operator("pa"), operator("pb")), wanted, point)
    assert can_grant_to(COORDINATOR_A, user(organisation=ORG_AB), wanted, point)
    assert not can_grant_to(COORDINATOR_A, user(), wanted, point)
    assert not can_grant_to(COORDINATOR_A, user(organisation=ORG_NOWHERE), wanted, point)
    assert not can_grant_to(COORDINATOR_A, user(operator("pb")), wanted, point)
    assert can_grant_to(ADMIN, user(), wanted, point)


# --- Through the API and the users screen ----------------------------------------------------


@pytest.fixture
def people(app_client, network, db, clock):
    """The network, and members without roles: of org-a (region A only), of an organisation
    with no points (the review's donor), and of one with points in both regions."""
    with db.write() as session:
        for slug in ("volunteers", "both-regions"):
            accounts.create_organisation(
                session, OrganisationCreate(slug=slug, name=slug, kind="ngo"), CLI
            )
        for point_id, region in (("both-a", A), ("both-b", B)):
            points.create_point(
                session,
                point_create(point_id, region, 50.4, 30.5, organisation="both-regions"),
                CLI,
                now=clock(),
            )
        for username, org in (
            ("member_a", "org-a"),
            ("donor", "volunteers"),
            ("both_member", "both-regions"),
        ):
            accounts.create_user(session, UserCreate(username=username, organisation=org), CLI)
        accounts.grant_role(
            session,
            accounts.get_user(session, "both_member"),
            RoleGrantCreate(role="operator", point_id="both-a"),
            CLI,
        )
    return app_client


def snapshot(db) -> tuple:
    """What a refusal must leave as it was: the audit log, users, roles, organisations."""
    queries = (
        sa.select(sa.func.count()).select_from(AuditEntry),
        sa.select(
            User.username, User.password_hash, User.is_active, User.display_name,
            User.organisation_id,
        ).order_by(User.id),
        sa.select(Organisation.slug, Organisation.name, Organisation.phone).order_by(
            Organisation.id
        ),
        sa.text("SELECT id, user_id, role, region, point_id FROM role_grants ORDER BY id"),
    )  # fmt: skip
    with db.read() as session:
        return tuple(tuple(map(tuple, session.execute(query))) for query in queries)


TAKEOVER = [  # what the review did as a coordinator of another region (M5)
    ("PATCH", "/api/v1/users/donor", {"password": "hijacked-pass-1"}),
    ("PATCH", "/api/v1/users/donor", {"display_name": "Mallory"}),
    ("PATCH", "/api/v1/users/member_a", {"is_active": False}),
    ("PATCH", "/api/v1/organisations/org-a", {"name": "Hijacked"}),
    ("PATCH", "/api/v1/organisations/volunteers", {"phone": "+380 44 000 0000"}),
    ("PATCH", "/api/v1/organisations/both-regions", {"name": "Hijacked"}),
    ("POST", "/api/v1/users", {"username": "audituser3", "organisation": "org-a"}),
    ("POST", "/api/v1/users", {"username": "audituser4", "organisation": "volunteers"}),
    ("POST", "/api/v1/users", {"username": "audituser5"}),
    ("POST", "/api/v1/users/donor/roles", {"role": "operator", "point_id": "point-b"}),
    ("PATCH", "/api/v1/users/both_member", {"organisation": None}),
]


def test_a_coordinator_of_another_region_takes_over_no_account_or_organisation(people, network, db):
    before = snapshot(db)
    for method, url, body in TAKEOVER:
        answer = people.request(method, url, json=body, headers=network.headers("coordinator_b"))
        assert answer.status_code == 403, (method, url, body, answer.text)
    assert snapshot(db) == before
    signed = people.post(
        "/api/v1/session", json={"username": "donor", "password": "hijacked-pass-1"}
    )
    assert signed.status_code == 401


def test_a_coordinator_cannot_capture_a_donor_by_giving_their_organisation_a_point(
    people, network, db
):
    headers = network.headers("coordinator_a")
    before = snapshot(db)
    moved = people.patch(
        "/api/v1/points/point-a", json={"organisation": "volunteers"}, headers=headers
    )
    assert moved.status_code == 403 and moved.json()["errors"][0]["field"] == "organisation"
    body = {**NEW_POINT, "organisation": "volunteers"}
    assert people.post("/api/v1/points", json=body, headers=headers).status_code == 403
    assert snapshot(db) == before
    assert (
        people.patch("/api/v1/users/donor", json={"is_active": False}, headers=headers).status_code
        == 403
    )


NEW_POINT = {
    "name": {"uk": "Пункт"},
    "category": "state",
    "lat": 50.4,
    "lon": 30.6,
    "locality": "Київ",
    "region": REGION_A,
}


def test_a_coordinator_manages_the_members_and_organisations_of_their_region(people, network, db):
    headers = network.headers("coordinator_a")
    for method, url, body, status in (
        ("PATCH", "/api/v1/organisations/org-a", {"phone": "+380 44 111 2233"}, 200),
        ("POST", "/api/v1/users", {"username": "olena", "organisation": "org-a"}, 201),
        ("PATCH", "/api/v1/users/member_a", {"display_name": "Марія"}, 200),
        ("POST", "/api/v1/users/member_a/roles", {"role": "operator", "point_id": "point-a"}, 201),
    ):
        answer = people.request(method, url, json=body, headers=headers)
        assert answer.status_code == status, (url, answer.text)
    before = snapshot(db)
    for method, url, body in (
        ("PATCH", "/api/v1/organisations/volunteers", {"name": "Mine now"}),
        ("PATCH", "/api/v1/organisations/both-regions", {"name": "Mine now"}),
        ("PATCH", "/api/v1/users/donor", {"is_active": False}),
        ("PATCH", "/api/v1/users/both_member", {"is_active": False}),
        ("PATCH", "/api/v1/users/member_a", {"organisation": "both-regions"}),  # out of reach
        ("POST", "/api/v1/users", {"username": "bare"}),
        ("POST", "/api/v1/users", {"username": "mixed", "organisation": "both-regions"}),
        ("POST", "/api/v1/users/donor/roles", {"role": "operator", "point_id": "point-a"}),
    ):
        answer = people.request(method, url, json=body, headers=headers)
        assert answer.status_code == 403, (url, body, answer.text)
    assert snapshot(db) == before
    for method, url, body in TAKEOVER:  # an admin may do all of it but set a password
        admin = people.request(method, url, json=body, headers=network.headers("admin"))
        expected = {403} if "password" in body else {200, 201}
        assert admin.status_code in expected, (url, body, admin.text)


def test_an_organisation_applying_in_another_region_is_no_longer_one_coordinators(
    people, network, db
):
    """Where an organisation works includes where its application awaits a decision."""
    from nezlam.store.tables import Application

    with db.write() as session:
        org_a = session.execute(sa.select(Organisation).where(Organisation.slug == "org-a"))
        pending = Application(
            organisation_id=org_a.scalar_one().id, region=B, contact_name="Ігор", point_ids=[]
        )
        session.add(pending)
    url, body = "/api/v1/organisations/org-a", {"name": "Org A (both)"}
    for who in ("coordinator_a", "coordinator_b"):
        assert people.patch(url, json=body, headers=network.headers(who)).status_code == 403
    with db.write() as session:
        session.execute(sa.update(Application).values(status="rejected"))
    assert people.patch(url, json=body, headers=network.headers("coordinator_a")).status_code == 200


MANAGEABLE = {
    "coordinator_a": {"operator_a", "org_operator_a", "member_a"},
    "coordinator_b": {"operator_b"},
    "admin": {"operator_a", "operator_b", "org_operator_a", "member_a", "donor", "both_member",
              "coordinator_a", "coordinator_b"},
}  # fmt: skip


@pytest.mark.parametrize("who", sorted(MANAGEABLE))
def test_the_api_and_the_users_screen_agree_on_whom_a_coordinator_manages(
    people, network, db, clock, who
):
    csrf = sign_in_as(people, db, who, clock())
    targets = sorted(MANAGEABLE["admin"] - {who})
    by_api, by_screen = set(), set()
    for target in targets:
        api = people.patch(
            f"/api/v1/users/{target}", json={"is_active": False}, headers=network.headers(who)
        )
        if api.status_code == 200:
            by_api.add(target)
            people.patch(
                f"/api/v1/users/{target}", json={"is_active": True}, headers=network.headers(who)
            )
        with db.read() as session:
            target_id = accounts.get_user(session, target).id
        screen = people.post(
            f"/coordinate/users/{target_id}",
            data={"csrf": csrf, "action": "deactivate"},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        if screen.status_code == 303:
            by_screen.add(target)
        else:
            assert screen.status_code in (403, 404), screen.text
    assert by_api == by_screen == MANAGEABLE[who] - {who}


def test_organisation_operator_acts_on_every_point_of_the_organisation(app_client, network):
    headers = network.headers("org_operator_a")
    ok = app_client.post("/api/v1/points/point-a/reports", json={"status": "open"}, headers=headers)
    assert ok.status_code == 201
    other = app_client.post(
        "/api/v1/points/point-b/reports", json={"status": "open"}, headers=headers
    )
    assert other.status_code == 403


def test_a_revoked_token_stops_working(app_client, network):
    headers = network.headers("operator_a")
    me = app_client.get("/api/v1/me", headers=headers).json()
    assert me["username"] == "operator_a"
    assert app_client.delete(f"/api/v1/tokens/{me['token_id']}", headers=headers).status_code == 204
    refused = app_client.post(
        "/api/v1/points/point-a/reports", json={"status": "open"}, headers=headers
    )
    assert refused.status_code == 401


def test_a_made_up_token_is_refused(app_client):
    response = app_client.get("/api/v1/me", headers={"Authorization": "Bearer nzl_made-up"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
