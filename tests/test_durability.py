"""Every acknowledged report survives `kill -9` of the server.

Operators' devices stream reports to a real server (two workers) from several threads; the server
is killed with SIGKILL while requests are in flight, then started again on the same database.
Every report that was answered 201 must be there, with the id it was answered with and the values
it was sent with; a report whose answer never came may or may not be there, and retrying it with
its Idempotency-Key stores it exactly once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from nezlam.store.db import Database
from nezlam.store.tables import Point, StatusReport
from tests.conftest import Network
from tests.servers import Server, running_server, start_server

pytestmark = pytest.mark.slow

THREADS = 8
KILL_AFTER_ACKNOWLEDGED = 300
STREAM_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Sent:
    key: str
    point_id: str
    occupancy: int  # unique per report: tells the rows apart beyond their key


@dataclass
class Stream:
    """What the devices know after the kill: which reports were answered, and with what id."""

    acknowledged: dict[str, tuple[Sent, int]] = field(default_factory=dict)
    unanswered: dict[str, tuple[Sent, str]] = field(default_factory=dict)  # key -> (sent, error)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    occupancies: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def body(self, sent: Sent) -> dict[str, object]:
        return {"status": "open", "occupancy": sent.occupancy}


def stream_reports(
    server: Server, network: Network, stream: Stream, stop: threading.Event, device: int
) -> None:
    """One device: report after report until the server stops answering."""
    point_id, who = (
        (network.point_a, "operator_a") if device % 2 == 0 else (network.point_b, "operator_b")
    )
    url = f"{server.url}/api/v1/points/{point_id}/reports"
    with httpx.Client(headers=network.headers(who), timeout=10) as client:
        for number in itertools.count():
            if stop.is_set():
                return
            with stream.lock:
                sent = Sent(f"device{device}-{number}", point_id, next(stream.occupancies))
            try:
                response = client.post(
                    url, json=stream.body(sent), headers={"Idempotency-Key": sent.key}
                )
            except httpx.TransportError as exc:
                with stream.lock:
                    stream.unanswered[sent.key] = (sent, type(exc).__name__)
                return
            with stream.lock:
                if response.status_code == 201:
                    stream.acknowledged[sent.key] = (sent, response.json()["id"])
                else:
                    stream.unexpected.append(f"{sent.key}: {response.status_code} {response.text}")
                    return


def stream_and_kill(server: Server, network: Network) -> Stream:
    """Stream from THREADS devices; SIGKILL the server once enough reports were answered."""
    stream, stop = Stream(), threading.Event()
    devices = [
        threading.Thread(
            target=stream_reports, args=(server, network, stream, stop, n), name=f"device-{n}"
        )
        for n in range(THREADS)
    ]
    for device in devices:
        device.start()
    try:
        deadline = time.monotonic() + STREAM_TIMEOUT_S
        while len(stream.acknowledged) < KILL_AFTER_ACKNOWLEDGED and not stream.unexpected:
            assert time.monotonic() < deadline, (
                f"only {len(stream.acknowledged)} reports acknowledged in {STREAM_TIMEOUT_S} s\n"
                f"--- server stderr ---\n{server.stderr()}"
            )
            time.sleep(0.005)
        server.kill9()
    finally:
        stop.set()  # after the kill; only reached without a kill if the stream went wrong
        for device in devices:
            device.join(timeout=30)
    assert not stream.unexpected, "\n".join(stream.unexpected[:10]) + "\n" + server.stderr()
    assert not any(device.is_alive() for device in devices)
    return stream


@pytest.fixture
def killed_stream(db: Database, db_url: str, network: Network, tmp_path: Path) -> Stream:
    # Every report carries a count of its own (to tell the rows apart): room for all of them,
    # or the plausibility check would refuse more people than 1.5 × the places.
    with db.write() as session:
        session.execute(update(Point).values(capacity=100_000))
    server = start_server(db_url, workers=2, log_dir=tmp_path / "servers")
    try:
        stream = stream_and_kill(server, network)
    finally:
        server.stop()  # does nothing after the kill; stops it if the stream failed first
    # The kill landed mid-stream: some answers never came, because the request was cut off
    # (not merely refused after the server had gone).
    cut_off = [error for _sent, error in stream.unanswered.values() if error != "ConnectError"]
    assert cut_off, f"no request was in flight at the kill: {stream.unanswered}"
    return stream


def stored_by_key(db: Database, keys: set[str]) -> dict[str, StatusReport]:
    with db.read() as session:
        rows = (
            session.execute(select(StatusReport).where(StatusReport.idempotency_key.in_(keys)))
            .scalars()
            .all()
        )
    by_key = {row.idempotency_key: row for row in rows}
    assert len(by_key) == len(rows), "a key was stored twice"
    return by_key


def test_every_acknowledged_report_survives_kill_9(
    killed_stream: Stream, db: Database, db_url: str, network: Network, tmp_path: Path
) -> None:
    acknowledged = killed_stream.acknowledged
    assert len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED

    with running_server(db_url, log_dir=tmp_path / "restarted") as server:
        stored = stored_by_key(db, set(acknowledged) | set(killed_stream.unanswered))
        missing = sorted(set(acknowledged) - set(stored))
        assert not missing, f"{len(missing)} acknowledged reports lost, e.g. {missing[:5]}"
        for key, (sent, report_id) in acknowledged.items():
            row = stored[key]
            assert (row.id, row.point_id, row.occupancy) == (
                report_id,
                sent.point_id,
                sent.occupancy,
            ), key
        # Nothing was stored that was not sent.
        assert set(stored) <= set(acknowledged) | set(killed_stream.unanswered)

        for point_id, who in (
            (network.point_a, "coordinator_a"),
            (network.point_b, "coordinator_b"),
        ):
            response = httpx.get(
                f"{server.url}/api/v1/points/{point_id}/reports",
                params={"limit": 1000},
                headers=network.headers(who),
                timeout=10,
            )
            assert response.status_code == 200, response.text
            listed = {r["idempotency_key"]: r for r in response.json()["reports"]}
            expected = {
                key: value for key, value in acknowledged.items() if value[0].point_id == point_id
            }
            assert expected, f"the stream sent nothing to {point_id}"
            for key, (sent, report_id) in expected.items():
                assert key in listed, f"acknowledged report {key} missing from the API"
                assert (listed[key]["id"], listed[key]["occupancy"], listed[key]["status"]) == (
                    report_id,
                    sent.occupancy,
                    "open",
                )


def test_retrying_an_unanswered_report_after_restart_stores_it_once(
    killed_stream: Stream, db: Database, db_url: str, network: Network, tmp_path: Path
) -> None:
    unanswered = killed_stream.unanswered
    assert unanswered
    tokens = {network.point_a: "operator_a", network.point_b: "operator_b"}

    with running_server(db_url, log_dir=tmp_path / "restarted") as server:
        stored_before = stored_by_key(db, set(unanswered))
        answers: dict[str, int] = {}
        for key, (sent, _error) in unanswered.items():
            for attempt in range(2):  # the retry, and a retry of the retry
                response = httpx.post(
                    f"{server.url}/api/v1/points/{sent.point_id}/reports",
                    json=killed_stream.body(sent),
                    timeout=10,
                    headers={**network.headers(tokens[sent.point_id]), "Idempotency-Key": key},
                )
                assert response.status_code == 201, response.text
                report = response.json()
                assert report["occupancy"] == sent.occupancy
                assert answers.setdefault(key, report["id"]) == report["id"]
                # Stored before the kill, or by the first retry: the answer says it is a replay.
                replayed = attempt == 1 or key in stored_before
                assert (response.headers.get("Idempotent-Replayed") == "true") == replayed, key
            if key in stored_before:
                assert answers[key] == stored_before[key].id

        stored = stored_by_key(db, set(unanswered))  # asserts no key is stored twice
        assert set(stored) == set(unanswered)
        for key, (sent, _error) in unanswered.items():
            assert (stored[key].id, stored[key].occupancy) == (answers[key], sent.occupancy)
        with db.read() as session:
            total = len(session.execute(select(StatusReport.id)).all())
        assert total == len(killed_stream.acknowledged) + len(unanswered)
