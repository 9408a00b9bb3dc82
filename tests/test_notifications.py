"""Notifications: a report that turns a point full, closed, powerless or low on fuel records the
turn once, with a delivery for each webhook that wants it, in the report's own transaction."""

import threading

import pytest
import sqlalchemy as sa

from nezlam.domain.errors import Forbidden
from nezlam.domain.notifications import (
    DEFAULT_LOW_FUEL_LITRES,
    NotificationRules,
    WebhookCreate,
    turned_into,
)
from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import NotificationKind as Kind
from nezlam.report_writer import ReportWriter
from nezlam.store import accounts, audit
from nezlam.store import notifications as store
from nezlam.store.actor import CLI
from nezlam.store.reports import add_report
from nezlam.store.tables import AuditEntry, Notification, StatusReport, WebhookDelivery
from tests.conftest import REGION_A, REGION_B
from tests.test_report_writer import as_, run_as_one_batch

SECRET = "s3cret-for-tests-only"


# -- the rule, without a database ---------------------------------------------------------


def state(status=None, power=None, fuel=None):
    return {"status": status, "power": power, "fuel_litres": fuel}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (state("open"), state("full"), (Kind.FULL,)),
        (state(None), state("full"), (Kind.FULL,)),  # its first report already says full
        (state("full"), state("full"), ()),  # still full: said once
        (state("full"), state("closed"), (Kind.CLOSED,)),
        (state("closed"), state("open"), ()),  # better news is no alarm
        (state("open", "grid"), state("open", "none"), (Kind.NO_POWER,)),
        (state("open", "none"), state("open", "none"), ()),
        (state("open", None), state("open", "none"), (Kind.NO_POWER,)),
        (state(fuel=40.0), state(fuel=19.5), (Kind.LOW_FUEL,)),
        (state(fuel=40.0), state(fuel=20.0), ()),  # at the threshold is not below it
        (state(fuel=None), state(fuel=5.0), (Kind.LOW_FUEL,)),
        (state(fuel=15.0), state(fuel=10.0), ()),  # was low already
        (state(fuel=10.0), state(fuel=None), ()),  # unknown is not low
        (
            state("open", "grid", 50.0),
            state("full", "none", 3.0),
            (Kind.FULL, Kind.NO_POWER, Kind.LOW_FUEL),
        ),
    ],
)
def test_a_kind_fires_only_when_the_point_turns_into_it(before, after, expected):
    assert turned_into(before, after, low_fuel_litres=20.0) == expected


def test_the_threshold_decides_what_is_low():
    assert turned_into(state(fuel=60.0), state(fuel=30.0), 50.0) == (Kind.LOW_FUEL,)
    assert turned_into(state(fuel=60.0), state(fuel=30.0), 20.0) == ()


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"url": "ftp://example.org/x"}, "url", "http"),
        ({"url": "https:///nohost"}, "url", "host"),
        ({"secret": "short"}, "secret", "16"),
        ({"kinds": ["full", "hungry"]}, "kinds", "full"),
        ({"kinds": []}, "kinds", "at least one kind"),
    ],
)
def test_a_bad_webhook_is_refused_naming_the_field(fields, field, problem):
    with pytest.raises(ValueError) as refused:
        WebhookCreate(**{"url": "https://example.org/hook", "secret": SECRET, **fields})
    assert refused.value.errors()[0]["loc"][0] == field
    assert problem in str(refused.value)


# -- recorded with the report ---------------------------------------------------------------


def add_webhook(db, region=None, kinds=None, url="http://127.0.0.1:9/hook"):
    with db.write() as session:
        data = WebhookCreate(url=url, secret=SECRET, region=region, kinds=kinds)
        return store.add_webhook(session, data, CLI).id


def send(db, point_id, clock, key=None, **fields):
    with db.write() as session:
        return add_report(
            session, point_id, ReportCreate(**fields), CLI, idempotency_key=key, now=clock()
        )


