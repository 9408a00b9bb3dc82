"""Standby points told in time (issue 12): when a definite outage of a point's queue starts
within NEZLAM_OUTAGE_LEAD (2 h), the point (standby, or open: its own power goes off) is
notified once, at the right minute, through the notification rules and so every channel: the
coordinators' list, a webhook receiver on 127.0.0.1 and the alert chats' outbox. The pure core
on made-up outages across midnight and the clocks' changes; the job on the real Vinnytsia
schedule and a fake clock, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.channels.dispatcher import deliver_due
from nezlam.channels.telegram_events import alert_text
from nezlam.cli import app
from nezlam.domain.outage_warnings import ScheduledPoint, due_warnings
from nezlam.domain.outages import KYIV, Kind, Outage
from nezlam.domain.points import ReportCreate
from nezlam.interchange.outage_files import read_schedules
from nezlam.outage_warner import OutageWarner
from nezlam.store import alert_chats, outage_schedules
from nezlam.store.actor import CLI
from nezlam.store.reports import add_report
from nezlam.store.tables import Notification, OutageWarning, OutboxMessage, Point
from tests import test_webhooks
from tests.conftest import REGION_A, sign_in_as
from tests.test_outages import DEC_06, off, real, real_document
from tests.test_webhooks import add_webhook, verify

receiver = test_webhooks.receiver  # the fixture: an HTTP receiver on 127.0.0.1
LEAD = timedelta(hours=2)
D, P = Kind.DEFINITE, Kind.POSSIBLE


def kyiv(text: str) -> datetime:
    """'2025-10-26 04:00' on Kyiv's wall clock (the later one where it repeats), in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=KYIV, fold=1).astimezone(UTC)


def point(status: str | None = "standby", queue: str = "1.1") -> ScheduledPoint:
    return ScheduledPoint("p", status, "vinnytsia", queue)


def due(now: datetime, *outages: Outage, status: str | None = "standby") -> list[Outage]:
    found = due_warnings([point(status)], {("vinnytsia", "1.1"): outages}, now, LEAD)
    return [warning.outage for warning in found]


# The pure core


def test_an_outage_is_due_two_hours_before_and_not_a_minute_earlier():
    outage = Outage(kyiv("2025-12-06 08:00"), kyiv("2025-12-06 11:30"), D)
    assert due(kyiv("2025-12-06 05:59"), outage) == []
    assert due(kyiv("2025-12-06 06:00"), outage) == [outage]
    assert due(kyiv("2025-12-06 07:59"), outage) == [outage]
    assert due(kyiv("2025-12-06 08:00"), outage) == []  # under way: too late to open in time


def test_an_outage_after_midnight_is_due_the_evening_before():
    outage = Outage(kyiv("2025-12-07 00:30"), kyiv("2025-12-07 04:00"), D)
    assert due(kyiv("2025-12-06 22:29"), outage) == []
    assert due(kyiv("2025-12-06 22:30"), outage) == [outage]


def test_the_lead_is_real_time_when_the_clocks_go_back():
    # 26 Oct 2025: 04:00 EEST becomes 03:00 EET. An outage at 04:00 EET (02:00 UTC) is due
    # at 00:00 UTC, which the wall clock calls 03:00 (EEST): one hour on the clock, two real.
    outage = Outage(kyiv("2025-10-26 04:00"), kyiv("2025-10-26 08:00"), D)
    assert outage.start == datetime(2025, 10, 26, 2, 0, tzinfo=UTC)
    assert due(datetime(2025, 10, 25, 23, 59, tzinfo=UTC), outage) == []
    assert due(datetime(2025, 10, 26, 0, 0, tzinfo=UTC), outage) == [outage]


def test_the_lead_is_real_time_when_the_clocks_go_forward():
    # 30 Mar 2025: 03:00 EET becomes 04:00 EEST. An outage at 05:00 EEST (02:00 UTC) is due
    # at 00:00 UTC, 02:00 on the wall clock: three hours on the clock, two real.
    outage = Outage(kyiv("2025-03-30 05:00"), kyiv("2025-03-30 09:00"), D)
    assert due(kyiv("2025-03-30 01:59"), outage) == []
    assert due(kyiv("2025-03-30 02:00"), outage) == [outage]


def test_the_next_definite_outage_is_warned_of_and_possible_ones_are_not():
    possible = Outage(kyiv("2025-12-06 07:00"), kyiv("2025-12-06 08:00"), P)
    first = Outage(kyiv("2025-12-06 07:30"), kyiv("2025-12-06 08:00"), D)
    second = Outage(kyiv("2025-12-06 08:30"), kyiv("2025-12-06 09:00"), D)
    assert due(kyiv("2025-12-06 06:00"), second, possible, first) == [first]
    assert due(kyiv("2025-12-06 05:30"), possible) == []


