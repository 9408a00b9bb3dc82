"""Emergency shutdowns in a power company's region (issue 12): declared by a coordinator or
`nezlam outages emergency start`, every standby and open point that follows the company's
schedule is told at once (a webhook at the network's edge receives it); residents' pages say the
schedule does not hold; the outage warner stops warning by it; ending it puts it back. On the
real Vinnytsia schedule, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nezlam.channels.dispatcher import deliver_due
from nezlam.channels.telegram_events import alert_text
from nezlam.domain.errors import Conflict, Invalid, NotFound
from nezlam.outage_warner import OutageWarner
from nezlam.store import audit, emergency_shutdowns
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.tables import Notification
from tests import test_webhooks
from tests.conftest import REGION_A, point_create, sign_in_as
from tests.test_cli import nezlam
from tests.test_device_pages import page
from tests.test_outage_pages import MORNING
from tests.test_outage_warnings import LEAD, WARN_AT, follows, schedule_imported
from tests.test_webhooks import add_webhook, verify

receiver = test_webhooks.receiver  # the fixture: an HTTP receiver on 127.0.0.1
PAGE = "/coordinate/outages"
FORM = "/coordinate/outages/emergency"


def told(db) -> list[tuple[str, str | None]]:
    with db.read() as session:
        query = sa.select(Notification).where(Notification.kind == "emergency")
        rows = session.execute(query.order_by(Notification.point_id)).scalars()
        return [(row.point_id, row.details.get("note")) for row in rows]


@pytest.fixture
def vinnytsia(db, network, clock):
    """Point A on standby and a point C open follow vinnytsia; a closed D does too; point B
    follows kyiv's schedule."""
    clock.now = MORNING
    schedule_imported(db, clock())
    follows(db, network.point_a, "standby", clock)
    with db.write() as session:
        for point_id in ("point-c", "point-d"):
            created = point_create(point_id, REGION_A, 50.4, 30.5)
            point_store.create_point(session, created, CLI, now=clock())
    follows(db, "point-c", "open", clock, queue="3.1")
    follows(db, "point-d", "closed", clock)
    follows(db, network.point_b, "open", clock)
    with db.write() as session:
        session.execute(sa.text("UPDATE points SET outage_region = 'kyiv' WHERE id = 'point-b'"))
    return network


def test_declaring_tells_every_standby_and_open_point_of_that_schedule_once(
    db, vinnytsia, clock, receiver
):
    add_webhook(db, receiver.url)
    with db.write() as session:
        row, points = emergency_shutdowns.declare(session, " Vinnytsia ", CLI, clock(), "ГПВ")
    assert row.provider == "vinnytsia" and points == ["point-a", "point-c"]
    assert told(db) == [("point-a", "ГПВ"), ("point-c", "ГПВ")]
    with db.write() as session, pytest.raises(Conflict):
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock())
    done = deliver_due(db, clock())
    assert len(done.delivered) == 2
    bodies = sorted((verify(r) for r in receiver.received), key=lambda b: b["point"]["id"])
    assert [b["kind"] for b in bodies] == ["emergency"] * 2
    assert bodies[0]["point"]["outage_region"] == "vinnytsia"
    with db.write() as session:
        ended = emergency_shutdowns.end(session, "vinnytsia", CLI, clock())
        assert ended.ended_at == clock() and emergency_shutdowns.active(session) == {}
        actions = [e.action for e in audit.entries(session, "emergency_shutdown", str(row.id))]
    assert sorted(actions) == ["declare", "end"]
    with db.write() as session, pytest.raises(NotFound):
        emergency_shutdowns.end(session, "vinnytsia", CLI, clock())
    with db.write() as session:  # a second emergency, later, is a new one
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock() + timedelta(hours=1))
    assert len(told(db)) == 4


def test_a_provider_that_is_not_an_id_or_a_long_note_is_refused(db, vinnytsia, clock):
    with db.write() as session, pytest.raises(Invalid) as refused:
        emergency_shutdowns.declare(session, "Вінниця", CLI, clock())
    assert refused.value.field == "provider"
    with db.write() as session, pytest.raises(Invalid) as refused:
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock(), "x" * 501)
    assert refused.value.field == "note" and told(db) == []


