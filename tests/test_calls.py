"""The call queue: which points wait for a call and in what order, claiming a batch (never the
same point twice), a claim lapsing after 30 minutes, and what each outcome does to the point;
then the page a coordinator works it from, with its permissions and CSRF checks."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nezlam.domain.errors import Forbidden, Invalid
from nezlam.domain.freshness import shown_status
from nezlam.domain.points import ReportCreate, RoleGrantCreate, UserCreate
from nezlam.domain.vocabulary import ShownStatus, SignalKind
from nezlam.store import accounts, audit, calls, reports, signals
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.tables import CallClaim, Organisation, Point, StatusReport
from tests.conftest import REGION_A, REGION_B, point_create, sign_in_as

RULES = calls.CallRules()
IN_DOUBT = {ShownStatus.UNCONFIRMED, ShownStatus.NO_RESPONSE, ShownStatus.UNKNOWN}
# The most urgent first: flagged; then unconfirmed (residents see it in doubt), then silent,
# then never reported — each the longest waiting first.
POOL_ORDER = ["k-flagged", "k-stale", "k-silent", "k-never", "point-a"]
ORG_PHONE = "+380 44 000 11 22"


@pytest.fixture
def kyiv(db, network, clock):
    """REGION_A's points in every state a caller meets (point-a is there too, never reported)."""
    made = clock() - timedelta(hours=48)
    with db.write() as session:
        for n, (point_id, extra) in enumerate(
            [
                ("k-fresh", {}),
                ("k-stale", {"phone": "+380 67 000 00 02"}),
                ("k-silent", {"phone": "+380 67 000 00 03"}),
                ("k-never", {}),
                ("k-flagged", {"phone": "+380 67 000 00 05"}),
                ("k-shut", {}),
                ("k-hidden", {"visibility": "hidden"}),
            ]
        ):
            data = point_create(point_id, REGION_A, 50.40 + n / 100, 30.50, **extra)
            point_store.create_point(session, data, CLI, now=made)
        for point_id, status, hours_ago in [
            ("k-fresh", "open", 0),
            ("k-stale", "open", 8),
            ("k-silent", "open", 30),
            ("k-flagged", "open", 1),
            ("k-shut", "closed", 1),
        ]:
            at = clock() - timedelta(hours=hours_ago)
            reports.add_report(session, point_id, ReportCreate(status=status), CLI, now=at)
        org = session.execute(sa.select(Organisation).where(Organisation.slug == "org-a"))
        org.scalar_one().phone = ORG_PHONE
    with db.write() as session:
        for _ in range(3):
            signals.add_signal(
                session, "k-flagged", SignalKind.CLOSED, window=timedelta(hours=2), threshold=3,
                now=clock(),
            )  # fmt: skip
    return network


def principal(db, username):
    with db.read() as session:
        return accounts.principal_for(session, accounts.get_user(session, username))


def pool_ids(db, clock, regions=(REGION_A,)):
    with db.read() as session:
        return [p.id for p in calls.pool(session, list(regions), clock(), RULES)]


def claim(db, clock, who="coordinator_a", size=10, regions=(REGION_A,)):
    with db.write() as session:
        taken = calls.claim_batch(session, principal(db, who), list(regions), size, clock(), RULES)
        return [(c.id, c.point_id) for c in taken]


def record(db, clock, claim_id, outcome, who="coordinator_a", note=None):
    with db.write() as session:
        return calls.record_call(session, claim_id, outcome, note, principal(db, who), clock())


def point_row(db, point_id):
    with db.read() as session:
        return session.get(Point, point_id)


def shown(point, clock):
    return shown_status(
        point.status,
        point.updated_at,
        point.verified_at,
        clock(),
        RULES.stale_after,
        RULES.no_response_after,
    )


# --- The pool -------------------------------------------------------------------------------


def test_pool_holds_my_regions_points_in_doubt_or_flagged_most_urgent_first(kyiv, db, clock):
    assert pool_ids(db, clock) == POOL_ORDER
    assert pool_ids(db, clock, regions=(REGION_B,)) == ["point-b"]
    with db.read() as session:
        assert calls.pool_size(session, [REGION_A], clock(), RULES) == len(POOL_ORDER)


