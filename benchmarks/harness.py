"""What every benchmark needs: tables, timing statistics, servers in their own processes, wrk,
CPU accounting from /proc, Debian packages and scratch PostgreSQL databases.

Benchmarks are not tests: they print figures beside a baseline and never fail on a slow machine.
Load goes to 127.0.0.1 only, is bounded in time, and every server started here is stopped here.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The local PostgreSQL server; each benchmark makes (and drops) a database of its own on it.
ADMIN_URL = os.environ.get("NEZLAM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# --- tables ----------------------------------------------------------------------------------
def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table: readable in a terminal and pasted as it is into docs/performance.md."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print(f"\n### {title}\n")
    for n, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    sys.stdout.flush()


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def goal(met: bool, text: str) -> str:
    return f"{'met' if met else 'MISSED'} ({text})"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}, load {load:.1f}"


def code_version() -> str:
    """The commit measured, and whether src/ had uncommitted changes (others edit it too)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown version"
    return f"commit {commit}" + (" + uncommitted changes in src/" if dirty else "")


def header(name: str) -> None:
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# {name} — {now} — {machine()} — {code_version()}", flush=True)


def say(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its waited-for children, in seconds (threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and every live descendant (uvicorn's workers), each counted once."""
    return total_cpu_seconds([pid, *descendants(pid)])


def nezlam_command() -> list[str]:
    """The installed `nezlam` script beside this Python, as a user would run it."""
    script = Path(sys.executable).parent / "nezlam"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nezlam.cli"]


def uvicorn_command(app: str, port: int, factory: bool = False) -> list[str]:
    """The uvicorn settings `nezlam serve` uses: one worker, no access log, uvloop, httptools."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return command + (["--factory"] if factory else [])


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def serve(
    name: str,
    command: list[str],
    port: int,
    env: dict[str, str] | None = None,
    ready_path: str = "/healthz",
    timeout: float = 180.0,
) -> Iterator[Server]:
    """Start a server in its own process group, wait until `ready_path` answers 200, and stop it
    (the group, by its id) whatever happens."""
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"nezlam-bench-{name}-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(name, f"http://127.0.0.1:{port}", process)
    try:
        _wait_ready(server, ready_path, timeout, log.name)
        yield server
    finally:
        _stop(process)
        log.close()


def _wait_ready(server: Server, path: str, timeout: float, log_name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}; "
                f"see {log_name}:\n{Path(log_name).read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{server.name} did not answer {path} within {timeout:.0f} s; see {log_name}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def get_json(url: str) -> object:
    import orjson

    with urllib.request.urlopen(url, timeout=10) as response:
        return orjson.loads(response.read())


# --- Debian packages -------------------------------------------------------------------------
_apt_updated = False


def ensure_debian_package(package: str, present: Path | str) -> None:
    """Install `package` with apt-get unless `present` (a path, or a command on PATH) exists."""
    global _apt_updated
    if Path(present).exists() if "/" in str(present) else shutil.which(str(present)):
        return
    if os.geteuid() != 0:
        raise SystemExit(f"{package} is missing; install it with: sudo apt-get install {package}")
    say(f"installing Debian package {package}")
    quiet = {"stdout": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, **quiet)
        _apt_updated = True
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env, **quiet)


# --- wrk -------------------------------------------------------------------------------------
@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def ok_requests(self) -> int:
        return self.requests - self.non_2xx


def run_wrk(
    url: str,
    script: Path,
    seconds: float,
    connections: int = 32,
    threads: int = 2,
    args: Sequence[str] = (),
) -> WrkResult:
    ensure_debian_package("wrk", "wrk")
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    if args:
        command += ["--", *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 60)
    return parse_wrk(out.stdout)


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output)
        if match is None:
            if default is None:
                raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{output}")
            return default
        return match.group(1)

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(find(r"(\d+) requests in")),
        seconds=_ms(find(r"requests in ([\d.]+\w+),")) / 1e3,
        rps=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"\n\s+50%\s+(\S+)")),
        p99_ms=_ms(find(r"\n\s+99%\s+(\S+)")),
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=sum(int(v) for v in errors.groups()) if errors else 0,
    )


# --- PostgreSQL ------------------------------------------------------------------------------
def postgres_url(database: str, driver: str = "") -> str:
    """ADMIN_URL with another database name; driver "+psycopg" for SQLAlchemy."""
    base, _, _ = ADMIN_URL.rpartition("/")
    scheme, rest = base.split("://", 1)
    return f"{scheme.split('+')[0]}{driver}://{rest}/{database}"


def postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh database on the local server (libpq URL), dropped afterwards."""
    import psycopg

    def drop() -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        drop()


def backend_pids(url: str, application_name: str) -> list[int]:
    """PostgreSQL server processes serving connections of one application."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchall()
    return [int(r[0]) for r in rows]


def total_cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with suppress(OSError):  # a process that went away
            total += cpu_seconds(pid)
    return total
