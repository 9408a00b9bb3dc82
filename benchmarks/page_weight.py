"""The resident's first page: bytes transferred (compressed, as a phone receives them) with and
without the map, and the time to the first result of a no-JavaScript search through the whole
stack (HTTP, routing, the index, rendering, compression), against the 40 KB budget.

    .venv/bin/python benchmarks/page_weight.py [--quick]

Baseline beside our figure: the same page's uncompressed bytes (what a client without gzip would
pay), and for time to first result the bare `/healthz` round trip of the same server.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time

import harness

BUDGET = 40_000
FIRST_PAGE = ["/", "/static/app.css", "/static/app.js"]
RESULTS_PAGE = ["/?q=50.4419%2C30.5133&f=1&open_now=1", "/static/app.css", "/static/app.js"]
MAP_EXTRA = ["/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css"]


def fetch(port: int, path: str, compressed: bool = True) -> tuple[int, bytes]:
    """(bytes on the wire for the body, the decoded body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": "gzip" if compressed else "identity", "Accept-Language": "uk"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    body = gzip.decompress(raw) if response.getheader("Content-Encoding") == "gzip" else raw
    return len(raw), body


def weigh(port: int, paths: list[str]) -> tuple[int, int]:
    wire = plain = 0
    for path in paths:
        sent, body = fetch(port, path)
        wire += sent
        plain += len(body)
    return wire, plain


def timings(port: int, path: str, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    result = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        response.read()
        result.append((time.perf_counter() - start) * 1000)
    connection.close()
    return sorted(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    args = parser.parse_args(argv)
    count = 30 if args.quick else 300
    harness.header("page_weight")
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/demo.sqlite3"
        env = {"NEZLAM_DATABASE_URL": url}
        harness.say("loading the demo network (1,302 points)")
        for step in (["db", "upgrade"], ["demo"]):
            subprocess.run(
                [*harness.nezlam_command(), *step],
                env={**os.environ, **env},
                check=True,
                capture_output=True,
            )
        port = harness.free_port()
        command = [
            *harness.nezlam_command(),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        with harness.serve("nezlam", command, port, env=env):
            rows = []
            for name, paths in (
                ("first page (empty finder)", FIRST_PAGE),
                ("results page, no map", RESULTS_PAGE),
                ("results page with the map", RESULTS_PAGE + MAP_EXTRA),
            ):
                wire, plain = weigh(port, paths)
                rows.append(
                    [
                        name,
                        len(paths),
                        wire,
                        plain,
                        f"{plain / wire:.1f}×",
                        harness.goal(wire <= BUDGET, "≤ 40,000 B")
                        if "map" not in name or "no map" in name
                        else "(map is optional)",
                    ]
                )
            harness.print_table(
                "Bytes transferred (compressed) for the resident's first page",
                [
                    "page",
                    "requests",
                    "bytes on the wire",
                    "uncompressed (baseline)",
                    "saved",
                    "budget",
                ],
                rows,
            )
            search = timings(port, RESULTS_PAGE[0], count)
            health = timings(port, "/healthz", count)
            harness.print_table(
                f"Time to first result, no-JavaScript search, {count} requests, one connection",
                ["request", "median ms", "p95 ms", "p99 ms", "× /healthz"],
                [
                    [
                        "search for coordinates → results page",
                        statistics.median(search),
                        harness.percentile(search, 95),
                        harness.percentile(search, 99),
                        f"{statistics.median(search) / statistics.median(health):.1f}×",
                    ],
                    [
                        "/healthz (baseline: one database ping)",
                        statistics.median(health),
                        harness.percentile(health, 95),
                        harness.percentile(health, 99),
                        "1.0×",
                    ],
                ],
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
