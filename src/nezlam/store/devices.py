"""The points' devices: their keys (made, listed, revoked) and their pings (issue 12).

A device key is a long random string like an API token, so it is kept the same way: only its
SHA-256 (`accounts.tokens.hash_token`), which finds the device with one indexed read. The key
itself is handed out once, when made, and is nowhere in the database.

A ping is the hot path (every point's device, every minute), so pings are recorded many at a
time (`record_pings`, for the report writer's batches): one read of all their devices' rows by
their keys' hashes, taken for the transaction, then one statement writing every device's
last-seen time. A ping that says nothing new writes nothing else; one that changes a fact
writes that fact too. Neither touches the point's row here: a ping that changes what the
point's devices say (`domain.device_facts.point_facts`) has that written onto the point by
`store.device_points`, in the same transaction, and a ping verifies nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from nezlam.domain.device_facts import (
    DeviceFacts,
    HeartbeatCreate,
    PointFacts,
    PoweredBy,
    after_ping,
    changed_facts,
    point_facts,
)
from nezlam.domain.errors import DomainError, Forbidden, Invalid, NotFound, Unauthenticated
from nezlam.domain.vocabulary import Power
from nezlam.store import audit
from nezlam.store.accounts.tokens import hash_token
from nezlam.store.actor import Actor
from nezlam.store.tables import DeviceKey, Point, UTCDateTime, table_of, utcnow

KEY_PREFIX = "nzd_"
KEY_LENGTH = len(KEY_PREFIX) + 43  # secrets.token_urlsafe(32)
NAME_MAX = 100
DEVICES = table_of(DeviceKey)


def could_be_key(key: str) -> bool:
    """Whether `key` is shaped like a key this module makes: what is not is refused without a
    look at the database."""
    return len(key) == KEY_LENGTH and key.startswith(KEY_PREFIX)


def create_device(
    session: Session,
    point_id: str,
    name: str,
    actor: Actor,
    powered_by: PoweredBy | str = PoweredBy.MAINS,
    now: datetime | None = None,
    probe_address: str | None = None,
) -> tuple[str, DeviceKey]:
    """A new device key for a point. Returns the key itself (shown once, never stored) and
    the device's row. Refuses a point that does not exist and a name that is empty, too long
    or has a NUL, naming the field."""
    name = _checked_name(name)
    if powered_by not in set(PoweredBy):
        raise Invalid("a device is powered by mains or battery", field="powered_by")
    if session.get(Point, point_id) is None:
        raise NotFound(f"no point with id {point_id!r}", field="point")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = DeviceKey(
        probe_address=None if probe_address is None else checked_address(probe_address),
        point_id=point_id,
        name=name,
        key_hash=hash_token(key),
        prefix=key[: len(KEY_PREFIX) + 6],
        powered_by=str(PoweredBy(powered_by)),
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    after = {"point_id": point_id, "name": name, "prefix": row.prefix, "powered_by": row.powered_by}
    audit.record(
        session,
        actor=actor,
        entity="device",
        entity_id=row.id,
        action="create",
        before=None,
        after=after,
        at=row.created_at,
    )
    return key, row


def checked_address(address: str) -> str:
    """host:port of a probe (an IPv6 address in brackets), as typed but trimmed; anything else
    is refused naming the field."""
    address = address.strip()
    try:
        parts = urlsplit("//" + address)
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or port == 0 or len(address) > 255 or "@" in address:
        raise Invalid("a probe's address is host:port, e.g. 203.0.113.7:443", field="address")
    return address


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX or "\x00" in name:
        raise Invalid(f"a device's name is 1 to {NAME_MAX} characters", field="name")
    return name


def revoke_device(
    session: Session, device_id: int, actor: Actor, now: datetime | None = None
) -> DeviceKey:
    """Revoke a device's key: its pings are refused from the next one. Revoking twice is
    revoking once."""
    row = session.get(DeviceKey, device_id)
    if row is None:
        raise NotFound(f"no device {device_id}", field="device_id")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit.record(
            session,
            actor=actor,
            entity="device",
            entity_id=row.id,
            action="revoke",
            before={"revoked_at": None},
            after={"revoked_at": row.revoked_at.isoformat()},
            at=row.revoked_at,
        )
    return row


def devices(session: Session, point_id: str | None = None) -> list[DeviceKey]:
    """The devices of a point (or of every point), revoked ones too, by point and id."""
    query = select(DeviceKey).order_by(DeviceKey.point_id, DeviceKey.id)
    if point_id is not None:
        query = query.where(DeviceKey.point_id == point_id)
    return list(session.execute(query).scalars())


def facts_of(row: Any) -> DeviceFacts:
    """A device's row (ORM or Core) as the domain's facts."""
    return DeviceFacts(
        device_id=row.id,
        powered_by=PoweredBy(row.powered_by),
        last_seen_at=row.last_seen_at,
        online_since=row.online_since,
        power=Power(row.power) if row.power is not None else None,
        power_since=row.power_since,
        internet=row.internet,
        internet_since=row.internet_since,
        battery_pct=row.battery_pct,
        occupancy=row.occupancy,
    )


def point_device_facts(
    session: Session, point_id: str, now: datetime, offline_after: timedelta
) -> PointFacts:
    """What the point's devices (not revoked) say about it at `now`."""
    query = select(DEVICES).where(DEVICES.c.point_id == point_id, DEVICES.c.revoked_at.is_(None))
    rows = session.execute(query.order_by(DEVICES.c.id)).all()
    return point_facts([facts_of(row) for row in rows], now, offline_after)


