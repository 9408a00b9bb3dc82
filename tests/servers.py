"""Real `nezlam serve` processes for tests that need more than the in-process TestClient:
kill -9, several workers, several servers on one database, fuzzing over real HTTP.

    with running_server(db_url, workers=2, log_dir=tmp_path) as server:
        httpx.post(server.url + "/api/v1/...")
        server.kill9()

Each server runs in a process group of its own, so that `kill9()` and the clean-up reach the
uvicorn supervisor and every worker it spawned; nothing is left running after the `with`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 15.0


class ServerFailedToStart(RuntimeError):
    """The server exited or did not answer /healthz in time; the message carries its stderr."""


def free_port() -> int:
    """A port nobody listens on now (the kernel picks it; a tiny race remains, as everywhere)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, workers: int, log_level: str) -> list[str]:
    # `python -m nezlam.cli` rather than the console script: it is the interpreter running the
    # tests, whichever environment that is.
    return [
        sys.executable,
        "-m",
        "nezlam.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        log_level,
    ]


@dataclass
class Server:
    """One `nezlam serve` process group."""

    db_url: str
    port: int
    workers: int
    stderr_path: Path
    process: subprocess.Popen[bytes]
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int:
        # start_new_session=True makes the server the leader of a group numbered by its pid.
        return self.process.pid

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def _leader_exited(self) -> bool:
        """Whether the leader has exited, without reaping it: an unreaped leader keeps its pid,
        and so its group id, from being reused, which is what makes signalling the group safe."""
        if self.process.returncode is not None:
            return True
        info = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return info is not None

    def _signal_group(self, signum: int) -> None:
        if self.process.returncode is not None:
            return  # reaped: the group id may no longer be ours
        with suppress(ProcessLookupError):
            os.killpg(self.pgid, signum)

    def kill9(self) -> None:
        """SIGKILL the server and every worker at once, as a power cut or the OOM killer would."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)

    def stop(self) -> None:
        """Shut down gracefully; SIGKILL whatever of the group is left after the timeout."""
        if self.process.returncode is None:
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
            while not self._leader_exited() and time.monotonic() < deadline:
                time.sleep(0.05)
            # Workers orphaned by a leader that died first are still in the group.
            self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)

    def wait_until_healthy(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last_problem = "no answer yet"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServerFailedToStart(
                        f"nezlam serve exited with code {self.process.returncode} before "
                        f"answering /healthz\n--- its stderr ---\n{self.stderr()}"
                    )
                try:
                    response = client.get(f"{self.url}/healthz")
                    if response.status_code == 200:
                        return
                    last_problem = f"/healthz answered {response.status_code}: {response.text}"
                except httpx.TransportError as exc:
                    last_problem = f"{type(exc).__name__}: {exc}"
                time.sleep(0.1)
        raise ServerFailedToStart(
            f"nezlam serve on port {self.port} did not answer /healthz with 200 within "
            f"{timeout:.0f} s (last: {last_problem})\n--- its stderr ---\n{self.stderr()}"
        )


def spawn_server(
    db_url: str,
    *,
    workers: int = 1,
    log_dir: Path | None = None,
    log_level: str = "warning",
    extra_env: dict[str, str] | None = None,
) -> Server:
    """Start `nezlam serve` on a free port without waiting for it (see `wait_until_healthy`)."""
    port = free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="nezlam-server-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = log_dir / f"server-{port}-{time.monotonic_ns()}.stderr.log"
    env = {**os.environ, **(extra_env or {}), "NEZLAM_DATABASE_URL": db_url}
    # A file, not a pipe: nobody reads a pipe while the test runs, and a full pipe blocks the
    # server's logging and so the server.
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            serve_command(port, workers, log_level),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,
        )
    return Server(
        db_url=db_url,
        port=port,
        workers=workers,
        stderr_path=stderr_path,
        process=process,
        extra_env=dict(extra_env or {}),
    )


def start_server(db_url: str, **options: Any) -> Server:
    """Start `nezlam serve` on a free port and return once /healthz answers 200."""
    server = spawn_server(db_url, **options)
    try:
        server.wait_until_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running_server(db_url: str, **options: Any) -> Iterator[Server]:
    """A healthy server for the duration of the `with`; stopped (or killed) afterwards.
    Options: workers, log_dir, log_level, extra_env (as for `spawn_server`)."""
    with running_servers(db_url, 1, **options) as (server,):
        yield server


@contextmanager
def running_servers(db_url: str, count: int, **options: Any) -> Iterator[tuple[Server, ...]]:
    """`count` separate servers on one database, started side by side, all healthy."""
    with ExitStack() as stack:  # stops every server even if stopping one of them fails
        servers = []
        for _ in range(count):
            server = spawn_server(db_url, **options)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_until_healthy()
        yield tuple(servers)
