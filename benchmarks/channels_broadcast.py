"""A 50,000-chat Telegram broadcast, paced at the Bot API's limit, without losing or doubling a
message: queued in one transaction (`message_outbox.enqueue_many`, timed), then drained by the
real dispatcher (`dispatcher.run_round`, 20 a round as the server's dispatcher claims them)
through the real `TelegramChannel` (python-telegram-bot) to the fake Bot API of the tests
(tests/fake_telegram.py) on loopback, in a process of its own.

    .venv/bin/python benchmarks/channels_broadcast.py [--chats 50000] [--no-postgres] [--quick]

The pacing is computed exactly, but nobody waits half an hour: the `Pacer` gets a virtual clock
whose `wait` moves the clock on instead of sleeping, and the fake server stamps every call it
records with that clock (shared memory). From the fake's own records: the virtual duration
(baseline: chats ÷ per_second), the most sends in any virtual second, any chat sent twice
within 1 s, lost and doubled messages. Beside it, the real cost of our side per message (CPU of
this process, plus PostgreSQL's backends; wall time), against a bare send through `BotApi`
with no outbox (the floor). Each backend is run twice: straight through, and stopped after
40 % (the dispatcher told to stop while waiting for a turn) then finished by a fresh channel
and pacer, as after a restart.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness
import orjson

CHATS = 50_000
BARE_SENDS = 2_000
STOP_AT = 0.4  # of the chats, in the restarted run
INTERVAL_S = 5.0  # the server dispatcher's wait after a round that did not fill its batch
FIRST_CHAT = 700_000_000
EVENT = {
    "event": "broadcast",
    "lang": "uk",
    "region": "Київ",
    "text": "Пункти обігріву на Подолі працюють цілодобово; генератори — до 22:00.",
}
START = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


# --- the fake Bot API, in a process of its own -----------------------------------------------
def fake_server(clock: Any, pipe: Any) -> None:
    """Runs FakeTelegram, stamping each sendMessage with the virtual clock; answers the parent's
    "records" (and forgets them) and "stop"."""
    sys.path.insert(0, str(harness.ROOT / "tests"))
    from fake_telegram import FakeTelegram

    class Stamped(FakeTelegram):
        stamps: list[tuple[str, float, str]]

        def answer(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            code, body = super().answer(path, params)
            if path.endswith("/sendMessage"):
                with self.changed:
                    self.stamps.append((str(params["chat_id"]), clock.value, params["text"]))
                    self.calls.clear()  # the stamps are the record; keep memory flat
            return code, body

    fake = Stamped()
    fake.stamps = []
    handler = fake.server.RequestHandlerClass
    handler.protocol_version = "HTTP/1.1"  # keep-alive, as Telegram's servers
    handler.wbufsize = -1  # an answer in one write (flushed after each request) ...
    handler.disable_nagle_algorithm = True  # ... and no 40 ms wait for a delayed ACK
    fake.start()
    pipe.send(fake.url)
    while (command := pipe.recv()) != "stop":
        if command == "records":
            with fake.changed:
                records, fake.stamps = fake.stamps, []
            pipe.send(records)
    fake.stop()


@contextmanager
def fake_telegram() -> Iterator[tuple[str, Any, Any, int]]:
    """(url, shared virtual clock, pipe, pid) of a fake Bot API in a spawned process."""
    context = multiprocessing.get_context("spawn")
    clock = context.Value("d", 0.0, lock=False)
    ours, theirs = context.Pipe()
    process = context.Process(target=fake_server, args=(clock, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the fake Bot API did not start")
        yield ours.recv(), clock, ours, process.pid
    finally:
        ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()


class VirtualClock:
    """The Pacer's clock and wait: waiting moves the clock on. Told `stop_after` turns, the
    wait says "stopping" (as the dispatcher's stop event does) once that many were taken."""

    def __init__(self, shared: Any, stop_after: int | None = None) -> None:
        self.shared, self.stop_after, self.turns = shared, stop_after, 0

    def __call__(self) -> float:
        return float(self.shared.value)

    def wait(self, seconds: float) -> bool:
        self.turns += 1
        if self.stop_after is not None and self.turns >= self.stop_after:
            return True
        self.shared.value += seconds
        return False

    def now(self) -> datetime:
        return START + timedelta(seconds=self())


# --- one drain -------------------------------------------------------------------------------
@dataclass
class Drained:
    backend: str
    run: str
    chats: int
    enqueue_s: float
    virtual_s: float
    wall_s: float
    cpu_s: float
    fake_cpu_s: float
    lease_s: float
    records: list[tuple[str, float, str]]
    left: int


def channel_for(url: str) -> Any:
    from nezlam.channels.telegram import TIMEOUT_S, TelegramChannel
    from nezlam.channels.telegram_api import BotApi
    from nezlam.config import TelegramSettings

    settings = TelegramSettings(token=TOKEN, api_url=url)  # per_second: the default
    return TelegramChannel(
        BotApi(settings.token, settings.api_url, TIMEOUT_S), None, settings.per_second
    )


def drain(db: Any, channel: Any, clock: VirtualClock) -> bool:
    """What the server's dispatcher thread does (`Dispatcher._run`): rounds one after another
    while they fill their batch, else a wait of the interval; one Pacer kept across rounds.
    True when it was stopped."""
    from nezlam.channels.dispatcher import PER_ROUND, run_round
    from nezlam.channels.pacing import Pacer
    from nezlam.store import message_outbox

    pacer = Pacer(channel.pacing, clock=clock, wait=clock.wait)
    while True:
        done = run_round(db, channel, clock.now(), pacer=pacer)
        if clock.stop_after is not None and clock.turns >= clock.stop_after:
            return True
        if done.claimed < PER_ROUND:
            with db.read() as session:
                if message_outbox.waiting(session, "telegram") == 0:
                    return False
            clock.shared.value += INTERVAL_S


def broadcast(url: str, backend: str, chats: int, restart: bool, pg_app: str | None) -> Drained:
    from nezlam.channels.dispatcher import PER_ROUND, lease_for
    from nezlam.store import message_outbox
    from nezlam.store.db import Database, upgrade

    upgrade(url)
    db = Database(url)
    text = orjson.dumps(EVENT).decode()
    with fake_telegram() as (api_url, shared, pipe, fake_pid):
        started = time.perf_counter()
        with db.write() as session:
            message_outbox.enqueue_many(
                session, "telegram", [(str(FIRST_CHAT + i), text) for i in range(chats)], START
            )
        enqueue_s = time.perf_counter() - started
        harness.say(f"{backend}: {chats:,} rows queued in one transaction in {enqueue_s:.2f} s")

        def cpu() -> float:
            pids = harness.backend_pids(harness.ADMIN_URL, pg_app) if pg_app else []
            return time.process_time() + harness.total_cpu_seconds(pids)

        fake_before, cpu_before, wall_before = (
            harness.cpu_seconds(fake_pid),
            cpu(),
            time.perf_counter(),
        )
        records: list[tuple[str, float, str]] = []
        stops = [int(chats * STOP_AT)] if restart else []
        for stop_after in [*stops, None]:
            if records:  # a fresh dispatcher waits its interval before its first round
                shared.value += INTERVAL_S
            channel = channel_for(api_url)  # a fresh process's channel and pacer
            lease_s = lease_for(channel, PER_ROUND).total_seconds()
            clock = VirtualClock(shared, stop_after)
            stopped = drain(db, channel, clock)
            channel.api.close()
            pipe.send("records")
            records += pipe.recv()
            if stopped:
                harness.say(
                    f"{backend}: stopped after {len(records):,} sent; a fresh channel finishes"
                )
        wall_s = time.perf_counter() - wall_before
        cpu_s = cpu() - cpu_before
        fake_cpu_s = harness.cpu_seconds(fake_pid) - fake_before
        virtual_s = shared.value
    with db.read() as session:
        left = message_outbox.waiting(session, "telegram")
    db.dispose()
    run = "stopped at 40 %, restarted" if restart else "straight through"
    return Drained(
        backend, run, chats, enqueue_s, virtual_s, wall_s, cpu_s, fake_cpu_s, lease_s, records, left
    )


def bare_sends(count: int) -> tuple[float, float]:
    """The floor: `count` sendMessage calls through BotApi alone (no outbox, no pacing);
    (wall, CPU) seconds each."""
    from nezlam.channels.telegram_api import Message

    with fake_telegram() as (api_url, _shared, _pipe, _pid):
        channel = channel_for(api_url)
        channel.api.act(Message(str(FIRST_CHAT), "warm-up"))
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(count):
            channel.api.act(Message(str(FIRST_CHAT + i), "x"))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        channel.api.close()
    return wall / count, cpu / count


# --- what the records say --------------------------------------------------------------------
def most_in_a_second(times: list[float]) -> int:
    """The most sends in any window of one virtual second (half-open)."""
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0 - 1e-9:
            first += 1
        best = max(best, last - first + 1)
    return best


def verdict(drained: Drained) -> dict[str, Any]:
    from nezlam.channels.telegram_events import broadcast_text

    expected = broadcast_text(EVENT)
    per_chat = Counter(chat for chat, _at, _text in drained.records)
    wanted = {str(FIRST_CHAT + i) for i in range(drained.chats)}
    times = sorted(at for _chat, at, _text in drained.records)
    last_at: dict[str, float] = {}
    too_soon = 0
    for chat, at, _text in sorted(drained.records, key=lambda r: r[1]):
        too_soon += chat in last_at and at - last_at[chat] < 1.0
        last_at[chat] = at
    return {
        "sent": len(drained.records),
        "lost": len(wanted - set(per_chat)),
        "doubled": sum(n - 1 for n in per_chat.values() if n > 1),
        "strangers": len(set(per_chat) - wanted),
        "wrong words": sum(text != expected for _chat, _at, text in drained.records),
        "max a second": most_in_a_second(times),
        "twice within 1 s": too_soon,
    }


def report(runs: list[Drained], bare: tuple[float, float], per_second: int) -> None:
    rows = []
    for drained in runs:
        seen = verdict(drained)
        ideal = drained.chats / per_second
        sent = max(1, seen["sent"])
        rows.append(
            [
                drained.backend,
                drained.run,
                f"{drained.enqueue_s:.2f}",
                f"{drained.virtual_s:,.0f} ({ideal:,.0f})",
                f"{drained.virtual_s / ideal:.3f}",
                f"{seen['max a second']}",
                seen["twice within 1 s"],
                seen["lost"],
                seen["doubled"] + seen["strangers"] + seen["wrong words"],
                drained.left,
                f"{drained.cpu_s / sent * 1e3:.2f}",
                f"{drained.wall_s / sent * 1e3:.2f}",
                f"{drained.wall_s / sent / bare[0]:.2f}",
                f"{drained.fake_cpu_s / sent * 1e3:.2f}",
            ]
        )
    harness.print_table(
        f"A {runs[0].chats:,}-chat broadcast at {per_second}/s, virtual clock "
        f"(machine: {harness.machine()})",
        [
            "backend",
            "run",
            "queue s (1 tx)",
            "virtual s (chats ÷ per_second)",
            "× ideal",
            "max sends in 1 s",
            "chat twice < 1 s",
            "lost",
            "doubled or wrong",
            "left queued",
            "our CPU ms/msg",
            "wall ms/msg",
            "× bare send",
            "fake's CPU ms/msg",
        ],
        rows,
    )
    print(
        f"\nFloor: a bare sendMessage through BotApi to the fake, no outbox, no pacing: "
        f"{bare[0] * 1e3:.2f} ms wall, {bare[1] * 1e3:.2f} ms CPU each ({BARE_SENDS:,} sends)."
    )
    ok = all(
        (v := verdict(d))["lost"] == 0
        and v["doubled"] + v["strangers"] + v["wrong words"] == 0
        and v["twice within 1 s"] == 0
        and v["max a second"] <= min(per_second, 30)
        and d.left == 0
        for d in runs
    )
    print(
        harness.goal(
            ok, f"every chat once, ≤ {per_second} sends in any second, none twice within 1 s"
        )
    )
    if any(d.run != "straight through" for d in runs):
        lease = max(d.lease_s for d in runs)
        print(
            f"Restarted: the stopped round's unsent deliveries wait out their lease ({lease:.0f} s)"
            " and go after it; a queue longer than that hides the wait."
        )
    budget = 1 / per_second
    slowest = max(d.wall_s / max(1, len(d.records)) for d in runs)
    print(
        harness.goal(
            slowest < budget,
            f"our side keeps up with the pacing: {slowest * 1e3:.1f} ms a message "
            f"< {budget * 1e3:.0f} ms between sends",
        )
    )


TOKEN = "123456789:AAFakeTokenForTheTestsOnly_0123456789"  # tests/fake_telegram.TOKEN


def run(chats: int, postgres: bool = True, straight: bool = True) -> int:
    """SQLite (and PostgreSQL, when reachable), each straight through (with `straight`) and
    restarted mid-way; then the table."""
    from nezlam.config import TelegramSettings

    per_second = TelegramSettings(token=TOKEN).per_second
    harness.say(f"floor: {BARE_SENDS:,} bare sends")
    bare = bare_sends(BARE_SENDS)
    variants = [False, True] if straight else [True]
    runs = []
    with tempfile.TemporaryDirectory(prefix="nezlam-bench-broadcast-") as scratch:
        for restart in variants:
            url = f"sqlite:///{Path(scratch) / f'broadcast-{restart}.sqlite3'}"
            runs.append(broadcast(url, "SQLite file", chats, restart, None))
            harness.say(f"{runs[-1].backend}, {runs[-1].run}: {runs[-1].wall_s:.0f} s")
    if postgres and harness.postgres_reachable():
        app = "nezlam_bench_broadcast"
        for restart in variants:
            with harness.scratch_database("bench_broadcast"):
                url = harness.postgres_url("bench_broadcast", "+psycopg")
                runs.append(
                    broadcast(f"{url}?application_name={app}", "PostgreSQL", chats, restart, app)
                )
                harness.say(f"{runs[-1].backend}, {runs[-1].run}: {runs[-1].wall_s:.0f} s")
    elif postgres:
        harness.say("PostgreSQL not reachable: SQLite only")
    report(runs, bare, per_second)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=CHATS)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="5,000 chats")
    args = parser.parse_args(argv)
    if args.quick:
        args.chats = 5_000
    harness.header("A Telegram broadcast through the dispatcher, paced, on a virtual clock")
    return run(args.chats, not args.no_postgres)


if __name__ == "__main__":
    sys.exit(main())
