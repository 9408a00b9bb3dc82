"""A mobile point's schedule of stops (issue 12): residents see "тут зараз, до 18:00 — вокзал"
and the next stops on its page and in the API (never for a protected point); its device far
from the stop under way tells the coordinators once; `nezlam stop` adds, lists and removes
stops. Fixed clock: Dec 6 2025, 10:00 in Kyiv; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from nezlam.domain.errors import Invalid
from nezlam.domain.mobile_stops import Stop, ahead, current, window_problem
from nezlam.store import audit, point_stops
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.tables import Notification
from tests.conftest import REGION_A, point_create
from tests.test_cli import nezlam
from tests.test_device_pages import page
from tests.test_heartbeats import beat, new_device

TEN = datetime(2025, 12, 6, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv
STATION = (50.4410, 30.4890)
SQUARE = (50.4500, 30.5230)


def at(hours: float) -> datetime:
    return TEN + timedelta(hours=hours)


def stop(first: float, last: float, where=STATION, place="вокзал") -> Stop:
    return Stop(at(first), at(last), *where, place)


def test_the_stops_ahead_are_the_one_under_way_and_the_next():
    stops = [stop(24, 31), stop(-2, 8), stop(-30, -20), stop(48, 50), stop(72, 74)]
    assert ahead(stops, TEN) == [stop(-2, 8), stop(24, 31), stop(48, 50)]
    assert current(stops, TEN) == stop(-2, 8)
    assert current(stops, at(10)) is None
    assert window_problem(at(2), at(1)) == "a stop ends after it starts"
    assert window_problem(at(0), at(24 * 8)) == "a stop is at most 7 days long"
    assert window_problem(at(0), at(8)) is None


@pytest.fixture
def carriage(db, network, clock):
    """A railway carriage at the station today 08:00–18:00, on the square tomorrow 09:00–17:00."""
    clock.now = TEN
    with db.write() as session:
        created = point_create("carriage", REGION_A, *STATION, kind="mobile")
        point_store.create_point(session, created, CLI, now=clock())
        point_stops.add_stop(session, "carriage", stop(-2, 8), CLI, clock())
        point_stops.add_stop(session, "carriage", stop(23, 31, SQUARE, "Площа"), CLI, clock())
    return "carriage"


def test_residents_see_where_it_stands_and_when(app_client, carriage):
    html = page(app_client, "/points/carriage", "uk")
    assert "<li>тут зараз, до 18:00 — вокзал</li>" in html
    assert "<li>завтра 09:00–17:00 — Площа</li>" in html
    english = page(app_client, "/points/carriage", "en")
    assert "<li>here now, until 18:00 — вокзал</li>" in english
    said = app_client.get("/api/v1/points/carriage").json()["properties"]["stops"]
    assert said == [
        {"start": "2025-12-06T06:00:00Z", "end": "2025-12-06T16:00:00Z", "lat": STATION[0],
         "lon": STATION[1], "place": "вокзал"},
        {"start": "2025-12-07T07:00:00Z", "end": "2025-12-07T15:00:00Z", "lat": SQUARE[0],
         "lon": SQUARE[1], "place": "Площа"},
    ]  # fmt: skip
    fixed = app_client.get("/api/v1/points/point-a").json()["properties"]
    assert fixed["stops"] is None


def test_a_protected_mobile_points_stops_say_nothing(app_client, db, carriage):
    with db.write() as session:
        point_store.get_point(session, carriage).visibility = "locality_only"
    app_client.app.state.nezlam.sync.load_all()
    html = page(app_client, "/points/carriage", "uk")
    assert "вокзал" not in html and "Площа" not in html
    said = app_client.get("/api/v1/points/carriage").json()["properties"]
    assert said["stops"] is None


def test_a_stop_for_a_fixed_point_or_a_window_that_cannot_be_is_refused(db, network, carriage):
    with db.write() as session, pytest.raises(Invalid) as refused:
        point_stops.add_stop(session, network.point_a, stop(0, 2), CLI, TEN)
    assert refused.value.field == "point"
    with db.write() as session, pytest.raises(Invalid) as refused:
        point_stops.add_stop(session, carriage, stop(2, 1), CLI, TEN)
    assert refused.value.field == "ends_at"
    with db.write() as session, pytest.raises(Invalid) as refused:
        point_stops.add_stop(session, carriage, stop(0, 1, place="x" * 201), CLI, TEN)
    assert refused.value.field == "place"


def off_stop_notes(db):
    with db.read() as session:
        query = sa.select(Notification).where(Notification.kind == "off_stop")
        return [(n.point_id, n.details["off_by_m"]) for n in session.execute(query).scalars()]


def test_its_device_far_from_the_stop_under_way_tells_the_coordinators_once(
    app_client, db, clock, carriage
):
    key, _device_id = new_device(db, carriage, name="tracker")
    near = {"lat": STATION[0] + 0.002, "lon": STATION[1], "accuracy": 20}  # 220 m off
    assert beat(app_client, key, near).status_code == 200
    assert off_stop_notes(db) == []
    clock.advance(minutes=1)
    far = {"lat": SQUARE[0], "lon": SQUARE[1], "accuracy": 15}  # 2.5 km off, at tomorrow's
    assert beat(app_client, key, far).status_code == 200
    [(point_id, off_by)] = off_stop_notes(db)
    assert point_id == carriage and 2_000 < off_by < 3_000
    clock.advance(minutes=1)
    assert beat(app_client, key, {**far, "lat": SQUARE[0] + 0.001}).status_code == 200
    assert len(off_stop_notes(db)) == 1  # once a stop
    clock.now = at(23.5)  # tomorrow on the square: where the schedule says
    assert beat(app_client, key, far).status_code == 200
    assert len(off_stop_notes(db)) == 1


def test_the_command_line_adds_lists_and_removes_stops(db_url, db, carriage):
    window = ["--from", "2030-01-05 10:00", "--to", "2030-01-05 18:00"]
    added = nezlam(
        db_url, "stop", "add", carriage, *window, "--at", "50.44,30.49", "--place", "депо"
    )
    assert added.exit_code == 0, added.output
    listed = [
        line.split("\t") for line in nezlam(db_url, "stop", "list", carriage).output.splitlines()
    ]
    assert listed[-1][1:] == ["2030-01-05 10:00", "2030-01-05 18:00", "50.44000,30.49000", "депо"]
    refused = nezlam(db_url, "stop", "add", carriage, "--from", "tomorrow", "--to", "later",
                     "--at", "50.44,30.49")  # fmt: skip
    assert refused.exit_code == 2 and "--from: not a time" in refused.output
    stop_id = listed[-1][0]
    removed = nezlam(db_url, "stop", "remove", stop_id)
    assert removed.exit_code == 0 and f"stop {stop_id} of carriage removed" in removed.output
    with db.read() as session:
        actions = [e.action for e in audit.entries(session, "stop", stop_id)]
    assert sorted(actions) == ["create", "delete"]


# The workspace's page of stops


def test_a_coordinator_adds_and_removes_stops_from_the_workspace(app_client, db, clock, carriage):
    from tests.conftest import sign_in_as

    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    html = page(app_client, "/operate/carriage/stops", "uk")
    assert "тут зараз, до 18:00 — вокзал" in html and 'value="2025-12-06"' in html
    form = {"csrf": csrf, "day": "2025-12-08", "start": "21:00", "end": "06:00",
            "lat": "50,4501", "lon": "30.5234", "place": "<депо>"}  # fmt: skip
    added = app_client.post("/operate/carriage/stops", data=form, follow_redirects=False)
    assert added.status_code == 303 and "done=added" in added.headers["location"]
    with db.read() as session:
        [row] = [r for r in point_stops.stops_of(session, carriage, TEN) if r.place == "<депо>"]
        # Kyiv time, leaving after midnight: the next morning.
        assert (row.starts_at, row.ends_at) == (at(2 * 24 + 11), at(2 * 24 + 20))
        assert (row.lat, row.lon) == (50.4501, 30.5234)
    listed = page(app_client, "/operate/carriage/stops", "uk")
    assert "8 груд. 21:00–9 груд. 06:00 — &lt;депо&gt;" in listed
    removed = app_client.post(f"/operate/carriage/stops/{row.id}/remove", data={"csrf": csrf},
                              follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303
    with db.read() as session:
        assert len(point_stops.stops_of(session, carriage, TEN)) == 2


@pytest.mark.parametrize(
    ("fields", "named"),
    [({"day": "завтра"}, "day"), ({"start": "9"}, "start"), ({"lat": "north"}, "lat"),
     ({"lon": "200"}, "lon")],
)  # fmt: skip
def test_a_stop_that_cannot_be_is_named_beside_its_field(
    app_client, db, clock, carriage, fields, named
):
    from tests.conftest import sign_in_as

    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    form = {"csrf": csrf, "day": "2025-12-08", "start": "09:00", "end": "17:00",
            "lat": "50.45", "lon": "30.52", "place": "", **fields}  # fmt: skip
    answer = app_client.post("/operate/carriage/stops", data=form)
    assert answer.status_code == 422 and f'id="{named}-error"' in answer.text
    with db.read() as session:
        assert len(point_stops.stops_of(session, carriage, TEN)) == 2


def test_only_those_who_answer_for_the_point_see_its_stops(app_client, db, clock, carriage):
    from tests.conftest import sign_in_as

    csrf = sign_in_as(app_client, db, "coordinator_b", clock())
    assert app_client.get("/operate/carriage/stops").status_code == 403
    form = {"csrf": csrf, "day": "2025-12-08", "start": "09:00", "end": "17:00",
            "lat": "50.45", "lon": "30.52", "place": ""}  # fmt: skip
    assert app_client.post("/operate/carriage/stops", data=form).status_code == 403
    sign_in_as(app_client, db, "operator_a", clock())
    fixed = page(app_client, "/operate/point-a/stops", "en")
    assert "Only a mobile point (a tent, a vehicle, a carriage) has stops" in fixed
