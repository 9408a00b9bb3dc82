"""Inspections: a coordinator visits a point and walks the checklist (generator, heating,
internet, water, first aid, mother-and-child room, step-free access).

A visit with no failed item is a first-hand check of the point, so it verifies the point as the
one-tap "still current" does — through `reports.add_report`, so the public finder sees it as any
report. Each failed item becomes a follow-up task for the region's coordinators, open until one
of them marks it done. Only the coordinators of the point's region (and admins) inspect it and
see or close its tasks; every change is in the audit log ("inspection", "task").

A failed item reaches the public: the point's `faults` name it (when, by whom, the note) and
the services it puts out of order are shown as not working, and match no resident's filter,
until the task is done or a later inspection passes the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import INSPECTION_ITEMS
from nezlam.store import audit, reports
from nezlam.store.actor import Actor
from nezlam.store.db import next_change_seq
from nezlam.store.points import get_point
from nezlam.store.tables import FollowUpTask, Inspection, Point, RoleGrant, User

# An answer per checklist item, and how `Inspection.results` keeps it.
ANSWERS: dict[str, bool | None] = {"pass": True, "fail": False, "na": None}
TASK_FIELDS = (
    "point_id", "inspection_id", "item", "note", "status", "done_at", "done_by", "priority",
    "due_at", "assignee_user_id",
)  # fmt: skip
PRIORITIES = ("urgent", "high", "normal")
# A cold room or a dark generator cannot wait for the weekly round; a missing first-aid kit can.
ITEM_PRIORITY = {"heating": "urgent", "generator": "urgent", "water": "high", "internet": "high"}
DUE_WITHIN = {"urgent": timedelta(hours=4), "high": timedelta(days=1), "normal": timedelta(days=3)}


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
            if item not in INSPECTION_ITEMS:
                raise Invalid("not a checklist item", field=f"note_{item[:40]}")
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
    point = coordinated_point(session, point_id, principal)
    data.check()
    actor = Actor.of(principal)
    inspection = _record_visit(session, point_id, data, principal, now)
    _close_fixed_tasks(session, point_id, data, principal, now)
    _update_faults(session, point, data, principal, now)
    if inspection.passed:
        reports.add_report(
            session, point_id, ReportCreate(verify=True), actor, source="inspection", now=now
        )
    return inspection


def _record_visit(
    session: Session, point_id: str, data: InspectionInput, principal: Principal, now: datetime
) -> Inspection:
    """The inspection row and a follow-up task for each failed item, audited together."""
    inspection = Inspection(
        point_id=point_id,
        inspector_user_id=principal.user_id,
        at=now,
        results={item: ANSWERS[data.answers[item]] for item in INSPECTION_ITEMS},
        notes=data.notes or None,
        passed=not data.failed,
    )
    session.add(inspection)
    session.flush()
    tasks = _tasks_for_failed(session, inspection, data, now)
    audit.record(
        session,
        actor=Actor.of(principal),
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
    return inspection


def _tasks_for_failed(
    session: Session, inspection: Inspection, data: InspectionInput, now: datetime
) -> list[FollowUpTask]:
    """An open follow-up task for each failed item, its priority and due time set by the item."""
    tasks = [
        FollowUpTask(
            point_id=inspection.point_id,
            inspection_id=inspection.id,
            item=item,
            note=data.item_notes.get(item) or None,
            status="open",
            created_at=now,
            priority=(priority := ITEM_PRIORITY.get(item, "normal")),
            due_at=now + DUE_WITHIN[priority],
        )
        for item in data.failed
    ]
    session.add_all(tasks)
    session.flush()
    return tasks


def _update_faults(
    session: Session, point: Point, data: InspectionInput, principal: Principal, now: datetime
) -> None:
    """The point's faults after this visit: a passed item's fault is cleared, a failed item's is
    recorded (anew, also when it failed before)."""
    faults = dict(point.faults or {})
    for item, answer in data.answers.items():
        if answer == "pass":
            faults.pop(item, None)
        elif answer == "fail":
            faults[item] = fault_record(session, principal, now, data.item_notes.get(item))
    set_faults(session, point, faults, Actor.of(principal), now)


def fault_record(
    session: Session, principal: Principal, now: datetime, note: str | None
) -> dict[str, Any]:
    """What the public learns of a failed item: when, who checked (the name they chose to show,
    else only that it was a coordinator), and the note."""
    user = session.get(User, principal.user_id)
    return {
        "since": now.isoformat(),
        "by": (user.display_name if user is not None else None) or None,
        "by_user_id": principal.user_id,
        "note": note or None,
    }


def set_faults(
    session: Session, point: Point, faults: dict[str, Any], actor: Actor, now: datetime
) -> None:
    """Store the point's faults (audited, and seen by every worker's index) if they changed."""
    before = point.faults or None
    after = faults or None
    if before == after:
        return
    point.faults = after
    point.change_seq = next_change_seq(session)
    audit.record(
        session,
        actor=actor,
        entity="point",
        entity_id=point.id,
        action="faults",
        before={"faults": before},
        after={"faults": after},
        at=now,
    )
    session.flush()


def _close_fixed_tasks(
    session: Session, point_id: str, data: InspectionInput, principal: Principal, now: datetime
) -> None:
    """An item that passes now is fixed: its open tasks from earlier visits are done."""
    passed = [item for item, answer in data.answers.items() if answer == "pass"]
    if not passed:
        return
    earlier = session.execute(
        select(FollowUpTask).where(
            FollowUpTask.point_id == point_id,
            FollowUpTask.status == "open",
            FollowUpTask.item.in_(passed),
        )
    ).scalars()
    for task in earlier:
        _mark_done(session, task, principal, now)


def complete_task(session: Session, task_id: int, principal: Principal, now: datetime) -> Any:
    task = session.get(FollowUpTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", field="task")
    coordinated_point(session, task.point_id, principal)
    if task.status != "open":
        raise Conflict("this task is already done", field="task")
    _mark_done(session, task, principal, now)
    still_open = session.execute(
        select(FollowUpTask.id).where(
            FollowUpTask.point_id == task.point_id,
            FollowUpTask.item == task.item,
            FollowUpTask.status == "open",
        )
    ).first()
    if still_open is None:  # fixed: the public sees the service working again
        point = get_point(session, task.point_id)
        faults = {k: v for k, v in (point.faults or {}).items() if k != task.item}
        set_faults(session, point, faults, Actor.of(principal), now)
    return task


def _mark_done(session: Session, task: FollowUpTask, principal: Principal, now: datetime) -> None:
    before = audit.snapshot(task, TASK_FIELDS)
    task.status, task.done_at, task.done_by = "done", now, principal.user_id
    audit.record(
        session,
        actor=Actor.of(principal),
        entity="task",
        entity_id=task.id,
        action="done",
        before=before,
        after=audit.snapshot(task, TASK_FIELDS),
        at=now,
    )
    session.flush()


@dataclass(frozen=True)
class TaskPlan:
    """Who fixes a task, how urgently, by when. `assignee` is a username or None (nobody)."""

    priority: str
    due_at: datetime | None
    assignee: str | None

    def check(self) -> None:
        if self.priority not in PRIORITIES:
            raise Invalid(f"one of {', '.join(PRIORITIES)}", field="priority")


def plan_task(
    session: Session, task_id: int, plan: TaskPlan, principal: Principal, now: datetime
) -> FollowUpTask:
    """Set a task's priority, due time and assignee: a coordinator of the point's region (the
    assignee too must coordinate it, or be an admin). Audited."""
    plan.check()
    task = session.get(FollowUpTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", field="task")
    point = coordinated_point(session, task.point_id, principal)
    if task.status != "open":
        raise Conflict("this task is already done", field="task")
    assignee_id = _assignee(session, plan.assignee, point.region)
    before = audit.snapshot(task, TASK_FIELDS)
    task.priority, task.due_at, task.assignee_user_id = plan.priority, plan.due_at, assignee_id
    audit.record(
        session,
        actor=Actor.of(principal),
        entity="task",
        entity_id=task.id,
        action="plan",
        before=before,
        after=audit.snapshot(task, TASK_FIELDS),
        at=now,
    )
    session.flush()
    return task


def _assignee(session: Session, username: str | None, region: str) -> int | None:
    if not username:
        return None
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise Invalid(f"no active user {username!r}", field="assignee")
    if username not in region_coordinators(session, region):
        raise Invalid("the assignee must coordinate the point's region", field="assignee")
    return user.id


def region_coordinators(session: Session, region: str) -> list[str]:
    """Usernames who may be given a task at a point of `region`: its coordinators, admins."""
    query = (
        select(User.username)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            User.is_active.is_(True),
            or_(
                RoleGrant.role == "admin",
                (RoleGrant.role == "coordinator") & (RoleGrant.region == region),
            ),
        )
        .distinct()
        .order_by(User.username)
    )
    return list(session.execute(query).scalars())


def _in_regions(principal: Principal) -> list[Any]:
    """The condition that keeps a coordinator to their regions (none for an admin)."""
    if principal.is_admin:
        return []
    return [Point.region.in_(sorted(principal.regions))]


def open_tasks(
    session: Session, principal: Principal, limit: int = 500, mine: bool = False
) -> list[tuple[FollowUpTask, Point, str | None]]:
    """(task, point, assignee's username) open in the principal's regions: the most urgent
    first, then the soonest due; `mine`: only the principal's own."""
    rank = case({"urgent": 0, "high": 1}, value=FollowUpTask.priority, else_=2)
    conditions = [FollowUpTask.status == "open", *_in_regions(principal)]
    if mine:
        conditions.append(FollowUpTask.assignee_user_id == principal.user_id)
    query = (
        select(FollowUpTask, Point, User.username)
        .join(Point, Point.id == FollowUpTask.point_id)
        .outerjoin(User, User.id == FollowUpTask.assignee_user_id)
        .where(*conditions)
        .order_by(
            rank,
            FollowUpTask.due_at.is_(None),
            FollowUpTask.due_at,
            FollowUpTask.created_at,
            FollowUpTask.id,
        )
        .limit(limit)
    )
    return [(task, point, username) for task, point, username in session.execute(query)]


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
