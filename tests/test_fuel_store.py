"""A point's generators, its runway as the reports and its devices move it, and fuel deliveries
(issue 13), on SQLite and PostgreSQL: the runway is read from what was written, advanced by the
hours the point ran on its generator, and a delivery becomes the point's new fuel reading."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from nezlam.domain.device_facts import HeartbeatCreate, PoweredBy
from nezlam.domain.fuel import DeliveryCreate, GeneratorCreate
from nezlam.domain.fuel_runway import burn_of
from nezlam.domain.points import ReportCreate
from nezlam.store import dashboard as board
from nezlam.store import devices, generators, reports
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, Point, StatusReport

RESERVE = timedelta(hours=6)


def row(db, clock, point_id="point-a"):
    with db.read() as session:
        return board.row_of(
            session.get(Point, point_id),
            now=clock(),
            stale_after=timedelta(hours=6),
            no_response_after=timedelta(hours=24),
            fuel_reserve=RESERVE,
        )


def report(db, clock, **said):
    with db.write() as session:
        reports.add_report(session, "point-a", ReportCreate(**said), CLI, now=clock())


def add_set(db, clock, **fields):
    with db.write() as session:
        return generators.add_generator(
            session, "point-a", GeneratorCreate(**fields), CLI, clock()
        ).id


def test_generators_give_the_point_its_consumption_and_tanks(db, clock, network):
    with db.read() as session:
        seq_before = session.get(Point, "point-a").change_seq
    main = add_set(db, clock, rated_kw=20, tank_litres=120, label="Головний")
    add_set(db, clock, rated_kw=5, fuel="petrol", tank_litres=20, backup=True)
    with db.read() as session:
        point = session.get(Point, "point-a")
        assert point.fuel_use_lph == pytest.approx(3.4)  # the backup burns nothing
        assert point.fuel_tank_litres == 140
        assert point.change_seq > seq_before  # every worker's index sees it at its next poll
        audited = session.execute(
            sa.select(AuditEntry.action).where(AuditEntry.entity == "generator")
        ).scalars()
        assert list(audited) == ["create", "create"]
    with db.write() as session:
        assert generators.remove_generator(session, main, CLI, clock()) == "point-a"
    with db.read() as session:
        assert session.get(Point, "point-a").fuel_use_lph is None  # only a backup is left


def test_the_runway_runs_down_only_while_the_point_is_on_its_generator(db, clock, network):
    add_set(db, clock, rated_kw=20, litres_per_hour=4.0, tank_litres=200)
    report(db, clock, status="open", power="grid", fuel_litres=110)
    clock.advance(hours=2)
    assert row(db, clock).runway.litres_left == pytest.approx(110)  # on the mains
    report(db, clock, power="generator")
    clock.advance(hours=5.5)  # one run and one rest: 5 h of fuel burnt
    found = row(db, clock).runway
    assert found.burning and found.litres_left == pytest.approx(90)
    assert found.hours_left == pytest.approx(90 / (4 * 5 / 5.5))
    report(db, clock, power="grid")
    clock.advance(hours=10)
    assert row(db, clock).runway.litres_left == pytest.approx(90)
    assert not row(db, clock).runway.burning


def test_a_device_starting_the_generator_counts_too(db, clock, network):
    add_set(db, clock, rated_kw=20, litres_per_hour=4.0)
    report(db, clock, status="open", power="grid", fuel_litres=55)
    with db.write() as session:
        key, _row = devices.create_device(session, "point-a", "UPS", CLI, PoweredBy.BATTERY)
    from nezlam.device_pings import PingJob

    with db.write() as session:
        PingJob(key, HeartbeatCreate(power="generator"), clock(), timedelta(minutes=5)).write(
            session
        )
    with db.read() as session:
        point = session.get(Point, "point-a")
        assert point.power == "generator" and burn_of(point.state_times).since == clock()
    clock.advance(hours=11)
    assert row(db, clock).runway.litres_left == pytest.approx(55 - 40)


def test_a_delivery_tops_up_what_is_left_within_the_tanks(db, clock, network):
    add_set(db, clock, rated_kw=20, litres_per_hour=4.0, tank_litres=150)
    report(db, clock, status="open", power="generator", fuel_litres=100)
    clock.advance(hours=11)  # 40 l burnt
    with db.write() as session:
        done = generators.record_delivery(
            session, "point-a", DeliveryCreate(litres=50, delivered_by="Truck 2"), CLI, clock()
        )
    assert done.litres_before == pytest.approx(60) and done.litres_after == pytest.approx(110)
    with db.write() as session:
        full = generators.record_delivery(
            session, "point-a", DeliveryCreate(litres=500), CLI, clock()
        )
    assert full.litres_after == 150  # what the tanks hold; the delivery keeps what was said
    with db.read() as session:
        point = session.get(Point, "point-a")
        assert point.fuel_litres == 150 and burn_of(point.state_times).since == clock()
        sources = session.execute(
            sa.select(StatusReport.source, StatusReport.fuel_litres)
            .where(StatusReport.point_id == "point-a")
            .order_by(StatusReport.id)
        ).all()
        assert sources[-2:] == [("delivery", 110), ("delivery", 150)]
        listed = generators.deliveries_of(session, "point-a")
        assert [(d.litres, d.delivered_by) for d in listed] == [(500, None), (50, "Truck 2")]
    assert row(db, clock).runway.litres_left == 150


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rated_kw": 0}, "rated_kw"),
        ({"rated_kw": True}, "rated_kw"),
        ({"rated_kw": 20, "fuel": "coal"}, "fuel"),
        ({"rated_kw": 20, "tank_litres": -5}, "tank_litres"),
        ({"rated_kw": 20, "litres_per_hour": 9000}, "litres_per_hour"),
    ],
)
def test_a_generator_that_cannot_be_is_refused_naming_its_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        GeneratorCreate(**fields)
    assert refused.value.errors()[0]["loc"] == (field,)