def test_pool_agrees_with_the_freshness_rule_at_any_moment(kyiv, db, clock):
    for hours in (0, 5.5, 7, 23.5, 25):
        clock.advance(hours=hours)
        with db.read() as session:
            every = session.execute(sa.select(Point).where(Point.region == REGION_A)).scalars()
            expected = {
                p.id
                for p in every
                if p.visibility != "hidden" and (shown(p, clock) in IN_DOUBT or p.flagged_at)
            }
        assert set(pool_ids(db, clock)) == expected, f"after {hours} more hours"


def test_within_each_kind_the_longest_waiting_comes_first(kyiv, db, clock):
    made = clock() - timedelta(hours=72)
    with db.write() as session:
        for point_id, hours_ago in [("u-10h", 10), ("u-20h", 20), ("s-50h", 50), ("s-40h", 40)]:
            data = point_create(point_id, REGION_A, 50.3, 30.4)
            point_store.create_point(session, data, CLI, now=made)
            at = clock() - timedelta(hours=hours_ago)
            reports.add_report(session, point_id, ReportCreate(status="open"), CLI, now=at)
    assert pool_ids(db, clock) == [
        "k-flagged",
        "u-20h", "u-10h", "k-stale",  # unconfirmed for 20, 10 and 8 hours
        "s-50h", "s-40h", "k-silent",  # silent for 50, 40 and 30 hours
        "k-never", "point-a",  # never reported: the oldest first
    ]  # fmt: skip


def test_a_point_nobody_answered_waits_behind_those_never_called(kyiv, db, clock):
    claimed = dict((point_id, claim_id) for claim_id, point_id in claim(db, clock, size=1))
    assert list(claimed) == ["k-flagged"]
    record(db, clock, claimed["k-flagged"], "no_answer")
    assert pool_ids(db, clock) == [*POOL_ORDER[1:], "k-flagged"]
    clock.advance(hours=3)  # long enough ago: urgent again
    assert pool_ids(db, clock)[0] == "k-flagged"


# --- Claiming -------------------------------------------------------------------------------


def test_a_batch_takes_the_most_urgent_and_they_leave_the_pool(kyiv, db, clock):
    taken = claim(db, clock, size=2)
    assert [point_id for _id, point_id in taken] == POOL_ORDER[:2]
    assert pool_ids(db, clock) == POOL_ORDER[2:]
    with db.read() as session:
        entries = audit.entries(session, "point", "k-flagged")
        claims = session.execute(sa.select(CallClaim)).scalars().all()
    assert entries[0].action == "claim" and entries[0].actor == "user:coordinator_a"
    assert all(c.expires_at == clock() + timedelta(minutes=30) for c in claims)
    assert [point_id for _id, point_id in claim(db, clock, size=10)] == POOL_ORDER[2:]
    assert claim(db, clock) == [] and pool_ids(db, clock) == []


def test_batch_size_is_checked(kyiv, db, clock):
    for size in (0, 51):
        with pytest.raises(Invalid) as refused:
            claim(db, clock, size=size)
        assert refused.value.field == "size"


@pytest.fixture
def second_coordinator_a(kyiv, db):
    with db.write() as session:
        user = accounts.create_user(session, UserCreate(username="coordinator_a2"), CLI)
        accounts.grant_role(
            session, user, RoleGrantCreate(role="coordinator", region=REGION_A), CLI
        )
    return "coordinator_a2"


def test_a_claim_in_flight_is_never_handed_to_another_coordinator(second_coordinator_a, db, clock):
    """The first coordinator's batch is locked but not committed when the second claims
    (PostgreSQL skips the locked points; SQLite makes the second wait its turn)."""
    first_claimed, second_done, results = threading.Event(), threading.Event(), {}

    def first():
        with db.write() as session:
            who = principal(db, "coordinator_a")
            results["first"] = calls.claim_batch(session, who, [REGION_A], 2, clock(), RULES)
            first_claimed.set()
            # Still holding the batch, uncommitted, until the second has claimed around it
            # (PostgreSQL). On SQLite the second waits for this commit, which cannot be seen
            # from here: there the wait runs out after half a second.
            second_done.wait(0.5)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_claimed.wait(10)
    results["second"] = [
        point_id for _id, point_id in claim(db, clock, who=second_coordinator_a, size=10)
    ]
    second_done.set()
    thread.join()
    firsts = [c.point_id for c in results["first"]]
    assert firsts == POOL_ORDER[:2]
    assert sorted(results["second"]) == sorted(POOL_ORDER[2:])


