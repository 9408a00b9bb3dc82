"""Time per nearest query of the in-memory index, with its filters, beside a bare cKDTree call.

    .venv/bin/python benchmarks/nearest_index.py [--points 100000] [--queries 20000] [--quick]

100,000 points over Ukraine's bounding box with random services, statuses and report ages
(benchmarks/synthetic.py); queries from around Kyiv and anywhere in the box. Each query position
is asked of every variant in turn, so a noisy neighbour slows all of them alike. The baseline is
`cKDTree.query(unit_vector, k=5)` on the same tree: the search alone, without Python around it.
Goal (the issue): ≤ 50 µs per query with filters.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import harness
import numpy as np
import synthetic

from nezlam.geo.distance import unit_vectors
from nezlam.geo.spatial_index import Filters, SpatialIndex

GOAL_US = 50.0
K = 5
VARIANTS: list[tuple[str, Filters]] = [
    ("index.nearest, no filters", Filters.build()),
    ("services=heat,power", Filters.build(services=["heat", "power"])),
    ("status=open", Filters.build(statuses=["open"])),
    (
        "services=heat,power & status=open & category=state",
        Filters.build(services=["heat", "power"], statuses=["open"], categories=["state"]),
    ),
    (
        "open_now=true & services=heat,power",
        Filters.build(services=["heat", "power"], open_now=True),
    ),
]


def build_index(n: int, now: datetime) -> SpatialIndex:
    network = synthetic.generate(n, now)
    index = SpatialIndex(stale_after=timedelta(hours=6), no_response_after=timedelta(hours=24))
    index.replace_all((network.view(i, now) for i in range(n)), seq=n)
    return index


def measure(n: int, queries: int, warm: bool = True) -> list[tuple[str, list[float]]]:
    """Nanosecond timings per variant, in VARIANTS order after the bare baseline."""
    now = datetime.now(UTC)
    harness.say(f"building the index of {n:,} points")
    started = time.perf_counter()
    index = build_index(n, now)
    harness.say(
        f"index built in {time.perf_counter() - started:.1f} s "
        f"({len(index.snapshot):,} visible points)"
    )
    lat, lon = synthetic.query_positions(queries)
    centres = unit_vectors(lat, lon)
    tree = index.snapshot.tree
    calls: list[tuple[str, Callable[[int], object]]] = [
        ("bare cKDTree.query(k=5) (baseline)", lambda i: tree.query(centres[i], k=K)),
        *[(name, _nearest(index, lat, lon, f, now)) for name, f in VARIANTS],
    ]
    if warm:  # fill the opening-hours cache as a running server's would be
        for i in range(queries):
            for _name, call in calls:
                call(i)
    timings: list[list[float]] = [[] for _ in calls]
    clock = time.perf_counter_ns
    for i in range(queries):
        for slot, (_name, call) in enumerate(calls):
            start = clock()
            call(i)
            timings[slot].append(clock() - start)
    return [(name, t) for (name, _call), t in zip(calls, timings, strict=True)]


def _nearest(
    index: SpatialIndex, lat: np.ndarray, lon: np.ndarray, filters: Filters, now: datetime
) -> Callable[[int], object]:
    return lambda i: index.nearest(float(lat[i]), float(lon[i]), K, filters, now)


def report(results: list[tuple[str, list[float]]], n: int, queries: int) -> list[list[object]]:
    base = sorted(results[0][1])
    base_p50 = harness.percentile(base, 50) / 1e3
    rows: list[list[object]] = []
    for name, ns in results:
        ordered = sorted(ns)
        p50 = harness.percentile(ordered, 50) / 1e3
        p99 = harness.percentile(ordered, 99) / 1e3
        is_base = name.startswith("bare")
        rows.append(
            [
                name,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{p50 / base_p50:.2f}×",
                "" if is_base else harness.goal(p50 <= GOAL_US, f"≤ {GOAL_US:.0f} µs"),
            ]
        )
    harness.print_table(
        f"Nearest k={K} in the in-memory index: {n:,} points, {queries:,} queries each",
        ["query", "median µs", "p99 µs", "× bare cKDTree", "goal (median)"],
        rows,
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--cold", action="store_true", help="no warm-up pass (empty hours cache)")
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.queries = min(args.points, 20_000), min(args.queries, 1_000)
    harness.header("nearest_index")
    report(measure(args.points, args.queries, warm=not args.cold), args.points, args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
