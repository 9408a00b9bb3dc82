"""`nezlam probe`: check points' own internet links by their static address (issue 12) — add a
point's probe, list them, and run them once or on a schedule."""

from __future__ import annotations

import time
from datetime import timedelta

import typer
from rich.markup import escape

from nezlam.commands.common import console, database, fail, progress_bar, refuse, settings
from nezlam.domain.device_facts import PoweredBy
from nezlam.domain.errors import DomainError
from nezlam.store.actor import CLI
from nezlam.store.tables import utcnow

app = typer.Typer(help="Probes of points' internet links, by their static address.")


@app.command("add")
def add(
    point: str = typer.Argument(..., help="the point's id"),
    address: str = typer.Argument(..., help="HOST:PORT of its internet link, e.g. 203.0.113.7:443"),
    name: str = typer.Option("probe", help="what to call it in the device list"),
    powered_by: PoweredBy = typer.Option(
        PoweredBy.BATTERY,
        help="battery (the default): the link must work without the mains, so its silence is "
        "not a power cut; mains: it dies with the mains",
    ),
) -> None:
    """Probe POINT's internet link at ADDRESS: each `nezlam probe run` that reaches it counts
    as a ping of this probe's device."""
    from nezlam.store import devices

    try:
        with database().write() as session:
            _key, row = devices.create_device(
                session, point, name, CLI, powered_by, probe_address=address
            )
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(escape(f"probe {row.id} of {point} at {row.probe_address}"))


@app.command("list")
def list_() -> None:
    """The probes not revoked: device id, point, address."""
    from nezlam.probes import targets

    for target in targets(database()):
        print(f"{target.device_id}\t{target.point_id}\t{target.address}")


@app.command("run")
def run(
    every: str = typer.Option(None, help="again and again, this often: 30s, 1m (once without)"),
    concurrency: int = typer.Option(200, min=1, max=5000, help="connections open at once"),
    timeout: float = typer.Option(3.0, min=0.1, max=60.0, help="seconds to wait for each"),
    times: int = typer.Option(0, min=0, help="with --every, stop after this many rounds"),
) -> None:
    """Open a TCP connection to each probe's address; every one that answers is recorded as its
    device's ping (the point's internet works). One that does not is silent, judged as any
    device is once its window (NEZLAM_DEVICE_OFFLINE_AFTER) has run out."""
    from nezlam.config import ConfigError, parse_duration

    pause = None
    if every is not None:
        try:
            pause = parse_duration("--every", every, timedelta(seconds=10), timedelta(days=1))
        except ConfigError as exc:
            raise refuse(str(exc), code=2) from exc
    done = 0
    while True:
        one_round(concurrency, timeout)
        done += 1
        if pause is None or (times and done >= times):
            return
        time.sleep(pause.total_seconds())


def one_round(concurrency: int, timeout: float) -> None:
    from nezlam.probes import run_once, targets

    db = database()
    probed = targets(db)
    total = len(probed)
    with progress_bar() as bar:
        task = bar.add_task("probing", total=total)
        found = run_once(
            db,
            utcnow,
            settings().device_offline_after,
            concurrency,
            timeout,
            done=lambda _target, _answered: bar.advance(task),
            probed=probed,
        )
    for target in found.silent:
        console.print(escape(f"no answer: {target.point_id} at {target.address}"))
    typer.echo(f"{len(found.reached)} of {total} probes answered")
