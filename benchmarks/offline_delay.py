"""The delay from a device's last ping to its point shown offline (issue 12), for
`benchmarks/heartbeats.py`: a city of devices pings once through the real `nezlam serve`, then
all fall silent at once, as the mains-powered ones do when the city's power goes, and the
worker's own sweeper (every 15 s) writes each point offline. The delay of a point is from the
last ping its device was answered for to the moment the sweep wrote it (the point's
`updated_at`, which is also when coordinators' flag went up), so polling the database to learn
that the sweep is done adds nothing to it. The window is the shortest allowed (1 minute), so
the figure is the window plus what the sweeper adds; with the default 5 minutes it is 4 minutes
more and the sweeper's share the same.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import harness
import httpx
import synthetic

CITY = 1_300  # a city's points, as many as the Kyiv demo
WINDOW = timedelta(minutes=1)  # NEZLAM_DEVICE_OFFLINE_AFTER at its least
SWEEP_EVERY_S = 15.0  # nezlam.device_sweeper.SWEEP_EVERY_S
BODY = {"power": "grid", "internet": True, "battery_pct": 100}


@dataclass(frozen=True)
class Delays:
    """Seconds from each point's last answered ping to its point written offline."""

    seconds: list[float]
    missing: int  # points not written offline within the wait

    def row(self, name: str) -> list[object]:
        ordered = sorted(self.seconds)
        beyond = [s - WINDOW.total_seconds() for s in ordered]
        worst = WINDOW.total_seconds() + SWEEP_EVERY_S + 5  # a sweep late by 5 s at most
        return [
            name, f"{len(ordered):,}", f"{WINDOW.total_seconds():.0f}",
            f"{statistics.median(ordered):.1f}", f"{ordered[-1]:.1f}",
            f"{statistics.median(beyond):.1f}", f"{beyond[-1]:.1f}", self.missing,
            harness.goal(self.missing == 0 and ordered[-1] <= worst,
                         f"all within window + sweep ({worst:.0f} s)"),
        ]  # fmt: skip


def measure(name: str, url: str, keys: list[str], point_ids: list[str]) -> Delays:
    """Ping once as every device, let them all fall silent, and wait for the sweeps."""
    port = harness.free_port()
    env = {
        "NEZLAM_DATABASE_URL": url,
        "NEZLAM_WEBHOOK_DISPATCH": "false",
        "NEZLAM_DEVICE_OFFLINE_AFTER": "1m",
    }
    command = [*harness.nezlam_command(), "serve", "--port", str(port), "--workers", "1"]
    with harness.serve(f"nezlam-offline-{name}", command, port, env=env) as server:
        ping_all(server.url, keys)
        harness.say(f"{name}: {len(keys):,} devices pinged once; now silent, waiting for sweeps")
        wait_until = time.monotonic() + WINDOW.total_seconds() + 4 * SWEEP_EVERY_S
        while not all_offline(url, point_ids) and time.monotonic() < wait_until:
            time.sleep(1.0)  # only to learn when to read; the delays are the database's times
    return delays(url, point_ids)


def ping_all(base: str, keys: list[str]) -> None:
    def ping(client: httpx.Client, key: str) -> None:
        response = client.post("/api/v1/heartbeat", json=BODY, headers={"X-Device-Key": key})
        response.raise_for_status()

    with httpx.Client(base_url=base, timeout=30) as client, ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: ping(client, key), keys))


def _offline_rows(url: str, point_ids: list[str]) -> list[tuple[datetime, datetime | None]]:
    """(the point's updated_at, its device's last ping) for the points written offline."""
    import sqlalchemy as sa

    from nezlam.domain.device_snapshot import stored_snapshot
    from nezlam.store.device_tables import DeviceKey
    from nezlam.store.tables import Point

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            points = connection.execute(
                sa.select(Point.id, Point.updated_at, Point.state_times)
            ).all()
            query = sa.select(DeviceKey.point_id, DeviceKey.last_seen_at)
            seen = dict(connection.execute(query).tuples().all())
    finally:
        engine.dispose()
    wanted = set(point_ids)
    return [
        (_utc(row.updated_at), _utc(seen.get(row.id)))
        for row in points
        if row.id in wanted and stored_snapshot(row.state_times).offline
    ]


def all_offline(url: str, point_ids: list[str]) -> bool:
    return len(_offline_rows(url, point_ids)) == len(point_ids)


def delays(url: str, point_ids: list[str]) -> Delays:
    rows = _offline_rows(url, point_ids)
    seconds = [(written - seen).total_seconds() for written, seen in rows if seen is not None]
    return Delays(seconds, missing=len(point_ids) - len(rows))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)  # SQLite gives back naive UTC


def city(now: datetime) -> synthetic.Network:
    return synthetic.generate(CITY, now, seed=20221123)


HEADERS = ["database", "points", "window s", "median s", "max s", "median beyond window s",
           "max beyond window s", "not offline", "goal"]  # fmt: skip
