"""Active probes (issue 12): since December 2025 a point must have internet that works without
mains power, with a static address the state can check. A probe is a device row of the point
with that address (`nezlam probe add POINT HOST:PORT`); `nezlam probe run` opens a TCP
connection to each, at most `concurrency` at once and each within `timeout`, and records every
one that answered as its device's ping (the internet works) — the same way a device's own ping
is recorded. One that does not answer records nothing: its silence is judged as any device's,
by the sweeper, once the window has run out, so a single lost connection is not an outage.

Loopback and private addresses are probed as any other: the probes are the operator's to list.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from nezlam.device_pings import write_probe_pings
from nezlam.store.db import Database
from nezlam.store.tables import DeviceKey

CONCURRENCY = 200
TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Target:
    device_id: int
    point_id: str
    address: str


@dataclass(frozen=True)
class Round:
    """One probe round: the probes that answered, and those that did not."""

    reached: list[Target]
    silent: list[Target]


def host_port(address: str) -> tuple[str, int]:
    """('203.0.113.7', 443) of '203.0.113.7:443'; IPv6 in brackets: '[2001:db8::1]:443'."""
    parts = urlsplit("//" + address)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"not host:port: {address!r}")
    return parts.hostname, parts.port


async def reachable(address: str, timeout: float) -> bool:
    """Whether a TCP connection to `address` opens within `timeout` seconds (closed at once)."""
    try:
        host, port = host_port(address)
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError, ValueError):
        return False
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):  # opened was asked: a slow close says no more
        await asyncio.wait_for(writer.wait_closed(), timeout)
    return True


async def probe_all(
    targets: Iterable[Target],
    concurrency: int = CONCURRENCY,
    timeout: float = TIMEOUT_S,
    done: Callable[[Target, bool], None] | None = None,
) -> Round:
    """Every target probed, at most `concurrency` at once; `done` is told of each as it ends."""
    gate = asyncio.Semaphore(concurrency)

    async def one(target: Target) -> tuple[Target, bool]:
        async with gate:
            answered = await reachable(target.address, timeout)
        if done is not None:
            done(target, answered)
        return target, answered

    results = await asyncio.gather(*(one(target) for target in targets))
    return Round(
        [target for target, answered in results if answered],
        [target for target, answered in results if not answered],
    )


def run_coroutine(coroutine: Coroutine[Any, Any, Round]) -> Round:
    """The coroutine run on a loop of its own: in this thread, or, where a loop is running in
    it already (a caller's own), in a thread beside it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as beside:
        return beside.submit(asyncio.run, coroutine).result()


def targets(db: Database) -> list[Target]:
    """Every probe not revoked, by device id."""
    query = (
        select(DeviceKey.id, DeviceKey.point_id, DeviceKey.probe_address)
        .where(DeviceKey.probe_address.is_not(None), DeviceKey.revoked_at.is_(None))
        .order_by(DeviceKey.id)
    )
    with db.read() as session:
        return [Target(i, point, str(address)) for i, point, address in session.execute(query)]


def run_once(
    db: Database,
    clock: Callable[[], datetime],
    offline_after: timedelta,
    concurrency: int = CONCURRENCY,
    timeout: float = TIMEOUT_S,
    done: Callable[[Target, bool], None] | None = None,
    probed: list[Target] | None = None,
) -> Round:
    """Probe every target (`probed`, else every probe not revoked) and record those that
    answered, in one transaction, at the time the round began (a probe says the link worked
    then, not later)."""
    started = clock()
    chosen = targets(db) if probed is None else probed
    found = run_coroutine(probe_all(chosen, concurrency, timeout, done))
    if found.reached:
        with db.write() as session:
            ids = [target.device_id for target in found.reached]
            write_probe_pings(session, ids, started, offline_after)
    return found
