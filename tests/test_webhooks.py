"""Signed webhooks, the first channel, sent over real HTTP to a receiver on 127.0.0.1 (the only
thing faked: the outside world) by the dispatcher every channel shares, retried with backoff on
the fake clock, each delivery sent once."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.channels import retry
from nezlam.channels.dispatcher import PER_ROUND, Dispatcher, Round, deliver_due, lease_for
from nezlam.channels.webhooks import WebhookChannel
from nezlam.cli import app as cli_app
from nezlam.domain.notifications import WebhookCreate
from nezlam.domain.points import ReportCreate
from nezlam.store import audit
from nezlam.store import notifications as store
from nezlam.store.actor import CLI
from nezlam.store.points import create_point
from nezlam.store.reports import add_report
from nezlam.store.tables import Webhook, WebhookDelivery
from tests.conftest import REGION_A, point_create

SECRET = "s3cret-for-tests-only"
LEASE = lease_for(WebhookChannel(), PER_ROUND)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server answering each POST with the next status of `answers` (then 200)."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        with self.lock:
            self.received.append(Received(path, headers, body))
            return self.answers.pop(0) if self.answers else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.take(self.path, dict(self.headers), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def add_webhook(db, url, **fields):
    with db.write() as session:
        return store.add_webhook(session, WebhookCreate(url=url, secret=SECRET, **fields), CLI).id


def turn(db, point_id, clock, **fields):
    with db.write() as session:
        add_report(session, point_id, ReportCreate(**fields), CLI, now=clock())


def delivery(db):
    with db.read() as session:
        return session.execute(sa.select(WebhookDelivery)).scalar_one()


def verify(received: Received, secret: str = SECRET) -> dict:
    """What a receiver does (docs/webhooks.md): check the signature, then read the body."""
    timestamp = received.headers["X-Nezlam-Timestamp"]
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256)
    expected = "sha256=" + mac.hexdigest()
    assert hmac.compare_digest(received.headers["X-Nezlam-Signature"], expected)
    return json.loads(received.body)


def test_a_point_turning_full_is_posted_signed(db, network, clock, receiver):
    add_webhook(db, receiver.url)
    turn(db, network.point_a, clock, status="full", occupancy=40)
    done = deliver_due(db, clock())
    assert len(done.delivered) == 1 and len(receiver.received) == 1
    got = receiver.received[0]
    body = verify(got)
    assert body["kind"] == "full" and body["at"] == clock().isoformat()
    point = body["point"]
    assert (point["id"], point["region"], point["status"]) == (network.point_a, REGION_A, "full")
    assert point["name"]["uk"] == "Пункт point-a" and point["occupancy"] == 40
    assert (point["lat"], point["lon"]) == (50.45, 30.52) and point["address"]
    assert got.headers["X-Nezlam-Timestamp"] == str(int(clock().timestamp()))
    assert got.headers["X-Nezlam-Delivery"] == str(delivery(db).id)
    assert got.headers["Content-Type"] == "application/json"
    with pytest.raises(AssertionError):  # a receiver with another secret refuses it
        verify(got, secret="someone-elses-secret")
    stored = delivery(db)
    assert (stored.status, stored.attempts, stored.delivered_at) == ("delivered", 1, clock())
    assert stored.locked_until is None
    clock.advance(hours=2)
    assert deliver_due(db, clock()).delivered == [] and len(receiver.received) == 1


def test_a_protected_point_gives_no_address_or_coordinates(db, network, clock, receiver):
    with db.write() as session:
        create_point(
            session,
            point_create("point-p", REGION_A, 50.1, 30.1, visibility="locality_only"),
            CLI,
            now=clock(),
        )
    add_webhook(db, receiver.url)
    turn(db, "point-p", clock, power="none")
    deliver_due(db, clock())
    point = verify(receiver.received[0])["point"]
    assert point["locality"] == "Київ" and point["power"] == "none"
    assert not {"lat", "lon", "address"} & set(point)
    assert "50.1" not in receiver.received[0].body.decode()


def test_a_failing_receiver_gets_it_after_the_backoff_then_never_again(
    db, network, clock, receiver
):
    receiver.answers = [500, 503]
    add_webhook(db, receiver.url)
    turn(db, network.point_a, clock, status="closed")
    start = clock()
    assert len(deliver_due(db, clock()).retrying) == 1
    assert delivery(db).last_error == "HTTP 500"
    first_wait = delivery(db).next_attempt_at - start
    assert timedelta(seconds=30) <= first_wait <= timedelta(seconds=37.5)

    clock.advance(seconds=29)  # not yet
    assert deliver_due(db, clock()) == Round()
    assert len(receiver.received) == 1
    clock.now = start + first_wait
    assert len(deliver_due(db, clock()).retrying) == 1
    second_try = clock()
    second_wait = delivery(db).next_attempt_at - second_try
    assert timedelta(minutes=2) <= second_wait <= timedelta(minutes=2.5)

    clock.advance(seconds=119)
    assert deliver_due(db, clock()).delivered == []
    clock.now = second_try + second_wait
    assert len(deliver_due(db, clock()).delivered) == 1
    assert len(receiver.received) == 3
    ids = {got.headers["X-Nezlam-Delivery"] for got in receiver.received}
    assert len(ids) == 1  # the same delivery, which the receiver can dedupe on
    assert {verify(got)["id"] for got in receiver.received} == {verify(receiver.received[0])["id"]}
    stored = delivery(db)
    assert (stored.status, stored.attempts, stored.last_error) == ("delivered", 3, "HTTP 503")
    clock.advance(hours=5)
    deliver_due(db, clock())
    assert len(receiver.received) == 3


def test_a_receiver_that_always_fails_ends_failed_after_the_last_attempt(
    db, network, clock, receiver
):
    receiver.answers = [500] * 20
    add_webhook(db, receiver.url)
    turn(db, network.point_a, clock, status="full")
    for _attempt in range(retry.MAX_ATTEMPTS):
        deliver_due(db, clock())
        clock.advance(hours=1.5)  # longer than the longest wait
    stored = delivery(db)
    assert (stored.status, stored.attempts) == ("failed", retry.MAX_ATTEMPTS)
    assert stored.last_error == "HTTP 500"
    clock.advance(days=1)
    deliver_due(db, clock())
    assert len(receiver.received) == retry.MAX_ATTEMPTS


def test_an_unreachable_receiver_is_retried_with_the_reason(db, network, clock):
    add_webhook(db, "http://127.0.0.1:9/nobody-listens")
    turn(db, network.point_a, clock, status="full")
    done = deliver_due(db, clock(), [WebhookChannel(timeout=2)])
    assert len(done.retrying) == 1
    assert "refused" in delivery(db).last_error.lower()


def test_the_backoff_grows_fourfold_to_an_hour_and_never_undershoots():
    rng = random.Random(7)
    for attempts, base in [(1, 30), (2, 120), (3, 480), (4, 1920), (5, 3600), (7, 3600)]:
        waits = [retry.retry_delay(attempts, rng).total_seconds() for _ in range(50)]
        assert base <= min(waits) and max(waits) <= base * 1.25
        assert max(waits) > min(waits)  # jittered: receivers coming back are not hit at once


def test_only_matching_webhooks_are_posted(db, network, clock, receiver):
    add_webhook(db, receiver.url + "?all")
    add_webhook(db, receiver.url + "?b", region="Харківська область")
    add_webhook(db, receiver.url + "?fuel", kinds=["low_fuel"])
    turn(db, network.point_a, clock, status="full")
    deliver_due(db, clock())
    assert [got.path for got in receiver.received] == ["/hook?all"]
    assert verify(receiver.received[0])["kind"] == "full"


def test_concurrent_rounds_send_each_delivery_once(db, db_url, network, clock, receiver):
    """Two server processes' dispatchers at the same moment (SKIP LOCKED on PostgreSQL; on
    SQLite one writer claims at a time)."""
    receiver.delay = 0.05  # sending takes a while, so the rounds overlap
    for _hook in range(6):
        add_webhook(db, receiver.url)
    turn(db, network.point_a, clock, status="full", power="none")  # 2 kinds × 6 = 12 deliveries
    rounds: list[Round] = []
    start = threading.Barrier(3)

    def one_round() -> None:
        start.wait()
        rounds.append(deliver_due(db, clock(), limit=4))

    threads = [threading.Thread(target=one_round) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    sent = [got.headers["X-Nezlam-Delivery"] for got in receiver.received]
    assert len(sent) == len(set(sent)) == 12
    assert sorted(len(done.delivered) for done in rounds) == [4, 4, 4]
    with db.read() as session:
        statuses = session.execute(sa.select(WebhookDelivery.status)).scalars().all()
    assert statuses == ["delivered"] * 12


def test_a_delivery_whose_lease_ran_out_is_taken_by_another_round(db, network, clock, receiver):
    """A process that died after claiming: its lease expires and the delivery is sent."""
    add_webhook(db, receiver.url)
    turn(db, network.point_a, clock, status="full")
    with db.write() as session:
        assert len(store.claim_due(session, clock(), LEASE, 10)) == 1
    assert deliver_due(db, clock()).delivered == []  # leased to the dead process
    clock.advance(seconds=LEASE.total_seconds())
    assert len(deliver_due(db, clock()).delivered) == 1
    assert delivery(db).attempts == 2  # the lost attempt counts


def test_the_dispatcher_thread_sends_and_stops(db, network, clock, receiver):
    add_webhook(db, receiver.url)
    turn(db, network.point_a, clock, status="full")
    dispatcher = Dispatcher(db, clock, interval=0.05)
    dispatcher.start()
    try:
        deadline = time.monotonic() + 10
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        dispatcher.stop()
    assert len(receiver.received) == 1
    assert not any(t.name == "nezlam-webhooks" for t in threading.enumerate())


def test_each_server_process_runs_a_dispatcher_unless_it_is_off(settings, db):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from nezlam.web.app import create_app

    def dispatching() -> bool:
        return any(t.name == "nezlam-webhooks" for t in threading.enumerate())

    with TestClient(create_app(settings, db)):
        assert dispatching()
    assert not dispatching()  # stopped with the app
    with TestClient(create_app(replace(settings, webhook_dispatch=False), db)):
        assert not dispatching()


# -- the command line ------------------------------------------------------------------------

runner = CliRunner()


def nezlam(db_url, *args, **env):
    return runner.invoke(cli_app, list(args), env={"NEZLAM_DATABASE_URL": db_url, **env})


def test_webhooks_are_added_listed_and_delivered_from_the_command_line(
    db_url, db, network, receiver
):
    added = nezlam(
        db_url, "webhook", "add", receiver.url, "--region", REGION_A, "--kinds", "full, closed",
        NEZLAM_WEBHOOK_SECRET=SECRET,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    with db.read() as session:
        hook = session.execute(sa.select(Webhook)).scalar_one()
        trail = audit.entries(session, "webhook", str(hook.id))
    assert (hook.region, hook.kinds, hook.secret) == (REGION_A, ["full", "closed"], SECRET)
    assert trail[0].actor == "cli" and trail[0].action == "create"
    assert SECRET not in json.dumps(trail[0].after)  # the audit log never holds the secret
    listed = nezlam(db_url, "webhook", "list")
    assert f"{hook.id}\tactive\t{REGION_A}\tfull,closed\t{receiver.url}" in listed.output
    assert SECRET not in listed.output

    with db.write() as session:  # real time: the command sends what is due now
        add_report(session, network.point_a, ReportCreate(status="closed"), CLI)
    delivered = nezlam(db_url, "webhook", "deliver")
    assert delivered.exit_code == 0, delivered.output
    assert "delivered 1, to retry 0, failed 0" in delivered.output
    assert verify(receiver.received[0])["kind"] == "closed"

    disabled = nezlam(db_url, "webhook", "disable", str(hook.id))
    assert disabled.exit_code == 0 and "disabled" in nezlam(db_url, "webhook", "list").output


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("ftp://example.org", "--secret", SECRET), "url"),
        (("https://example.org", "--secret", "short"), "secret"),
        (("https://example.org", "--secret", SECRET, "--kinds", "full,hungry"), "kinds"),
    ],
)
def test_a_bad_webhook_is_refused_from_the_command_line(db_url, db, args, problem):
    refused = nezlam(db_url, "webhook", "add", *args)
    assert refused.exit_code == 1 and problem in refused.output
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Webhook)).scalar() == 0
