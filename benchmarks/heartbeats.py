"""Device pings answered per second, and what each costs, through the real `nezlam serve`
(issue 12): `POST /api/v1/heartbeat` with a device's key and what it says, on SQLite and on
PostgreSQL, beside the JSON nearest query on the same server (the floor of the web stack).

    .venv/bin/python benchmarks/heartbeats.py [--devices 30000] [--seconds 10] [--rounds 3]
        [--no-postgres] [--quick]

Builds a synthetic national network (benchmarks/synthetic.py) with one device key per point
(the rows written in bulk, as `nezlam device add` would make them: only the key's SHA-256
kept), starts one worker, and loads it with wrk (-t2 -c32), each request the next device's
key, round after round in turns with the nearest query. The devices are set up as if each had
pinged a moment ago with what the benchmark's pings say (grid power, internet, a full battery),
so every ping is the steady state of a network where devices ping once a minute and nothing
changes: the ping is judged, and only the last-seen time is written. No device pings more than
the API's 12 a minute (the devices outnumber the pings a run sends). Goal (issue 12): ≥ 5,000
pings/s on one worker, so that 13,000 points pinging once a minute (about 220/s) cost under
5 % of a core. Pings come over 32 connections at once and, in a second set of rounds, over 256
(many devices at the same moment, as after a city's power comes back): the writer batches
whatever is waiting, so more at once should cost less each, not more.

Then, per database, the delay from a device's last ping to its point shown offline, for a
city of devices falling silent at once (benchmarks/offline_delay.py).
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import harness
import offline_delay
import synthetic

GOAL_PPS = 5000.0
COUNTRY_PINGS_PER_S = 13_000 / 60  # every point once a minute
NEAREST_SCRIPT = harness.BENCH_DIR / "nearest.lua"
BODY = '{"power": "grid", "internet": true, "battery_pct": 100}'
KEY_PREFIX = "nzd_"  # as store.devices makes them
PINGS = "pings"
MANY = "pings, 256 at once"
NEAREST = "nearest (JSON)"


def device_keys(n: int) -> list[str]:
    return [KEY_PREFIX + secrets.token_urlsafe(32) for _ in range(n)]


def add_devices(url: str, point_ids: list[str], keys: list[str]) -> None:
    """One device per point, written in bulk (the benchmark's setup, not what it measures),
    each as just seen saying what the benchmark's pings say."""
    import sqlalchemy as sa

    from nezlam.store.device_tables import DeviceKey

    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    rows = [
        {"point_id": point, "name": "router", "key_hash": hashlib.sha256(key.encode()).hexdigest(),
         "prefix": key[:10], "powered_by": "mains", "created_at": now, "last_seen_at": now,
         "online_since": now, "power": "grid", "power_since": now, "internet": True,
         "internet_since": now, "battery_pct": 100}
        for point, key in zip(point_ids, keys, strict=True)
    ]  # fmt: skip
    with engine.begin() as connection:
        for start in range(0, len(rows), 10_000):
            connection.execute(sa.insert(DeviceKey), rows[start : start + 10_000])
    engine.dispose()


def ping_script(keys: list[str], path: Path) -> Path:
    """A wrk script that pings as the devices in turn (each thread through its own half)."""
    rows = ",\n".join(f'  "{key}"' for key in keys)
    path.write_text(
        f"""local keys = {{
{rows}
}}
local i = 0
function setup(thread) i = i + 1; thread:set("offset", (i - 1) * math.floor(#keys / 2)) end
function init(args) i = offset or 0 end
function request()
  i = i + 1
  return wrk.format("POST", "/api/v1/heartbeat", {{
    ["Content-Type"] = "application/json",
    ["X-Device-Key"] = keys[(i % #keys) + 1],
  }}, [==[{BODY}]==])
end
""",
        encoding="utf-8",
    )
    return path


def measure(name: str, url: str, keys: list[str], args: argparse.Namespace, work: Path) -> list:
    """Rounds of pings and of the nearest query on one server over `url`."""
    script = ping_script(keys, work / f"pings-{name}.lua")
    port = harness.free_port()
    env = {"NEZLAM_DATABASE_URL": url, "NEZLAM_WEBHOOK_DISPATCH": "false"}
    command = [*harness.nezlam_command(), "serve", "--port", str(port), "--workers", "1"]
    runs = []
    with harness.serve(f"nezlam-{name}", command, port, env=env) as server:
        for round_ in range(1, args.rounds + 1):
            for path, lua, extra, connections in (
                (PINGS, script, [], 32),
                (MANY, script, [], 256),
                (NEAREST, NEAREST_SCRIPT, ["status=open&open_now=true&k=3"], 32),
            ):
                before = harness.cpu_seconds(server.pid)
                result = harness.run_wrk(server.url, lua, args.seconds, connections, args=extra)
                cpu_us = (harness.cpu_seconds(server.pid) - before) / max(1, result.requests) * 1e6
                failed = result.non_2xx + result.socket_errors
                harness.say(
                    f"{name:<10} {path:<18} round {round_}: {result.rps:,.0f}/s, p99 "
                    f"{result.p99_ms:.1f} ms, {cpu_us:.0f} µs CPU each, {failed} errors"
                )
                runs.append((name, path, round_, result, cpu_us))
    return runs


def summary(runs: list, devices: int) -> None:
    rows = []
    for name in dict.fromkeys(r[0] for r in runs):
        base = median([r for r in runs if r[:2] == (name, NEAREST)])
        for path in (PINGS, MANY):
            run = median([r for r in runs if r[:2] == (name, path)])
            rows.append(ping_row(name, path, run, base))
    harness.print_table(
        f"One worker, {devices:,} devices (one a point), the median round of each "
        f"(machine: {harness.machine()})",
        ["database", "pings", "pings/s", "× nearest", "nearest/s", "p50 ms", "p99 ms",
         "CPU µs each", "a core for 13,000 a minute", "errors", "goal"],
        rows,
    )  # fmt: skip


def ping_row(name: str, path: str, run: tuple, base: tuple) -> list[object]:
    r, cpu = run[3], run[4]
    return [name, path, f"{r.rps:,.0f}", f"{r.rps / max(1.0, base[3].rps):.2f}",
            f"{base[3].rps:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", f"{cpu:.0f}",
            f"{COUNTRY_PINGS_PER_S * cpu / 1e6:.1%}", r.non_2xx + r.socket_errors,
            harness.goal(r.rps >= GOAL_PPS, f"≥ {GOAL_PPS:,.0f}/s")]  # fmt: skip


def offline_delays(work: Path, postgres: bool) -> list[list[object]]:
    """The delay to "offline" for a city of devices, on SQLite and (when asked) PostgreSQL."""
    network = offline_delay.city(datetime.now(UTC))
    keys = device_keys(len(network.ids))
    rows = []
    url = f"sqlite:///{work / 'offline.sqlite3'}"
    synthetic.load_nezlam(url, network)
    add_devices(url, network.ids, keys)
    rows.append(offline_delay.measure("SQLite", url, keys, network.ids).row("SQLite"))
    if postgres:
        with harness.scratch_database("nezlam_bench_offline"):
            pg_url = harness.postgres_url("nezlam_bench_offline", "+psycopg")
            synthetic.load_nezlam(pg_url, network)
            add_devices(pg_url, network.ids, keys)
            delays = offline_delay.measure("PostgreSQL", pg_url, keys, network.ids)
            rows.append(delays.row("PostgreSQL"))
    return rows


def median(runs: list) -> tuple:
    ordered = sorted(runs, key=rps)
    return ordered[(len(ordered) - 1) // 2]


def rps(run: tuple) -> float:
    return float(run[3].rps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=30_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="13,000 devices, 3 s, one round")
    parser.add_argument("--no-offline", action="store_true", help="skip the delay to offline")
    args = parser.parse_args(argv)
    if args.quick:
        args.devices, args.seconds, args.rounds = 13_000, 3.0, 1
    harness.header("Device pings through POST /api/v1/heartbeat, beside the nearest query")
    network = synthetic.generate(args.devices, datetime.now(UTC))
    point_ids = network.ids
    runs = []
    postgres = not args.no_postgres and harness.postgres_reachable()
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-heartbeats-") as scratch:
        work = Path(scratch)
        url = f"sqlite:///{work / 'heartbeats.sqlite3'}"
        synthetic.load_nezlam(url, network)
        keys = device_keys(args.devices)
        add_devices(url, point_ids, keys)
        runs += measure("SQLite", url, keys, args, work)
        if postgres:
            with harness.scratch_database("nezlam_bench_heartbeats"):
                pg_url = harness.postgres_url("nezlam_bench_heartbeats", "+psycopg")
                synthetic.load_nezlam(pg_url, network)
                add_devices(pg_url, point_ids, keys)
                runs += measure("PostgreSQL", pg_url, keys, args, work)
        delays = [] if args.no_offline else offline_delays(work, postgres)
    summary(runs, args.devices)
    if delays:
        harness.print_table(
            f"From a device's last ping to its point shown offline: {offline_delay.CITY:,} "
            "devices falling silent at once, one worker, its sweeper every 15 s",
            offline_delay.HEADERS,
            delays,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
