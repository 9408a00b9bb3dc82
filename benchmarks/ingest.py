"""Status-report ingest with durability, SQLite and PostgreSQL, through the real HTTP server.

    .venv/bin/python benchmarks/ingest.py [--seconds 15] [--points 200] [--quick]

For each backend: a fresh Nezlam database with a few hundred points, a coordinator of their
region and an API token; `nezlam serve --workers 1`; then
`wrk -t2 -c32 -s benchmarks/report.lua` POSTs `{"status":"open","occupancy":N}` to
`/api/v1/points/{id}/reports`, round-robin over the points, each request with its own
Idempotency-Key. Afterwards the stored reports are counted and must equal the requests answered
201: an acknowledged report is a stored report.

Durability is what the app configures: SQLite in WAL mode with synchronous=FULL (every commit is
fsynced), PostgreSQL with its default synchronous_commit=on. The baseline beside it is the raw
rate of single-row INSERT + COMMIT into the same table from one Python process, durable and not,
so the reader sees what the web stack costs and what durability costs.
Goal (the issue): ≥ 500 reports/s on each backend.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import harness
import synthetic

GOAL = 500.0
SCRIPT = harness.BENCH_DIR / "report.lua"


@dataclass
class Result:
    backend: str
    path: str
    per_second: float
    note: str = ""
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_us: float | None = None


def prepare(url: str, points: int) -> str:
    """A migrated database with `points` points and a coordinator's API token; returns it."""
    from nezlam.domain.points import RoleGrantCreate, UserCreate
    from nezlam.store import accounts
    from nezlam.store.actor import CLI
    from nezlam.store.db import Database

    synthetic.load_nezlam(url, synthetic.generate(points, datetime.now(UTC)))
    db = Database(url)
    try:
        with db.write() as session:
            user = accounts.create_user(session, UserCreate(username="bench-coordinator"), CLI)
            accounts.grant_role(
                session, user, RoleGrantCreate(role="coordinator", region=synthetic.REGION), CLI
            )
            token, _row = accounts.create_token(session, user, "benchmark", CLI)
    finally:
        db.dispose()
    return token


def count_reports(url: str) -> int:
    from sqlalchemy import func, select

    from nezlam.store.db import Database
    from nezlam.store.tables import StatusReport

    db = Database(url)
    try:
        with db.read() as session:
            return int(session.execute(select(func.count()).select_from(StatusReport)).scalar_one())
    finally:
        db.dispose()


def settled_count(url: str, quiet: float = 1.0) -> int:
    """The report count once it stops growing: requests still in flight when wrk stopped
    (at most one per connection) are stored, though wrk never saw their answers."""
    count = count_reports(url)
    while True:
        time.sleep(quiet)
        now = count_reports(url)
        if now == count:
            return count
        count = now


def http_ingest(
    backend: str, url: str, token: str, points: int, seconds: float, workers: int, connections: int
) -> Result:
    port = harness.free_port()
    command = harness.nezlam_command() + [
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    with harness.serve(f"nezlam-{backend}", command, port, {"NEZLAM_DATABASE_URL": url}) as server:
        harness.run_wrk(
            server.url,
            SCRIPT,
            2,
            connections=connections,
            args=[token, str(points), f"warm{time.time_ns()}"],
        )
        before_rows = settled_count(url)
        cpu_before = harness.tree_cpu_seconds(server.pid)
        result = harness.run_wrk(
            server.url,
            SCRIPT,
            seconds,
            connections=connections,
            args=[token, str(points), f"run{time.time_ns()}"],
        )
        cpu = harness.tree_cpu_seconds(server.pid) - cpu_before
        stored = settled_count(url) - before_rows
    answered = result.ok_requests
    in_flight = stored - answered
    check = (
        f"stored = answered + {in_flight} in flight at the end"
        if 0 <= in_flight <= connections
        else f"stored {stored:,} vs answered {answered:,}!"
    )
    harness.say(
        f"{backend}, {workers} worker(s): {result.rps:,.0f} req/s, {answered:,} answered "
        f"201, {stored:,} stored, {result.non_2xx} non-2xx, "
        f"{result.socket_errors} socket errors"
    )
    cpu_us = cpu / max(1, result.requests) * 1e6
    return Result(
        backend,
        f"HTTP POST …/reports, {connections} connections, {workers} worker(s)",
        answered / result.seconds,
        f"{check}; {result.non_2xx} non-2xx, {result.socket_errors} socket errors",
        result.p50_ms,
        result.p99_ms,
        cpu_us,
    )


def raw_rate(insert: Callable[[int], None], seconds: float) -> float:
    """Single-row INSERT + COMMIT in a loop for `seconds`; commits per second."""
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        insert(done)
        done += 1
    return done / (time.perf_counter() - start)


REPORT_SQL = (
    "INSERT INTO status_reports (point_id, received_at, source, idempotency_key, verify,"
    " status, occupancy) VALUES ({p}, {p}, 'api', {p}, {false}, 'open', {p})"
)


def sqlite_raw(path: Path, seconds: float, synchronous: str) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        sql = REPORT_SQL.format(p="?", false="0")
        tag = f"raw-{synchronous}-{time.time_ns()}"

        def insert(i: int) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                sql, ("b-000001", datetime.now(UTC).isoformat(sep=" "), f"{tag}-{i}", i % 50)
            )
            conn.execute("COMMIT")

        return raw_rate(insert, seconds)
    finally:
        conn.close()


