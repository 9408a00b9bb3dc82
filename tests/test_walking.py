"""Walking answers from the live index: the nearest point on foot, not as the crow flies, and
answers that follow a point opening or closing."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.geo.walking import Walking
from tests.test_spatial_index import view
from tests.test_streets import river_town

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
OPEN = Filters.build(statuses=["open"])


def fresh(point_id, lat, lon, **extra):
    return view(point_id, lat, lon, updated_at=NOW, verified_at=NOW, **extra)


@pytest.fixture
def town():
    return river_town()


@pytest.fixture
def walking(town):
    """Across the river, 100 m from the resident: "north". On the resident's bank, 600 m east
    along the street: "east"."""
    index = SpatialIndex(timedelta(hours=6), timedelta(hours=24))
    index.replace_all(
        [
            fresh("north", town.lat[11], town.lon[11]),
            fresh("east", town.lat[6], town.lon[6]),
        ],
        seq=1,
    )
    return Walking(town, index)


def test_the_nearest_on_foot_is_not_the_nearest_as_the_crow_flies(walking, town):
    snap, hits, metres = walking.nearest(town.lat[0], town.lon[0], 2, OPEN, NOW)
    names = [snap.views[row].id for row, *_ in hits]
    assert names == ["east", "north"]
    by_id = {snap.views[row].id: metres[row] for row, *_ in hits}
    assert by_id["east"] == pytest.approx(600, abs=1)
    assert by_id["north"] == pytest.approx(2_100, abs=1)
    # The straight-line distances stay in the hits: north is 100 m away as the crow flies.
    straight = {snap.views[row].id: m for row, m, *_ in hits}
    assert straight["north"] == pytest.approx(100, abs=1)


def test_a_point_closing_is_reflected_at_once_and_costs_one_recompute(walking, town):
    walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    walking.nearest(town.lat[1], town.lon[1], 1, OPEN, NOW)
    assert walking.recomputes == 1  # same open set: the reach is reused
    east = walking.index.snapshot.views[walking.index.snapshot.position["east"]]
    walking.index.apply([replace(east, status="closed", change_seq=east.change_seq + 1)])
    snap, hits, metres = walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    assert [snap.views[row].id for row, *_ in hits] == ["north"]
    assert walking.recomputes == 2


def test_a_point_going_stale_leaves_the_open_set_without_any_write(walking, town):
    later = NOW + timedelta(hours=7)  # nobody confirmed anything for 7 h: "unconfirmed"
    _snap, hits, _metres = walking.nearest(town.lat[0], town.lon[0], 2, OPEN, later)
    assert hits == []


def test_reach_gives_every_node_its_nearest_open_point(walking, town):
    snap, rows, reach = walking.reach(OPEN, NOW)
    ids = [snap.views[rows[i]].id for i in reach.source]
    # South bank nodes 0..10: "east" (node 6) is nearer than walking round by the bridge.
    assert ids[0] == "east" and ids[10] == "east"
    # North bank above node 0 holds "north".
    assert ids[11] == "north"
    assert reach.distance[6] == pytest.approx(0, abs=0.5)
    assert np.isfinite(reach.distance).all()


def test_a_change_that_keeps_the_open_set_costs_no_recompute(walking, town):
    walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    north = walking.index.snapshot.views[walking.index.snapshot.position["north"]]
    walking.index.apply([replace(north, occupancy=5, change_seq=north.change_seq + 1)])
    walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    assert walking.recomputes == 1
