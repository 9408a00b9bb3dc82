"""Inspections: a coordinator visits a point and walks the checklist (generator, heating,
internet, water, first aid, mother-and-child room, step-free access).

A visit with no failed item is a first-hand check of the point, so it verifies the point as the
one-tap "still current" does — through `reports.add_report`, so the public finder sees it as any
report. Each failed item becomes a follow-up task for the region's coordinators, open until one
of them marks it done. Only the coordinators of the point's region (and admins) inspect it and
see or close its tasks; every change is in the audit log ("inspection", "task").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import INSPECTION_ITEMS
from nezlam.store import audit, reports
from nezlam.store.actor import Actor
from nezlam.store.points import get_point
from nezlam.store.tables import FollowUpTask, Inspection, Point, User

# An answer per checklist item, and how `Inspection.results` keeps it.
ANSWERS: dict[str, bool | None] = {"pass": True, "fail": False, "na": None}
TASK_FIELDS = ("point_id", "inspection_id", "item", "note", "status", "done_at", "done_by")


@dataclass(frozen=True)
class InspectionInput:
    """The checklist as filled in: an answer for every item, a note per item, general notes."""

    answers: dict[str, str]
    item_notes: dict[str, str] = field(default_factory=dict)
    notes: str | None = None

    def check(self) -> None:
        for item in INSPECTION_ITEMS:
            if self.answers.get(item) not in ANSWERS:
                raise Invalid("answer pass, fail or na", field=item)
        unknown = set(self.answers) - set(INSPECTION_ITEMS)
        if unknown:
            raise Invalid("not a checklist item", field=sorted(unknown)[0])
        for item, note in self.item_notes.items():
            if len(note) > 300:
                raise Invalid("at most 300 characters", field=f"note_{item}")
        if self.notes is not None and len(self.notes) > 1000:
            raise Invalid("at most 1000 characters", field="notes")

    @property
    def failed(self) -> list[str]:
        return [item for item in INSPECTION_ITEMS if self.answers.get(item) == "fail"]


def coordinated_point(session: Session, point_id: str, principal: Principal) -> Point:
    """The point, if the principal coordinates its region (or is an admin)."""
    point = get_point(session, point_id)
    if not principal.coordinates_region(point.region):
        raise Forbidden("only coordinators of the point's region inspect it", field="point_id")
    return point


def inspect(
    session: Session, point_id: str, data: InspectionInput, principal: Principal, now: datetime
) -> Inspection:
    """Record the visit; verify the point when nothing failed; a task for each failed item."""
    coordinated_point(session, point_id, principal)
    data.check()
    actor = Actor.of(principal)
    failed = data.failed
    inspection = Inspection(
        point_id=point_id,
        inspector_user_id=principal.user_id,
        at=now,
        results={item: ANSWERS[data.answers[item]] for item in INSPECTION_ITEMS},
        notes=data.notes or None,
        passed=not failed,
    )
    session.add(inspection)
    session.flush()
    tasks = [
        FollowUpTask(
            point_id=point_id,
            inspection_id=inspection.id,
            item=item,
            note=data.item_notes.get(item) or None,
            status="open",
            created_at=now,
        )
        for item in failed
    ]
    session.add_all(tasks)
    session.flush()
    audit.record(
        session,
        actor=actor.label,
        actor_user_id=actor.user_id,
        entity="inspection",
        entity_id=inspection.id,
        action="create",
        before=None,
        after={
            "point_id": point_id,
            "results": inspection.results,
            "passed": inspection.passed,
            "notes": inspection.notes,
            "tasks": [task.id for task in tasks],
        },
        at=now,
    )
    if inspection.passed:
        reports.add_report(
            session, point_id, ReportCreate(verify=True), actor, source="inspection", now=now
        )
    return inspection


def complete_task(session: Session, task_id: int, principal: Principal, now: datetime) -> Any:
    task = session.get(FollowUpTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", field="task")
    coordinated_point(session, task.point_id, principal)
    if task.status != "open":
        raise Conflict("this task is already done", field="task")
    before = audit.snapshot(task, TASK_FIELDS)
    task.status, task.done_at, task.done_by = "done", now, principal.user_id
    audit.record(
        session,
        actor=principal.label,
        actor_user_id=principal.user_id,
        entity="task",
        entity_id=task.id,
        action="done",
        before=before,
        after=audit.snapshot(task, TASK_FIELDS),
        at=now,
    )
    return task


def _in_regions(principal: Principal) -> list[Any]:
    """The condition that keeps a coordinator to their regions (none for an admin)."""
    if principal.is_admin:
        return []
    return [Point.region.in_(sorted(principal.regions))]


def open_tasks(
    session: Session, principal: Principal, limit: int = 500
) -> list[tuple[FollowUpTask, Point]]:
    """Open follow-up tasks in the principal's regions, the oldest first."""
    query = (
        select(FollowUpTask, Point)
        .join(Point, Point.id == FollowUpTask.point_id)
        .where(FollowUpTask.status == "open", *_in_regions(principal))
        .order_by(FollowUpTask.created_at, FollowUpTask.id)
        .limit(limit)
    )
    return [(task, point) for task, point in session.execute(query)]


def recent_inspections(
    session: Session, principal: Principal, point_id: str | None = None, limit: int = 30
) -> list[tuple[Inspection, Point, str | None]]:
    """(inspection, point, inspector's username), the newest first, in the principal's regions."""
    conditions = _in_regions(principal)
    if point_id is not None:
        conditions.append(Inspection.point_id == point_id)
    query = (
        select(Inspection, Point, User.username)
        .join(Point, Point.id == Inspection.point_id)
        .outerjoin(User, User.id == Inspection.inspector_user_id)
        .where(*conditions)
        .order_by(Inspection.at.desc(), Inspection.id.desc())
        .limit(limit)
    )
    return [(row, point, username) for row, point, username in session.execute(query)]