def test_standby_and_open_points_are_told_and_closed_or_unknown_ones_are_not():
    outage = Outage(kyiv("2025-12-06 08:00"), kyiv("2025-12-06 11:30"), D)
    now = kyiv("2025-12-06 07:00")
    assert due(now, outage, status="open") == [outage]
    assert due(now, outage, status="closed") == due(now, outage, status=None) == []
    other_queue = due_warnings([point(queue="1.2")], {("vinnytsia", "1.1"): [outage]}, now, LEAD)
    assert other_queue == []


# The job, on the real schedule

OUTAGE_START = datetime(2025, 12, 6, 6, 0, tzinfo=UTC)  # 1.1, Dec 6 08:00 Kyiv
WARN_AT = OUTAGE_START - LEAD


def schedule_imported(db: Any, now: datetime) -> None:
    schedule = read_schedules([real(DEC_06)])
    with db.write() as session:
        outage_schedules.save_import(session, "vinnytsia", schedule, DEC_06, now)


def follows(db: Any, point_id: str, status: str, clock: Any, queue: str = "1.1") -> None:
    with db.write() as session:
        add_report(session, point_id, ReportCreate(status=status), CLI, now=clock())
        session.execute(
            sa.update(Point)
            .where(Point.id == point_id)
            .values(outage_region="vinnytsia", outage_queue=queue)
        )


def notifications(db: Any) -> list[Notification]:
    with db.read() as session:
        query = sa.select(Notification).where(Notification.kind == "outage_soon")
        return list(session.execute(query.order_by(Notification.id)).scalars())


def test_a_standby_point_is_told_two_hours_before_and_once_only(db, network, clock, receiver):
    clock.now = WARN_AT - timedelta(hours=3)
    schedule_imported(db, clock())
    follows(db, network.point_a, "standby", clock)
    add_webhook(db, receiver.url)
    warner = OutageWarner(db, clock, LEAD)
    clock.now = WARN_AT - timedelta(minutes=1)
    assert warner.warn() == [] and notifications(db) == []
    clock.now = WARN_AT
    [sent] = warner.warn()
    assert (sent.point_id, sent.status, sent.outage) == (
        network.point_a,
        "standby",
        off("2025-12-06 08:00+02", "2025-12-06 11:30+02"),
    )
    [note] = notifications(db)
    assert (note.point_id, note.region, note.at) == (network.point_a, REGION_A, WARN_AT)
    assert note.details["outage_start"] == "2025-12-06T06:00:00+00:00"
    assert note.details["outage_end"] == "2025-12-06T09:30:00+00:00"
    assert (note.details["status"], note.details["outage_queue"]) == ("standby", "1.1")
    # Again a minute later, and from a second warner (another worker, or after a restart).
    clock.advance(minutes=1)
    assert warner.warn() == [] and OutageWarner(db, clock, LEAD).warn() == []
    assert len(notifications(db)) == 1
    # The webhook receiver at the network's edge gets it, signed, once.
    done = deliver_due(db, clock())
    assert len(done.delivered) == 1 and len(receiver.received) == 1
    body = verify(receiver.received[0])
    assert body["kind"] == "outage_soon" and body["at"] == WARN_AT.isoformat()
    assert body["point"]["id"] == network.point_a
    assert body["point"]["outage_start"] == "2025-12-06T06:00:00+00:00"


def test_a_revised_schedule_with_the_same_outage_does_not_tell_the_point_twice(
    db, network, clock, tmp_path
):
    clock.now = WARN_AT
    schedule_imported(db, clock())
    follows(db, network.point_a, "standby", clock)
    assert len(OutageWarner(db, clock, LEAD).warn()) == 1
    # A revision that changes queue 6.2 only: a new import, 1.1's outage in it again.
    document = real_document(DEC_06)
    document["fact"]["data"]["1764972000"]["GPV6.2"]["24"] = "no"
    path = tmp_path / "revised.json"
    path.write_text(orjson.dumps(document).decode(), encoding="utf-8")
    with db.write() as session:
        revision = read_schedules([path])
        done = outage_schedules.save_import(session, "vinnytsia", revision, "revised", clock())
    assert done.stored and done.import_id == 2
    assert OutageWarner(db, clock, LEAD).warn() == []
    with db.read() as session:
        rows = session.execute(sa.select(OutageWarning)).scalars().all()
    assert [(r.point_id, r.starts_at) for r in rows] == [(network.point_a, OUTAGE_START)]


