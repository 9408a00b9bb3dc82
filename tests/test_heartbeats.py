"""Devices' pings through the served app (issue 12): `POST /api/v1/heartbeat` with the key in
X-Device-Key and SvitloBot's `GET /channelPing`, on SQLite and PostgreSQL — what a ping records,
what it refuses (a bad field named, an unknown or revoked key, too many, too large) with nothing
written, and pings batched with reports by the one writer."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nezlam.device_pings import PingBatcher, PingJob
from nezlam.domain.device_facts import Fact, HeartbeatCreate, PoweredBy
from nezlam.domain.errors import Forbidden, Unauthenticated
from nezlam.domain.point_view import iso
from nezlam.domain.points import ReportCreate
from nezlam.report_writer import ReportJob, ReportWriter
from nezlam.store import accounts, devices
from nezlam.store.actor import CLI
from nezlam.store.tables import Base, DeviceKey
from nezlam.web.api.heartbeats import PINGS_PER_MINUTE
from nezlam.web.plumbing.limits import PING_LIMIT

WINDOW = timedelta(minutes=5)
URL = "/api/v1/heartbeat"


def new_device(db, point_id="point-a", powered_by=PoweredBy.MAINS, name="ESP32"):
    with db.write() as session:
        key, row = devices.create_device(session, point_id, name, CLI, powered_by)
        return key, row.id


def beat(client, key, body=None, **headers):
    sent = {"X-Device-Key": key, **headers} if key is not None else headers
    if body is None:  # no body at all
        return client.post(URL, headers=sent)
    return client.post(URL, json=body, headers=sent)


def device(db, device_id):
    with db.read() as session:
        table = DeviceKey.__table__
        return session.execute(sa.select(table).where(table.c.id == device_id)).one()._asdict()


def everything(db):
    """Every row of every table: equal before and after means nothing was written."""
    with db.read() as session:
        connection = session.connection()
        return {
            table.name: connection.execute(sa.select(table)).all()
            for table in Base.metadata.sorted_tables
        }


def said_about(db, clock, point_id="point-a"):
    with db.read() as session:
        return devices.point_device_facts(session, point_id, clock(), WINDOW)


def test_a_ping_records_what_the_device_says(app_client, db, clock):
    key, device_id = new_device(db, powered_by=PoweredBy.BATTERY)
    body = {"power": "battery", "battery_pct": 64, "internet": True, "occupancy": 23}
    answer = beat(app_client, key, body)
    assert answer.status_code == 200, answer.text
    seen = clock().isoformat().replace("+00:00", "Z")
    assert answer.json() == {"device_id": device_id, "point_id": "point-a", "seen_at": seen}
    row = device(db, device_id)
    assert (row["power"], row["battery_pct"], row["internet"], row["occupancy"]) == (
        "battery", 64, True, 23,
    )  # fmt: skip
    assert row["last_seen_at"] == row["online_since"] == row["power_since"] == clock()
    clock.advance(minutes=1)
    empty = beat(app_client, key)  # no body at all: "alive"
    assert empty.status_code == 200, empty.text
    assert device(db, device_id)["last_seen_at"] == clock()
    assert device(db, device_id)["battery_pct"] == 64  # what it said stands


def test_svitlobots_channel_ping_records_a_device_alive(app_client, db, clock):
    key, device_id = new_device(db)
    answer = app_client.get("/channelPing", params={"channel_key": key})
    assert answer.status_code == 200, answer.text
    assert answer.json()["device_id"] == device_id
    assert device(db, device_id)["last_seen_at"] == clock()
    assert said_about(db, clock).mains == Fact(True, clock())


def test_a_silent_mains_device_beside_a_pinging_phone_is_no_power_at_the_point(
    app_client, db, clock
):
    esp, _esp_id = new_device(db)
    phone, _phone_id = new_device(db, powered_by=PoweredBy.BATTERY, name="phone")
    public = app_client.get("/api/v1/points/point-a").json()["properties"]
    app_client.get("/channelPing", params={"channel_key": esp})
    beat(app_client, phone, {"battery_pct": 90})
    last_esp = clock()
    for _minute in range(12):  # the ESP32 went dark with the mains; the phone pings on
        clock.advance(minutes=1)
        assert beat(app_client, phone, {"battery_pct": 89}).status_code == 200
    said = said_about(db, clock)
    assert said.mains == Fact(False, last_esp) and said.without_power
    assert [state.online for state in said.devices] == [Fact(False, last_esp), Fact(True, last_esp)]
    # Machine facts: the point is updated (its power, by the pings that changed it; the
    # silence is the sweeper's to write), never verified, and its status is a person's.
    now = app_client.get("/api/v1/points/point-a").json()["properties"]
    assert (now["power"], now["internet"], now["updated_at"]) == ("grid", True, iso(last_esp))
    assert now["verified_at"] is public["verified_at"] is None
    assert now["status"] == public["status"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"power": "solar"}, "power"),
        ({"battery_pct": 101}, "battery_pct"),
        ({"battery_pct": "full"}, "battery_pct"),
        ({"internet": "sometimes"}, "internet"),
        ({"occupancy": -3}, "occupancy"),
        ({"occupancy": True}, "occupancy"),
        ({"lat": 50.4}, "lon"),  # a position needs both
        ({"lat": 50.4, "lon": 30.5, "accuracy": -1}, "accuracy"),
        ({"altitude": 120}, "altitude"),  # not a field of a ping
    ],
)
def test_a_bad_field_is_a_422_naming_it_and_writes_nothing(app_client, db, body, field):
    key, _device_id = new_device(db)
    before = everything(db)
    answer = beat(app_client, key, body)
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == [field]
    assert everything(db) == before


def test_a_body_that_is_no_json_object_is_refused(app_client, db):
    key, _device_id = new_device(db)
    before = everything(db)
    for content in (b"[1, 2]", b"{power: grid}", b'"grid"'):
        answer = app_client.post(
            URL, content=content, headers={"X-Device-Key": key, "Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (content, answer.text)
    assert everything(db) == before


def test_unknown_revoked_and_missing_keys_are_refused_with_nothing_written(
    app_client, db, network, clock
):
    key, device_id = new_device(db)
    fake = key[:-1] + ("A" if key[-1] != "A" else "B")  # shaped like a key, but nobody's
    with db.write() as session:
        devices.revoke_device(session, device_id, CLI, clock())
    before = everything(db)
    admin = network.headers("admin")  # a token, even an admin's, is no device key
    answers = {
        "no key": (beat(app_client, None, {"power": "grid"}, **admin), 401, "X-Device-Key"),
        "bad body, no key": (beat(app_client, None, {"power": "solar"}), 401, "X-Device-Key"),
        "not a key": (beat(app_client, "hello"), 401, "X-Device-Key"),
        "nobody's key": (beat(app_client, fake, {"power": "grid"}), 401, "key"),
        "revoked": (beat(app_client, key, {"power": "grid"}), 403, "key"),
        "GET, no key": (app_client.get("/channelPing"), 401, "channel_key"),
        "GET, nobody's": (app_client.get("/channelPing", params={"channel_key": fake}), 401, "key"),
        "GET, revoked": (app_client.get("/channelPing", params={"channel_key": key}), 403, "key"),
    }
    for name, (answer, status, field) in answers.items():
        assert answer.status_code == status, (name, answer.text)
        assert answer.json()["errors"][0]["field"] == field, name
    assert everything(db) == before


def test_a_device_pinging_too_often_is_told_to_slow_down_and_others_are_not(app_client, db):
    key, device_id = new_device(db)
    other, _other_id = new_device(db, name="phone")
    for _ping in range(PINGS_PER_MINUTE):
        assert beat(app_client, key).status_code == 200
    seen = device(db, device_id)["last_seen_at"]
    too_many = beat(app_client, key, {"power": "grid"})
    assert too_many.status_code == 429 and too_many.json()["errors"][0]["field"] == "X-Device-Key"
    assert app_client.get("/channelPing", params={"channel_key": key}).status_code == 429
    assert device(db, device_id)["last_seen_at"] == seen and device(db, device_id)["power"] is None
    assert beat(app_client, other).status_code == 200


def test_a_ping_larger_than_a_kilobyte_is_refused_unread(app_client, db):
    key, _device_id = new_device(db)
    padded = b'{"power": "grid", "pad": "' + b"x" * PING_LIMIT + b'"}'
    answer = app_client.post(
        URL, content=padded, headers={"X-Device-Key": key, "Content-Type": "application/json"}
    )
    assert answer.status_code == 413 and answer.json()["errors"][0]["field"] == "body"


def test_pings_are_written_with_the_reports_in_one_transaction(db, network, clock):
    """The writer takes a report and pings waiting together, commits once, and a refused ping
    disturbs neither the report nor the other ping."""
    key, device_id = new_device(db)
    commits = []

    def committed(_connection):
        commits.append(1)

    sa.event.listen(db.engine, "commit", committed)

    def admin(session):
        return accounts.principal_for_token(session, network.tokens["admin"])

    report = ReportJob("point-a", ReportCreate(status="open"), admin, None, clock())
    good = PingJob(key, HeartbeatCreate(power="grid"), clock(), WINDOW)
    bad = PingJob(key[:-2] + "zz", HeartbeatCreate(), clock(), WINDOW)
    writer = ReportWriter(db, lambda _written: None)
    for job in (report, bad, good):  # queued before the writer starts: one batch
        writer._queue.put(job)
    writer._ensure_started()
    assert report.future.result(timeout=20)[1] is True
    assert good.future.result(timeout=20)[0].device_id == device_id
    with pytest.raises(Unauthenticated):
        bad.future.result(timeout=20)
    writer.stop()
    sa.event.remove(db.engine, "commit", committed)
    assert len(commits) == 1
    assert device(db, device_id)["power"] == "grid"


class Gate:
    """A writer's job that holds the writer until opened: what is submitted meanwhile waits."""

    point_id = None

    def __init__(self):
        from concurrent.futures import Future

        self.future, self.entered, self.opened = Future(), threading.Event(), threading.Event()

    def write(self, _session):
        self.entered.set()
        assert self.opened.wait(timeout=60)
        return None, False, None