def notifications(db):
    with db.read() as session:
        rows = session.execute(sa.select(Notification).order_by(Notification.id)).scalars()
        return [(row.point_id, row.kind, row.region) for row in rows]


def deliveries(db):
    """{notification kind and point: sorted webhook ids}"""
    with db.read() as session:
        rows = session.execute(
            sa.select(Notification.point_id, Notification.kind, WebhookDelivery.webhook_id)
            .join(Notification, Notification.id == WebhookDelivery.notification_id)
            .order_by(WebhookDelivery.webhook_id)
        ).all()
    found: dict[tuple[str, str], list[int]] = {}
    for point_id, kind, webhook_id in rows:
        found.setdefault((point_id, kind), []).append(webhook_id)
    return found


def test_a_report_that_turns_a_point_full_records_one_notification(db, network, clock):
    everything = add_webhook(db)
    send(db, network.point_a, clock, status="open", occupancy=10)
    assert notifications(db) == []  # nothing happened: nothing recorded, nothing queued
    send(db, network.point_a, clock, status="full", occupancy=40)
    send(db, network.point_a, clock, status="full", occupancy=41)  # still full
    assert notifications(db) == [(network.point_a, "full", REGION_A)]
    assert deliveries(db) == {(network.point_a, "full"): [everything]}
    with db.read() as session:
        recorded = session.execute(sa.select(Notification)).scalar_one()
        queued = session.execute(sa.select(WebhookDelivery)).scalar_one()
    assert recorded.at == clock() and recorded.acknowledged_at is None
    assert recorded.details["status"] == "full" and recorded.details["occupancy"] == 40
    assert (queued.status, queued.attempts, queued.next_attempt_at) == ("pending", 0, clock())


def test_a_point_that_opens_and_fills_again_is_notified_again(db, network, clock):
    for status in ("full", "open", "full"):
        send(db, network.point_a, clock, status=status)
    assert [kind for _point, kind, _region in notifications(db)] == ["full", "full"]


def test_one_report_can_turn_several_things_at_once(db, network, clock):
    send(db, network.point_a, clock, status="open", power="generator", fuel_litres=60)
    send(db, network.point_a, clock, status="closed", power="none", fuel_litres=4)
    kinds = [kind for _point, kind, _region in notifications(db)]
    assert kinds == ["closed", "no_power", "low_fuel"]
    with db.read() as session:
        low = session.execute(
            sa.select(Notification.details).where(Notification.kind == "low_fuel")
        ).scalar_one()
    assert low["fuel_litres"] == 4 and low["low_fuel_litres"] == DEFAULT_LOW_FUEL_LITRES


def test_webhooks_get_only_their_regions_and_kinds(db, network, clock):
    everything = add_webhook(db)
    region_a = add_webhook(db, region=REGION_A)
    region_b = add_webhook(db, region=REGION_B)
    closed_only = add_webhook(db, kinds=["closed"])
    closed_in_b = add_webhook(db, region=REGION_B, kinds=["closed"])
    disabled = add_webhook(db)
    with db.write() as session:
        store.disable_webhook(session, disabled, CLI)
    send(db, network.point_a, clock, status="full")
    send(db, network.point_b, clock, status="closed")
    assert deliveries(db) == {
        (network.point_a, "full"): [everything, region_a],
        (network.point_b, "closed"): [everything, region_b, closed_only, closed_in_b],
    }