def test_an_open_point_is_told_its_power_goes_off_and_the_next_outage_again(db, network, clock):
    clock.now = WARN_AT
    schedule_imported(db, clock())
    follows(db, network.point_a, "open", clock)
    follows(db, network.point_b, "closed", clock)
    warner = OutageWarner(db, clock, LEAD)
    assert [(w.point_id, w.status) for w in warner.warn()] == [(network.point_a, "open")]
    # 1.1's next outage, Dec 6 15:00 Kyiv (13:00 UTC), is told at 11:00 UTC.
    clock.now = datetime(2025, 12, 6, 11, 0, tzinfo=UTC)
    [later] = warner.warn()
    assert later.outage.start == datetime(2025, 12, 6, 13, 0, tzinfo=UTC)
    assert len(notifications(db)) == 2


def test_the_alert_chats_of_the_region_get_it_through_the_outbox(db, network, clock):
    clock.now = WARN_AT
    schedule_imported(db, clock())
    follows(db, network.point_a, "standby", clock)
    with db.write() as session:
        alert_chats.add(session, "telegram", "-100200", REGION_A, "uk", None, clock())
    OutageWarner(db, clock, LEAD).warn()
    with db.read() as session:
        [message] = session.execute(sa.select(OutboxMessage)).scalars().all()
    event = orjson.loads(message.text)
    assert (message.channel, message.destination) == ("telegram", "-100200")
    assert (event["event"], event["kind"], event["point_id"]) == (
        "alert",
        "outage_soon",
        network.point_a,
    )
    assert event["outage_start"] == "2025-12-06T06:00:00+00:00"  # for the channel's words
    text = alert_text(event, "https://nezlam.example")  # as the Telegram channel words it
    assert text.startswith("<b>⏰ Скоро вимкнуть світло</b>:")
    assert "Світло вимкнуть за графіком 08:00–" in text  # 06:00 UTC is 08:00 in Kyiv
    english = alert_text({**event, "lang": "en"}, None)
    assert "Power goes off by schedule 08:00–" in english and "outage_soon" not in english


def test_two_workers_at_the_same_minute_tell_the_point_once(db, network, clock):
    clock.now = WARN_AT
    schedule_imported(db, clock())
    follows(db, network.point_a, "standby", clock)
    start = threading.Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        start.wait()
        sent.append(len(OutageWarner(db, clock, LEAD).warn()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(sent) == [0, 1] and len(notifications(db)) == 1


def test_notify_from_the_command_line(db_url, db, network, clock):
    clock.now = datetime.now(UTC).replace(microsecond=0)
    # A made-up schedule whose outage starts in 90 minutes from now.
    with db.write() as session:
        session.execute(
            sa.insert(outage_schedules.IMPORTS),
            {"id": 1, "provider": "vinnytsia", "source": "test", "queues": ["1.1"]}
            | {"current": True, "imported_at": clock()},
        )
        soon = clock() + timedelta(minutes=90)
        session.execute(
            sa.insert(outage_schedules.INTERVALS),
            {"import_id": 1, "queue": "1.1", "starts_at": soon}
            | {"ends_at": soon + timedelta(hours=2), "kind": "definite"},
        )
    follows(db, network.point_a, "standby", clock)
    env = {"NEZLAM_DATABASE_URL": db_url}
    result = CliRunner().invoke(app, ["outages", "notify"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{network.point_a} (standby): power off at {soon.astimezone(KYIV):%Y-%m-%d %H:%M}" in (
        result.output
    )
    assert result.output.splitlines()[-1] == "1 points told"
    again = CliRunner().invoke(app, ["outages", "notify"], env=env)
    assert again.output.splitlines() == ["0 points told"]


def test_each_server_process_runs_the_warner_and_stops_it(settings, db):
    from fastapi.testclient import TestClient

    from nezlam.web.app import create_app

    def warning() -> bool:
        return any(t.name == "nezlam-outage-warner" for t in threading.enumerate())

    with TestClient(create_app(settings, db)):
        assert warning()
    assert not warning()  # stopped with the app


def test_the_coordinators_see_the_warning_among_their_notifications(app_client, db, network, clock):
    clock.now = WARN_AT
    schedule_imported(db, clock())
    follows(db, network.point_a, "standby", clock)
    OutageWarner(db, clock, LEAD).warn()
    sign_in_as(app_client, db, "coordinator_a", clock())
    said = {"en": ("Power off soon by schedule", "Point point-a")}
    said["uk"] = ("Скоро вимкнуть світло за графіком", "Пункт point-a")
    for lang, (label, name) in said.items():
        for path in ("/coordinate", "/coordinate/notifications?kind=outage_soon"):
            answer = app_client.get(path, headers={"Accept-Language": lang})
            assert answer.status_code == 200, answer.text
            assert label in answer.text and name in answer.text