def test_two_coordinators_claiming_at_the_same_moment_never_share_a_point(
    second_coordinator_a, db, clock
):
    start, results = threading.Barrier(2), {}

    def claim_as(who):
        start.wait()
        results[who] = [point_id for _id, point_id in claim(db, clock, who=who, size=4)]

    threads = [
        threading.Thread(target=claim_as, args=(who,))
        for who in ("coordinator_a", second_coordinator_a)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine, theirs = results["coordinator_a"], results[second_coordinator_a]
    assert not set(mine) & set(theirs)
    assert sorted(mine + theirs) == sorted(POOL_ORDER)


def test_an_unfinished_claim_lapses_after_30_minutes_and_a_late_outcome_is_refused(kyiv, db, clock):
    (claim_id, point_id), *_rest = claim(db, clock, size=3)
    clock.advance(minutes=29)
    assert point_id not in pool_ids(db, clock)
    clock.advance(minutes=2)
    assert pool_ids(db, clock) == POOL_ORDER
    with pytest.raises(calls.ClaimExpired, match="claim again"):
        record(db, clock, claim_id, "confirmed")
    with db.read() as session:
        assert session.get(CallClaim, claim_id).finished_at is None
        assert session.get(Point, point_id).verified_at < clock() - timedelta(minutes=31)


# --- Outcomes -------------------------------------------------------------------------------


def claim_point(db, clock, point_id, who="coordinator_a"):
    with db.write() as session:
        return calls.claim_point(session, principal(db, who), point_id, clock(), RULES).id


def test_confirmed_verifies_the_point_and_it_leaves_the_pool(kyiv, db, clock):
    claim_id = claim_point(db, clock, "k-stale")
    assert shown(point_row(db, "k-stale"), clock) == ShownStatus.UNCONFIRMED
    clock.advance(minutes=5)
    record(db, clock, claim_id, "confirmed", note="Olena answered")
    point = point_row(db, "k-stale")
    assert point.verified_at == clock() and shown(point, clock) == ShownStatus.OPEN
    assert "k-stale" not in pool_ids(db, clock)
    with db.read() as session:
        report = reports.history(session, "k-stale")[0]
        actions = [(e.action, e.actor) for e in audit.entries(session, "point", "k-stale")]
        done = session.get(CallClaim, claim_id)
    assert (report.source, report.verify, report.status) == ("call", True, None)
    assert actions[:3] == [
        ("call", "user:coordinator_a"),
        ("verify", "user:coordinator_a"),
        ("claim", "user:coordinator_a"),
    ]
    assert (done.outcome, done.note, done.finished_at) == ("confirmed", "Olena answered", clock())


def test_confirming_a_point_that_never_reported_reports_it_open(kyiv, db, clock):
    record(db, clock, claim_point(db, clock, "k-never"), "confirmed")
    assert shown(point_row(db, "k-never"), clock) == ShownStatus.OPEN


def test_confirming_a_flagged_point_clears_the_flag(kyiv, db, clock):
    record(db, clock, claim_point(db, clock, "k-flagged"), "confirmed")
    assert point_row(db, "k-flagged").flagged_at is None
    assert "k-flagged" not in pool_ids(db, clock)


def test_closed_reports_the_point_closed(kyiv, db, clock):
    record(db, clock, claim_point(db, clock, "k-silent"), "closed")
    point = point_row(db, "k-silent")
    assert point.status == "closed" and shown(point, clock) == ShownStatus.CLOSED
    with db.read() as session:
        assert reports.history(session, "k-silent")[0].source == "call"


def test_no_answer_is_only_recorded(kyiv, db, clock):
    before = point_row(db, "k-silent")
    record(db, clock, claim_point(db, clock, "k-silent"), "no_answer")
    after = point_row(db, "k-silent")
    assert (after.updated_at, after.verified_at) == (before.updated_at, before.verified_at)
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(StatusReport).where(
            StatusReport.point_id == "k-silent")) == 1  # fmt: skip
        assert audit.entries(session, "point", "k-silent")[0].after["outcome"] == "no_answer"
    assert "k-silent" in pool_ids(db, clock)


