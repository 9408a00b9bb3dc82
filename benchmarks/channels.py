"""Inbound SMS answered per second, and their latency: "HEAT <lat> <lon>" → the 3 nearest open
points, through the real Twilio-style webhook of `nezlam serve` (signature check, form parsing,
the sender's limit, the operator lookup, the index, the SMS words, TwiML), beside the JSON
nearest query (`/api/v1/points/nearest?k=3&status=open`) on the same server, which is the
floor: what a message costs on top of the search itself.

    .venv/bin/python benchmarks/channels.py [--points 100000] [--seconds 15] [--rounds 3] [--quick]

Builds the synthetic national network (benchmarks/synthetic.py) into SQLite, starts one worker
with an SMS gateway configured (no gateway is called: Twilio takes the answer inline), and loads
it with wrk from 2,000 signed messages from 500 numbers, in turns with the JSON query, round
after round. Goal (issue 11): ≥ 1,000 messages/s with p99 ≤ 50 ms on one worker.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import harness
import synthetic

GOAL_RPS, GOAL_P99_MS = 1000.0, 50.0
TOKEN = "benchmark-auth-token"
MESSAGES, SENDERS = 2000, 500
NEAREST_SCRIPT = harness.BENCH_DIR / "nearest.lua"


def signed_messages(url: str, n: int) -> list[tuple[str, str]]:
    """(form body, X-Twilio-Signature) for n messages from places across the country."""
    lat, lon = synthetic.query_positions(n, seed=11)
    out = []
    for i in range(n):
        form = {"From": f"+38050{i % SENDERS:07d}", "Body": f"HEAT {lat[i]:.5f} {lon[i]:.5f}"}
        signed = url + "".join(f"{key}{form[key]}" for key in sorted(form))
        digest = hmac.new(TOKEN.encode(), signed.encode(), hashlib.sha1).digest()
        out.append((urlencode(form), base64.b64encode(digest).decode()))
    return out


def lua_script(messages: list[tuple[str, str]], path: Path) -> Path:
    """A wrk script that posts the messages in turn (each thread from its own offset)."""
    rows = ",\n".join(f'  {{"{body}", "{signature}"}}' for body, signature in messages)
    path.write_text(
        f"""local messages = {{
{rows}
}}
local i = 0
function setup(thread) i = i + 1; thread:set("offset", i * 997) end
function init(args) i = offset or 0 end
function request()
  i = i + 1
  local m = messages[(i % #messages) + 1]
  return wrk.format("POST", "/api/v1/sms/twilio", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = m[2],
  }}, m[1])
end
""",
        encoding="utf-8",
    )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="13,000 points, 3 s, one round")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.seconds, args.rounds = 13_000, 3.0, 1
    harness.header("Inbound SMS through the webhook, beside the nearest query")
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-channels-") as scratch:
        work = Path(scratch)
        url = f"sqlite:///{work / 'channels.sqlite3'}"
        synthetic.load_nezlam(url, synthetic.generate(args.points, datetime.now(UTC)))
        port = harness.free_port()
        webhook = f"http://127.0.0.1:{port}/api/v1/sms/twilio"
        script = lua_script(signed_messages(webhook, MESSAGES), work / "sms.lua")
        env = {
            "NEZLAM_DATABASE_URL": url,
            "NEZLAM_SMS_GATEWAY": "twilio",
            "NEZLAM_SMS_URL": "http://127.0.0.1:9",  # never called: answers go inline
            "NEZLAM_SMS_USER": "AC-benchmark",
            "NEZLAM_SMS_PASSWORD": TOKEN,
            "NEZLAM_SMS_ANSWERS_PER_HOUR": "10000",
            "NEZLAM_WEBHOOK_DISPATCH": "false",
        }
        command = [*harness.nezlam_command(), "serve", "--port", str(port), "--workers", "1"]
        with harness.serve("nezlam", command, port, env=env) as server:
            runs = rounds(server, script, args.seconds, args.rounds)
    summary(runs, args.points)
    return 0


def rounds(server: harness.Server, sms_script: Path, seconds: float, count: int) -> list[tuple]:
    runs = []
    for round_ in range(1, count + 1):
        for name, script, extra in (
            ("nearest (JSON)", NEAREST_SCRIPT, ["status=open&open_now=true&k=3"]),
            ("SMS webhook", sms_script, []),
        ):
            before = harness.cpu_seconds(server.pid)
            result = harness.run_wrk(server.url, script, seconds, args=extra)
            cpu_us = (harness.cpu_seconds(server.pid) - before) / max(1, result.requests) * 1e6
            harness.say(
                f"{name:<15} round {round_}: {result.rps:,.0f}/s, p99 {result.p99_ms:.1f} ms, "
                f"{cpu_us:.0f} µs CPU each, {result.non_2xx + result.socket_errors} errors"
            )
            runs.append((name, round_, result, cpu_us))
    return runs


def summary(runs: list[tuple], points: int) -> None:
    def median(name: str) -> tuple:
        ordered = sorted((r for r in runs if r[0] == name), key=lambda r: r[2].rps)
        return ordered[(len(ordered) - 1) // 2]

    floor, sms = median("nearest (JSON)"), median("SMS webhook")
    rows = [
        [name, f"{r.rps:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", f"{cpu:.0f}",
         r.non_2xx + r.socket_errors]
        for name, _round, r, cpu in (floor, sms)
    ]  # fmt: skip
    harness.print_table(
        f"One worker, {points:,} points, the median round of each (machine: {harness.machine()})",
        ["path", "per second", "p50 ms", "p99 ms", "CPU µs each", "errors"],
        rows,
    )
    ratio = sms[2].rps / max(1.0, floor[2].rps)
    print(f"\nSMS messages / nearest queries per second: {ratio:.2f}")
    print(
        harness.goal(
            sms[2].rps >= GOAL_RPS and sms[2].p99_ms <= GOAL_P99_MS,
            f"≥ {GOAL_RPS:,.0f} messages/s with p99 ≤ {GOAL_P99_MS:.0f} ms",
        )
    )


if __name__ == "__main__":
    sys.exit(main())
