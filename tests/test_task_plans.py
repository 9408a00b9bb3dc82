"""Follow-up tasks have an owner, a priority and a due time: a cold room is urgent and due
within hours, a missing first-aid kit within days; coordinators of the point's region assign
them to one another, and an overdue task says so."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from nezlam.domain.vocabulary import INSPECTION_ITEMS
from nezlam.store.tables import AuditEntry, FollowUpTask
from tests.conftest import sign_in_as

EN = {"Accept-Language": "en"}


def inspect(client, csrf, **answers):
    data = {"csrf": csrf, **{item: "pass" for item in INSPECTION_ITEMS}, **answers}
    answer = client.post("/coordinate/points/point-a/inspect", data=data, follow_redirects=False)
    assert answer.status_code == 303 and "/login" not in answer.headers["location"]


def tasks(db):
    with db.read() as session:
        rows = session.execute(sa.select(FollowUpTask).order_by(FollowUpTask.id)).scalars()
        return {task.item: task for task in rows}


def task_cards(page: str) -> list[str]:
    return re.findall(r'<li class="card task [^"]*" id="task-\d+">.*?</li>', page, re.S)


def plan(client, csrf, task_id, **fields):
    return client.post(
        f"/coordinate/tasks/{task_id}/plan",
        data={"csrf": csrf, "priority": "normal", "due_at": "", "assignee": "", **fields},
        follow_redirects=False,
    )


def test_failed_items_get_a_priority_and_a_due_time_by_what_failed(app_client, network, db, clock):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, first_aid="fail", heating="fail", water="fail")
    found = tasks(db)
    assert found["heating"].priority == "urgent"
    assert found["heating"].due_at == clock() + timedelta(hours=4)
    assert found["water"].priority == "high"
    assert found["first_aid"].priority == "normal"
    page = app_client.get("/coordinate/tasks", headers=EN).text
    cards = task_cards(page)
    assert ["Heating works" in cards[0], "Drinking water" in cards[1]] == [True, True]
    assert "First aid" in cards[2]  # the most urgent first
    assert "Urgent" in cards[0] and "due in 4 hours" in cards[0] and "nobody assigned" in cards[0]


def test_a_coordinator_assigns_a_task_to_a_colleague_of_the_region(app_client, network, db, clock):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, generator="fail")
    task = tasks(db)["generator"]
    answer = plan(
        app_client, csrf, task.id, priority="high", due_at="2026-11-25T09:30", assignee="admin"
    )
    assert answer.status_code == 303 and "done=planned" in answer.headers["location"]
    planned = tasks(db)["generator"]
    assert planned.priority == "high"
    assert planned.due_at.isoformat() == "2026-11-25T07:30:00+00:00"  # 09:30 in Kyiv
    with db.read() as session:
        entry = session.execute(
            sa.select(AuditEntry).where(AuditEntry.entity == "task", AuditEntry.action == "plan")
        ).scalar_one()
    assert entry.before["priority"] == "urgent" and entry.after["priority"] == "high"
    clock.advance(days=1)
    csrf = sign_in_as(app_client, db, "admin", clock())
    mine = app_client.get("/coordinate/tasks?mine=1", headers=EN).text
    (card,) = task_cards(mine)
    assert "assigned to admin" in card and "overdue by" in card


def test_a_task_cannot_go_to_someone_outside_the_region_nor_be_planned_from_outside(
    app_client, network, db, clock
):
    csrf_a = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf_a, generator="fail")
    task = tasks(db)["generator"]
    refused = plan(app_client, csrf_a, task.id, assignee="coordinator_b")
    assert refused.status_code == 422 and tasks(db)["generator"].assignee_user_id is None
    bad = plan(app_client, csrf_a, task.id, priority="whenever")
    assert bad.status_code == 422 and tasks(db)["generator"].priority == "urgent"
    bad_time = plan(app_client, csrf_a, task.id, due_at="tomorrow")
    assert bad_time.status_code == 422
    csrf_b = sign_in_as(app_client, db, "coordinator_b", clock())
    outsider = plan(app_client, csrf_b, task.id, assignee="coordinator_b")
    assert outsider.status_code == 403 and tasks(db)["generator"].assignee_user_id is None
    assert plan(app_client, "forged", task.id).status_code == 403
