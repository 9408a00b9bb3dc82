"""Users and roles on /coordinate/users, each coordinator within their regions, and one-time
password reset links that work once, for a day, and end every session of their user."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from nezlam.domain.points import OrganisationCreate, RoleGrantCreate, UserCreate
from nezlam.store import accounts, points
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, LoginSession, PasswordReset, RoleGrant, User
from tests.conftest import REGION_A, REGION_B, point_create, sign_in_as

HTML = {"Accept": "text/html"}
RESET_LINK = re.compile(r'value="(http://testserver/reset/([A-Za-z0-9_-]{20,}))"')


@pytest.fixture
def people(app_client, network, db, clock):
    """The network, another point in region A, and a user who coordinates region B while
    operating point-a (coordinator_a sees them, but must not manage them)."""
    with db.write() as session:
        points.create_point(session, point_create("point-a2", REGION_A, 50.46, 30.53), CLI)
        both = accounts.create_user(session, UserCreate(username="both_b_and_a"), CLI)
        accounts.grant_role(
            session, both, RoleGrantCreate(role="coordinator", region=REGION_B), CLI
        )
        accounts.grant_role(
            session, both, RoleGrantCreate(role="operator", point_id="point-a"), CLI
        )
    return app_client


def user_id(db, username: str) -> int:
    with db.read() as session:
        return session.execute(sa.select(User.id).where(User.username == username)).scalar_one()


def grants(db, username: str) -> list[tuple[str, str | None, str | None]]:
    with db.read() as session:
        rows = session.execute(
            sa.select(RoleGrant.role, RoleGrant.region, RoleGrant.point_id)
            .join(User, User.id == RoleGrant.user_id)
            .where(User.username == username)
            .order_by(RoleGrant.id)
        )
        return [tuple(row) for row in rows]


def resets(db) -> list[PasswordReset]:
    with db.read() as session:
        return list(session.execute(sa.select(PasswordReset)).scalars())


def listed(page_text: str) -> set[str]:
    return set(
        re.findall(
            r'<li class="person card[^"]*" id="u-\d+">\s*<h2>([^<]+?)(?: ·|</h2>)', page_text
        )
    )


def act(client, db, username: str, action: str, csrf: str, **extra):
    return client.post(
        f"/coordinate/users/{user_id(db, username)}",
        data={"csrf": csrf, "action": action, **extra},
        headers=HTML,
        follow_redirects=False,
    )


def test_the_users_screen_needs_a_coordinator(people, db, clock):
    anonymous = people.get("/coordinate/users", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=/coordinate/users"
    sign_in_as(people, db, "operator_a", clock())
    assert people.get("/coordinate/users", headers=HTML).status_code == 403
    csrf = sign_in_as(people, db, "operator_a", clock())
    assert act(people, db, "operator_b", "reset", csrf).status_code == 403
    assert resets(db) == []


def test_each_coordinator_sees_the_users_of_their_regions_and_an_admin_sees_all(people, db, clock):
    sign_in_as(people, db, "coordinator_a", clock())
    page = people.get("/coordinate/users", headers={"Accept-Language": "en"}).text
    assert listed(page) == {"operator_a", "org_operator_a", "both_b_and_a"}
    assert page.count("role(s) outside your regions") == 1  # both_b_and_a's coordinator role
    assert "and 1 role(s) outside your regions" in page
    assert REGION_B not in page  # the other region's role is counted, not shown
    sign_in_as(people, db, "coordinator_b", clock())
    assert listed(people.get("/coordinate/users").text) == {"operator_b"}
    sign_in_as(people, db, "admin", clock())
    assert listed(people.get("/coordinate/users").text) == {
        "operator_a", "operator_b", "org_operator_a", "coordinator_a", "coordinator_b", "admin",
        "both_b_and_a",
    }  # fmt: skip


def test_applicants_of_a_region_are_in_its_coordinators_scope(people, db, clock):
    from tests.test_onboarding import apply

    assert apply(people).status_code == 303
    sign_in_as(people, db, "coordinator_a", clock())
    assert "step-yurt" in listed(people.get("/coordinate/users").text)
    sign_in_as(people, db, "coordinator_b", clock())
    assert "step-yurt" not in listed(people.get("/coordinate/users").text)


def test_a_new_operator_gets_a_role_and_a_link_shown_once(people, db, clock):
    csrf = sign_in_as(people, db, "coordinator_a", clock())
    answer = people.post(
        "/coordinate/users",
        data={"csrf": csrf, "username": "olena", "display_name": "Олена", "point_id": "point-a2"},
    )
    assert answer.status_code == 201
    assert answer.headers["cache-control"] == "no-store"
    url, token = RESET_LINK.search(answer.text).groups()
    assert grants(db, "olena") == [("operator", None, "point-a2")]
    [row] = resets(db)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at == clock() + timedelta(hours=24)
    assert token not in str(row.__dict__.values())  # only its hash is kept
    again = people.get("/coordinate/users")
    assert token not in again.text and "olena" in listed(again.text)
    with db.read() as session:
        audit = session.execute(
            sa.select(AuditEntry.entity, AuditEntry.action, AuditEntry.actor).order_by(
                AuditEntry.id
            )
        ).all()[-3:]
    assert audit == [
        ("user", "create", "user:coordinator_a"),
        ("role", "grant", "user:coordinator_a"),
        ("user", "issue_reset", "user:coordinator_a"),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "a b", "point_id": "point-a2"}, "username"),
        ({"username": "operator_a", "point_id": "point-a2"}, "username"),
        ({"username": "olena", "point_id": "point-b"}, "point_id"),  # another region
        ({"username": "olena", "point_id": "nowhere"}, "point_id"),
    ],
)
def test_a_refused_new_user_is_named_and_nothing_is_created(people, db, clock, fields, field):
    csrf = sign_in_as(people, db, "coordinator_a", clock())
    with db.read() as session:
        before = session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    answer = people.post("/coordinate/users", data={"csrf": csrf, **fields})
    assert answer.status_code == 422
    assert f'id="e-new-{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert f'value="{fields["username"]}"' in unescape(answer.text)  # kept as typed
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == before
    assert resets(db) == []


def test_roles_are_given_and_taken_only_on_points_of_ones_regions(people, db, clock):
    csrf = sign_in_as(people, db, "coordinator_a", clock())
    given = act(people, db, "operator_a", "grant", csrf, point_id="point-a2")
    assert given.status_code == 303 and "done=grant" in given.headers["location"]
    act(people, db, "operator_a", "grant", csrf, point_id="point-a2")  # a second time: no twin
    assert grants(db, "operator_a") == [
        ("operator", None, "point-a"),
        ("operator", None, "point-a2"),
    ]
    elsewhere = act(people, db, "operator_a", "grant", csrf, point_id="point-b")
    assert elsewhere.status_code == 422 and 'id="e-grant-' in elsewhere.text

    with db.read() as session:
        grant_ids = dict(
            session.execute(
                sa.select(User.username, RoleGrant.id).join(User, User.id == RoleGrant.user_id)
            ).all()
        )
    taken = act(people, db, "operator_a", "revoke", csrf, grant_id=grant_ids["operator_a"])
    assert taken.status_code == 303
    assert grants(db, "operator_a") == [("operator", None, "point-a")]
    # An organisation-wide role is an admin's to take away.
    org_role = act(
        people, db, "org_operator_a", "revoke", csrf, grant_id=grant_ids["org_operator_a"]
    )
    assert org_role.status_code == 403
    assert grants(db, "org_operator_a") == [("operator", None, None)]

    csrf_b = sign_in_as(people, db, "coordinator_b", clock())
    assert act(people, db, "operator_a", "grant", csrf_b, point_id="point-b").status_code == 404
    assert act(people, db, "operator_a", "deactivate", csrf_b).status_code == 404
    assert grants(db, "operator_a") == [("operator", None, "point-a")]


def test_deactivating_signs_the_user_out_and_reactivating_lets_them_back(people, db, clock):
    sign_in_as(people, db, "operator_a", clock())
    operator_cookie = dict(people.cookies)
    csrf = sign_in_as(people, db, "coordinator_a", clock())
    assert act(people, db, "operator_a", "deactivate", csrf).status_code == 303
    coordinator_cookie = dict(people.cookies)
    people.cookies.clear()
    people.cookies.update(operator_cookie)
    assert people.get("/operate", follow_redirects=False).status_code == 303  # to /login
    people.cookies.update(coordinator_cookie)
    assert act(people, db, "operator_a", "activate", csrf).status_code == 303
    with db.read() as session:
        assert session.execute(
            sa.select(User.is_active).where(User.username == "operator_a")
        ).scalar_one()
    assert act(people, db, "coordinator_a", "deactivate", csrf).status_code == 403  # oneself


def test_a_coordinator_never_resets_an_admins_or_another_coordinators_password(people, db, clock):
    csrf = sign_in_as(people, db, "coordinator_a", clock())
    assert act(people, db, "admin", "reset", csrf).status_code == 404
    assert act(people, db, "coordinator_b", "reset", csrf).status_code == 404
    # Visible (they operate point-a), but a coordinator elsewhere: not to be managed.
    assert act(people, db, "both_b_and_a", "reset", csrf).status_code == 403
    assert act(people, db, "both_b_and_a", "deactivate", csrf).status_code == 403
    page = people.get("/coordinate/users").text
    both = page[page.index(f'id="u-{user_id(db, "both_b_and_a")}"') :].split("</li>\n<li")[0]
    assert 'value="reset"' not in both  # no button for it either
    assert resets(db) == []
    admin_csrf = sign_in_as(people, db, "admin", clock())
    answer = act(people, db, "coordinator_b", "reset", admin_csrf)
    assert answer.status_code == 200 and RESET_LINK.search(answer.text)


def issue_link(client, db, clock, username: str = "operator_a") -> str:
    csrf = sign_in_as(client, db, "coordinator_a", clock())
    answer = act(client, db, username, "reset", csrf)
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    return RESET_LINK.search(answer.text)[2]


def set_password(client, token: str, password: str, again: str | None = None):
    """Send the form (as one kept open in another tab, when the link no longer shows one)."""
    client.get(f"/reset/{token}")
    csrf = client.cookies.get("nezlam_form")
    data = {"csrf": csrf, "password": password, "password2": again or password}
    return client.post(f"/reset/{token}", data=data, headers=HTML)


def sessions_running(db, username: str) -> int:
    with db.read() as session:
        return session.execute(
            sa.select(sa.func.count())
            .select_from(LoginSession)
            .join(User, User.id == LoginSession.user_id)
            .where(User.username == username, LoginSession.ended_at.is_(None))
        ).scalar_one()


def test_a_reset_link_sets_the_password_once_and_ends_every_session(people, db, clock):
    for _ in range(2):
        sign_in_as(people, db, "operator_a", clock())
    assert sessions_running(db, "operator_a") == 2
    token = issue_link(people, db, clock)
    page = people.get(f"/reset/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "For the username operator_a" in page.text
    assert page.headers["cache-control"] == "no-store"
    done = set_password(people, token, "a brand new passphrase")
    assert done.status_code == 200 and "Пароль задано" in done.text
    assert sessions_running(db, "operator_a") == 0
    with db.read() as session:
        user = session.execute(sa.select(User).where(User.username == "operator_a")).scalar_one()
        assert accounts.authenticate(session, "operator_a", "a brand new passphrase").id == user.id
    signed = people.post(
        "/login",
        data={"username": "operator_a", "password": "a brand new passphrase", "next": "/operate"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/operate"
    people.cookies.clear()
    used = people.get(f"/reset/{token}")
    assert used.status_code == 410 and "Ним уже скористалися" in unescape(used.text)
    reused = set_password(people, token, "yet another passphrase")
    assert reused.status_code == 410
    with db.read() as session:
        assert accounts.authenticate(session, "operator_a", "a brand new passphrase")


def test_expired_unknown_and_replaced_links_are_refused_with_a_clear_page(people, db, clock):
    first = issue_link(people, db, clock)
    second = issue_link(people, db, clock)
    assert people.get(f"/reset/{first}").status_code == 410  # a newer link retires it
    assert people.get(f"/reset/{second}").status_code == 200
    clock.advance(hours=24, seconds=1)
    expired = people.get(f"/reset/{second}", headers={"Accept-Language": "en"})
    assert expired.status_code == 410 and "It has expired" in expired.text
    assert set_password(people, second, "a brand new passphrase").status_code == 410
    unknown = people.get("/reset/not-a-token-we-ever-made", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and "It is not a link we know" in unknown.text
    with db.read() as session:
        assert (
            session.execute(
                sa.select(User.password_hash).where(User.username == "operator_a")
            ).scalar_one()
            is None
        )


def test_a_short_or_mistyped_password_is_named_and_the_link_still_works(people, db, clock):
    token = issue_link(people, db, clock)
    short = set_password(people, token, "short")
    assert short.status_code == 422 and 'id="e-password"' in short.text
    differ = set_password(people, token, "a brand new passphrase", "a brand new passphrasE")
    assert differ.status_code == 422 and 'id="e-password2"' in differ.text
    assert set_password(people, token, "a brand new passphrase").status_code == 200


def test_forged_posts_without_the_token_change_nothing(people, db, clock):
    token = issue_link(people, db, clock)
    people.get(f"/reset/{token}")  # the browser has its cookie; the forged form lacks the copy
    forged = people.post(
        f"/reset/{token}",
        data={"password": "a brand new passphrase", "password2": "a brand new passphrase"},
        headers=HTML,
    )
    assert forged.status_code == 403
    sign_in_as(people, db, "coordinator_a", clock())
    before = len(resets(db))
    for action, extra in (
        ("grant", {"point_id": "point-a2"}),
        ("deactivate", {}),
        ("reset", {}),
    ):
        for csrf in ("", "forged"):
            assert act(people, db, "operator_a", action, csrf, **extra).status_code == 403
    created = people.post(
        "/coordinate/users",
        data={"csrf": "forged", "username": "mallory", "point_id": "point-a2"},
        headers=HTML,
    )
    assert created.status_code == 403
    assert grants(db, "operator_a") == [("operator", None, "point-a")]
    assert len(resets(db)) == before
    with db.read() as session:
        assert session.execute(sa.select(User.id).where(User.username == "mallory")).first() is None
        operator = session.execute(
            sa.select(User).where(User.username == "operator_a")
        ).scalar_one()
        assert operator.is_active and operator.password_hash is None


# --- Choosing the point by name (C7), never one of another region ----------------------------


@pytest.fixture
def yurts(people, db, clock):
    """Two yurts with the same word in their names, one in each region."""
    with db.write() as session:
        for point_id, region, name in (
            ("yurt-podil", REGION_A, "Юрта на Подолі"),
            ("yurt-kharkiv", REGION_B, "Юрта в Харкові"),
        ):
            data = point_create(point_id, region, 50.46, 30.51, name={"uk": name, "en": "Yurt"})
            points.create_point(session, data, CLI, now=clock())
    return people


def new_operator(client, csrf: str, **fields):
    return client.post(
        "/coordinate/users", data={"csrf": csrf, "username": "olena", **fields}, headers=HTML
    )


def test_the_list_offers_the_points_of_ones_regions_by_name(yurts, db, clock):
    sign_in_as(yurts, db, "coordinator_a", clock())
    page = unescape(yurts.get("/coordinate/users").text)
    offered = re.findall(r'<option value="([^"]+)">', page)
    assert "Юрта на Подолі · Київ (yurt-podil)" in offered
    assert all("Харків" not in label and "point-b" not in label for label in offered)
    assert 'name="point" list="points-list"' in page


@pytest.mark.parametrize(
    "typed",
    ["Юрта на Подолі · Київ (yurt-podil)", "юрта", "Yurta", "yurt-podil", "подол"],
    ids=["the list's label", "a word", "in Latin letters", "the id", "a word's start"],
)
def test_a_new_operator_is_given_the_point_named_as_typed(yurts, db, clock, typed):
    """The list's label, part of the name (in either script), or the id: one point of the
    coordinator's regions matches; the yurt in Kharkiv is never a candidate."""
    answer = new_operator(yurts, sign_in_as(yurts, db, "coordinator_a", clock()), point=typed)
    assert answer.status_code == 201, answer.text
    assert grants(db, "olena") == [("operator", None, "yurt-podil")]


