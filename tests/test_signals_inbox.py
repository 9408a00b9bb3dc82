"""The visitor-signal inbox: negative signals of the last 48 hours per point, with counts, times
and what the point said since; a point can be claimed from it for a call. Signals carry nothing
about the visitor, and neither does the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import SignalKind
from nezlam.store import reports, signals
from nezlam.store.actor import CLI
from nezlam.store.signal_inbox import signal_inbox
from nezlam.store.tables import CallClaim, VisitorSignal
from tests.conftest import REGION_A, sign_in_as
from tests.test_calls import EN, kyiv, second_coordinator_a  # noqa: F401

WINDOW = timedelta(hours=2)


def signal(db, point_id, kind, now):
    with db.write() as session:
        signals.add_signal(session, point_id, kind, window=WINDOW, threshold=3, now=now)


@pytest.fixture
def inbox(kyiv, app_client, db, clock):  # noqa: F811
    """k-flagged: 3 "closed" at 18:00 UTC (kyiv). One hour on: k-fresh "full" and "no power",
    k-stale "closed", point-b "closed"; k-fresh says it is open an hour after that. A signal
    49 hours old and a positive one are not in the inbox."""
    signal(db, "k-shut", SignalKind.CLOSED, clock() - timedelta(hours=47))
    clock.advance(hours=1)
    for point_id, kind in [
        ("k-fresh", SignalKind.FULL),
        ("k-fresh", SignalKind.NO_POWER),
        ("k-fresh", SignalKind.CONFIRMED_OPEN),
        ("k-stale", SignalKind.CLOSED),
        ("point-b", SignalKind.CLOSED),
    ]:
        signal(db, point_id, kind, clock())
    clock.advance(hours=1)
    with db.write() as session:
        reports.add_report(session, "k-fresh", ReportCreate(status="open"), CLI, now=clock())
    return app_client


def test_groups_per_point_flagged_and_unanswered_first_with_the_reaction(inbox, db, clock):
    with db.read() as session:
        groups = signal_inbox(session, [REGION_A], clock())
    assert [g.point.id for g in groups] == ["k-flagged", "k-stale", "k-fresh"]
    flagged, stale, fresh = groups
    assert flagged.counts == {"closed": 3} and flagged.reaction is None
    assert stale.counts == {"closed": 1} and stale.reaction is None
    assert fresh.counts == {"full": 1, "no_power": 1}
    assert fresh.first_at == fresh.last_at == clock() - timedelta(hours=1)
    assert fresh.reaction.status == "open" and fresh.reaction.received_at == clock()


def test_signals_older_than_48_hours_leave_the_inbox(inbox, db, clock):
    clock.advance(hours=46)  # k-flagged's signals are 48 hours old now
    with db.read() as session:
        assert [g.point.id for g in signal_inbox(session, [REGION_A], clock())] == [
            "k-stale",
            "k-fresh",
        ]


def test_the_inbox_page_says_counts_times_and_reactions(inbox, db, clock):
    sign_in_as(inbox, db, "coordinator_a", clock())
    html = inbox.get("/coordinate/signals", headers=EN).text
    flagged = html[html.index('id="s-k-flagged"') : html.index('id="s-k-stale"')]
    assert "Flagged by visitors at 20:00" in flagged
    assert "It is closed: <strong>3</strong>" in flagged and "No reaction yet." in flagged
    fresh = html[html.index('id="s-k-fresh"') :]
    assert (
        "It is full: <strong>1</strong>" in fresh and "No power here: <strong>1</strong>" in fresh
    )
    assert "First at 21:00, last at 21:00" in fresh
    assert "Since then: reported “Open” at 22:00, after the signals" in fresh
    assert "It is open" not in html  # a positive signal is no complaint
    assert "Point k-shut" not in html and "Point point-b" not in html
    assert "testclient" not in html  # nothing about who sent a signal


def test_signals_hold_nothing_about_the_visitor():
    assert {c.name for c in VisitorSignal.__table__.columns} == {
        "id",
        "point_id",
        "kind",
        "received_at",
    }


def test_each_coordinator_sees_only_their_regions(inbox, db, clock):
    sign_in_as(inbox, db, "coordinator_b", clock())
    html = inbox.get("/coordinate/signals", headers=EN).text
    assert "Point point-b" in html and "Point k-" not in html


def test_the_inbox_needs_a_coordinator(inbox, db, clock):
    answer = inbox.get("/coordinate/signals", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/coordinate/signals"
    sign_in_as(inbox, db, "operator_a", clock())
    assert inbox.get("/coordinate/signals").status_code == 403


def claims(db):
    with db.read() as session:
        return session.execute(sa.select(CallClaim.point_id, CallClaim.user_id)).all()


def test_claim_a_point_from_the_inbox_and_colleagues_see_it_taken(
    inbox,
    second_coordinator_a,  # noqa: F811
    db,
    clock,
):
    csrf = sign_in_as(inbox, db, "coordinator_a", clock())
    done = inbox.post(
        "/coordinate/signals/k-fresh/claim", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/coordinate/calls?done=claimed&n=1#c-")
    calls_page = inbox.get("/coordinate/calls", headers=EN).text
    assert 'id="c-' in calls_page and "Point k-fresh" in calls_page
    assert "You are calling this point" in inbox.get("/coordinate/signals", headers=EN).text

    csrf_2 = sign_in_as(inbox, db, second_coordinator_a, clock())
    html = inbox.get("/coordinate/signals", headers=EN).text
    assert "coordinator_a is calling this point until 22:30" in html
    taken = inbox.post(
        "/coordinate/signals/k-fresh/claim", data={"csrf": csrf_2}, follow_redirects=False
    )
    assert taken.headers["location"] == "/coordinate/signals?done=taken"
    assert len(claims(db)) == 1


def test_a_forged_claim_from_the_inbox_stores_nothing(inbox, db, clock):
    sign_in_as(inbox, db, "coordinator_a", clock())
    assert inbox.post("/coordinate/signals/k-fresh/claim", data={}).status_code == 403
    assert claims(db) == []
