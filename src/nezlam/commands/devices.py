"""`nezlam device`: the devices that ping for a point, their keys, and what they last said
(issue 12's heartbeats; README "Devices").

`nezlam.store.devices` is imported inside each command: it hashes keys as the accounts' tokens
are, and loading the accounts loads argon2, which `nezlam --help` does not need."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer
from rich.markup import escape

from nezlam.commands.common import console, database, fail, settings
from nezlam.domain.device_facts import PoweredBy, device_state
from nezlam.domain.errors import DomainError
from nezlam.store.actor import CLI
from nezlam.store.tables import DeviceKey, utcnow

app = typer.Typer(
    help="Devices that ping for a point (an ESP32 on the mains, a phone): their keys.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    point: str,
    name: str = typer.Option(..., help="what and where the device is, e.g. 'ESP32, switchboard'"),
    powered_by: PoweredBy = typer.Option(
        PoweredBy.MAINS,
        help="mains: it dies with the mains, so its silence is a power cut; battery: its own "
        "battery or a UPS keeps it pinging through a cut",
    ),
) -> None:
    """Make a key for a device of POINT; it is printed once and never stored."""
    from nezlam.store import devices  # it loads the accounts' argon2: not for `nezlam --help`

    try:
        with database().write() as session:
            key, row = devices.create_device(session, point, name, CLI, powered_by)
    except DomainError as exc:
        raise fail(exc) from exc
    made = f"device {row.id} of {point} ({row.name}); copy its key now, it is not shown again:"
    console.print(escape(made))
    print(key)


@app.command("list")
def list_(
    point: str = typer.Argument(None, help="only this point's devices (without it, every point's)"),
) -> None:
    """The devices, one a line: id, point, the key's first characters (never the key), what
    powers it, its state now (online, offline for how long, never heard, revoked), its last
    ping, what it last said, and its name."""
    from nezlam.store import devices, points

    offline_after = settings().device_offline_after
    try:
        with database().read() as session:
            if point is not None:
                points.get_point(session, point)
            rows = devices.devices(session, point)
    except DomainError as exc:
        raise fail(exc) from exc
    now = utcnow()
    for row in rows:
        seen = _moment(row.last_seen_at) if row.last_seen_at else "-"
        fields = (row.id, row.point_id, f"{row.prefix}…", row.powered_by)
        words = (*fields, state_of(row, now, offline_after), seen, said_by(row) or "-", row.name)
        print("\t".join(str(word) for word in words))


def state_of(row: DeviceKey, now: datetime, offline_after: timedelta) -> str:
    """ "online", "offline 12 min", "never heard" or "revoked", as a person says it."""
    from nezlam.store import devices

    if row.revoked_at is not None:
        return f"revoked {_moment(row.revoked_at)}"
    online = device_state(devices.facts_of(row), now, offline_after).online
    if online.value is None or online.since is None:
        return "never heard"
    if online.value:
        return "online"
    return f"offline {_span(now - online.since)}"


def said_by(row: DeviceKey) -> str:
    """What the device last said, as `power=battery battery=64% internet=yes people=23`."""
    parts = []
    if row.power is not None:
        parts.append(f"power={row.power}")
    if row.battery_pct is not None:
        parts.append(f"battery={row.battery_pct}%")
    if row.internet is not None:
        parts.append(f"internet={'yes' if row.internet else 'no'}")
    if row.occupancy is not None:
        parts.append(f"people={row.occupancy}")
    return " ".join(parts)


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


@app.command("revoke")
def revoke(device_id: int) -> None:
    """Revoke a device's key by the device's id: its pings are refused from the next one, and
    its point no longer counts what it said."""
    from nezlam.store import device_points, devices

    try:
        with database().write() as session:
            row = devices.revoke_device(session, device_id, CLI)
            window = settings().device_offline_after
            device_points.write_point_facts(session, row.point_id, utcnow(), window)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"device {device_id} revoked")


@app.command("sweep")
def sweep() -> None:
    """Write onto the points what their devices say now, for every device gone silent (the
    server does this every few seconds): offline, or the mains gone. Prints the points
    written; run again at once, it writes none."""
    from nezlam.store import device_points

    with database().write() as session:
        written = device_points.sweep(session, utcnow(), settings().device_offline_after)
    console.print(
        escape(f"{len(written)} points written" + (": " if written else "") + ", ".join(written))
    )