def test_several_matches_are_offered_to_choose_and_nothing_is_created_yet(yurts, db, clock):
    csrf = sign_in_as(yurts, db, "coordinator_a", clock())
    answer = new_operator(yurts, csrf, point="пункт", display_name="Олена")
    assert answer.status_code == 200
    offered = re.findall(r'<button type="submit" name="point_id" value="([^"]+)"', answer.text)
    assert sorted(offered) == ["point-a", "point-a2"]  # region B's point-b is not offered
    assert 'value="Олена"' in answer.text  # what was typed stays for the second step
    with db.read() as session:
        assert session.execute(sa.select(User.id).where(User.username == "olena")).first() is None
    chosen = new_operator(yurts, csrf, point="пункт", point_id="point-a2")
    assert chosen.status_code == 201
    assert grants(db, "olena") == [("operator", None, "point-a2")]


def test_a_name_of_another_regions_point_finds_nothing(yurts, db, clock):
    csrf = sign_in_as(yurts, db, "coordinator_a", clock())
    for typed in ("Харків", "yurt-kharkiv", "Юрта в Харкові · Харків (yurt-kharkiv)"):
        answer = new_operator(yurts, csrf, point=typed)
        assert answer.status_code == 422, typed
        assert 'id="e-new-point_id"' in answer.text
    with db.read() as session:
        assert session.execute(sa.select(User.id).where(User.username == "olena")).first() is None