@pytest.mark.parametrize("outcome", ["full", "standby"])
def test_full_and_standby_report_what_the_point_said(kyiv, db, clock, outcome):
    record(db, clock, claim_point(db, clock, "k-stale"), outcome)
    point = point_row(db, "k-stale")
    assert point.status == outcome and shown(point, clock) == ShownStatus(outcome)
    assert point.verified_at == clock() and "k-stale" not in pool_ids(db, clock)
    with db.read() as session:
        assert reports.history(session, "k-stale")[0].source == "call"


def test_a_wrong_number_waits_behind_the_rest_for_a_day(kyiv, db, clock):
    record(db, clock, claim_point(db, clock, "k-flagged"), "wrong_number", note="a bakery")
    assert point_row(db, "k-flagged").flagged_at is not None  # nothing reported
    assert pool_ids(db, clock)[-1] == "k-flagged"
    clock.advance(hours=3)  # a no-answer would be urgent again by now; a wrong number is not
    assert pool_ids(db, clock)[-1] == "k-flagged"
    clock.advance(hours=22)
    assert pool_ids(db, clock)[0] == "k-flagged"


def test_call_back_later_takes_the_point_out_of_the_pool_for_an_hour(kyiv, db, clock):
    before = point_row(db, "k-stale")
    record(db, clock, claim_point(db, clock, "k-stale"), "call_back", note="after the lunch")
    assert "k-stale" not in pool_ids(db, clock)
    assert "k-stale" not in [p for _id, p in claim(db, clock, who="coordinator_a")]
    clock.advance(minutes=59)
    assert "k-stale" not in pool_ids(db, clock)
    clock.advance(minutes=2)
    assert "k-stale" in pool_ids(db, clock)
    after = point_row(db, "k-stale")
    assert (after.updated_at, after.verified_at) == (before.updated_at, before.verified_at)


def test_a_call_is_recorded_once(kyiv, db, clock):
    claim_id = claim_point(db, clock, "k-stale")
    record(db, clock, claim_id, "no_answer")
    with pytest.raises(calls.AlreadyRecorded):
        record(db, clock, claim_id, "closed")
    assert point_row(db, "k-stale").status == "open"


def test_bad_outcome_or_long_note_is_refused_naming_the_field_and_nothing_is_written(
    kyiv, db, clock
):
    claim_id = claim_point(db, clock, "k-stale")
    for outcome, note, field in [("maybe", None, "outcome"), ("closed", "x" * 301, "note")]:
        with pytest.raises(Invalid) as refused:
            record(db, clock, claim_id, outcome, note=note)
        assert refused.value.field == field
    with db.read() as session:
        assert session.get(CallClaim, claim_id).finished_at is None
    assert point_row(db, "k-stale").status == "open"


def test_only_the_claims_owner_records_and_only_in_their_regions(kyiv, db, clock):
    claim_id = claim_point(db, clock, "k-stale")
    for who in ("coordinator_b", "admin"):
        with pytest.raises(Forbidden):
            record(db, clock, claim_id, "closed", who=who)
    with pytest.raises(Forbidden):
        claim_point(db, clock, "k-silent", who="coordinator_b")
    with pytest.raises(Forbidden):
        claim(db, clock, who="coordinator_b", regions=(REGION_A,))
    assert [
        p for _id, p in claim(db, clock, who="coordinator_b", regions=(REGION_A, REGION_B))
    ] == ["point-b"]  # only the regions one coordinates count
    assert point_row(db, "k-stale").status == "open"


def test_claiming_a_point_someone_else_is_calling_is_a_conflict(second_coordinator_a, db, clock):
    first = claim_point(db, clock, "k-stale")
    assert claim_point(db, clock, "k-stale") == first  # one's own claim, as it is
    with pytest.raises(calls.Conflict, match="coordinator_a is already calling"):
        claim_point(db, clock, "k-stale", who=second_coordinator_a)


# --- The page -------------------------------------------------------------------------------

EN = {"Accept-Language": "en"}


@pytest.fixture
def calls_page(kyiv, app_client):
    return app_client


def claim_ids(html):
    return [int(n) for n in re.findall(r'action="/coordinate/calls/(\d+)"', html)]


def claims_in_db(db):
    with db.read() as session:
        return session.execute(sa.select(CallClaim.point_id, CallClaim.outcome)).all()


