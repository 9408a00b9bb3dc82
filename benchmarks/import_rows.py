"""`nezlam import` of large spreadsheets: rows per second and peak memory, ours beside the
importer as of commit 3dc9a87 (the baseline: the whole file read, every record kept, a query
per row scanning the points table) and beside the floor of reading the CSV alone.

    .venv/bin/python benchmarks/import_rows.py [--quick] [--sizes 10000,50000,200000]
        [--budget 90] [--no-baseline] [--no-postgres]

Each measurement is a fresh process that loads `nezlam.cli` (what `nezlam import` holds) and
calls the importer on a fresh, migrated database
(SQLite in a temporary folder; PostgreSQL in a scratch database on the local server), so its
peak resident memory (`ru_maxrss`) is that import's alone, the interpreter and libraries
included. The baseline runs from a `git worktree` of 3dc9a87 made in a temporary folder (and
removed afterwards), against a database migrated by its own code. It is stopped after
`--budget` seconds: its real import slows down as the table grows (a scan per row), so at
50,000 rows and more it would take from many minutes to over an hour; the table says where it
was stopped, how far it got, and the least time it would have needed.

The rows are generated (fixed seed): spreadsheet columns name, lat, lon, address, services,
capacity, opening_hours, category, locality, region; names are unique, positions spread over
Ukraine, so every row is a new point.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import harness

BASELINE_COMMIT = "3dc9a87"
GOAL_MB = 300.0
# Regions as a grid of 4 × 8 cells of about 220 × 170 km over the box, so that no generated
# point lies far from its region's others.
REGION_ROWS, REGION_COLUMNS = 4, 8
HOURS = ("", "24/7", "Mo-Fr 08:00-20:00", "Mo-Su 09:00-21:00; Su off")
SERVICES = ("heat", "heat;power", "heat;power;wifi", "power;water", "heat;water;wifi")

RUNNER = r"""
import json, resource, sys, time
from pathlib import Path
src, url, csv_path, mode, log_path = sys.argv[1:6]
sys.path.insert(0, src)  # the baseline's worktree, or ours
import nezlam.cli  # what `nezlam import` has in memory besides the import itself
from nezlam.interchange import importer
from nezlam.store.db import Database
assert nezlam.cli.__file__.startswith(src), nezlam.cli.__file__
log = open(log_path, "w", buffering=1)
TASK = object()

class Progress:
    # What either importer calls: a rich Progress (the baseline) or a tracker (ours).
    def __init__(self): self.done, self.task = 0, ""
    def __enter__(self): return self
    def __exit__(self, *exc): return False
    def add_task(self, description, total=None): self.task, self.done = description, 0; return TASK
    def start(self, description, total): self.task, self.done = description, 0
    def finish(self): pass
    def advance(self, rows_or_task, rows=1):
        self.done += rows if rows_or_task is TASK else rows_or_task
        if self.done % 1000 == 0:
            log.write(f"{self.task}\t{self.done}\t{time.monotonic() - started:.0f}\n")