def test_a_role_is_given_by_name_on_the_users_screen(yurts, db, clock):
    csrf = sign_in_as(yurts, db, "coordinator_a", clock())
    several = act(yurts, db, "operator_a", "grant", csrf, point="пункт")
    assert several.status_code == 200 and 'name="point_id" value="point-a2"' in several.text
    assert grants(db, "operator_a") == [("operator", None, "point-a")]
    none = act(yurts, db, "operator_a", "grant", csrf, point="Харків")
    assert none.status_code == 422 and 'value="Харків"' in unescape(none.text)
    given = act(yurts, db, "operator_a", "grant", csrf, point="подолі")
    assert given.status_code == 303
    assert grants(db, "operator_a") == [
        ("operator", None, "point-a"),
        ("operator", None, "yurt-podil"),
    ]


def test_members_of_the_regions_organisations_are_in_scope_and_managed_only_there(
    people, db, clock
):
    """A donor of org-a (points in region A only) is coordinator_a's; a member of an
    organisation with no points is nobody's but an admin's (the review's donor)."""
    with db.write() as session:
        accounts.create_organisation(
            session, OrganisationCreate(slug="volunteers", name="V", kind="ngo"), CLI
        )
        for username, org in (("donor_a", "org-a"), ("donor", "volunteers")):
            accounts.create_user(session, UserCreate(username=username, organisation=org), CLI)
    sign_in_as(people, db, "coordinator_a", clock())
    page = people.get("/coordinate/users").text
    assert "donor_a" in listed(page) and "donor" not in listed(page)
    card = page[page.index(f'id="u-{user_id(db, "donor_a")}"') :].split("</li>\n<li")[0]
    assert 'value="reset"' in card and 'value="deactivate"' in card
    csrf = sign_in_as(people, db, "coordinator_a", clock())
    assert act(people, db, "donor", "reset", csrf).status_code == 404
    assert act(people, db, "donor_a", "reset", csrf).status_code == 200
    csrf_b = sign_in_as(people, db, "coordinator_b", clock())
    assert "donor_a" not in listed(people.get("/coordinate/users").text)
    assert act(people, db, "donor_a", "deactivate", csrf_b).status_code == 404