def test_pings_arriving_together_are_one_commit_each_answered_for_its_own_device(
    db, network, clock
):
    """A worker's pings that arrive while the writer is busy wait for it together: one read,
    one commit; each answered with its own device; a revoked key among them is refused alone;
    two pings of one device leave the later's time."""
    keyed = [new_device(db, name=f"router {n}") for n in range(40)]
    revoked, revoked_id = new_device(db, name="old phone")
    with db.write() as session:
        devices.revoke_device(session, revoked_id, CLI, clock())
    commits = []

    def committed(_connection):
        commits.append(1)

    sa.event.listen(db.engine, "commit", committed)
    writer = ReportWriter(db, lambda _written: None)
    batcher = PingBatcher(writer, WINDOW)
    gate = Gate()
    writer.submit(gate)
    assert gate.entered.wait(timeout=60)
    first, later = clock(), clock() + timedelta(seconds=1)

    async def all_at_once():
        pings = [batcher.record(key, HeartbeatCreate(power="grid"), first) for key, _id in keyed]
        pings.append(batcher.record(keyed[0][0], HeartbeatCreate(), later))
        pings.append(batcher.record(revoked, HeartbeatCreate(), first))
        waiting = asyncio.gather(*pings, return_exceptions=True)
        await asyncio.sleep(0)  # every ping has joined the batch: the writer is still held
        gate.opened.set()
        return await waiting

    # A loop of its own, in a thread of its own: a browser test earlier in the run leaves
    # Playwright's loop running in this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as own_thread:
        answers = own_thread.submit(asyncio.run, all_at_once()).result(timeout=120)
    writer.stop()
    sa.event.remove(db.engine, "commit", committed)
    assert [answer.device_id for answer in answers[:40]] == [device_id for _key, device_id in keyed]
    assert answers[40].device_id == keyed[0][1] and answers[40].seen_at == later
    assert isinstance(answers[41], Forbidden)
    assert len(commits) == 1
    assert device(db, keyed[0][1])["last_seen_at"] == later
    assert {device(db, device_id)["power"] for _key, device_id in keyed} == {"grid"}
    assert device(db, revoked_id)["last_seen_at"] is None
