"""The audit log: every change to a point, its status, a user or a role, with author, time,
before and after; append-only."""

import sqlalchemy as sa

from nezlam.store.tables import AuditEntry


def audit_of(client, network, point_id):
    response = client.get(f"/api/v1/points/{point_id}/audit", headers=network.headers("admin"))
    assert response.status_code == 200
    return response.json()["entries"]


def test_point_edits_and_reports_are_audited_with_author_before_and_after(
    app_client, network, clock
):
    url = f"/api/v1/points/{network.point_a}"
    app_client.patch(url, json={"capacity": 55}, headers=network.headers("operator_a"))
    clock.advance(minutes=3)
    app_client.post(
        f"{url}/reports",
        json={"status": "full", "occupancy": 55},
        headers=network.headers("coordinator_a"),
    )
    entries = audit_of(app_client, network, network.point_a)
    report, edit, create = entries[0], entries[1], entries[-1]
    assert create["action"] == "create" and create["actor"] == "cli"
    assert edit["action"] == "update" and edit["actor"].startswith("token:")
    assert edit["before"] == {"capacity": 40} and edit["after"] == {"capacity": 55}
    assert report["action"] == "report"
    assert report["after"]["status"] == "full" and report["before"]["status"] is None
    assert report["at"] == "2026-11-24T18:03:00Z"


def test_role_grants_and_user_creation_are_audited(app_client, network, db):
    app_client.post(
        "/api/v1/users",
        json={"username": "olena", "organisation": "org-a"},
        headers=network.headers("coordinator_a"),
    )
    app_client.post(
        "/api/v1/users/olena/roles",
        json={"role": "operator", "point_id": "point-a"},
        headers=network.headers("coordinator_a"),
    )
    with db.read() as session:
        rows = session.execute(
            sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)
        ).scalars()
        grant, user = list(rows)
    assert (user.entity, user.action, user.after["username"]) == ("user", "create", "olena")
    assert (grant.entity, grant.action, grant.after["point_id"]) == ("role", "grant", "point-a")
    assert grant.actor == user.actor and grant.actor_user_id is not None


def test_audit_log_cannot_be_rewritten(app_client, network, db):
    for statement in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        try:
            with db.write() as session:
                session.execute(sa.text(statement))
        except sa.exc.DatabaseError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")
