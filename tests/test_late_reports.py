"""A late tap is not a fresh confirmation: a report queued offline counts from when the operator
tapped, on the server's clock, and never overrides news that is newer than it."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from nezlam.domain.freshness import effective_time
from nezlam.store.tables import StatusReport
from tests.test_reports import point, report

RECEIVED = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("client_time", "sent_at", "expected"),
    [
        (None, None, RECEIVED),  # no device time: it counts from its arrival
        (RECEIVED - timedelta(hours=7), None, RECEIVED - timedelta(hours=7)),
        (RECEIVED + timedelta(hours=3), None, RECEIVED),  # a clock running ahead: never future
        (datetime(9999, 12, 31, tzinfo=UTC), None, RECEIVED),
        # The device's clock is 5 h behind: tapped 7 h ago and sent 2 s ago, by that clock.
        (
            RECEIVED - timedelta(hours=12),
            RECEIVED - timedelta(hours=5, seconds=2),
            RECEIVED - timedelta(hours=7, seconds=-2),
        ),
        # The device's clock is a day ahead: its age still counts, from the server's clock.
        (
            RECEIVED + timedelta(days=1, minutes=-30),
            RECEIVED + timedelta(days=1),
            RECEIVED - timedelta(minutes=30),
        ),
    ],
)
def test_effective_time_counts_from_the_tap_on_the_servers_clock(client_time, sent_at, expected):
    assert effective_time(client_time, sent_at, RECEIVED) == expected


def test_a_seven_hour_old_open_delivered_now_is_shown_unconfirmed(app_client, network, clock):
    tapped = clock() - timedelta(hours=7)
    sent = report(app_client, network, {"status": "open", "client_time": z(tapped)})
    assert sent.status_code == 201, sent.text
    assert sent.json()["effective_at"] == z(tapped)
    assert sent.json()["received_at"] == z(clock())
    props = point(app_client, network)["properties"]
    assert props["status"] == "unconfirmed"
    assert props["verified_at"] == props["updated_at"] == z(tapped)


def test_a_late_still_current_dates_the_confirmation_to_the_tap(app_client, network, clock):
    report(app_client, network, {"status": "open"})
    clock.advance(hours=5)
    tapped = clock()
    clock.advance(hours=2)  # the phone was offline; the tap arrives two hours later
    report(app_client, network, {"verify": True, "client_time": z(tapped)})
    props = point(app_client, network)["properties"]
    assert props["verified_at"] == z(tapped)
    assert props["status"] == "open"  # 2 h since the tap: still within the 6 h
    clock.advance(hours=4, seconds=1)
    assert point(app_client, network)["properties"]["status"] == "unconfirmed"


def test_a_late_report_never_overrides_a_newer_one(app_client, network, clock, db):
    open_tapped = clock()  # 20:00 on the phone, which then lost its connection
    clock.advance(hours=2)
    report(app_client, network, {"status": "closed"}, who="coordinator_a")  # 22:00, online
    clock.advance(hours=5)
    late = report(
        app_client, network, {"status": "open", "fuel_litres": 40, "client_time": z(open_tapped)}
    )
    assert late.status_code == 201
    assert late.json()["superseded"] == ["status"]
    props = point(app_client, network, "operator_a")["properties"]
    assert props["status"] == "closed"
    assert props["fuel_litres"] == 40  # nobody had said anything newer about the fuel
    assert props["verified_at"] == z(open_tapped + timedelta(hours=2))
    with db.read() as session:
        stored = session.execute(sa.select(StatusReport.status)).scalars().all()
    assert sorted(stored) == ["closed", "open"]  # the late one is in the history all the same


def test_a_head_count_made_after_a_late_step_already_includes_it(app_client, network, clock):
    step_tapped = clock()
    clock.advance(minutes=5)
    report(app_client, network, {"occupancy": 10})
    clock.advance(minutes=5)
    late = report(app_client, network, {"occupancy_change": 1, "client_time": z(step_tapped)})
    assert late.json()["superseded"] == ["occupancy_change"]
    assert point(app_client, network)["properties"]["occupancy"] == 10
    report(app_client, network, {"occupancy_change": 1})  # a step after the count counts
    assert point(app_client, network)["properties"]["occupancy"] == 11


def test_a_retry_of_a_queued_tap_sent_again_later_is_the_same_report(app_client, network, clock):
    tapped = clock() - timedelta(minutes=30)
    body = {"status": "full", "client_time": z(tapped), "sent_at": z(clock())}
    first = report(app_client, network, body, key="queued-1")
    clock.advance(minutes=3)
    again = report(app_client, network, {**body, "sent_at": z(clock())}, key="queued-1")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]


def test_sent_at_must_come_with_a_client_time_not_before_it(app_client, network, clock):
    alone = report(app_client, network, {"status": "open", "sent_at": z(clock())})
    assert alone.status_code == 422 and "client_time" in alone.text
    backwards = report(
        app_client,
        network,
        {"status": "open", "client_time": z(clock()), "sent_at": z(clock() - timedelta(1))},
    )
    assert backwards.status_code == 422 and "sent_at" in backwards.text


def test_a_visitors_flag_newer_than_the_tap_still_stands(app_client, network, clock, db):
    from sqlalchemy import update

    from nezlam.store.tables import Point

    tapped = clock() - timedelta(hours=1)
    with db.write() as session:  # three visitors flagged it half an hour ago
        session.execute(
            update(Point)
            .where(Point.id == network.point_a)
            .values(flagged_at=clock() - timedelta(minutes=30))
        )
    app_client.app.state.nezlam.sync.load_all()
    report(app_client, network, {"status": "open", "client_time": z(tapped)})
    assert point(app_client, network)["properties"]["flagged"] is True
    report(app_client, network, {"verify": True})  # answered now
    assert point(app_client, network)["properties"]["flagged"] is False


def test_the_coordinators_history_shows_when_a_late_tap_was_made_and_when_it_arrived(
    app_client, network, clock, db
):
    import re

    from tests.conftest import sign_in_as

    tapped = clock() - timedelta(hours=7)
    report(app_client, network, {"status": "open", "client_time": z(tapped)})
    sign_in_as(app_client, db, "coordinator_a", clock())
    page = app_client.get("/coordinate/points/point-a", headers={"Accept-Language": "en"}).text
    history = page[page.index('id="reports-title"') :]
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history.split("</tr>")[1]))
    assert "7 hours ago" in row and "arrived 1 minute ago" in row