db = Database(url)
started = time.monotonic()
result = importer.import_file(db, Path(csv_path), dry_run=mode == "dry", progress=Progress())
seconds = time.monotonic() - started
print(json.dumps({"seconds": seconds, "created": result.created, "problems": len(result.problems),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
MIGRATE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from nezlam.store.db import upgrade; upgrade(sys.argv[2])"
)

PARSE_ONLY = r"""
import csv, json, resource, sys, time
started = time.monotonic()
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    rows = sum(1 for _ in csv.DictReader(f))
print(json.dumps({"seconds": time.monotonic() - started, "created": rows, "problems": 0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclass
class Run:
    seconds: float | None
    """None when the run was stopped (or failed)."""
    peak_mb: float | None
    created: int = 0
    note: str = ""
    stopped_after: float | None = None
    """For a stopped run: the least time it would have needed in all (see `stopped`)."""


def generate(path: Path, rows: int, seed: int = 9) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["name", "lat", "lon", "address", "services", "capacity", "opening_hours",
             "category", "locality", "region"]
        )  # fmt: skip
        for n in range(rows):
            lat, lon = rng.uniform(44.4, 52.4), rng.uniform(22.1, 40.2)
            cell = int((lat - 44.4) / 8.0 * REGION_ROWS), int((lon - 22.1) / 18.1 * REGION_COLUMNS)
            writer.writerow(
                [
                    f"Пункт незламності №{n + 1}",
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    f"вул. Шевченка, {rng.randint(1, 300)}",
                    rng.choice(SERVICES),
                    rng.choice(("", str(rng.randint(10, 500)))),
                    rng.choice(HOURS),
                    rng.choice(("state", "business", "service")),
                    "Місто",
                    f"Область {cell[0] + 1}-{cell[1] + 1}",
                ]
            )
    return path


def run(command: list[str], budget: float, log: Path | None = None, rows: int = 0) -> Run:
    started = time.monotonic()
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=False)
    except subprocess.TimeoutExpired:  # the budget counts from the process's start
        return stopped(budget, log, rows)
    if out.returncode != 0:
        return Run(None, None, 0, f"failed: {out.stderr.strip().splitlines()[-1][:120]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    note = f"{figures['problems']} problems" if figures["problems"] else ""
    harness.say(f"{' '.join(command[-3:])}: {time.monotonic() - started:.0f} s")
    return Run(figures["seconds"], figures["peak_mb"], figures["created"], note)


def duration(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.0f} min"


def stopped(budget: float, log: Path | None, rows: int) -> Run:
    """A run stopped at its budget, with the least time it would have needed in all: the time
    spent, and the rows left at the rate of its last phase (which only falls: a scan per row)."""
    progress = [line.split("\t") for line in (log.read_text().splitlines() if log else [])]
    if not progress:
        return Run(None, None, 0, f"baseline stopped after {budget:.0f} s", budget)
    task, done, seconds = progress[-1][0], int(progress[-1][1]), float(progress[-1][2])
    # The phase began where the one before it last logged (or at the start): rows from 0.
    earlier = [float(line[2]) for line in progress if line[0] != task]
    phase_rate = done / max(seconds - (earlier[-1] if earlier else 0.0), 1.0)
    # Counted from the import's start like our figure (the log's clock), not the process's.
    at_least = seconds + max(rows - done, 0) / max(phase_rate, 1e-9)
    note = (
        f"baseline stopped after {budget:.0f} s at {done:,} rows ({task}, {phase_rate:,.0f} "
        f"rows/s and falling): it would need at least {duration(at_least)}"
    )
    return Run(None, None, 0, note, at_least)


@contextmanager
def baseline_tree(work: Path) -> Iterator[Path | None]:
    """The source of 3dc9a87 in a git worktree of its own, removed afterwards."""
    tree = work / "baseline"
    git = ["git", "-C", str(harness.ROOT)]
    made = subprocess.run(
        [*git, "worktree", "add", "--detach", str(tree), BASELINE_COMMIT],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        harness.say(f"no baseline: {made.stderr.strip()}")
        yield None
        return
    try:
        yield tree / "src"
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


@contextmanager
def database(backend: str, work: Path, name: str) -> Iterator[str]:
    """A fresh database URL (SQLAlchemy) on `backend`, dropped afterwards."""
    if backend == "sqlite":
        path = work / f"{name}.sqlite3"
        yield f"sqlite:///{path}"
        for leftover in work.glob(f"{name}.sqlite3*"):
            leftover.unlink()
        return
    with harness.scratch_database(f"nezlam_bench_import_{name}"):
        yield harness.postgres_url(f"nezlam_bench_import_{name}", "+psycopg")


def measure(src: Path, backend: str, csv_path: Path, mode: str, budget: float, work: Path) -> Run:
    name = f"{src.parent.name}_{csv_path.stem}_{mode}"
    with database(backend, work, name) as url:
        subprocess.run([sys.executable, "-c", MIGRATE, str(src), url], check=True)
        runner = work / "runner.py"
        runner.write_text(RUNNER)
        log = work / f"{name}.log"
        command = [sys.executable, str(runner), str(src), url, str(csv_path), mode, str(log)]
        return run(command, budget, log, rows=int(csv_path.stem.split("_")[-1]))


def rate(run_: Run | None, rows: int) -> str | float | None:
    """Rows per second; "< N" for a run stopped before it finished."""
    if run_ is None:
        return None
    if run_.stopped_after:
        return f"< {rows / run_.stopped_after:,.0f}"
    return rows / run_.seconds if run_.seconds else None


def ratio(ours: Run, base: Run | None, rows: int) -> str:
    if base is None or not ours.seconds:
        return ""
    if base.stopped_after:
        return f"> {base.stopped_after / ours.seconds:,.0f}×"
    return f"{base.seconds / ours.seconds:,.1f}×" if base.seconds else ""


def table_row(rows: int, what: str, ours: Run, base: Run | None) -> list[object]:
    notes = "; ".join(n for n in (ours.note, base.note if base else "") if n)
    return [
        f"{rows:,}", what, rate(ours, rows), ours.peak_mb, rate(base, rows),
        base.peak_mb if base else None, ratio(ours, base, rows), notes,
    ]  # fmt: skip


HEADERS = [
    "rows", "run", "ours rows/s", "ours peak MB", "baseline rows/s", "baseline peak MB",
    "speed-up", "notes",
]  # fmt: skip


def backend_table(
    backend: str,
    sizes: list[int],
    files: dict[int, Path],
    trees: dict[str, Path | None],
    modes: list[str],
    budget: float,
    work: Path,
) -> list[list[object]]:
    rows = []
    for size in sizes:
        for mode in modes:
            ours = measure(trees["ours"], backend, files[size], mode, budget * 10, work)  # type: ignore[arg-type]
            base = trees["baseline"]
            baseline = measure(base, backend, files[size], mode, budget, work) if base else None
            what = "dry run (check and match)" if mode == "dry" else "import (one transaction)"
            rows.append(table_row(size, what, ours, baseline))
    return rows


def floor_rows(sizes: list[int], files: dict[int, Path], work: Path) -> list[list[object]]:
    script = work / "parse_only.py"
    script.write_text(PARSE_ONLY)
    rows = []
    for size in sizes:
        floor = run([sys.executable, str(script), str(files[size])], 600)
        rows.append([f"{size:,}", "floor: csv.DictReader alone", rate(floor, size), floor.peak_mb,
                     None, None, "", ""])  # fmt: skip
    return rows


def goals(table: list[list[object]], sizes: list[int]) -> list[list[object]]:
    """Peak memory of the largest import, and rows/s at the largest size against the next one
    (the smallest import is the noisiest: a few seconds, fixed costs and a busy machine)."""
    imports = {row[0]: row for row in table if str(row[1]).startswith("import")}
    smaller = sizes[-2] if len(sizes) > 1 else sizes[0]
    largest, smallest = imports[f"{sizes[-1]:,}"], imports[f"{smaller:,}"]
    peak = float(largest[3] or 0)
    kept = float(largest[2] or 0) / float(smallest[2] or 1)
    return [
        [f"peak memory, import of {sizes[-1]:,} rows", f"{peak:,.0f} MB",
         harness.goal(peak <= GOAL_MB, f"≤ {GOAL_MB:.0f} MB")],
        [f"rows/s at {sizes[-1]:,} ÷ rows/s at {smaller:,}", f"{kept:.2f}",
         harness.goal(kept >= 0.5, "linear: ≥ 0.5, a scan per row would fall with the size")],
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 rows, short budget")
    parser.add_argument("--sizes", default="10000,50000,200000")
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per baseline run")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    sizes = [2_000, 10_000] if args.quick else [int(n) for n in args.sizes.split(",")]
    budget = 20.0 if args.quick else args.budget
    harness.header("import_rows")
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-import-") as tmp:
        work = Path(tmp)
        files = {size: generate(work / f"rows_{size}.csv", size) for size in sizes}
        with baseline_tree(work) if not args.no_baseline else nullcontext(None) as base:
            trees = {"ours": harness.ROOT / "src", "baseline": base}
            sqlite = floor_rows(sizes, files, work)
            sqlite += backend_table("sqlite", sizes, files, trees, ["dry", "real"], budget, work)
            harness.print_table("nezlam import on SQLite (WAL, synchronous=FULL)", HEADERS, sqlite)
            harness.print_table(
                "goals (SQLite)", ["measure", "figure", "goal"], goals(sqlite, sizes)
            )
            if not args.no_postgres and harness.postgres_reachable():
                pg = backend_table("postgresql", sizes, files, trees, ["real"], budget, work)
                harness.print_table("nezlam import on PostgreSQL (local server)", HEADERS, pg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
