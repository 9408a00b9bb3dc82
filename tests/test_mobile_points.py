"""Mobile points moved by their devices (issue 12): a ping that carries a position (lat, lon,
accuracy — in the body, or in channelPing's address as OsmAnd and Traccar send it) moves a
mobile point on the map and into its track, without touching its status or its freshness; a
fixed point is never moved by a device; a vague fix or the jitter of a parked vehicle moves
nothing. SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.device_positions import Fix, moves
from tests.conftest import REGION_A, point_create
from tests.test_heartbeats import beat, new_device

START = (50.4500, 30.5200)
NORTH_1KM = (50.4590, 30.5200)  # about 1 km north


def fix(lat, lon, accuracy=None):
    from datetime import UTC, datetime

    return Fix(lat, lon, accuracy, datetime(2025, 12, 6, tzinfo=UTC))


def test_a_fix_moves_a_point_only_beyond_its_accuracy_and_the_jitter():
    assert moves(*START, fix(*NORTH_1KM))
    assert moves(*START, fix(50.4509, 30.52, accuracy=10))  # 100 m, to within 10 m
    assert not moves(*START, fix(50.4501, 30.52))  # 11 m: a parked vehicle's jitter
    assert not moves(*START, fix(50.4505, 30.52, accuracy=80))  # 56 m, to within 80 m
    assert not moves(*START, fix(*NORTH_1KM, accuracy=300))  # a phone's coarse guess


def point_row(db, point_id):
    with db.read() as session:
        point = point_store.get_point(session, point_id)
        track = [(p.lat, p.lon) for p in point_store.positions(session, point_id)]
        return point.lat, point.lon, point.change_seq, point.updated_at, point.verified_at, track


@pytest.fixture
def carriage(db, network, clock):
    """A railway carriage: a mobile point of region A at START, with a tracker."""
    with db.write() as session:
        created = point_create("carriage", REGION_A, *START, kind="mobile")
        point_store.create_point(session, created, CLI, now=clock())
    key, _device_id = new_device(db, "carriage", name="tracker")
    return key


def test_a_ping_with_a_position_moves_a_mobile_point_and_nothing_else(
    app_client, db, clock, carriage
):
    assert beat(app_client, carriage, {"power": "grid"}).status_code == 200  # online, on mains
    lat, lon, seq, updated, verified, track = point_row(db, "carriage")
    assert (lat, lon) == START and track == [START]
    clock.advance(minutes=1)
    answer = beat(app_client, carriage, {"lat": NORTH_1KM[0], "lon": NORTH_1KM[1], "accuracy": 8})
    assert answer.status_code == 200, answer.text
    lat, lon, moved_seq, updated_after, verified_after, track = point_row(db, "carriage")
    assert (lat, lon) == NORTH_1KM and track == [START, NORTH_1KM]
    assert moved_seq > seq  # every worker's index shows it at its next poll
    assert (updated_after, verified_after) == (updated, verified)  # not a word on its status
    app_client.app.state.nezlam.sync.load_all()
    shown = app_client.get("/api/v1/points/carriage").json()["geometry"]["coordinates"]
    assert shown == [NORTH_1KM[1], NORTH_1KM[0]]
    # Standing still, a few metres off each minute: nothing more is written but the ping.
    clock.advance(minutes=1)
    assert beat(
        app_client, carriage, {"lat": NORTH_1KM[0] + 0.00005, "lon": NORTH_1KM[1]}
    ).is_success
    assert point_row(db, "carriage")[2] == moved_seq and len(point_row(db, "carriage")[5]) == 2


def test_channel_ping_carries_a_position_as_osmand_sends_it(app_client, db, clock, carriage):
    query = {"channel_key": carriage, "lat": str(NORTH_1KM[0]), "lon": str(NORTH_1KM[1]),
             "accuracy": "12.5"}  # fmt: skip
    answer = app_client.get("/channelPing", params=query)
    assert answer.status_code == 200, answer.text
    assert point_row(db, "carriage")[:2] == NORTH_1KM


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"lat": "200", "lon": "30.5"}, "lat"),
        ({"lat": "50.45"}, "lat and lon go together"),
        ({"lat": "50.45", "lon": "30.5", "accuracy": "-1"}, "accuracy"),
        ({"lat": "north", "lon": "30.5"}, "lat"),
    ],
)
def test_a_position_that_is_not_one_is_refused_naming_it(app_client, db, carriage, query, named):
    answer = app_client.get("/channelPing", params={"channel_key": carriage, **query})
    assert answer.status_code == 422
    assert named in answer.text
    assert point_row(db, "carriage")[:2] == START


def test_a_body_with_half_a_position_is_refused(app_client, db, carriage):
    answer = beat(app_client, carriage, {"lat": 50.46})
    assert answer.status_code == 422 and "lat and lon go together" in answer.text
    assert point_row(db, "carriage")[:2] == START


def test_a_fixed_point_is_never_moved_by_its_device(app_client, db, network, clock):
    key, _device_id = new_device(db, network.point_a)
    before = point_row(db, network.point_a)
    clock.advance(minutes=1)
    assert beat(app_client, key, {"lat": NORTH_1KM[0], "lon": NORTH_1KM[1]}).status_code == 200
    after = point_row(db, network.point_a)
    assert after[:2] == before[:2] == (50.45, 30.52) and after[5] == []


def test_the_latest_of_a_points_fixes_in_one_batch_is_where_it_is(db, clock, carriage):
    from nezlam.device_pings import write_pings
    from nezlam.domain.device_facts import HeartbeatCreate
    from nezlam.store.devices import Arrival

    far = (50.4700, 30.5200)
    arrivals = [
        Arrival(carriage, HeartbeatCreate(lat=NORTH_1KM[0], lon=NORTH_1KM[1]), clock()),
        Arrival(carriage, HeartbeatCreate(lat=far[0], lon=far[1]), clock() + timedelta(seconds=1)),
    ]
    with db.write() as session:
        write_pings(session, arrivals, timedelta(minutes=5))
    assert point_row(db, "carriage")[0:2] == far and point_row(db, "carriage")[5] == [START, far]
