"""The in-memory index answers exactly what a brute-force scan with the freshness rule would."""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from nezlam.domain.freshness import shown_status
from nezlam.domain.point_view import PointView, coarse_position
from nezlam.domain.vocabulary import SERVICES, ShownStatus
from nezlam.geo.distance import haversine_m
from nezlam.geo.spatial_index import SHOWN_CODES, Filters, SpatialIndex

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
SIX_H, DAY = timedelta(hours=6), timedelta(hours=24)


def view(point_id: str, lat: float, lon: float, **extra) -> PointView:
    fields = dict(
        id=point_id,
        name={"uk": point_id},
        category="state",
        kind="stationary",
        anchor=False,
        organisation_id=None,
        organisation=None,
        phone=None,
        lat=lat,
        lon=lon,
        address="addr",
        locality="Київ",
        region="Київ",
        timezone="Europe/Kyiv",
        visibility="public",
        services=("heat", "power"),
        capacity=10,
        opening_hours=None,
        notes=None,
        demo=False,
        status="open",
        power="grid",
        heating=True,
        internet=True,
        occupancy=1,
        fuel_litres=None,
        updated_at=NOW - timedelta(hours=1),
        verified_at=NOW - timedelta(hours=1),
        flagged_at=None,
        edited_at=NOW,
        change_seq=1,
    )
    fields.update(extra)
    return PointView(**fields)


def random_network(n: int, seed: int = 7) -> list[PointView]:
    rng = random.Random(seed)
    views = []
    for i in range(n):
        ago_u = rng.choice([None, 0.5, 3, 7, 20, 30])
        ago_v = rng.choice([None, 0.5, 5.9, 6, 8, 30])
        views.append(
            view(
                f"p{i}",
                rng.uniform(50.2, 50.7),
                rng.uniform(30.2, 30.9),
                category=rng.choice(["state", "business", "service"]),
                services=tuple(s for s in SERVICES if rng.random() < 0.4),
                status=rng.choice(["open", "open", "standby", "full", "closed", None]),
                updated_at=NOW - timedelta(hours=ago_u) if ago_u is not None else None,
                verified_at=NOW - timedelta(hours=ago_v) if ago_v is not None else None,
                change_seq=i + 1,
            )
        )
    return views


@pytest.fixture
def network() -> list[PointView]:
    return random_network(800)


@pytest.fixture
def index(network) -> SpatialIndex:
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all(network, seq=len(network))
    return idx


def brute_force(views, lat, lon, k, services=(), statuses=(), categories=()):
    rows = []
    for v in views:
        shown = shown_status(v.status, v.updated_at, v.verified_at, NOW, SIX_H, DAY)
        if services and not set(services) <= set(v.services):
            continue
        if statuses and shown not in statuses:
            continue
        if categories and v.category not in categories:
            continue
        rows.append((float(haversine_m(lat, lon, v.lat, v.lon)), v.id, shown))
    return sorted(rows)[:k]


def test_vectorised_freshness_matches_the_pure_rule(index, network):
    snap = index.snapshot
    codes = snap.shown_codes(
        np.arange(len(snap)), NOW.timestamp(), SIX_H.total_seconds(), DAY.total_seconds()
    )
    expected = [
        SHOWN_CODES[shown_status(v.status, v.updated_at, v.verified_at, NOW, SIX_H, DAY)]
        for v in snap.views
    ]
    assert codes.tolist() == expected
    assert len(set(expected)) >= 5  # the sample really covers the cases


@pytest.mark.parametrize(
    ("services", "statuses", "categories"),
    [
        ((), (), ()),
        (("heat",), (), ()),
        ((), ("open",), ()),
        (("heat", "power"), ("open", "unconfirmed"), ("state", "business")),
        (("beds", "wifi"), (), ()),
    ],
)
def test_nearest_matches_brute_force(index, network, services, statuses, categories):
    rng = random.Random(3)
    filters = Filters.build(services, statuses, categories)
    for _ in range(25):
        lat, lon = rng.uniform(50.2, 50.7), rng.uniform(30.2, 30.9)
        snap, hits = index.nearest(lat, lon, 7, filters, NOW)
        expected = brute_force(network, lat, lon, 7, services, statuses, categories)
        assert [snap.views[row].id for row, *_ in hits] == [pid for _d, pid, _s in expected]
        for (_row, metres, code, _open), (dist, _pid, shown) in zip(hits, expected, strict=True):
            assert metres == pytest.approx(dist, rel=1e-6, abs=0.01)
            assert list(ShownStatus)[code] == shown