def postgres_raw(libpq_url: str, seconds: float, synchronous_commit: str) -> float:
    import psycopg

    with psycopg.connect(libpq_url, autocommit=True) as conn:
        conn.execute(f"SET synchronous_commit = {synchronous_commit}")
        sql = REPORT_SQL.format(p="%s", false="false")
        tag = f"raw-{synchronous_commit}-{time.time_ns()}"

        def insert(i: int) -> None:
            conn.execute(sql, ("b-000001", datetime.now(UTC), f"{tag}-{i}", i % 50), prepare=True)

        return raw_rate(insert, seconds)


@contextmanager
def sqlite_database() -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-") as tmp:
        path = Path(tmp) / "ingest.sqlite3"
        yield f"sqlite:///{path}", path


def run_sqlite(args: argparse.Namespace) -> list[Result]:
    with sqlite_database() as (url, path):
        token = prepare(url, args.points)
        results = [
            http_ingest("SQLite", url, token, args.points, args.seconds, w, args.connections)
            for w in args.workers
        ]
        for mode, durable in (("FULL", True), ("NORMAL", False)):
            results.append(
                Result(
                    "SQLite",
                    f"raw INSERT+COMMIT, 1 process, synchronous={mode}",
                    sqlite_raw(path, args.raw_seconds, mode),
                    "durable (fsync per commit)" if durable else "NOT durable",
                )
            )
    return results


def run_postgres(args: argparse.Namespace) -> list[Result]:
    if not harness.postgres_reachable():
        harness.say(f"PostgreSQL unreachable at {harness.ADMIN_URL}; skipped")
        return []
    with harness.scratch_database("nezlam_bench_ingest") as libpq_url:
        url = harness.postgres_url("nezlam_bench_ingest", "+psycopg")
        token = prepare(url, args.points)
        results = [
            http_ingest("PostgreSQL", url, token, args.points, args.seconds, w, args.connections)
            for w in args.workers
        ]
        for mode, durable in (("on", True), ("off", False)):
            results.append(
                Result(
                    "PostgreSQL",
                    f"raw INSERT (autocommit), 1 process, synchronous_commit={mode}",
                    postgres_raw(libpq_url, args.raw_seconds, mode),
                    "durable (WAL flushed per commit)" if durable else "NOT durable",
                )
            )
    return results


def report(results: list[Result], seconds: float) -> None:
    rows = []
    for r in results:
        is_http = r.path.startswith("HTTP")
        rows.append(
            [
                r.backend,
                r.path,
                r.per_second,
                f"{r.p50_ms:.1f} / {r.p99_ms:.1f}" if is_http else "",
                f"{r.cpu_us:,.0f}" if r.cpu_us is not None else "",
                harness.goal(r.per_second >= GOAL, f"≥ {GOAL:.0f}/s") if is_http else "",
                r.note,
            ]
        )
    harness.print_table(
        f"Status-report ingest with durability ({seconds:.0f} s of load per backend)",
        ["backend", "path", "reports/s", "p50 / p99 ms", "server CPU µs/report", "goal", "notes"],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--raw-seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=lambda v: [int(w) for w in v.split(",")],
        default=[1, 2],
        help="comma-separated worker counts to try (1,2)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.raw_seconds, args.workers = 3, 1, [1]
    harness.header("ingest")
    harness.ensure_debian_package("wrk", "wrk")
    results = []
    if args.backend in ("sqlite", "both"):
        results += run_sqlite(args)
    if args.backend in ("postgresql", "both"):
        results += run_postgres(args)
    report(results, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
