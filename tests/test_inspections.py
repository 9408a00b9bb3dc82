"""Inspections: a coordinator of the point's region walks the checklist; passing verifies the
point (the public status says so at once), each failed item becomes a follow-up task until
someone marks it done. Other regions' coordinators, operators and anonymous visitors get nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import INSPECTION_ITEMS
from nezlam.store import reports
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, FollowUpTask, Inspection, Point, StatusReport, User
from tests.conftest import sign_in_as

EN = {"Accept-Language": "en"}
ALL_PASS = {item: "pass" for item in INSPECTION_ITEMS}


@pytest.fixture
def opened(app_client, db, clock):
    """Point A reported open seven hours ago: the public sees it as unconfirmed now."""
    with db.write() as session:
        reports.add_report(
            session, "point-a", ReportCreate(status="open"), CLI, now=clock.advance(hours=-7)
        )
    clock.advance(hours=7)
    app_client.app.state.nezlam.sync.load_all()
    return app_client


def inspect(client, csrf, point="point-a", **answers):
    data = {"csrf": csrf, **ALL_PASS, **answers}
    return client.post(f"/coordinate/points/{point}/inspect", data=data, follow_redirects=False)


def count(db, table):
    with db.read() as session:
        return session.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def open_tasks(db):
    with db.read() as session:
        return session.execute(
            sa.select(FollowUpTask.point_id, FollowUpTask.item, FollowUpTask.note)
            .where(FollowUpTask.status == "open")
            .order_by(FollowUpTask.id)
        ).all()


def verified_at(db, point_id="point-a"):
    with db.read() as session:
        return session.get(Point, point_id).verified_at


def test_inspection_pages_send_anonymous_visitors_to_sign_in(app_client, network, db, clock):
    for path in ("/coordinate/points/point-a/inspect", "/coordinate/tasks"):
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}"
    answer = inspect(app_client, "")
    assert answer.headers["location"].startswith("/login") and count(db, Inspection) == 0
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, water="fail")
    app_client.cookies.clear()
    answer = app_client.post("/coordinate/tasks/1/done", data={}, follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/coordinate/tasks"
    assert len(open_tasks(db)) == 1


def test_operators_may_not_inspect_or_see_tasks(app_client, network, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    assert app_client.get("/coordinate/points/point-a/inspect").status_code == 403
    assert app_client.get("/coordinate/tasks").status_code == 403
    assert inspect(app_client, csrf).status_code == 403 and count(db, Inspection) == 0


def test_a_passed_inspection_verifies_the_point_and_the_public_sees_it_confirmed(opened, db, clock):
    assert opened.get("/api/v1/points/point-a").json()["properties"]["status"] == "unconfirmed"
    csrf = sign_in_as(opened, db, "coordinator_a", clock())
    form = opened.get("/coordinate/points/point-a/inspect", headers=EN)
    assert form.status_code == 200 and "Generator works" in form.text and "Unconfirmed" in form.text
    answer = inspect(opened, csrf, mother_and_child="na", notes="Все гаразд")
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=passed")
    assert verified_at(db) == clock()
    with db.read() as session:
        report = session.execute(sa.select(StatusReport).order_by(StatusReport.id.desc())).scalar()
        inspector = session.execute(sa.select(User.id).where(User.username == "coordinator_a"))
        inspection = session.execute(sa.select(Inspection)).scalar_one()
        audit = session.execute(
            sa.select(AuditEntry.entity, AuditEntry.action, AuditEntry.actor).order_by(
                AuditEntry.id.desc()
            )
        ).all()[:2]
    assert (report.source, report.verify, report.reporter_user_id) == (
        "inspection", True, inspector.scalar_one()
    )  # fmt: skip
    assert inspection.passed and inspection.results["mother_and_child"] is None
    assert inspection.results["generator"] is True and inspection.notes == "Все гаразд"
    assert set(audit) == {
        ("inspection", "create", "user:coordinator_a"),
        ("point", "verify", "user:coordinator_a"),
    }
    assert opened.get("/api/v1/points/point-a").json()["properties"]["status"] == "open"
    page = opened.get(answer.headers["location"], headers=EN).text
    assert "Inspection passed" in page and "confirmed just now" in page
    assert open_tasks(db) == []


def test_failed_items_become_tasks_and_do_not_verify_the_point(opened, db, clock):
    before = verified_at(db)
    csrf = sign_in_as(opened, db, "coordinator_a", clock())
    answer = inspect(
        opened, csrf, generator="fail", note_generator="Не запускається", step_free="fail"
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=failed")
    assert verified_at(db) == before
    assert count(db, StatusReport) == 1  # only the report from seven hours ago
    assert open_tasks(db) == [
        ("point-a", "generator", "Не запускається"),
        ("point-a", "step_free", None),
    ]
    assert opened.get("/api/v1/points/point-a").json()["properties"]["status"] == "unconfirmed"
    page = opened.get("/coordinate/tasks").text  # Ukrainian by default
    assert "Генератор працює" in page and "Не запускається" in page
    assert "Безбар'єрний доступ" in page or "Безбар&#39;єрний доступ" in page


def test_an_incomplete_checklist_names_the_items_and_keeps_the_answers(
    app_client, network, db, clock
):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    answers = {**ALL_PASS, "heating": "", "water": "maybe", "generator": "fail"}
    answer = app_client.post(
        "/coordinate/points/point-a/inspect",
        data={"csrf": csrf, **answers, "note_generator": "Дим"},
        headers=EN,
    )
    assert answer.status_code == 422
    assert answer.text.count("Choose passed, failed or not applicable") == 4  # 2 in the list
    assert 'name="generator" value="fail" checked' in answer.text and 'value="Дим"' in answer.text
    assert count(db, Inspection) == 0 and count(db, FollowUpTask) == 0


def test_a_coordinator_of_another_region_neither_inspects_nor_sees_nor_closes_tasks(
    app_client, network, db, clock
):
    csrf_a = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf_a, heating="fail")
    with db.read() as session:
        task_id = session.execute(sa.select(FollowUpTask.id)).scalar_one()
    csrf_b = sign_in_as(app_client, db, "coordinator_b", clock())
    assert app_client.get("/coordinate/points/point-a/inspect").status_code == 403
    assert inspect(app_client, csrf_b).status_code == 403
    assert inspect(app_client, csrf_b, heating="").status_code == 403  # even an invalid form
    tasks_b = app_client.get("/coordinate/tasks").text
    assert "Point point-a" not in tasks_b and "Пункт point-a" not in tasks_b
    refused = app_client.post(
        f"/coordinate/tasks/{task_id}/done", data={"csrf": csrf_b}, follow_redirects=False
    )
    assert refused.status_code == 403 and len(open_tasks(db)) == 1
    assert count(db, Inspection) == 1
    sign_in_as(app_client, db, "admin", clock())
    assert "Пункт point-a" in app_client.get("/coordinate/tasks").text


def test_marking_a_task_done_closes_it_with_its_author(app_client, network, db, clock):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    inspect(app_client, csrf, water="fail", note_water="Немає бутлів")
    with db.read() as session:
        task_id = session.execute(sa.select(FollowUpTask.id)).scalar_one()
    clock.advance(hours=2)
    page = app_client.get("/coordinate/tasks", headers=EN).text
    assert f'id="task-{task_id}"' in page and "2 hours" in page
    done = app_client.post(
        f"/coordinate/tasks/{task_id}/done", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and open_tasks(db) == []
    with db.read() as session:
        task = session.get(FollowUpTask, task_id)
        entry = session.execute(
            sa.select(AuditEntry).where(AuditEntry.entity == "task")
        ).scalar_one()
    assert task.status == "done" and task.done_at == clock() and task.done_by is not None
    assert (entry.action, entry.actor, entry.entity_id) == (
        "done",
        "user:coordinator_a",
        str(task_id),
    )
    page = app_client.get("/coordinate/tasks", headers=EN).text
    assert f'id="task-{task_id}"' not in page and "Drinking water available" in page  # recent
    again = app_client.post(
        f"/coordinate/tasks/{task_id}/done", data={"csrf": csrf}, follow_redirects=False
    )
    assert again.status_code == 409


def test_inspection_forms_refuse_a_post_without_the_sessions_csrf_token(
    app_client, network, db, clock
):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    for forged in ("", "forged"):
        assert inspect(app_client, forged, generator="fail").status_code == 403
    assert count(db, Inspection) == 0 and verified_at(db) is None
    inspect(app_client, csrf, generator="fail")
    with db.read() as session:
        task_id = session.execute(sa.select(FollowUpTask.id)).scalar_one()
    for forged in ("", "forged"):
        answer = app_client.post(
            f"/coordinate/tasks/{task_id}/done", data={"csrf": forged}, follow_redirects=False
        )
        assert answer.status_code == 403
    assert len(open_tasks(db)) == 1
