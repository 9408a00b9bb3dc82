"""The audit log: who changed what, when, with the state before and after. Append-only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nezlam.store.actor import Actor
from nezlam.store.tables import AuditEntry, table_of, utcnow


def plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-able copy of the named attributes of a row."""
    return {name: plain(getattr(row, name)) for name in fields}


INSERT_ENTRY = insert(table_of(AuditEntry))


def record(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: str | int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None = None,
) -> None:
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    # A Core insert, built once: no object to track, and it runs where it is called.
    session.execute(
        INSERT_ENTRY,
        {
            "at": at or utcnow(),
            "actor": actor.label,
            "actor_user_id": actor.user_id,
            "entity": entity,
            "entity_id": str(entity_id),
            "action": action,
            "before": before,
            "after": after,
        },
    )


def entries(session: Session, entity: str, entity_id: str, limit: int = 500) -> list[AuditEntry]:
    """Newest first."""
    return list(
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).scalars()
    )
