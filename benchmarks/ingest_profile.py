"""Where one status report's time goes, in process and one at a time: the real app (as
`nezlam serve` runs it) called as ASGI with `POST /api/v1/points/{id}/reports`, with the
database statements counted and timed through SQLAlchemy's events.

    .venv/bin/python benchmarks/ingest_profile.py [--requests 300] [--quick]

For each backend it prints the CPU time of the whole process per report (the request thread
and the event loop), the wall time, how many SQL statements and connection checkouts a report
takes, and the wall time spent inside the database driver — the rest of the CPU is Python
around the statements (FastAPI, pydantic, SQLAlchemy's ORM, our code). No concurrency here:
benchmarks/ingest.py measures the same path under 32 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
import orjson
from ingest import prepare
from nearest_profile import served
from sqlalchemy import event

from nezlam.config import Settings
from nezlam.web.app import create_app


class Counters:
    def __init__(self) -> None:
        self.statements = self.checkouts = 0
        self.driver_s = 0.0
        self._started = 0.0

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)
        event.listen(engine.pool, "checkout", self._checkout)

    def _before(self, *_args: Any) -> None:
        self.statements += 1
        self._started = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        self.driver_s += time.perf_counter() - self._started

    def _commit(self, *_args: Any) -> None:
        self.statements += 1  # COMMIT itself is a round trip (and the fsync) not seen above

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1


async def post(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    sent: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    return sent[0]


async def measure(url: str, token: str, requests: int, points: int) -> list[object]:
    fastapi_app = create_app(Settings(database_url=url), start_sync=False)
    counters = Counters()
    counters.attach(fastapi_app.state.nezlam.db.engine)
    app = served(fastapi_app)
    auth = (b"authorization", f"Bearer {token}".encode())

    async def one(i: int) -> None:
        body = orjson.dumps({"status": "open", "occupancy": i % 50})
        headers = [
            auth,
            (b"content-type", b"application/json"),
            (b"idempotency-key", f"profile-{time.time_ns()}-{i}".encode()),
        ]
        status = await post(app, f"/api/v1/points/b-{i % points + 1:06d}/reports", body, headers)
        assert status == 201, status

    async with fastapi_app.router.lifespan_context(fastapi_app):
        for i in range(min(50, requests)):  # warm up: pools, statement caches, imports
            await one(i)
        counters.__init__()  # type: ignore[misc]
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(requests):
            await one(i)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = requests
    return [
        f"{cpu / n * 1e6:,.0f}",
        f"{wall / n * 1e6:,.0f}",
        f"{counters.statements / n:.1f}",
        f"{counters.checkouts / n:.1f}",
        f"{counters.driver_s / n * 1e6:,.0f}",
        f"{n / wall:,.0f}",
    ]


@contextmanager
def backends(include_postgres: bool) -> Iterator[list[tuple[str, str]]]:
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-") as tmp:
        found = [("SQLite", f"sqlite:///{Path(tmp) / 'profile.sqlite3'}")]
        if not include_postgres or not harness.postgres_reachable():
            yield found
            return
        with harness.scratch_database("nezlam_bench_ingest_profile"):
            yield [
                *found,
                ("PostgreSQL", harness.postgres_url("nezlam_bench_ingest_profile", "+psycopg")),
            ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = min(args.requests, 60)
    harness.header("ingest_profile")
    rows = []
    with backends(not args.no_postgres) as found:
        for name, url in found:
            token = prepare(url, args.points)
            rows.append([name, *asyncio.run(measure(url, token, args.requests, args.points))])
    harness.print_table(
        f"One status report at a time, in process ({args.requests} reports per backend)",
        [
            "backend",
            "CPU µs/report",
            "wall µs/report",
            "SQL statements + commits",
            "connection checkouts",
            "µs inside the driver",
            "reports/s, one at a time",
        ],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
