"""A point's power company and queue (issue 12: `outage_region`, `outage_queue`): set by its
operator or coordinator through the API's point edit, refused when it is no queue, and read from
a point import's columns; a point so imported is told of its queue's outage. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.domain.points import PointUpdate, ReportCreate
from nezlam.outage_warner import OutageWarner
from nezlam.store import audit, points
from nezlam.store.actor import CLI
from nezlam.store.reports import add_report
from nezlam.store.tables import Point
from tests.test_outage_warnings import LEAD, WARN_AT, schedule_imported


def stored(db, point_id: str) -> tuple[str | None, str | None]:
    with db.read() as session:
        point = session.get(Point, point_id)
        assert point is not None
        return point.outage_region, point.outage_queue


def test_the_operator_sets_the_points_region_and_queue(app_client, db, network):
    response = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"outage_region": "Vinnytsia", "outage_queue": "GPV1.1"},
        headers=network.headers("operator_a"),
    )
    assert response.status_code == 200, response.text
    assert stored(db, network.point_a) == ("vinnytsia", "1.1")  # as the schedules name them
    cleared = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"outage_queue": None},
        headers=network.headers("coordinator_a"),
    )
    assert cleared.status_code == 200 and stored(db, network.point_a) == ("vinnytsia", None)


def test_another_points_operator_may_not_set_them(app_client, db, network):
    response = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"outage_queue": "2.1"},
        headers=network.headers("operator_b"),
    )
    assert response.status_code == 403 and stored(db, network.point_a) == (None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outage_queue": "1.x"}, "outage_queue"),
        ({"outage_queue": "queue one"}, "outage_queue"),
        ({"outage_region": "Вінниця область"}, "outage_region"),
        ({"outage_region": "x" * 65}, "outage_region"),
    ],
)
def test_what_is_no_region_or_queue_is_refused_naming_it(app_client, network, change, field):
    response = app_client.patch(
        f"/api/v1/points/{network.point_a}", json=change, headers=network.headers("operator_a")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_an_edit_is_audited(db, network):
    with db.write() as session:
        points.update_point(session, network.point_a, PointUpdate(outage_queue="3.2"), CLI)
    with db.read() as session:
        newest = audit.entries(session, "point", network.point_a)[0]
    assert newest.action == "update"
    assert (newest.before["outage_queue"], newest.after["outage_queue"]) == (None, "3.2")


def test_a_point_import_reads_the_columns_and_the_point_is_told(db, clock, tmp_path: Path):
    path = tmp_path / "points.csv"
    path.write_text(
        "id,name_uk,category,lat,lon,locality,region,outage_region,outage_queue\n"
        "vin-1,Пункт у школі,state,49.23,28.47,Вінниця,Вінницька область,vinnytsia,GPV1.1\n"
        "vin-2,Пункт у ліцеї,state,49.24,28.48,Вінниця,Вінницька область,,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["import", str(path)], env={"NEZLAM_DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    assert stored(db, "vin-1") == ("vinnytsia", "1.1") and stored(db, "vin-2") == (None, None)
    clock.now = WARN_AT - timedelta(hours=1)
    schedule_imported(db, clock())
    for point_id in ("vin-1", "vin-2"):
        with db.write() as session:
            add_report(session, point_id, ReportCreate(status="standby"), CLI, now=clock())
    clock.now = WARN_AT
    assert [w.point_id for w in OutageWarner(db, clock, LEAD).warn()] == ["vin-1"]
