"""Every benchmark, one after another, each in its own process: `make bench`.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only nearest_index,ingest]

Takes about half an hour on a 2-core machine (a few minutes with --quick); import_rows alone
is some fifteen minutes of it, most of them the baseline importer running out its time
budget. Each script prints its tables (Markdown) to standard output and its progress to
standard error; see docs/performance.md for what is measured and the figures last recorded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import harness

BENCHMARKS = [
    "nearest_index",
    "nearest_profile",
    "http_nearest",
    "ingest_profile",
    "ingest",
    "page_weight",
    "channels",
    "heartbeats",
    "walking",
    "siting",
    "import_rows",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run of each")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed = []
    for name in chosen:
        command = [sys.executable, str(harness.BENCH_DIR / f"{name}.py")]
        command += ["--quick"] if args.quick else []
        print(f"\n$ {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        if subprocess.run(command, cwd=harness.ROOT).returncode != 0:
            failed.append(name)
        print(f"\n({name}: {time.monotonic() - started:.0f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
