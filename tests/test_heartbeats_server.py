"""Devices pinging a real server (issue 12): many devices from several threads against
`nezlam serve` with two workers, one device going silent early, then the server killed with
SIGKILL while pings are in flight and started again on the same database.

Every ping that was answered 200 is there after the restart: its device's last-seen time is at
least the one it was answered with, and what the device said last is what its last answered
ping said (or what a ping sent after it said, whose answer the kill cut off). The device that
went silent is offline once its window has run out, while the others are not."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from nezlam.domain.device_facts import PoweredBy
from nezlam.store import device_points, devices
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.web.plumbing.state import PINGS_PER_MINUTE
from tests.conftest import Network
from tests.servers import Server, running_server, start_server

pytestmark = pytest.mark.slow

THREADS = 8
DEVICES_PER_THREAD = 12
KILL_AFTER_ACKNOWLEDGED = 300
STREAM_TIMEOUT_S = 60.0
URL = "/api/v1/heartbeat"


def battery(number: int) -> int:
    """What a device's `number`th ping says of its battery: said again every other ping (a
    ping that changes nothing), new on the others."""
    return 40 + (number // 2) % 50


@dataclass
class Device:
    key: str
    device_id: int
    sent: list[int] = field(default_factory=list)  # battery_pct of each ping sent
    answered: list[tuple[int, datetime]] = field(default_factory=list)  # (battery, seen_at)


@dataclass
class Stream:
    devices: list[Device]
    cut_off: list[str] = field(default_factory=list)  # errors of requests the kill cut off
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def acknowledged(self) -> int:
        return sum(len(device.answered) for device in self.devices)


def ping(client: httpx.Client, device: Device, number: int) -> httpx.Response:
    said = battery(number)
    device.sent.append(said)
    body = {"power": "grid", "internet": True, "battery_pct": said}
    return client.post(URL, json=body, headers={"X-Device-Key": device.key})


def keep_pinging(server: Server, stream: Stream, mine: list[Device], stop: threading.Event):
    """One thread's devices, each in turn, ping after ping until the server stops answering —
    each at most as often as the server allows a minute: a thread whose worker is quicker
    than the others' would otherwise run its devices into the limit (a 429) under load."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for number in range(PINGS_PER_MINUTE):
            for device in mine:
                if stop.is_set():
                    return
                try:
                    answer = ping(client, device, number)
                except httpx.TransportError as exc:
                    with stream.lock:
                        stream.cut_off.append(type(exc).__name__)
                    return
                if answer.status_code != 200:
                    with stream.lock:
                        stream.unexpected.append(f"{answer.status_code} {answer.text}")
                    return
                seen = datetime.fromisoformat(answer.json()["seen_at"])
                device.answered.append((device.sent[-1], seen))


def make_devices(db: Database, network: Network) -> tuple[Device, list[Device]]:
    """The device that goes silent (the only one of point B) and the others (point A's)."""
    made = []
    with db.write() as session:
        for n in range(1 + THREADS * DEVICES_PER_THREAD):
            point = network.point_b if n == 0 else network.point_a
            key, row = devices.create_device(session, point, f"router {n}", CLI, PoweredBy.MAINS)
            made.append((key, row))
        session.flush()
        found = [Device(key, row.id) for key, row in made]
    return found[0], found[1:]


def stream_and_kill(server: Server, silent: Device, others: list[Device]) -> Stream:
    stream, stop = Stream([silent, *others]), threading.Event()
    with httpx.Client(base_url=server.url, timeout=10) as client:  # its one ping, first
        answer = ping(client, silent, 0)
        assert answer.status_code == 200, answer.text
        silent.answered.append((silent.sent[-1], datetime.fromisoformat(answer.json()["seen_at"])))
    threads = [
        threading.Thread(
            target=keep_pinging,
            args=(server, stream, others[n::THREADS], stop),
            name=f"devices-{n}",
        )
        for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + STREAM_TIMEOUT_S
        while stream.acknowledged < KILL_AFTER_ACKNOWLEDGED and not stream.unexpected:
            assert time.monotonic() < deadline, (
                f"only {stream.acknowledged} pings answered in {STREAM_TIMEOUT_S} s\n"
                f"--- server stderr ---\n{server.stderr()}"
            )
            time.sleep(0.005)
        server.kill9()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not stream.unexpected, "\n".join(stream.unexpected[:10]) + "\n" + server.stderr()
    return stream


def test_every_answered_ping_survives_kill_9_and_the_silent_device_goes_offline(
    db: Database, db_url: str, network: Network, tmp_path: Path
) -> None:
    silent, others = make_devices(db, network)
    server = start_server(db_url, workers=2, log_dir=tmp_path / "servers")
    try:
        stream = stream_and_kill(server, silent, others)
    finally:
        server.stop()
    assert stream.acknowledged >= KILL_AFTER_ACKNOWLEDGED
    assert [error for error in stream.cut_off if error != "ConnectError"], stream.cut_off

    with running_server(db_url, log_dir=tmp_path / "restarted"), db.read() as session:
        stored = {row.id: row for row in devices.devices(session)}
    for device in stream.devices:
        row = stored[device.device_id]
        said, seen = device.answered[-1]
        assert row.last_seen_at >= seen, device.device_id
        # The last answered ping's battery, or the one sent after it that the kill cut off.
        assert row.battery_pct in (said, device.sent[-1]), (device.device_id, device.sent)
        assert row.power == "grid" and row.internet is True

    window = timedelta(minutes=5)
    others_last = min(device.answered[-1][1] for device in others)
    assert silent.answered[-1][1] < others_last  # it went silent before any other last pinged
    now = others_last + window - timedelta(microseconds=1)
    with db.write() as session:
        written = device_points.sweep(session, now, window, None)
    assert written == [network.point_b]  # shown offline to coordinators; point A untouched
    with db.read() as session:
        b_facts = devices.point_device_facts(session, network.point_b, now, window)
        a_facts = devices.point_device_facts(session, network.point_a, now, window)
    assert b_facts.online.value is False
    assert a_facts.online.value is True
