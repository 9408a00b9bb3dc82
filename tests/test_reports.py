"""Status reports: append-only history, derived current state, verification and idempotency."""

import sqlalchemy as sa

from nezlam.store.tables import StatusReport


def report(client, network, body, who="operator_a", key=None, point=None):
    headers = network.headers(who)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/points/{point or network.point_a}/reports", json=body, headers=headers
    )


def point(client, network, who="anonymous"):
    return client.get(f"/api/v1/points/{network.point_a}", headers=network.headers(who)).json()


def test_a_report_updates_the_current_state(app_client, network, clock):
    sent = report(
        app_client,
        network,
        {
            "status": "open",
            "power": "generator",
            "heating": True,
            "internet": False,
            "occupancy": 17,
            "fuel_litres": 80.5,
        },
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["received_at"] == clock().isoformat().replace("+00:00", "Z")
    props = point(app_client, network)["properties"]
    assert (
        props["status"],
        props["power"],
        props["heating"],
        props["internet"],
        props["occupancy"],
    ) == ("open", "generator", True, False, 17)
    assert props["updated_at"] == props["verified_at"] == sent.json()["received_at"]
    assert "fuel_litres" not in props  # operational detail, for operators and coordinators
    assert point(app_client, network, "operator_a")["properties"]["fuel_litres"] == 80.5


def test_partial_report_keeps_the_rest_and_does_not_verify(app_client, network, clock):
    report(app_client, network, {"status": "open", "occupancy": 5})
    first = point(app_client, network)["properties"]
    clock.advance(hours=2)
    report(app_client, network, {"occupancy": 9})
    props = point(app_client, network)["properties"]
    assert props["occupancy"] == 9 and props["status"] == "open"
    assert props["verified_at"] == first["verified_at"]
    assert props["updated_at"] > first["updated_at"]


def test_still_current_verifies_without_changing_anything(app_client, network, clock):
    report(app_client, network, {"status": "open", "occupancy": 5})
    clock.advance(hours=5, minutes=59)
    assert report(app_client, network, {"verify": True}).status_code == 201
    clock.advance(hours=5)
    props = point(app_client, network)["properties"]
    assert props["status"] == "open" and props["occupancy"] == 5


def test_unverified_open_turns_unconfirmed_then_no_response(app_client, network, clock):
    report(app_client, network, {"status": "open"})
    clock.advance(hours=6, seconds=1)
    assert point(app_client, network)["properties"]["status"] == "unconfirmed"
    clock.advance(hours=18)
    assert point(app_client, network)["properties"]["status"] == "no_response"


def test_client_time_is_kept_beside_server_time(app_client, network, clock):
    sent = report(
        app_client, network, {"status": "full", "client_time": "2026-11-24T19:55:00+02:00"}
    )
    assert sent.json()["client_time"] == "2026-11-24T17:55:00Z"
    assert sent.json()["received_at"] == "2026-11-24T18:00:00Z"


def test_empty_or_bad_report_is_refused_with_the_field(app_client, network):
    empty = report(app_client, network, {})
    assert empty.status_code == 422 and "at least one" in empty.json()["errors"][0]["problem"]
    bad = report(app_client, network, {"status": "maybe", "occupancy": -1})
    fields = {e["field"] for e in bad.json()["errors"]}
    assert bad.status_code == 422 and fields == {"status", "occupancy"}
    naive = report(app_client, network, {"status": "open", "client_time": "2026-11-24T10:00:00"})
    assert naive.status_code == 422


def test_same_idempotency_key_is_stored_once_and_answered_the_same(app_client, network, db):
    first = report(app_client, network, {"status": "open", "occupancy": 3}, key="k-1")
    again = report(app_client, network, {"status": "open", "occupancy": 3}, key="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    with db.read() as session:
        count = session.execute(sa.select(sa.func.count()).select_from(StatusReport)).scalar()
    assert count == 1


def test_reusing_a_key_for_a_different_report_is_a_conflict(app_client, network):
    report(app_client, network, {"status": "open"}, key="k-2")
    clash = report(app_client, network, {"status": "closed"}, key="k-2")
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["field"] == "Idempotency-Key"
    assert point(app_client, network)["properties"]["reported_status"] == "open"


def test_history_is_newest_first_and_only_for_those_in_charge(app_client, network, clock):
    for status in ("open", "full", "closed"):
        report(app_client, network, {"status": status})
        clock.advance(minutes=10)
    history = app_client.get(
        f"/api/v1/points/{network.point_a}/reports", headers=network.headers("coordinator_a")
    )
    assert [r["status"] for r in history.json()["reports"]] == ["closed", "full", "open"]
    outsider = app_client.get(
        f"/api/v1/points/{network.point_a}/reports", headers=network.headers("coordinator_b")
    )
    assert outsider.status_code == 403


def test_reports_cannot_be_changed_or_deleted_even_in_sql(app_client, network, db):
    report(app_client, network, {"status": "open"})
    for statement in ("UPDATE status_reports SET status = 'closed'", "DELETE FROM status_reports"):
        try:
            with db.write() as session:
                session.execute(sa.text(statement))
        except sa.exc.DatabaseError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")
    with db.read() as session:
        assert session.execute(sa.select(StatusReport.status)).scalars().all() == ["open"]