# --- A ping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ping:
    """What a ping did: the device and point it came for, when, and the facts it changed
    besides its last-seen time ({} for most)."""

    device_id: int
    point_id: str
    seen_at: datetime
    changed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Arrival:
    """A ping as it arrived: the key it came with, what it says, and when (the app's clock)."""

    key: str
    ping: HeartbeatCreate
    now: datetime


# Built once: the hot path runs them, and building a statement costs more than running it.
# The rows are taken in the order of their ids (FOR UPDATE on PostgreSQL; SQLite's writer holds
# the whole database already), so two workers' batches take the same devices in one order.
FIND_BY_KEYS = (
    select(DEVICES)
    .where(DEVICES.c.key_hash.in_(bindparam("hashes", expanding=True)))
    .order_by(DEVICES.c.id)
    .with_for_update()
)
FIND_BY_IDS = (
    select(DEVICES)
    .where(DEVICES.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(DEVICES.c.id)
    .with_for_update()
)
TOUCH = (
    update(DEVICES)
    .where(DEVICES.c.id == bindparam("b_id"))
    .values(last_seen_at=bindparam("b_now", type_=UTCDateTime()))
)


def record_ping(
    session: Session, key: str, ping: HeartbeatCreate, now: datetime, offline_after: timedelta
) -> Ping:
    """Record one device's ping at `now`. An unknown key is Unauthenticated and a revoked one
    Forbidden, both before anything is written."""
    (outcome,) = record_pings(session, [Arrival(key, ping, now)], offline_after)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def record_pings(
    session: Session, arrivals: list[Arrival], offline_after: timedelta
) -> list[Ping | DomainError]:
    """Record many pings at once, in the order they arrived: one read of all their devices,
    one statement for every device whose ping said nothing new (its last-seen time, given
    many times), and one update for each that did. Each arrival's outcome is its Ping, or the
    refusal of its key (unknown: Unauthenticated; revoked: Forbidden), which writes nothing."""
    hashes = [hash_token(arrival.key) for arrival in arrivals]
    found = session.execute(FIND_BY_KEYS, {"hashes": sorted(set(hashes))})
    rows = {row.key_hash: row for row in found}
    return _record(session, [rows.get(key_hash) for key_hash in hashes], arrivals, offline_after)


def record_probes(
    session: Session, device_ids: list[int], arrivals: list[Arrival], offline_after: timedelta
) -> list[Ping | DomainError]:
    """Record each of `arrivals` (a probe's answer, as a ping) for the device of the same
    place in `device_ids`: probes have no key to look them up by."""
    found = session.execute(FIND_BY_IDS, {"ids": sorted(set(device_ids))})
    rows = {row.id: row for row in found}
    return _record(session, [rows.get(i) for i in device_ids], arrivals, offline_after)


def _record(
    session: Session,
    found: list[Row[Any] | None],
    arrivals: list[Arrival],
    offline_after: timedelta,
) -> list[Ping | DomainError]:
    """Each arrival written onto its device's row (`found`, None for an unknown key)."""
    facts: dict[int, DeviceFacts] = {}  # each device as this batch leaves it
    outcomes: list[Ping | DomainError] = []
    for arrival, row in zip(arrivals, found, strict=True):
        if row is None or row.revoked_at is not None:
            outcomes.append(_refusal(row))
            continue
        before = facts.get(row.id) or facts_of(row)
        after = facts[row.id] = after_ping(before, arrival.ping, arrival.now, offline_after)
        changes = changed_facts(before, after)
        if changes:
            values = {name: _stored(value) for name, value in changes.items()}
            session.execute(update(DEVICES).where(DEVICES.c.id == row.id).values(**values))
        outcomes.append(Ping(row.id, row.point_id, arrival.now, changes))
    if facts:  # the latest ping of each device, whatever it said
        seen = [{"b_id": device, "b_now": after.last_seen_at} for device, after in facts.items()]
        session.execute(TOUCH, seen)
    return outcomes


def _refusal(row: Row[Any] | None) -> DomainError:
    if row is None:
        return Unauthenticated("unknown device key", field="key")
    return Forbidden("this device's key was revoked", field="key")


def _stored(value: Any) -> Any:
    return str(value) if isinstance(value, Power) else value
