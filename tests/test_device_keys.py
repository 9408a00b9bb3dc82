"""Device keys (issue 12): made for a point and shown once, kept only hashed as API tokens are,
revoked; and what a ping writes — its last-seen time alone when it says nothing new, and never
anything of the point's own row. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nezlam.domain.device_facts import Fact, HeartbeatCreate, PoweredBy
from nezlam.domain.errors import Forbidden, Invalid, NotFound, Unauthenticated
from nezlam.domain.vocabulary import Power
from nezlam.store import audit, devices
from nezlam.store.accounts.tokens import hash_token
from nezlam.store.actor import CLI
from nezlam.store.tables import Base, DeviceKey, Point, utcnow

WINDOW = timedelta(minutes=5)


def new_device(db, point_id="point-a", name="ESP32 у щитовій", powered_by=PoweredBy.MAINS):
    with db.write() as session:
        key, row = devices.create_device(session, point_id, name, CLI, powered_by)
        return key, row.id


def ping(db, key, now, **said):
    with db.write() as session:
        return devices.record_ping(session, key, HeartbeatCreate(**said), now, WINDOW)


def every_value(db):
    """Every value of every row of every table, as text."""
    with db.read() as session:
        connection = session.connection()
        return [
            str(value)
            for table in Base.metadata.sorted_tables
            for row in connection.execute(sa.select(table)).all()
            for value in row
        ]


def device_row(db, device_id):
    with db.read() as session:
        row = session.execute(sa.select(DeviceKey.__table__).where(DeviceKey.id == device_id))
        return row.one()._asdict()


def point_row(db, point_id="point-a"):
    with db.read() as session:
        return session.execute(sa.select(Point.__table__).where(Point.id == point_id)).one()


def test_a_key_is_shown_once_and_kept_only_as_its_hash(db, network, clock):
    key, device_id = new_device(db)
    assert key.startswith("nzd_") and len(key) > 40
    row = device_row(db, device_id)
    assert row["key_hash"] == hash_token(key) != key  # as API tokens are kept
    assert row["prefix"] == key[:10] and row["name"] == "ESP32 у щитовій"
    ping(db, key, clock(), power="grid")
    found = [value for value in every_value(db) if key in value or key[len("nzd_") :] in value]
    assert found == []  # nowhere: not the row, not the audit log
    with db.read() as session:
        (made,) = audit.entries(session, "device", str(device_id))
    assert made.action == "create" and made.after["prefix"] == row["prefix"]


def test_two_keys_are_never_alike_and_each_is_shaped_as_a_key(db, network):
    keys = {new_device(db)[0] for _ in range(20)}
    assert len(keys) == 20 and all(devices.could_be_key(key) for key in keys)
    key = keys.pop()
    for not_a_key in ("", key[:-1], key + "A", "nzl_" + key[4:], network.tokens["admin"]):
        assert not devices.could_be_key(not_a_key)


@pytest.mark.parametrize(
    ("point_id", "name", "powered_by", "field"),
    [
        ("no-such-point", "phone", "mains", "point"),
        ("point-a", "  ", "mains", "name"),
        ("point-a", "x" * 101, "mains", "name"),
        ("point-a", "a\x00b", "mains", "name"),
        ("point-a", "phone", "solar", "powered_by"),
    ],
)
def test_a_device_is_refused_naming_what_is_wrong(db, network, point_id, name, powered_by, field):
    with pytest.raises((NotFound, Invalid)) as refused, db.write() as session:
        devices.create_device(session, point_id, name, CLI, powered_by)
    assert refused.value.field == field
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(DeviceKey)).scalar() == 0


def test_an_unknown_or_revoked_key_is_refused_and_writes_nothing(db, network, clock):
    key, device_id = new_device(db)
    ping(db, key, clock())
    with db.write() as session:
        devices.revoke_device(session, device_id, CLI, clock())
    before = every_value(db)
    clock.advance(minutes=1)
    with pytest.raises(Unauthenticated):
        ping(db, key + "x", clock(), power="battery")
    with pytest.raises(Forbidden):
        ping(db, key, clock(), power="battery")
    assert every_value(db) == before
    with db.write() as session:  # revoking again changes nothing
        devices.revoke_device(session, device_id, CLI, clock())
    assert every_value(db) == before
    with pytest.raises(NotFound), db.write() as session:
        devices.revoke_device(session, 999, CLI)


def statements_of(db, action):
    """The SQL statements `action()` sends."""
    sent = []

    def heard(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", heard)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", heard)
    return [s for s in sent if s.split()[0] in ("SELECT", "UPDATE", "INSERT", "DELETE")]


def test_a_ping_that_says_nothing_new_writes_only_the_last_seen_time(db, network, clock):
    key, device_id = new_device(db, powered_by=PoweredBy.BATTERY)
    first = ping(db, key, clock(), power="battery", battery_pct=80, internet=True)
    assert first.changed["power"] == Power.BATTERY and first.point_id == "point-a"
    before = device_row(db, device_id)
    clock.advance(minutes=1)
    sent = statements_of(db, lambda: ping(db, key, clock(), power="battery", battery_pct=80))
    after = device_row(db, device_id)
    assert {k for k in after if after[k] != before[k]} == {"last_seen_at"}
    assert after["last_seen_at"] == clock()
    assert len(sent) == 2 and sent[0].startswith("SELECT")  # the key, then one update
    assert sent[1].startswith("UPDATE device_keys SET last_seen_at=") and "power" not in sent[1]
    clock.advance(minutes=1)
    changed = ping(db, key, clock(), battery_pct=79)
    assert changed.changed == {"battery_pct": 79} and device_row(db, device_id)["battery_pct"] == 79


def test_pings_never_touch_the_point_they_tell_about(db, network, clock):
    before = point_row(db)
    key, _device_id = new_device(db, powered_by=PoweredBy.BATTERY)
    for minute in range(3):
        clock.advance(minutes=1)
        ping(db, key, clock(), power=("grid", "battery", "generator")[minute], occupancy=minute)
    after = point_row(db)
    assert after == before  # not updated_at, not verified_at, not its status or change_seq
    assert after.verified_at is None


def test_what_the_devices_say_leaves_revoked_ones_out(db, network, clock):
    esp_key, _esp = new_device(db, name="ESP32")
    phone_key, phone = new_device(db, name="phone", powered_by=PoweredBy.BATTERY)
    _other, _b = new_device(db, point_id="point-b")
    ping(db, esp_key, clock()), ping(db, phone_key, clock())
    last_esp = clock()
    for _minute in range(6):  # the mains goes off: the ESP32 is silent, the phone pings on
        clock.advance(minutes=1)
        ping(db, phone_key, clock())
    with db.read() as session:
        said = devices.point_device_facts(session, "point-a", clock(), WINDOW)
    assert said.mains == Fact(False, last_esp) and said.without_power
    assert [state.online.value for state in said.devices] == [False, True]
    with db.write() as session:
        devices.revoke_device(session, phone, CLI, clock())
        said = devices.point_device_facts(session, "point-a", clock(), WINDOW)
    assert len(said.devices) == 1 and said.mains == Fact() and said.online == Fact(False, last_esp)
    with db.read() as session:
        listed = devices.devices(session, "point-a")
        everywhere = devices.devices(session)
    assert [d.name for d in listed] == ["ESP32", "phone"] and len(everywhere) == 3
    assert listed[1].revoked_at == clock()


# --- nezlam device add | list | revoke ------------------------------------------------------


def nezlam(db_url, *args):
    from typer.testing import CliRunner

    from nezlam.cli import app

    return CliRunner().invoke(app, list(args), env={"NEZLAM_DATABASE_URL": db_url})


def test_devices_from_the_command_line(db_url, db, network):
    made = nezlam(db_url, "device", "add", "point-a", "--name", "phone [hall]", "--powered-by",
                  "battery")  # fmt: skip
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert devices.could_be_key(key) and "phone [hall]" in made.output
    assert nezlam(db_url, "device", "add", "point-b", "--name", "ESP32").exit_code == 0
    with db.read() as session:
        device_id = session.execute(sa.select(DeviceKey.id).where(DeviceKey.name != "ESP32"))
        device_id = device_id.scalar_one()
    listed = nezlam(db_url, "device", "list", "point-a")
    assert listed.exit_code == 0, listed.output
    (line,) = listed.output.strip().splitlines()
    assert line.split("\t")[:5] == [str(device_id), "point-a", key[:10] + "…", "battery",
                                    "never heard"]  # fmt: skip
    assert key not in listed.output
    assert len(nezlam(db_url, "device", "list").output.strip().splitlines()) == 2
    ping(db, key, utcnow(), power="battery", battery_pct=64)
    heard = nezlam(db_url, "device", "list", "point-a").output
    assert "\tonline\t" in heard and "power=battery battery=64%" in heard
    revoked = nezlam(db_url, "device", "revoke", str(device_id))
    assert revoked.exit_code == 0 and f"device {device_id} revoked" in revoked.output
    assert "\trevoked " in nezlam(db_url, "device", "list", "point-a").output
    with pytest.raises(Forbidden):
        ping(db, key, utcnow())


def test_device_commands_name_what_is_wrong(db_url, network):
    nowhere = nezlam(db_url, "device", "add", "no-such-point", "--name", "phone")
    assert nowhere.exit_code == 1 and "(point)" in nowhere.output
    unnamed = nezlam(db_url, "device", "add", "point-a", "--name", " ")
    assert unnamed.exit_code == 1 and "(name)" in unnamed.output
    solar = nezlam(db_url, "device", "add", "point-a", "--name", "x", "--powered-by", "solar")
    assert solar.exit_code == 2
    assert nezlam(db_url, "device", "list", "no-such-point").exit_code == 1
    gone = nezlam(db_url, "device", "revoke", "999")
    assert gone.exit_code == 1 and "no device 999" in gone.output
