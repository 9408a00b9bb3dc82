"""Every worker process sees a change within 2 s.

Two separate `nezlam serve` processes share one database. A change written through the first
must show in the second's in-memory index (GET /api/v1/points/nearest) within 2 s, measured from
just before the write is sent: the second learns of it only by polling the change counter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Network
from tests.servers import Server, running_servers

pytestmark = pytest.mark.slow

WITHIN_S = 2.0
GIVE_UP_S = 15.0  # keep looking past the limit, so a failure says how late the change was
NEAR_A = {"lat": 50.45, "lon": 30.52, "k": 20}


@pytest.fixture
def two_servers(db_url: str, network: Network, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Started after the network exists, so both load it at start-up."""
    with running_servers(db_url, 2, log_dir=tmp_path / "servers") as (first, second):
        yield first, second


def nearest_features(server: Server) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{server.url}/api/v1/points/nearest", params=NEAR_A, timeout=5)
    assert response.status_code == 200, response.text
    return {f["id"]: f for f in response.json()["features"]}


def shown_status(server: Server, point_id: str) -> str | None:
    feature = nearest_features(server).get(point_id)
    return None if feature is None else feature["properties"]["status"]


def seconds_until(condition: Callable[[], bool], started: float) -> float:
    """Poll until `condition` holds; seconds since `started` (time.monotonic()) when it did."""
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > GIVE_UP_S:
            pytest.fail(f"the change did not reach the second server within {GIVE_UP_S} s")
        time.sleep(0.02)


def assert_in_time(elapsed: float, what: str, server: Server) -> None:
    assert elapsed <= WITHIN_S, (
        f"{what} reached the second server after {elapsed:.2f} s (limit {WITHIN_S} s)\n"
        f"--- its stderr ---\n{server.stderr()}"
    )


def test_status_report_reaches_other_server_within_2s(
    two_servers: tuple[Server, Server], network: Network
) -> None:
    first, second = two_servers
    assert shown_status(second, network.point_a) not in (None, "closed")

    started = time.monotonic()
    response = httpx.post(
        f"{first.url}/api/v1/points/{network.point_a}/reports",
        json={"status": "closed"},
        headers=network.headers("operator_a"),
        timeout=5,
    )
    assert response.status_code == 201, response.text
    assert shown_status(first, network.point_a) == "closed"  # the writer shows it at once

    elapsed = seconds_until(lambda: shown_status(second, network.point_a) == "closed", started)
    assert_in_time(elapsed, "a status report", second)


def test_new_point_reaches_other_server_within_2s(
    two_servers: tuple[Server, Server], network: Network
) -> None:
    first, second = two_servers
    new_point = {
        "id": "point-new",
        "name": {"uk": "Новий пункт"},
        "category": "state",
        "lat": 50.451,
        "lon": 30.521,
        "locality": "Київ",
        "region": "Київ",
        "services": ["heat"],
    }
    assert "point-new" not in nearest_features(second)

    started = time.monotonic()
    response = httpx.post(
        f"{first.url}/api/v1/points", json=new_point, headers=network.headers("admin"), timeout=5
    )
    assert response.status_code == 201, response.text

    elapsed = seconds_until(lambda: "point-new" in nearest_features(second), started)
    assert_in_time(elapsed, "a new point", second)
    assert nearest_features(second)["point-new"]["geometry"]["coordinates"] == [30.521, 50.451]


def test_hidden_point_leaves_other_server_within_2s(
    two_servers: tuple[Server, Server], network: Network
) -> None:
    first, second = two_servers
    assert network.point_a in nearest_features(second)

    started = time.monotonic()
    response = httpx.patch(
        f"{first.url}/api/v1/points/{network.point_a}",
        json={"visibility": "hidden"},
        headers=network.headers("coordinator_a"),
        timeout=5,
    )
    assert response.status_code == 200, response.text

    elapsed = seconds_until(lambda: network.point_a not in nearest_features(second), started)
    assert_in_time(elapsed, "hiding a point", second)
    assert network.point_b in nearest_features(second)  # hiding one point hid only that one
