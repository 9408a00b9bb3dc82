"""What a point's devices say, written onto the point (issue 12): a ping that changes it moves
the point's power, internet, updated_at and change number, seen through the API once the
index has polled, and never its verified_at; the sweeper turns a silent device offline at
the window's end and not before, and a second sweep writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from nezlam.domain.device_facts import HeartbeatCreate, PoweredBy
from nezlam.domain.device_snapshot import stored_snapshot
from nezlam.domain.points import ReportCreate
from nezlam.store import device_points, devices, reports
from nezlam.store.actor import CLI
from nezlam.store.tables import Point

WINDOW = timedelta(minutes=5)


def new_device(db, point_id="point-a", powered_by=PoweredBy.MAINS, name="ESP32"):
    with db.write() as session:
        key, row = devices.create_device(session, point_id, name, CLI, powered_by)
        return key, row.id


def point_row(db, point_id="point-a"):
    with db.read() as session:
        table = Point.__table__
        return session.execute(sa.select(table).where(table.c.id == point_id)).one()


def beat(client, key, body=None):
    answer = client.post("/api/v1/heartbeat", json=body or {}, headers={"X-Device-Key": key})
    assert answer.status_code == 200, answer.text
    return answer


def ping(db, key, now, **said):
    """A ping as the report writer writes it (`device_pings.PingJob`)."""
    from nezlam.device_pings import PingJob

    with db.write() as session:
        return PingJob(key, HeartbeatCreate(**said), now, WINDOW).write(session)


def sweep(db, now, since=None):
    with db.write() as session:
        return device_points.sweep(session, now, WINDOW, since)


def public(client, point_id="point-a"):
    return client.get(f"/api/v1/points/{point_id}").json()["properties"]


def test_a_ping_that_flips_the_power_writes_the_point_and_is_seen_after_the_poll(
    app_client, db, clock, network
):
    with db.write() as session:  # a person confirmed the point open an hour ago
        reports.add_report(
            session, "point-a", ReportCreate(status="open", power="grid", verify=True), CLI,
            now=clock() - timedelta(hours=1),
        )  # fmt: skip
    before = point_row(db)
    key, _device_id = new_device(db, powered_by=PoweredBy.BATTERY)
    state = app_client.app.state.nezlam
    state.sync.load_all()
    state.sync.stop()  # as another worker: it learns of the ping only by polling
    beat(app_client, key, {"power": "battery", "internet": False})
    after = point_row(db)
    assert (after.power, after.internet) == ("battery", False)
    assert after.updated_at == clock() and after.change_seq > before.change_seq
    assert after.verified_at == before.verified_at == clock() - timedelta(hours=1)
    assert after.status == "open"
    snapshot = stored_snapshot(after.state_times)
    assert snapshot.mains is False and snapshot.without_power and snapshot.online
    assert listed(app_client)["power"] == "grid"  # not polled yet
    assert state.sync.refresh() == 1  # the poll, by the change number
    seen = listed(app_client)
    assert (seen["power"], seen["internet"]) == ("battery", False)
    assert seen["verified_at"] == before.verified_at.isoformat().replace("+00:00", "Z")
    assert seen["updated_at"] == clock().isoformat().replace("+00:00", "Z")


def listed(client, point_id="point-a"):
    """The point as the index answers for it (`GET /api/v1/points`), not from the database."""
    features = client.get("/api/v1/points").json()["features"]
    return next(f["properties"] for f in features if f["properties"]["id"] == point_id)


def test_a_ping_that_changes_nothing_of_the_point_does_not_write_it(db, clock, network):
    key, _device_id = new_device(db, powered_by=PoweredBy.BATTERY)
    ping(db, key, clock(), power="grid", battery_pct=90)
    written = point_row(db)
    assert written.power == "grid"
    for pct in (89, 88, 87):  # the battery drains; the mains stays on
        clock.advance(minutes=1)
        ping(db, key, clock(), power="grid", battery_pct=pct)
    assert point_row(db) == written


def test_the_sweeper_turns_a_silent_device_offline_at_the_windows_end_and_not_before(
    db, clock, network
):
    esp, _esp_id = new_device(db)
    phone, _phone_id = new_device(db, powered_by=PoweredBy.BATTERY, name="phone")
    ping(db, esp, clock()), ping(db, phone, clock())
    last_esp = clock()
    on = point_row(db)
    assert on.power == "grid"
    swept_at = clock()
    for _minute in range(4):  # the ESP32 went dark with the mains; the phone pings on
        clock.advance(minutes=1)
        ping(db, phone, clock())
    clock.advance(seconds=59)
    assert sweep(db, clock(), since=swept_at) == []  # 4 min 59 s: still within the window
    assert point_row(db) == on
    swept_at = clock()
    clock.advance(seconds=1)
    assert sweep(db, clock(), since=swept_at) == ["point-a"]
    off = point_row(db)
    snapshot = stored_snapshot(off.state_times)
    assert (snapshot.mains, snapshot.mains_since, snapshot.online) == (False, last_esp, True)
    assert off.power == "none" and off.updated_at == clock() and off.change_seq > on.change_seq
    assert off.verified_at is None
    assert sweep(db, clock(), since=swept_at) == [] and sweep(db, clock()) == []
    assert point_row(db) == off  # twice run is a no-op


def test_the_sweeper_sees_every_device_silent_as_the_point_offline(db, clock, network):
    key, _device_id = new_device(db, point_id="point-b")
    ping(db, key, clock())
    clock.advance(minutes=5)
    assert sweep(db, clock()) == ["point-b"]
    snapshot = stored_snapshot(point_row(db, "point-b").state_times)
    assert snapshot.offline and snapshot.online_since == clock() - timedelta(minutes=5)
    assert snapshot.mains is None  # silence everywhere may as well be the internet
    assert point_row(db, "point-a").state_times is None
    clock.advance(minutes=1)
    ping(db, key, clock())  # back: the point is online again at once
    assert stored_snapshot(point_row(db, "point-b").state_times).online is True


def test_the_servers_sweeper_remembers_its_last_sweep_and_writes_each_change_once(
    db, clock, network
):
    from nezlam.device_sweeper import DeviceSweeper

    key, _device_id = new_device(db)
    ping(db, key, clock())
    first, second = (DeviceSweeper(db, clock, WINDOW) for _worker in range(2))
    assert first.sweep() == [] and first.swept_at == clock()
    clock.advance(minutes=5)
    assert first.sweep() == ["point-a"]  # the window ran out between its sweeps
    assert second.sweep() == []  # another worker's first sweep: already written
    written = point_row(db)
    clock.advance(seconds=15)
    assert first.sweep() == [] and point_row(db) == written


def test_nezlam_device_sweep_writes_once(db_url, db, clock, network):
    from typer.testing import CliRunner

    from nezlam.cli import app
    from nezlam.store.tables import utcnow

    key, _device_id = new_device(db, point_id="point-b")
    ping(db, key, utcnow() - timedelta(minutes=6))
    env = {"NEZLAM_DATABASE_URL": db_url}
    swept = CliRunner().invoke(app, ["device", "sweep"], env=env)
    assert swept.exit_code == 0, swept.output
    assert swept.output.strip() == "1 points written: point-b"
    assert stored_snapshot(point_row(db, "point-b").state_times).offline
    again = CliRunner().invoke(app, ["device", "sweep"], env=env)
    assert again.output.strip() == "0 points written"


def test_a_confirmation_answers_the_devices_flag_but_a_late_tap_does_not():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from nezlam.domain.device_snapshot import DeviceSnapshot, alarm_raised, answered, point_changes

    t = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    on = DeviceSnapshot(online=True, online_since=t, mains=True, mains_since=t, supply="grid")
    off = DeviceSnapshot(online=True, online_since=t, mains=False, mains_since=t, supply=None)
    point = SimpleNamespace(state_times=None, power="grid", updated_at=None)
    raised = point_changes(point, on, off, t + timedelta(minutes=5))["state_times"]
    assert alarm_raised(raised)
    assert alarm_raised(answered(raised, t + timedelta(minutes=4)))  # tapped before it went up
    lowered = answered(raised, t + timedelta(minutes=6))
    assert not alarm_raised(lowered)
    # The internet goes down as well: still no power, still answered.
    worse = DeviceSnapshot(**{**vars(off), "internet": False, "internet_since": t})
    point = SimpleNamespace(state_times=lowered, power="none", updated_at=t)
    assert not alarm_raised(
        point_changes(point, off, worse, t + timedelta(minutes=7))["state_times"]
    )


def test_revoking_a_silent_device_from_the_command_line_lowers_its_points_flag(
    db_url, db, clock, network
):
    from typer.testing import CliRunner

    from nezlam.cli import app
    from nezlam.domain.device_snapshot import alarm_raised
    from nezlam.store.tables import utcnow

    key, device_id = new_device(db, point_id="point-b")
    ping(db, key, utcnow() - timedelta(minutes=6))
    sweep(db, utcnow())
    assert alarm_raised(point_row(db, "point-b").state_times)
    env = {"NEZLAM_DATABASE_URL": db_url}
    revoked = CliRunner().invoke(app, ["device", "revoke", str(device_id)], env=env)
    assert revoked.exit_code == 0, revoked.output
    after = point_row(db, "point-b")
    assert not alarm_raised(after.state_times) and stored_snapshot(after.state_times).online is None
