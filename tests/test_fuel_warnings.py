"""The warning before a point reaches its fuel reserve (issue 13), on SQLite and PostgreSQL:
given once per fuel reading, at the run when the runway to the reserve falls within the
horizon — not before, not for a point on the mains, again after a new reading — and through
the command line as the servers' warner gives it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.domain.fuel import GeneratorCreate
from nezlam.domain.points import ReportCreate
from nezlam.fuel_warner import FuelWarner
from nezlam.store import generators, reports
from nezlam.store.actor import CLI
from nezlam.store.tables import Notification

RESERVE, WITHIN = timedelta(hours=6), timedelta(hours=12)


@pytest.fixture
def warner(db, clock):
    return FuelWarner(db, clock, RESERVE, WITHIN)


def setup_point(db, clock, litres, power="generator", lph=4.0):
    with db.write() as session:
        generators.add_generator(
            session, "point-a", GeneratorCreate(rated_kw=20, litres_per_hour=lph), CLI, clock()
        )
        reports.add_report(
            session, "point-a", ReportCreate(status="open", power=power, fuel_litres=litres),
            CLI, now=clock(),
        )  # fmt: skip


def warnings_given(db):
    with db.read() as session:
        query = sa.select(Notification.at, Notification.details).where(
            Notification.kind == "fuel_reserve"
        )
        return session.execute(query.order_by(Notification.id)).all()


def test_a_point_is_warned_once_when_its_reserve_comes_within_the_horizon(
    db, clock, network, warner
):
    # 4 l/h with rests: 40/11 l an hour on the clock. 110 l: 30.25 h, 24.25 h to a 6 h reserve.
    setup_point(db, clock, 110)
    assert warner.warn() == []
    clock.advance(hours=12)  # 12.25 h to the reserve: not yet
    assert warner.warn() == []
    clock.advance(minutes=20)  # 11.9 h
    [warning] = warner.warn()
    assert warning.point_id == "point-a"
    assert warning.runway.hours_to_reserve == pytest.approx(24.25 - 12 - 1 / 3)
    [(at, details)] = warnings_given(db)
    assert at == clock() and details["litres_left"] == pytest.approx(110 - 12.333 * 40 / 11, 0.01)
    assert details["reserve_at"] and details["empty_at"]
    clock.advance(hours=1)
    assert warner.warn() == []  # once per reading
    assert len(warnings_given(db)) == 1


def test_a_new_reading_may_warn_again_and_a_point_on_the_mains_never(db, clock, network, warner):
    setup_point(db, clock, 40)  # 11 h on the clock, 5 h to the reserve: at once
    assert len(warner.warn()) == 1
    clock.advance(minutes=30)
    with db.write() as session:
        reports.add_report(session, "point-a", ReportCreate(fuel_litres=38), CLI, now=clock())
    clock.advance(minutes=1)
    assert len(warner.warn()) == 1  # a new reading, still short
    with db.write() as session:
        reports.add_report(session, "point-a", ReportCreate(power="grid"), CLI, now=clock())
    with db.write() as session:
        reports.add_report(session, "point-a", ReportCreate(fuel_litres=30), CLI, now=clock())
    clock.advance(hours=1)
    assert warner.warn() == []  # on the mains: nothing runs down
    assert len(warnings_given(db)) == 2


def test_the_command_line_warns_and_lists_the_runways(db_url, db, clock, network, monkeypatch):
    from nezlam.cli import app

    monkeypatch.setenv("NEZLAM_DATABASE_URL", db_url)
    runner = CliRunner()
    added = runner.invoke(app, ["fuel", "generator", "point-a", "--kw", "20", "--tank", "200"])
    assert added.exit_code == 0, added.output
    assert "3.4 l/h" in added.output
    refused = runner.invoke(app, ["fuel", "generator", "point-a", "--kw", "0"])
    assert refused.exit_code == 1 and "rated_kw" in refused.output
    with db.write() as session:
        reports.add_report(session, "point-a", ReportCreate(power="generator", fuel_litres=30), CLI)
    listed = runner.invoke(app, ["fuel", "runway", "--within", "12"])
    assert listed.exit_code == 0, listed.output
    assert "point-a" in listed.output and "yes" in listed.output
    warned = runner.invoke(app, ["fuel", "warn"])
    assert warned.exit_code == 0 and "1 warned" in warned.output
    delivered = runner.invoke(app, ["fuel", "deliver", "point-a", "--litres", "100", "--by", "T1"])
    assert delivered.exit_code == 0, delivered.output
    assert "+ 100 l" in delivered.output
    assert "point-a" not in runner.invoke(app, ["fuel", "runway", "--within", "12"]).output
