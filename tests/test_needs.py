"""Needs: an operator posts what a point lacks; coordinators and organisations see the board by
urgency, organisations pledge and mark deliveries, and a need is met when deliveries reach it;
the public feed shows what anyone may see. Every form checks its CSRF token; every change is
audited with its author."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from nezlam.domain.points import OrganisationCreate, UserCreate
from nezlam.store import accounts, points
from nezlam.store import needs as need_store
from nezlam.store.actor import CLI
from nezlam.store.needs import NeedInput
from nezlam.store.tables import AuditEntry, Need, Pledge, User
from tests.conftest import REGION_A, REGION_B, point_create, sign_in_as

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app_client, network, db, clock):
    """The network, plus a hidden point in region A, a protected one in region B, and two
    donor organisations with one member each."""
    with db.write() as session:
        points.create_point(
            session,
            point_create("point-hidden", REGION_A, 50.40, 30.50, visibility="hidden"),
            CLI,
            now=clock(),
        )
        points.create_point(
            session,
            point_create("point-protected", REGION_B, 49.90, 36.30, visibility="locality_only"),
            CLI,
            now=clock(),
        )
        for slug, username in (("donors-x", "donor"), ("donors-y", "donor_y")):
            accounts.create_organisation(
                session, OrganisationCreate(slug=slug, name=f"Donors {slug[-1]}", kind="ngo"), CLI
            )
            accounts.create_user(session, UserCreate(username=username, organisation=slug), CLI)
    app_client.app.state.nezlam.sync.load_all()
    return app_client


def principal_of(session, username):
    user = session.execute(sa.select(User).where(User.username == username)).scalar_one()
    return accounts.principal_for(session, user)


def add_need(db, clock, point_id, item="diesel", quantity=200.0, urgency="high", details=None):
    """A need posted straight through the store, by the admin."""
    with db.write() as session:
        need = need_store.post_need(
            session,
            point_id,
            NeedInput(item, quantity, urgency, None, details),
            principal_of(session, "admin"),
            clock(),
        )
        return need.id


def needs_rows(db):
    with db.read() as session:
        return session.execute(
            sa.select(
                Need.point_id, Need.item, Need.quantity, Need.unit, Need.urgency, Need.status
            ).order_by(Need.id)
        ).all()


def audit_rows(db, entity):
    with db.read() as session:
        return session.execute(
            sa.select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == entity)
            .order_by(AuditEntry.id)
        ).all()


def user_id(db, username):
    with db.read() as session:
        return session.execute(sa.select(User.id).where(User.username == username)).scalar_one()


def post(client, path, csrf, **data):
    return client.post(path, data={"csrf": csrf, **data}, follow_redirects=False)


# --- The operator's page --------------------------------------------------------------------------


def test_needs_pages_send_anonymous_visitors_to_sign_in(world, db):
    for path in ("/operate/point-a/needs", "/coordinate/needs"):
        answer = world.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}"
    answer = world.post(
        "/operate/point-a/needs",
        data={"action": "post", "item": "water", "quantity": "5", "urgency": "high"},
        follow_redirects=False,
    )
    assert answer.headers["location"].startswith("/login") and needs_rows(db) == []


def test_operator_posts_a_need_with_the_items_unit_and_sees_it(world, db, clock):
    csrf = sign_in_as(world, db, "operator_a", clock())
    form = world.get("/operate/point-a/needs")
    assert form.status_code == 200 and "Дизельне пальне" in form.text  # Ukrainian by default
    answer = post(
        world, "/operate/point-a/needs", csrf, action="post", item="diesel",
        quantity="200", urgency="critical", details="Пального на одну ніч",
    )  # fmt: skip
    assert answer.status_code == 303 and "done=posted" in answer.headers["location"]
    assert needs_rows(db) == [("point-a", "diesel", 200.0, "l", "critical", "open")]
    with db.read() as session:
        assert session.execute(sa.select(Need.posted_by)).scalar_one() == user_id(db, "operator_a")
    page = world.get("/operate/point-a/needs", headers=EN).text
    assert "Diesel: 200 l" in page and "Critical" in page and "Nobody has pledged yet" in page
    assert audit_rows(db, "need") == [("1", "create", "user:operator_a")]


def test_a_need_that_does_not_validate_names_each_field_and_keeps_what_was_typed(world, db, clock):
    csrf = sign_in_as(world, db, "operator_a", clock())
    answer = post(
        world, "/operate/point-a/needs", csrf, action="post", item="caviar",
        quantity="lots", urgency="", details="Для дітей",
    )  # fmt: skip
    assert answer.status_code == 422
    assert "Choose what is lacking" in answer.text or "Виберіть, чого бракує" in answer.text
    for problem_en in ("Write a number", "Choose how urgent"):
        assert (
            problem_en
            in world.post(
                "/operate/point-a/needs",
                data={"csrf": csrf, "action": "post", "quantity": "lots", "details": "Для дітей"},
                headers=EN,
            ).text
        )
    assert 'value="lots"' in answer.text and "Для дітей</textarea>" in answer.text
    too_much = post(
        world, "/operate/point-a/needs", csrf, action="post", item="water",
        quantity="0", urgency="high",
    )  # fmt: skip
    assert too_much.status_code == 422 and 'value="water" checked' in too_much.text
    assert needs_rows(db) == [] and audit_rows(db, "need") == []


def test_an_operator_cannot_see_or_post_needs_of_another_point(world, db, clock):
    csrf = sign_in_as(world, db, "operator_b", clock())
    assert world.get("/operate/point-a/needs").status_code == 403
    answer = post(
        world, "/operate/point-a/needs", csrf, action="post", item="water",
        quantity="5", urgency="high",
    )  # fmt: skip
    assert answer.status_code == 403 and needs_rows(db) == []
    assert world.get("/operate/point-b/needs").status_code == 200


def test_coordinators_manage_needs_in_their_region_only(world, db, clock):
    need = add_need(db, clock, "point-a")
    csrf = sign_in_as(world, db, "coordinator_b", clock())
    assert world.get("/operate/point-a/needs").status_code == 403
    refused = post(world, "/operate/point-a/needs", csrf, action="met", need=str(need))
    assert refused.status_code == 403 and needs_rows(db)[0][-1] == "open"
    csrf = sign_in_as(world, db, "coordinator_a", clock())
    done = post(world, "/operate/point-a/needs", csrf, action="met", need=str(need))
    assert done.status_code == 303 and needs_rows(db)[0][-1] == "met"
    assert audit_rows(db, "need")[-1] == (str(need), "met", "user:coordinator_a")


def test_operator_cancels_a_need_and_it_leaves_the_list(world, db, clock):
    need = add_need(db, clock, "point-a", item="tea", quantity=10)
    csrf = sign_in_as(world, db, "operator_a", clock())
    post(world, "/operate/point-a/needs", csrf, action="cancelled", need=str(need))
    assert needs_rows(db)[0][-1] == "cancelled"
    assert f'id="need-{need}"' not in world.get("/operate/point-a/needs").text
    again = post(world, "/operate/point-a/needs", csrf, action="met", need=str(need))
    assert again.status_code == 409


def test_every_needs_form_refuses_a_post_without_the_sessions_csrf_token(world, db, clock):
    need = add_need(db, clock, "point-a")
    sign_in_as(world, db, "donor", clock())
    for csrf in ("", "forged"):
        answer = post(world, f"/coordinate/needs/{need}/pledge", csrf, quantity="10")
        assert answer.status_code == 403
    with db.write() as session:
        pledge = need_store.pledge(session, need, 10, None, principal_of(session, "donor"), clock())
        pledge_id = pledge.id
    for csrf in ("", "forged"):
        assert post(world, f"/coordinate/pledges/{pledge_id}/delivered", csrf).status_code == 403
    sign_in_as(world, db, "operator_a", clock())
    for data in (
        {"action": "post", "item": "water", "quantity": "5", "urgency": "high"},
        {"action": "met", "need": str(need)},
        {"action": "delivered", "pledge": str(pledge_id)},
    ):
        assert post(world, "/operate/point-a/needs", "forged", **data).status_code == 403
    with db.read() as session:
        assert session.execute(sa.select(Pledge.status)).scalars().all() == ["pledged"]
    assert needs_rows(db) == [("point-a", "diesel", 200.0, "l", "high", "open")]


# --- Pledges -------------------------------------------------------------------------------------


def pledge_form(html, need_id):
    section = html[html.index(f'id="need-{need_id}"') :]
    return re.search(r'name="quantity" inputmode="decimal" value="([^"]*)"', section)[1]


def test_pledges_delivered_up_to_the_quantity_meet_the_need(world, db, clock):
    need = add_need(db, clock, "point-a", quantity=200)
    csrf = sign_in_as(world, db, "donor", clock())
    board = world.get("/coordinate/needs", headers=EN).text
    assert "Donors x" in board and pledge_form(board, need) == "200"  # prefilled: all of it
    answer = post(world, f"/coordinate/needs/{need}/pledge", csrf, quantity="120", note="Завтра")
    assert answer.status_code == 303 and "done=pledged" in answer.headers["location"]
    assert pledge_form(world.get("/coordinate/needs").text, need) == "80"
    csrf_y = sign_in_as(world, db, "donor_y", clock())
    post(world, f"/coordinate/needs/{need}/pledge", csrf_y, quantity="80")
    with db.read() as session:
        pledges = session.execute(sa.select(Pledge.id, Pledge.quantity).order_by(Pledge.id)).all()
    (first, _), (second, _) = pledges
    # Another organisation's pledge is not donor_y's to mark.
    assert post(world, f"/coordinate/pledges/{first}/delivered", csrf_y).status_code == 403
    csrf = sign_in_as(world, db, "donor", clock())
    clock.advance(hours=5)
    assert post(world, f"/coordinate/pledges/{first}/delivered", csrf).status_code == 303
    assert needs_rows(db)[0][-1] == "open"  # 120 of 200 delivered
    csrf = sign_in_as(world, db, "operator_a", clock())
    operator_page = world.get("/operate/point-a/needs", headers=EN).text
    assert "Donors x: 120 l" in operator_page and "delivered 5 hours ago" not in operator_page
    assert "delivered just now" in operator_page and "pledged 5 hours ago" in operator_page
    done = post(
        world,
        "/operate/point-a/needs",
        csrf,
        action="delivered",
        pledge=str(second),
        need=str(need),
    )
    assert done.status_code == 303 and needs_rows(db)[0][-1] == "met"
    assert audit_rows(db, "pledge") == [
        (str(first), "create", "user:donor"),
        (str(second), "create", "user:donor_y"),
        (str(first), "deliver", "user:donor"),
        (str(second), "deliver", "user:operator_a"),
    ]
    assert audit_rows(db, "need")[-1] == (str(need), "met", "user:operator_a")
    twice = post(
        world, f"/coordinate/pledges/{first}/delivered", sign_in_as(world, db, "donor", clock())
    )
    assert twice.status_code == 409


def test_two_deliveries_at_the_same_moment_still_meet_the_need(world, db, clock):
    need = add_need(db, clock, "point-a", quantity=200)
    pledges = {}
    with db.write() as session:
        for username in ("donor", "donor_y"):
            principal = principal_of(session, username)
            pledges[username] = need_store.pledge(session, need, 100, None, principal, clock()).id
    first_in, release = threading.Event(), threading.Event()

    def deliver(username, hold=False):
        with db.write() as session:
            principal = principal_of(session, username)
            need_store.mark_delivered(session, pledges[username], principal, clock())
            if hold:  # keep the first transaction open while the second one tries
                first_in.set()
                release.wait(timeout=5)

    first = threading.Thread(target=deliver, args=("donor", True))
    second = threading.Thread(target=deliver, args=("donor_y",))
    first.start()
    assert first_in.wait(timeout=5)
    second.start()
    second.join(timeout=0.5)  # it must wait for the first: alone it would see 100 of 200
    release.set()
    first.join()
    second.join()
    assert needs_rows(db)[0][-1] == "met"
    assert [action for _id, action, _actor in audit_rows(db, "need")] == ["create", "met"]


def test_a_pledge_that_does_not_validate_keeps_what_was_typed(world, db, clock):
    need = add_need(db, clock, "point-a")
    csrf = sign_in_as(world, db, "donor", clock())
    answer = world.post(
        f"/coordinate/needs/{need}/pledge",
        data={"csrf": csrf, "quantity": "багато", "note": "до вечора"},
        headers=EN,
    )
    assert answer.status_code == 422 and "Write a number" in answer.text
    assert 'value="багато"' in answer.text and 'value="до вечора"' in answer.text
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Pledge)).scalar() == 0


def test_only_organisation_members_pledge_and_only_on_needs_they_may_see(world, db, clock):
    hidden = add_need(db, clock, "point-hidden")
    visible = add_need(db, clock, "point-a")
    csrf = sign_in_as(world, db, "coordinator_a", clock())  # a coordinator is no donor
    assert post(world, f"/coordinate/needs/{visible}/pledge", csrf, quantity="5").status_code == 403
    csrf = sign_in_as(world, db, "donor", clock())
    assert post(world, f"/coordinate/needs/{hidden}/pledge", csrf, quantity="5").status_code == 404
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Pledge)).scalar() == 0


def test_anonymous_visitors_and_other_regions_cannot_pledge_or_mark_deliveries(world, db, clock):
    need = add_need(db, clock, "point-a")
    with db.write() as session:
        principal = principal_of(session, "donor")
        pledge_id = need_store.pledge(session, need, 50, None, principal, clock()).id
    world.cookies.clear()
    for path in (f"/coordinate/needs/{need}/pledge", f"/coordinate/pledges/{pledge_id}/delivered"):
        answer = world.post(path, data={"quantity": "5"}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    csrf = sign_in_as(world, db, "coordinator_b", clock())
    assert post(world, f"/coordinate/pledges/{pledge_id}/delivered", csrf).status_code == 403
    csrf = sign_in_as(world, db, "operator_b", clock())
    refused = post(world, "/operate/point-b/needs", csrf, action="delivered", pledge=str(pledge_id))
    assert refused.status_code == 403  # a pledge to point-a, whatever page it is sent from
    with db.read() as session:
        assert session.execute(sa.select(Pledge.status)).scalars().all() == ["pledged"]
        assert session.execute(sa.select(sa.func.count()).select_from(Pledge)).scalar() == 1


# --- The board -----------------------------------------------------------------------------------


def board_ids(client, query=""):
    return [
        int(i)
        for i in re.findall(
            r'<article class="card need[^"]*" id="need-(\d+)"',
            client.get(f"/coordinate/needs{query}").text,
        )
    ]


def test_the_board_lists_by_urgency_then_age_and_filters_by_item_and_region(world, db, clock):
    normal_old = add_need(db, clock, "point-a", item="tea", urgency="normal")
    clock.advance(hours=1)
    critical_old = add_need(db, clock, "point-b", item="diesel", urgency="critical")
    clock.advance(hours=1)
    high = add_need(db, clock, "point-a", item="water", urgency="high")
    clock.advance(hours=1)
    critical_new = add_need(db, clock, "point-a", item="diesel", urgency="critical")
    sign_in_as(world, db, "admin", clock())
    assert board_ids(world) == [critical_old, critical_new, high, normal_old]
    assert board_ids(world, "?item=diesel") == [critical_old, critical_new]
    assert board_ids(world, f"?region={REGION_A}") == [critical_new, high, normal_old]
    assert board_ids(world, f"?item=diesel&region={REGION_B}") == [critical_old]


def test_coordinators_see_their_regions_and_others_may_not_see_the_board(world, db, clock):
    a, b = add_need(db, clock, "point-a"), add_need(db, clock, "point-b")
    hidden = add_need(db, clock, "point-hidden")
    sign_in_as(world, db, "coordinator_b", clock())
    assert board_ids(world) == [b]
    assert 'class="subnav"' in world.get("/coordinate/needs").text
    sign_in_as(world, db, "coordinator_a", clock())
    assert board_ids(world) == [a, hidden]  # their own region's hidden point too
    sign_in_as(world, db, "operator_a", clock())  # neither coordinator nor organisation member
    assert world.get("/coordinate/needs").status_code == 403


def test_donors_never_see_hidden_points_and_protected_ones_without_address(world, db, clock):
    public = add_need(db, clock, "point-a", details="Привезти до задніх дверей")
    hidden = add_need(db, clock, "point-hidden")
    protected = add_need(db, clock, "point-protected", details="Дзвоніть Олені")
    sign_in_as(world, db, "donor", clock())
    assert board_ids(world) == [public, protected]
    board = world.get("/coordinate/needs").text
    assert 'class="subnav"' not in board  # no coordinator's navigation for a donor
    assert "вул. Тестова" in board.split(f'id="need-{protected}"')[0]  # the public point's address
    protected_card = board.split(f'id="need-{protected}"')[1]
    assert "Харків" in protected_card and "вул. Тестова" not in protected_card
    assert "Дзвоніть Олені" not in board and "point-hidden" not in board
    assert str(hidden) not in re.findall(r'id="need-(\d+)"', board)


# --- The public feed -----------------------------------------------------------------------------


def test_the_public_feed_lists_open_needs_as_the_public_api_shows_points(world, db, clock):
    public = add_need(db, clock, "point-a", item="water", urgency="normal", details="Бутлі 19 л")
    add_need(db, clock, "point-hidden", urgency="critical")
    protected = add_need(db, clock, "point-protected", urgency="critical", details="Дзвоніть")
    closed = add_need(db, clock, "point-b")
    csrf = sign_in_as(world, db, "operator_b", clock())
    post(world, "/operate/point-b/needs", csrf, action="cancelled", need=str(closed))
    world.cookies.clear()
    body = world.get("/api/v1/needs", params={"lang": "en"}).json()
    assert [n["id"] for n in body["needs"]] == [protected, public]
    shielded, plain = body["needs"]
    assert shielded["point"]["address"] is None and shielded["point"]["coordinates"] is None
    assert shielded["point"]["location_precision"] == "locality" and shielded["details"] is None
    assert plain["point"]["address"] == "вул. Тестова, 7" and plain["details"] == "Бутлі 19 л"
    assert plain["item_label"] == "Drinking water" and plain["remaining"] == 200.0
    assert plain["point"]["coordinates"] == [30.52, 50.45]
    assert [n["id"] for n in world.get("/api/v1/needs?item=water").json()["needs"]] == [public]
    assert world.get(f"/api/v1/needs?region={REGION_B}").json()["needs"][0]["id"] == protected
    unknown = world.get("/api/v1/needs?item=caviar")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "item"
    assert "/api/v1/needs" in world.get("/api/openapi.json").json()["paths"]


def test_demo_needs_add_believable_needs_and_pledges(db, clock):
    from nezlam import demo

    with db.write() as session:
        for org in demo.ORGANISATIONS:
            accounts.create_organisation(session, org, CLI)
        for yurt in demo.YURTS:
            points.create_point(session, yurt, CLI, demo=True, now=clock())
        added = need_store.demo_needs(session, clock())
    assert added == 5
    rows = needs_rows(db)
    assert {r[0] for r in rows} == {"kyiv-shevchenko-park-yurt", "bucha-yurt"}
    with db.read() as session:
        statuses = session.execute(sa.select(Pledge.status).order_by(Pledge.id)).scalars().all()
    assert statuses == ["pledged", "delivered", "delivered"]
    assert all(r[-1] == "open" for r in rows)  # partly delivered: still needed


def test_the_pledging_organisation_withdraws_its_pledge_and_the_need_counts_it_again(
    world, db, clock
):
    need = add_need(db, clock, "point-a", quantity=200)
    csrf = sign_in_as(world, db, "donor", clock())
    post(world, f"/coordinate/needs/{need}/pledge", csrf, quantity="150")
    with db.read() as session:
        pledge_id = session.execute(sa.select(Pledge.id)).scalar_one()
    board = world.get("/coordinate/needs", headers=EN).text
    assert pledge_form(board, need) == "50" and "Withdraw our pledge" in board
    # Not another organisation's, nor the point's people's, to take back.
    for other in ("donor_y", "operator_a", "coordinator_a"):
        refused = post(
            world,
            f"/coordinate/pledges/{pledge_id}/withdraw",
            sign_in_as(world, db, other, clock()),
        )
        assert refused.status_code == 403, other
    assert post(world, f"/coordinate/pledges/{pledge_id}/withdraw", "forged").status_code == 403
    csrf = sign_in_as(world, db, "donor", clock())
    done = post(world, f"/coordinate/pledges/{pledge_id}/withdraw", csrf)
    assert done.status_code == 303 and "done=withdrawn" in done.headers["location"]
    board = world.get("/coordinate/needs", headers=EN).text
    assert pledge_form(board, need) == "200" and "Withdraw our pledge" not in board
    assert audit_rows(db, "pledge")[-1] == (str(pledge_id), "withdraw", "user:donor")
    again = post(world, f"/coordinate/pledges/{pledge_id}/withdraw", csrf)
    assert again.status_code == 409
    assert post(world, f"/coordinate/pledges/{pledge_id}/delivered", csrf).status_code == 409
