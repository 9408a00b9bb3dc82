"""Where one nearest request's time goes, in process, without the network: each stage of the
handler, then the whole app as `nezlam serve` runs it (the nearest fast path in front of FastAPI)
and the documented FastAPI route alone, each called as ASGI, beside a bare cKDTree call and a
FastAPI hello-world called the same way.

    .venv/bin/python benchmarks/nearest_profile.py [--points 100000] [--requests 5000] [--quick]

Stages are cumulative: each row does everything the row above does, plus one more step, so the
difference between two rows is the cost of that step. The difference between the in-process
ASGI figure and the CPU per request measured over HTTP (benchmarks/http_nearest.py) is uvicorn's
share: sockets, HTTP parsing, the event loop. Ends with the functions that cost most per request
(cProfile over the whole ASGI app; cProfile slows Python, so read them as shares).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import harness
import synthetic
from reference_apps import hello

from nezlam.config import Settings
from nezlam.geo.distance import unit_vectors
from nezlam.reading import answers, features
from nezlam.reading.point_public import Asker
from nezlam.web.api import query
from nezlam.web.app import create_app
from nezlam.web.plumbing.state import AppState

PATH = "/api/v1/points/nearest"
WHOLE = ("whole", "the FastAPI", "reference")  # rows that are not a cumulative stage


def query_strings(n: int, extra: dict[str, str]) -> list[bytes]:
    lat, lon = synthetic.query_positions(n)
    return [
        urlencode({"lat": f"{a:.5f}", "lon": f"{o:.5f}", "k": 5, **extra}).encode()
        for a, o in zip(lat, lon, strict=True)
    ]


def stages(state: AppState, qs: list[bytes]) -> list[tuple[str, Callable[[int], Any]]]:
    """Cumulative slices of the nearest handler, each a call on request i."""
    params = [dict(parse_qsl(q.decode())) for q in qs]
    coords = [(float(p["lat"]), float(p["lon"])) for p in params]
    centres = unit_vectors([c[0] for c in coords], [c[1] for c in coords])
    tree = state.index.snapshot.tree
    now = state.clock()

    def search(i: int) -> Any:
        lat, lon = coords[i]
        return state.index.nearest(lat, lon, 5, query.filters(params[i]), now)

    def parse(i: int) -> Any:
        p = params[i]
        lat = query.number(p, "lat", -90, 90)
        lon = query.number(p, "lon", -180, 180)
        k = query.integer(p, "k", 1, 100, 5)
        return lat, lon, k, query.language(p, None), query.filters(p)

    def rendered(i: int) -> Any:
        asker = Asker("uk", now, coords[i])
        answer = answers.nearest(state.index, None, asker, 5, query.filters(params[i]))
        return [features.feature_json(point) for point in answer.points]

    def body(i: int) -> bytes:
        lat, lon, k, lang, filters = parse(i)
        answer = answers.nearest(
            state.index, None, Asker(lang, state.clock(), (lat, lon)), k, filters
        )
        return answers.collection_json(answer, state.settings)

    return [
        ("bare cKDTree.query(k=5) (baseline)", lambda i: tree.query(centres[i], k=5)),
        ("+ the index: filters, freshness, open-now", search),
        ("+ the read side: 5 public views, serialised", rendered),
        ("+ parse parameters, collection, orjson", body),
    ]


def asgi_caller(app: Any) -> Callable[[bytes], Awaitable[int]]:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call(qs: bytes) -> int:
        sent: list[int] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                sent.append(message["status"])

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": PATH,
            "raw_path": PATH.encode(),
            "query_string": qs,
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        await app(scope, receive, send)
        return sent[0]

    return call


async def time_asgi(call: Callable[[bytes], Awaitable[int]], qs: list[bytes]) -> list[int]:
    clock, out = time.perf_counter_ns, []
    for q in qs:
        start = clock()
        status = await call(q)
        out.append(clock() - start)
        assert status == 200, status
    return out


def time_calls(fn: Callable[[int], Any], n: int) -> list[int]:
    clock, out = time.perf_counter_ns, []
    for i in range(n):
        start = clock()
        fn(i)
        out.append(clock() - start)
    return out


def served(app: Any) -> Any:
    """What `nezlam serve` runs: the FastAPI app behind the nearest fast path, if there is one."""
    try:
        from nezlam.web.plumbing.fast_path import FastPath
    except ImportError:
        return app
    return FastPath(app)


async def measure(app: Any, state: AppState, qs: list[bytes]) -> list[tuple[str, list[int]]]:
    n = len(qs)
    ours, route, hello_call = asgi_caller(served(app)), asgi_caller(app), asgi_caller(hello)
    for _name, fn in stages(state, qs):  # warm caches (opening hours, static properties)
        time_calls(fn, n)
    await time_asgi(ours, qs)
    results: list[tuple[str, list[int]]] = []
    for name, fn in stages(state, qs):
        results.append((name, time_calls(fn, n)))
    results.append(("whole app as `nezlam serve` runs it, as ASGI", await time_asgi(ours, qs)))
    results.append(("the FastAPI route alone, as ASGI", await time_asgi(route, qs)))
    results.append(("reference: FastAPI hello-world, as ASGI", await time_asgi(hello_call, qs)))
    return results


async def profile(app: Any, qs: list[bytes]) -> pstats.Stats:
    call = asgi_caller(app)
    profiler = cProfile.Profile()
    profiler.enable()
    for q in qs:
        await call(q)
    profiler.disable()
    return pstats.Stats(profiler)


def package_of(filename: str) -> str:
    if filename == "~":
        return "builtins and C extensions (numpy, scipy, orjson, …)"
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
    if "/src/nezlam/" in filename:
        return "nezlam." + filename.split("/src/nezlam/")[1].split("/")[0].removesuffix(".py")
    return "Python standard library"


def by_package(stats: pstats.Stats) -> list[list[object]]:
    """Own time per package: who spends the request's time."""
    shares: dict[str, float] = {}
    for (filename, _line, _func), (_cc, _calls, tottime, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        shares[package_of(filename)] = shares.get(package_of(filename), 0.0) + tottime
    total = sum(shares.values())
    return [
        [name, f"{t / total * 100:.1f} %"]
        for name, t in sorted(shares.items(), key=lambda kv: kv[1], reverse=True)
    ]


def top_functions(stats: pstats.Stats, requests: int, limit: int = 15) -> list[list[object]]:
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    total = sum(v[2] for _k, v in entries)
    rows = []
    for (filename, line, func), (_cc, calls, tottime, _cum, _callers) in entries[:limit]:
        where = (
            "builtin"
            if filename == "~"
            else filename.split("site-packages/")[-1].split("src/")[-1].split("lib/python3")[-1]
        )
        rows.append(
            [
                f"{func} ({where}:{line})",
                f"{calls / requests:.1f}",
                f"{tottime / total * 100:.1f} %",
            ]
        )
    return rows


async def collector_cost(app: Any, qs: list[bytes]) -> list[list[object]]:
    """How often the cyclic garbage collector runs during requests, and what it costs."""
    call, spent, starts = asgi_caller(app), {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}, [0.0]

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            starts[0] = time.perf_counter()
        else:
            spent[info["generation"]][0] += 1
            spent[info["generation"]][1] += time.perf_counter() - starts[0]

    gc.callbacks.append(watch)
    try:
        started = time.perf_counter()
        for q in qs:
            await call(q)
        elapsed = time.perf_counter() - started
    finally:
        gc.callbacks.remove(watch)
    n = len(qs)
    rows = [
        [
            f"generation {g}",
            f"{count / n:.3f}",
            f"{seconds / n * 1e6:.1f}",
            f"{seconds / count * 1e3:.2f}" if count else "",
            f"{seconds / elapsed * 100:.1f} %",
        ]
        for g, (count, seconds) in spent.items()
    ]
    started = time.perf_counter()
    gc.collect()
    full = time.perf_counter() - started
    rows.append(
        [
            f"one full collection now, over {len(gc.get_objects()):,} tracked objects",
            "",
            "",
            f"{full * 1e3:.1f}",
            "",
        ]
    )
    return rows


def report(results: list[tuple[str, list[int]]], n_points: int, n: int, query_name: str) -> None:
    base = harness.percentile(sorted(results[0][1]), 50)
    rows, previous = [], None
    for name, ns in results:
        ordered = sorted(ns)
        p50 = harness.percentile(ordered, 50)
        step = (
            "" if previous is None or name.startswith(WHOLE) else (f"{(p50 - previous) / 1e3:+.1f}")
        )
        rows.append(
            [
                name,
                f"{p50 / 1e3:.1f}",
                f"{harness.percentile(ordered, 99) / 1e3:.1f}",
                step,
                f"{p50 / base:.1f}×",
            ]
        )
        if not name.startswith(WHOLE):
            previous = p50
    harness.print_table(
        f"One nearest request in process, {query_name}: {n_points:,} points, {n:,} requests",
        ["stage", "median µs", "p99 µs", "step µs", "× bare cKDTree"],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.requests = min(args.points, 20_000), min(args.requests, 500)
    harness.header("nearest_profile")
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'profile.sqlite3'}"
        synthetic.load_nezlam(url, synthetic.generate(args.points, datetime.now(UTC)))
        asyncio.run(run(url, args))
    return 0


async def run(url: str, args: argparse.Namespace) -> None:
    app = create_app(Settings(database_url=url), start_sync=False)
    state: AppState = app.state.nezlam
    async with app.router.lifespan_context(app):
        for name, extra in (
            ("no filters", {}),
            ("services=heat,power&status=open", {"services": "heat,power", "status": "open"}),
        ):
            qs = query_strings(args.requests, extra)
            report(await measure(app, state, qs), args.points, args.requests, name)
        qs = query_strings(min(args.requests, 2000), {})
        harness.print_table(
            "Garbage collection during whole requests (as `nezlam serve` runs the app), no filters",
            ["collections", "per request", "µs per request", "ms per collection", "share of time"],
            await collector_cost(served(app), qs),
        )
        stats = await profile(served(app), qs)
        harness.print_table(
            "Own time of a whole request by package (cProfile), no filters",
            ["package", "share of own time"],
            by_package(stats),
        )
        harness.print_table(
            "Most expensive functions of a whole request, no filters (cProfile, own time)",
            ["function", "calls per request", "share of own time"],
            top_functions(stats, len(qs)),
        )


if __name__ == "__main__":
    sys.exit(main())