def test_a_coordinator_links_an_operators_sms_number_within_their_scope(people, db, clock):
    """The number an operator's OPEN by SMS counts from is linked on the users page, by whoever
    manages the operator; typed as people write it, kept in one form, refused when taken."""
    from nezlam.store import channel_links

    csrf = sign_in_as(people, db, "coordinator_a", clock())
    answer = act(people, db, "operator_a", "phone", csrf, phone="067 123 45 67")
    assert answer.status_code == 303, answer.text
    with db.read() as session:
        principal = channel_links.principal_for_sender(session, "sms", "+380671234567")
    assert principal is not None and principal.username == "operator_a"
    page = people.get("/coordinate/users").text
    operator = page[page.index(f'id="u-{user_id(db, "operator_a")}"') :].split("</li>\n<li")[0]
    assert "+380671234567" in operator

    taken = act(people, db, "org_operator_a", "phone", csrf, phone="+380671234567")
    assert taken.status_code == 422 and "уже прив'язаний до іншого облікового запису" in unescape(
        taken.text
    )
    wrong = act(people, db, "org_operator_a", "phone", csrf, phone="call me")
    assert wrong.status_code == 422 and "Це не номер телефону" in wrong.text
    # Someone the coordinator does not manage: refused, nothing linked.
    assert act(people, db, "both_b_and_a", "phone", csrf, phone="0501112233").status_code == 403
    not_theirs = act(people, db, "org_operator_a", "unphone", csrf, phone="+380671234567")
    assert not_theirs.status_code == 422

    assert act(people, db, "operator_a", "unphone", csrf, phone="+380671234567").status_code == 303
    with db.read() as session:
        assert channel_links.principal_for_sender(session, "sms", "+380671234567") is None
        actions = (
            session.execute(sa.select(AuditEntry.action).where(AuditEntry.entity == "channel_link"))
            .scalars()
            .all()
        )
    assert actions == ["link", "unlink"]