def test_the_queue_needs_a_coordinator(calls_page, db, clock):
    answer = calls_page.get("/coordinate/calls", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/coordinate/calls"
    posted = calls_page.post("/coordinate/calls/claim", data={"size": "10"}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
    csrf = sign_in_as(calls_page, db, "operator_a", clock())
    assert calls_page.get("/coordinate/calls").status_code == 403
    refused = calls_page.post("/coordinate/calls/claim", data={"csrf": csrf, "size": "10"})
    assert refused.status_code == 403
    assert calls_page.get("/coordinate/signals").status_code == 403
    assert claims_in_db(db) == []


def test_claim_a_batch_and_see_whom_to_call(calls_page, db, clock):
    csrf = sign_in_as(calls_page, db, "coordinator_a", clock())
    before = calls_page.get("/coordinate/calls", headers=EN).text
    assert "Claim 10 stale points" in before and "Waiting for a call: 5" in before
    assert "returns to the pool after 30 minutes" in before
    done = calls_page.post(
        "/coordinate/calls/claim", data={"csrf": csrf, "size": "10"}, follow_redirects=False
    )
    assert (
        done.status_code == 303 and done.headers["location"] == "/coordinate/calls?done=claimed&n=5"
    )
    answer = calls_page.get(done.headers["location"], headers=EN)
    html = answer.text
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert " style=" not in html and "<script>" not in html  # nothing the CSP would block
    assert "Points claimed: 5" in html and "Waiting for a call: 0" in html
    assert len(claim_ids(html)) == 5
    assert 'href="tel:+380670000005"' in html  # the flagged point's own phone
    assert 'href="tel:+380440001122"' in html and "Org A" in html  # point-a's organisation
    assert "Flagged by visitors at 20:00" in html  # Kyiv time
    assert "It is closed: 3" in html
    assert "Last report: reported “Open” at 12:00" in html  # k-stale, 8 hours ago
    assert "Yours until 20:30 (in 30 minutes)" in html
    for label in ("Confirmed open", "Full: no places left", "On standby", "Closed"):
        assert f">{label}</button>" in html
    for label in ("No answer", "Wrong number", "Call back later"):
        assert f">{label}</button>" in html
    assert "Point k-hidden" not in html and "Point k-fresh" not in html
    # Each point links to the coordinator's page of it, with its reports and change log.
    assert 'href="/coordinate/points/k-flagged"' in html and 'href="/points/' not in html
    assert "Kyiv, vul. Testova, 9" in html and "вул. Тестова" not in html  # as English reads it


def test_confirmed_from_the_page_shows_on_the_public_map_at_once(calls_page, db, clock):
    csrf = sign_in_as(calls_page, db, "coordinator_a", clock())
    calls_page.post("/coordinate/calls/claim", data={"csrf": csrf, "size": "3"})
    html = calls_page.get("/coordinate/calls", headers=EN).text
    first = claim_ids(html)[1]  # k-stale, the second most urgent
    done = calls_page.post(
        f"/coordinate/calls/{first}",
        data={"csrf": csrf, "outcome": "confirmed", "note": "spoke to the caretaker"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/coordinate/calls?done=recorded"
    features = calls_page.get("/api/v1/points").json()["features"]
    assert {f["id"]: f["properties"]["status"] for f in features}["k-stale"] == "open"
    html = calls_page.get(done.headers["location"], headers=EN).text
    assert "Call recorded" in html and "spoke to the caretaker" in html
    assert len(claim_ids(html)) == 2


def test_a_late_outcome_from_the_page_says_claim_again(calls_page, db, clock):
    csrf = sign_in_as(calls_page, db, "coordinator_a", clock())
    calls_page.post("/coordinate/calls/claim", data={"csrf": csrf, "size": "2"})
    first = claim_ids(calls_page.get("/coordinate/calls").text)[0]
    clock.advance(minutes=31)
    late = calls_page.post(
        f"/coordinate/calls/{first}",
        data={"csrf": csrf, "outcome": "closed"},
        follow_redirects=False,
    )
    assert late.headers["location"] == "/coordinate/calls?done=expired"
    html = calls_page.get(late.headers["location"], headers=EN).text
    assert "Your claim expired" in html and "Waiting for a call: 5" in html
    assert claim_ids(html) == []
    assert point_row(db, "k-flagged").status == "open"


def test_forged_posts_without_the_token_store_nothing(calls_page, db, clock):
    csrf = sign_in_as(calls_page, db, "coordinator_a", clock())
    assert calls_page.post("/coordinate/calls/claim", data={"size": "10"}).status_code == 403
    assert claims_in_db(db) == []
    calls_page.post("/coordinate/calls/claim", data={"csrf": csrf, "size": "1"})
    claim_id = claim_ids(calls_page.get("/coordinate/calls").text)[0]
    forged = calls_page.post(
        f"/coordinate/calls/{claim_id}", data={"csrf": "guess", "outcome": "closed"}
    )
    assert forged.status_code == 403
    assert claims_in_db(db) == [("k-flagged", None)]
    assert point_row(db, "k-flagged").status == "open"


def test_another_region_neither_sees_nor_records_my_calls(calls_page, db, clock):
    csrf_a = sign_in_as(calls_page, db, "coordinator_a", clock())
    calls_page.post("/coordinate/calls/claim", data={"csrf": csrf_a, "size": "2"})
    claim_id = claim_ids(calls_page.get("/coordinate/calls").text)[0]
    csrf_b = sign_in_as(calls_page, db, "coordinator_b", clock())
    html = calls_page.get("/coordinate/calls", headers=EN).text
    assert "Point k-" not in html and "coordinator_a" not in html
    assert "Waiting for a call: 1" in html  # point-b, of their own region
    refused = calls_page.post(
        f"/coordinate/calls/{claim_id}", data={"csrf": csrf_b, "outcome": "closed"}
    )
    assert refused.status_code == 403
    assert (
        calls_page.post("/coordinate/signals/k-stale/claim", data={"csrf": csrf_b}).status_code
        == 403
    )
    assert sorted(claims_in_db(db)) == [("k-flagged", None), ("k-stale", None)]


def test_colleagues_see_who_is_calling_what_until_when_and_the_calls_made(
    calls_page, second_coordinator_a, db, clock
):
    csrf = sign_in_as(calls_page, db, "coordinator_a", clock())
    calls_page.post("/coordinate/calls/claim", data={"csrf": csrf, "size": "2"})
    first = claim_ids(calls_page.get("/coordinate/calls").text)[0]
    calls_page.post(f"/coordinate/calls/{first}", data={"csrf": csrf, "outcome": "no_answer"})
    sign_in_as(calls_page, db, second_coordinator_a, clock())
    html = calls_page.get("/coordinate/calls", headers=EN).text
    others = html[html.index("Claimed by others") : html.index("Recent calls")]
    assert "Point k-stale" in others and "coordinator_a" in others and "20:30" in others
    recent = html[html.index("Recent calls") :]
    assert "Point k-flagged" in recent and "No answer" in recent
    assert claim_ids(html) == []


def test_call_back_later_from_the_page_is_listed_and_leaves_the_queue(calls_page, db, clock):
    csrf = sign_in_as(calls_page, db, "coordinator_a", clock())
    calls_page.post("/coordinate/calls/claim", data={"csrf": csrf, "size": "1"})
    first = claim_ids(calls_page.get("/coordinate/calls").text)[0]
    calls_page.post(
        f"/coordinate/calls/{first}",
        data={"csrf": csrf, "outcome": "call_back", "note": "ring at six"},
    )
    html = calls_page.get("/coordinate/calls", headers=EN).text
    recent = html[html.index("Recent calls") :]
    assert "Point k-flagged" in recent and "Call back later" in recent and "ring at six" in recent
    assert "Waiting for a call: 4" in html and "out of the queue for 1 hour" in html


def test_the_queue_reads_in_ukrainian(calls_page, db, clock):
    sign_in_as(calls_page, db, "coordinator_a", clock())
    html = calls_page.get("/coordinate/calls").text
    assert 'lang="uk"' in html and "Claim 10 stale points" not in html


def test_the_pool_names_its_regions_in_latin_beside_the_cyrillic_in_english(calls_page, db, clock):
    sign_in_as(calls_page, db, "coordinator_a", clock())
    english = calls_page.get("/coordinate/calls", headers=EN).text
    pool = english[english.index('<p class="pool">') :].split("</p>")[0]
    assert pool.endswith(
        'Waiting for a call: 5</strong> · Kyiv <span class="original" lang="uk">(Київ)</span>'
    )
    ukrainian = calls_page.get("/coordinate/calls").text
    pool = ukrainian[ukrainian.index('<p class="pool">') :].split("</p>")[0]
    assert pool.endswith("</strong> · Київ") and 'class="original"' not in ukrainian