def test_max_distance_limits_results(index, network):
    snap, hits = index.nearest(50.45, 30.52, 50, Filters(), NOW, max_m=3000)
    expected = [e for e in brute_force(network, 50.45, 30.52, 50) if e[0] <= 3000]
    assert len(hits) == len(expected) and all(m <= 3000 for _r, m, _c, _o in hits)


def test_bbox_returns_exactly_the_points_inside(index, network):
    snap, hits = index.within_bbox(30.4, 50.4, 30.6, 50.5, Filters(), NOW, limit=10_000)
    inside = {v.id for v in network if 30.4 <= v.lon <= 30.6 and 50.4 <= v.lat <= 50.5}
    assert {snap.views[row].id for row, *_ in hits} == inside and inside


def test_bbox_across_the_antimeridian():
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all([view("east", 0, 179.5), view("west", 0, -179.5), view("far", 0, 10)], seq=3)
    snap, hits = idx.within_bbox(179, -1, -179, 1, Filters(), NOW, limit=10)
    assert {snap.views[r].id for r, *_ in hits} == {"east", "west"}


def test_protected_point_is_indexed_at_its_coarse_position():
    idx = SpatialIndex(SIX_H, DAY)
    secret = view("secret", 50.4567, 30.6123, visibility="locality_only")
    idx.replace_all([secret], seq=1)
    assert (idx.snapshot.lat[0], idx.snapshot.lon[0]) == coarse_position(50.4567, 30.6123)
    assert (idx.snapshot.lat[0], idx.snapshot.lon[0]) != (50.4567, 30.6123)


def test_hidden_points_are_not_indexed():
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all([view("a", 50, 30), view("h", 50, 30.01, visibility="hidden")], seq=2)
    assert [v.id for v in idx.snapshot.views] == ["a"]


def test_status_change_is_applied_without_rebuilding_the_tree():
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all([view("a", 50, 30), view("b", 50.1, 30)], seq=2)
    tree = idx.snapshot.tree
    idx.apply([view("a", 50, 30, status="closed", change_seq=3)])
    assert idx.snapshot.tree is tree
    snap, hits = idx.nearest(50, 30, 1, Filters.build(statuses=["open"]), NOW)
    assert snap.views[hits[0][0]].id == "b"


def test_move_add_and_hide_rebuild_the_index():
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all([view("a", 50, 30), view("b", 50.1, 30)], seq=2)
    idx.apply(
        [
            view("a", 51, 31, change_seq=3),
            view("c", 50.0, 30.0, change_seq=4),
            view("b", 50.1, 30, visibility="hidden", change_seq=5),
        ]
    )
    snap, hits = idx.nearest(50, 30, 5, Filters(), NOW)
    assert [snap.views[r].id for r, *_ in hits] == ["c", "a"]


def test_an_older_copy_never_overwrites_a_newer_one():
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all([view("a", 50, 30, status="closed", change_seq=9)], seq=9)
    idx.apply([view("a", 50, 30, status="open", change_seq=4)])
    assert idx.snapshot.views[0].status == "closed"


def test_own_writes_do_not_advance_the_poll_cursor():
    # Another process may hold seq 4 and commit after our seq 5: the poller must still ask for >3.
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all([view("a", 50, 30, change_seq=3)], seq=3)
    idx.apply([view("a", 50, 30, status="full", change_seq=5)])
    assert idx.seq == 3
    idx.apply([replace(view("b", 50, 31), change_seq=4)], complete_to=5)
    assert idx.seq == 5


def test_open_now_filter_uses_hours_in_local_time():
    idx = SpatialIndex(SIX_H, DAY)
    idx.replace_all(
        [
            view("day", 50, 30, opening_hours="Mo-Su 08:00-18:00"),
            view("night", 50.001, 30, opening_hours="Mo-Su 18:00-08:00"),
            view("always", 50.002, 30, opening_hours="24/7"),
        ],
        seq=3,
    )
    evening = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 21:00 in Kyiv
    snap, hits = idx.nearest(50, 30, 5, Filters.build(open_now=True), evening)
    assert {snap.views[r].id for r, *_ in hits} == {"night", "always"}
    assert all(state is True for *_rest, state in hits)
