"""Schemathesis against the OpenAPI: no 5xx.

Schemathesis reads the schema a real server publishes and sends it generated requests, valid and
invalid, anonymous and with an admin's token, for every operation; any 5xx answer fails the test.
The run is bounded (examples per operation, deterministic generation, a time limit) so it takes
well under a minute per backend. A failure prints schemathesis's reproduction (a curl command)
and the server's stderr, which holds the traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Network
from tests.servers import running_server

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 30
RUN_TIMEOUT_S = 120
# Ids that exist in the `network` fixture, used for most generated requests: otherwise nearly
# every request to /points/{point_id}/... would end at 404 before reaching the code under test.
# Token and role 6 are the admin's own, which the run relies on.
CONFIG = """
[dictionaries.points]
values = ["point-a", "point-b"]

[dictionaries.usernames]
values = ["operator_a", "coordinator_b"]

[dictionaries.grants]
values = [1, 2, 3, 4, 5]

[parameters]
"path.point_id" = { dictionary = "points", probability = 0.8 }
"path.username" = { dictionary = "usernames", probability = 0.8 }
"path.grant_id" = { dictionary = "grants", probability = 0.5 }
"path.token_id" = { dictionary = "grants", probability = 0.5 }
"""


def schemathesis_run(base_url: str, headers: dict[str, str], report_dir: Path,
                     operations: list[str]) -> subprocess.CompletedProcess[str]:
    config = report_dir / "schemathesis.toml"
    report_dir.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG, encoding="utf-8")
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
        "run", f"{base_url}/api/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--request-timeout", "10",
        "--continue-on-failure",
        "--no-color",
        "--report", "junit,har", "--report-dir", str(report_dir),
        *operations,
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)


def test_no_operation_answers_5xx(db_url: str, network: Network, tmp_path: Path) -> None:
    with running_server(db_url, workers=2, log_dir=tmp_path / "servers") as server:
        # Revoking roles and tokens last: the admin's own token may be among those revoked.
        runs = [
            schemathesis_run(server.url, network.headers("admin"), tmp_path / "report-1",
                             ["--exclude-method", "DELETE"]),
            schemathesis_run(server.url, network.headers("admin"), tmp_path / "report-2",
                             ["--include-method", "DELETE"]),
        ]
        stderr = server.stderr()
    for run in runs:
        print(run.stdout)
        assert run.returncode == 0, (
            f"schemathesis found failures (exit {run.returncode}):\n{run.stdout}\n{run.stderr}\n"
            f"--- server stderr ---\n{stderr}")