def test_a_retried_report_is_notified_once(app_client, network, db):
    headers = {**network.headers("operator_a"), "Idempotency-Key": "tap-1"}
    url = f"/api/v1/points/{network.point_a}/reports"
    first = app_client.post(url, json={"status": "full"}, headers=headers)
    again = app_client.post(url, json={"status": "full"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert notifications(db) == [(network.point_a, "full", REGION_A)]


def test_a_refused_report_leaves_no_notification(app_client, network, db):
    add_webhook(db)
    refused = app_client.post(
        f"/api/v1/points/{network.point_a}/reports",
        json={"status": "closed"},
        headers=network.headers("operator_b"),
    )
    assert refused.status_code == 403
    assert notifications(db) == [] and deliveries(db) == {}


def test_a_rolled_back_report_takes_its_notification_with_it(db, network, clock):
    add_webhook(db)
    with pytest.raises(RuntimeError), db.write() as session:
        add_report(session, network.point_a, ReportCreate(status="full"), CLI, now=clock())
        raise RuntimeError("the commit never happens")
    assert notifications(db) == [] and deliveries(db) == {}


def test_a_batch_retried_report_by_report_notifies_once(db, network, clock):
    """One report in the writer's batch fails: the batch rolls back, each is written alone."""
    hook = add_webhook(db)

    def explode(_session):
        raise RuntimeError("a bug in one request")

    def job(point_id, status, identify):
        from nezlam.report_writer import ReportJob

        return ReportJob(point_id, ReportCreate(status=status), identify, None, clock())

    outcomes = run_as_one_batch(
        ReportWriter(db, lambda _points: None),
        [
            job(network.point_a, "full", as_(network, "admin")),
            job(network.point_a, "full", explode),
            job(network.point_b, "closed", as_(network, "admin")),
            job(network.point_a, "full", as_(network, "admin")),  # still full, same batch
        ],
    )
    assert isinstance(outcomes[1], RuntimeError) and outcomes[0][1] and outcomes[3][1]
    assert notifications(db) == [
        (network.point_a, "full", REGION_A),
        (network.point_b, "closed", REGION_B),
    ]
    assert deliveries(db) == {
        (network.point_a, "full"): [hook],
        (network.point_b, "closed"): [hook],
    }
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StatusReport)).scalar() == 3


def test_the_threshold_is_the_databases_not_the_processes(db_url, db, network, clock):
    """The rules travel with the Database a write comes from: two databases of one process,
    with different thresholds, each notify by their own."""
    from nezlam.store.db import Database

    strict = Database(db_url, notification_rules=NotificationRules(low_fuel_litres=100))
    try:
        send(db, network.point_a, clock, fuel_litres=80)  # the defaults: 20 litres
        assert notifications(db) == []
        send(strict, network.point_b, clock, fuel_litres=80)
    finally:
        strict.dispose()
    assert [kind for _point, kind, _region in notifications(db)] == ["low_fuel"]
    with db.read() as session:
        details = session.execute(sa.select(Notification.details)).scalar_one()
    assert details["low_fuel_litres"] == 100


def test_the_threshold_comes_from_the_settings(db, network, clock, settings):
    from dataclasses import replace

    from nezlam.web.app import create_app

    create_app(replace(settings, low_fuel_litres=100), db, start_sync=False)
    send(db, network.point_a, clock, fuel_litres=80)
    assert [kind for _point, kind, _region in notifications(db)] == ["low_fuel"]


# -- seen on the dashboard ------------------------------------------------------------------


def principal(db, network, who):
    with db.read() as session:
        return accounts.principal_for_token(session, network.tokens[who])


def test_coordinators_see_and_acknowledge_only_their_regions(db, network, clock):
    send(db, network.point_a, clock, status="full")
    send(db, network.point_b, clock, status="closed")
    coordinator_a = principal(db, network, "coordinator_a")
    with db.read() as session:
        theirs = store.unacknowledged(session, coordinator_a.regions)
        everyone = store.unacknowledged(session, None)
    assert [row.point_id for row in theirs] == [network.point_a]
    assert [row.point_id for row in everyone] == [network.point_b, network.point_a]
    with pytest.raises(Forbidden), db.write() as session:
        store.acknowledge(session, everyone[0].id, coordinator_a, clock())
    with db.write() as session:
        store.acknowledge(session, theirs[0].id, coordinator_a, clock())
        store.acknowledge(session, theirs[0].id, coordinator_a, clock())  # said once
    with db.read() as session:
        assert [row.point_id for row in store.unacknowledged(session, None)] == [network.point_b]
        trail = audit.entries(session, "notification", str(theirs[0].id))
        acknowledged = sa.select(sa.func.count()).where(AuditEntry.entity == "notification")
        assert session.execute(acknowledged).scalar() == 1
    assert trail[0].actor == f"token:{coordinator_a.token_id}"
    assert trail[0].actor_user_id == coordinator_a.user_id