def test_the_warner_says_nothing_by_a_suspended_schedule_and_again_once_it_holds(
    db, vinnytsia, clock
):
    with db.write() as session:
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock())
    clock.now = WARN_AT
    warner = OutageWarner(db, clock, LEAD)
    assert warner.warn() == []
    with db.write() as session:
        emergency_shutdowns.end(session, "vinnytsia", CLI, clock())
    assert [w.point_id for w in warner.warn()] == ["point-a"]


def test_residents_are_told_the_schedule_does_not_hold(app_client, db, vinnytsia, clock):
    follows(db, vinnytsia.point_a, "open", clock)
    with db.write() as session:
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock())
    clock.advance(minutes=2)  # the pages' schedules are read again at most once a minute
    html = page(app_client, f"/points/{vinnytsia.point_a}", "uk")
    assert "аварійні відключення: графік не діє — пункт може зачинитись" in html
    assert "08:00–11:30" not in html
    queue = page(app_client, "/outages?queue=vinnytsia/1.1", "en")
    assert "Emergency shutdowns in this region: the schedule does not hold." in queue
    with db.write() as session:
        emergency_shutdowns.end(session, "vinnytsia", CLI, clock())
    clock.advance(minutes=2)
    assert "світла за графіком не буде 08:00–11:30" in page(
        app_client, f"/points/{vinnytsia.point_a}", "uk"
    )


def test_a_coordinator_declares_and_ends_it_from_the_outages_page(app_client, db, vinnytsia, clock):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    html = page(app_client, PAGE, "en")
    assert '<option value="vinnytsia">vinnytsia</option>' in html  # point B's kyiv is not A's
    assert '<option value="kyiv">' not in html
    form = {"csrf": csrf, "provider": "vinnytsia", "action": "start", "note": "<b>ГПВ</b>"}
    answer = app_client.post(FORM, data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith(
        "?done=emergency_declared"
    )
    assert told(db) == [("point-a", "<b>ГПВ</b>"), ("point-c", "<b>ГПВ</b>")]
    html = page(app_client, PAGE + "?done=emergency_declared", "en")
    assert "Emergency shutdowns in vinnytsia since 06.12.2025 05:00" in html
    assert "&lt;b&gt;ГПВ&lt;/b&gt;" in html and "<b>ГПВ</b>" not in html
    assert "the points that follow that schedule have been told" in html
    again = app_client.post(FORM, data=form, follow_redirects=False)
    assert again.status_code == 409
    ended = app_client.post(FORM, data={**form, "action": "end"}, follow_redirects=False)
    assert ended.status_code == 303
    with db.read() as session:
        assert emergency_shutdowns.active(session) == {}


def test_only_a_coordinator_whose_points_follow_the_schedule_may_declare(
    app_client, db, vinnytsia, clock
):
    form = {"provider": "vinnytsia", "action": "start"}
    csrf = sign_in_as(app_client, db, "coordinator_b", clock())
    refused = app_client.post(FORM, data={**form, "csrf": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    refused = app_client.post(FORM, data={**form, "csrf": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert told(db) == []


def test_the_alert_chats_message_says_the_schedule_does_not_hold():
    data = {"kind": "emergency", "point_id": "point-a", "name": {"uk": "Пункт"},
            "note": "<script>", "lang": "uk"}  # fmt: skip
    text = alert_text(data, None)
    assert text.startswith("<b>🚨 Аварійні відключення</b>")
    assert "Графік не діє" in text and "<i>&lt;script&gt;</i>" in text


def test_the_command_line_starts_lists_and_ends_it(db_url, db, vinnytsia, clock):
    started = nezlam(db_url, "outages", "emergency", "start", "vinnytsia", "--note", "ГПВ")
    assert started.exit_code == 0, started.output
    assert "2 points told: point-a, point-c" in started.output
    listed = nezlam(db_url, "outages", "emergency", "list")
    assert "vinnytsia: since" in listed.output and "by cli" in listed.output
    assert nezlam(db_url, "outages", "emergency", "start", "vinnytsia").exit_code != 0
    ended = nezlam(db_url, "outages", "emergency", "end", "vinnytsia")
    assert ended.exit_code == 0 and "ended at" in ended.output
    assert "no emergency shutdowns" in nezlam(db_url, "outages", "emergency", "list").output
