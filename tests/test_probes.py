"""Active probes of points' internet links (issue 12): `nezlam probe run` opens a real TCP
connection to each probe's address on loopback — a listening socket answers, a closed port does
not — and records each answer as the probe's device's ping (the point's internet works),
through the same path as a device's own ping; silence writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from nezlam.domain.device_facts import PoweredBy
from nezlam.domain.errors import Invalid
from nezlam.probes import Target, host_port, probe_all, run_coroutine, run_once
from nezlam.store import devices
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from tests.test_cli import nezlam
from tests.test_heartbeats import device

WINDOW = timedelta(minutes=5)


@pytest.fixture
def listening() -> Iterator[str]:
    """host:port of a socket that accepts connections (the kernel completes them)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture
def closed() -> str:
    """host:port where nothing listens: a connection is refused at once."""
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    return f"127.0.0.1:{port}"


def probe(db, point_id, address):
    with db.write() as session:
        _key, row = devices.create_device(
            session, point_id, "probe", CLI, PoweredBy.BATTERY, probe_address=address
        )
        return row.id


@pytest.mark.parametrize(
    ("address", "expected"),
    [("203.0.113.7:443", ("203.0.113.7", 443)), ("[2001:db8::1]:8443", ("2001:db8::1", 8443)),
     ("router.example.org:80", ("router.example.org", 80))],
)  # fmt: skip
def test_an_address_is_host_and_port(address, expected):
    assert host_port(address) == expected
    assert devices.checked_address(f" {address} ") == address


@pytest.mark.parametrize(
    "address", ["203.0.113.7", "203.0.113.7:0", "203.0.113.7:70000", ":443", "user@host:22", ""]
)
def test_an_address_without_a_port_or_with_a_bad_one_is_refused(address):
    with pytest.raises(Invalid) as refused:
        devices.checked_address(address)
    assert refused.value.field == "address"


def test_each_target_is_probed_and_told_as_it_ends(listening, closed):
    targets = [Target(n, f"p{n}", listening if n % 2 else closed) for n in range(10)]
    told = []
    found = run_coroutine(
        probe_all(
            targets, concurrency=2, timeout=10, done=lambda t, a: told.append((t.device_id, a))
        )
    )
    assert sorted(t.device_id for t in found.reached) == [1, 3, 5, 7, 9]
    assert sorted(t.device_id for t in found.silent) == [0, 2, 4, 6, 8]
    assert sorted(told) == [(n, bool(n % 2)) for n in range(10)]


def test_an_answer_is_the_probes_ping_and_silence_writes_nothing(
    db, network, clock, listening, closed
):
    reached = probe(db, network.point_a, listening)
    silent = probe(db, network.point_b, closed)
    found = run_once(db, clock, WINDOW, timeout=10)
    assert [t.device_id for t in found.reached] == [reached]
    assert [t.device_id for t in found.silent] == [silent]
    answered = device(db, reached)
    assert answered["last_seen_at"] == clock() and answered["internet"] is True
    assert device(db, silent)["last_seen_at"] is None
    with db.read() as session:  # machine facts on the point: its internet works
        assert point_store.get_point(session, network.point_a).internet is True
        assert point_store.get_point(session, network.point_b).internet is None


def test_a_revoked_probe_is_not_probed(db, network, clock, listening):
    revoked = probe(db, network.point_a, listening)
    with db.write() as session:
        devices.revoke_device(session, revoked, CLI, clock())
    assert run_once(db, clock, WINDOW, timeout=10).reached == []


def test_the_command_line_adds_lists_and_runs_probes(db_url, db, network, listening, closed):
    added = nezlam(db_url, "probe", "add", network.point_a, listening)
    assert added.exit_code == 0, added.output
    assert nezlam(db_url, "probe", "add", network.point_b, closed).exit_code == 0
    refused = nezlam(db_url, "probe", "add", network.point_a, "203.0.113.7")
    assert refused.exit_code == 1 and "error (address)" in refused.output
    listed = nezlam(db_url, "probe", "list").output.splitlines()
    assert [line.split("\t")[1:] for line in listed] == [
        [network.point_a, listening],
        [network.point_b, closed],
    ]
    ran = nezlam(db_url, "probe", "run", "--timeout", "10")
    assert ran.exit_code == 0, ran.output
    assert f"no answer: {network.point_b} at {closed}" in ran.output
    assert "1 of 2 probes answered" in ran.output
    bad = nezlam(db_url, "probe", "run", "--every", "1s")
    assert bad.exit_code == 2