def written(db, clock, point_id, region, kind, n):
    with db.write() as session:
        rows = [
            Notification(point_id=point_id, region=region, kind=kind, at=clock()) for _ in range(n)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_groups_count_each_kind_and_hold_its_newest_few(db, network, clock):
    full = written(db, clock, network.point_a, REGION_A, "full", 5)
    fuel = written(db, clock, network.point_a, REGION_A, "low_fuel", 2)
    written(db, clock, network.point_b, REGION_B, "closed", 4)
    with db.read() as session:
        groups = store.unacknowledged_groups(session, [REGION_A], newest=3)
        everywhere = store.unacknowledged_groups(session, None)
    assert [(g.kind, g.count, g.newest_id) for g in groups] == [
        (Kind.FULL, 5, max(full)),
        (Kind.LOW_FUEL, 2, max(fuel)),
    ]
    assert [n.id for n in groups[0].latest] == sorted(full, reverse=True)[:3]
    assert [g.kind for g in everywhere] == [Kind.FULL, Kind.CLOSED, Kind.LOW_FUEL]


def test_acknowledging_all_takes_each_once_even_from_two_coordinators_at_once(db, network, clock):
    ids = written(db, clock, network.point_a, REGION_A, "full", 40)
    coordinator_a = principal(db, network, "coordinator_a")
    start = threading.Barrier(2)
    counts: list[int] = []

    def acknowledge_all() -> None:
        with db.write() as session:
            start.wait()  # both transactions are open before either updates
            counts.append(
                store.acknowledge_all(
                    session, coordinator_a, [REGION_A], Kind.FULL, max(ids), clock()
                )
            )

    if db.is_sqlite:  # one writer at a time: the second waits to begin, nothing to line up
        start = threading.Barrier(1)
    workers = [threading.Thread(target=acknowledge_all) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(counts) == [0, 40]
    with db.read() as session:
        audited = session.execute(
            sa.select(AuditEntry.entity_id).where(AuditEntry.entity == "notification")
        ).scalars()
        assert sorted(int(i) for i in audited) == ids


def test_acknowledging_all_stays_in_ones_regions(db, network, clock):
    written(db, clock, network.point_b, REGION_B, "full", 3)
    coordinator_a = principal(db, network, "coordinator_a")
    with db.write() as session:
        # Asked for another region, a coordinator of A acknowledges nothing there.
        assert store.acknowledge_all(session, coordinator_a, [REGION_B], None, 10**9, clock()) == 0
    with pytest.raises(Forbidden), db.write() as session:
        store.acknowledge_all(session, coordinator_a, None, None, 10**9, clock())
    with db.read() as session:
        assert len(store.unacknowledged(session, [REGION_B])) == 3


def test_the_settings_are_read_from_the_environment(monkeypatch):
    from nezlam.config import ConfigError, Settings

    monkeypatch.setenv("NEZLAM_LOW_FUEL_LITRES", "35")
    monkeypatch.setenv("NEZLAM_WEBHOOK_DISPATCH", "false")
    read = Settings.from_env()
    assert (read.low_fuel_litres, read.webhook_dispatch) == (35, False)
    monkeypatch.setenv("NEZLAM_LOW_FUEL_LITRES", "plenty")
    with pytest.raises(ConfigError, match="NEZLAM_LOW_FUEL_LITRES"):
        Settings.from_env()
