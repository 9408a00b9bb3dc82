"""The demo network generator: deterministic, Kyiv-scale, varied — with no database."""

import random
from collections import Counter
from datetime import UTC, datetime

from nezlam import demo_kyiv
from nezlam.demo import (
    DISTRICTS,
    STREET_OF_ADDRESS,
    YURTS,
    gazetteer_records,
    generate_history,
    generate_points,
)


def test_generator_is_deterministic():
    assert generate_points(50) == generate_points(50)


def test_kyiv_network_covers_the_ten_districts_with_mixed_points():
    network = generate_points(1300)
    assert len(network) == 1300 and len({p.id for p in network}) == 1300
    assert Counter(p.category for p in network).keys() == {"state", "business", "service"}
    assert sum(p.visibility == "locality_only" for p in network) >= 1
    assert sum(p.kind == "mobile" for p in network) >= 10
    for _uk, _en, lat, lon, spread in DISTRICTS:
        nearby = [p for p in network if abs(p.lat - lat) < spread and abs(p.lon - lon) < spread]
        assert nearby, _en
    assert all(50.1 < p.lat < 50.8 and 30.1 < p.lon < 31.0 for p in network)


def test_the_yurts_offer_what_the_real_ones_did():
    kyiv = next(y for y in YURTS if y.id == "kyiv-shevchenko-park-yurt")
    assert {"heat", "power", "hot_drinks", "satellite_internet"} <= set(kyiv.services)
    assert {y.locality for y in YURTS} == {"Київ", "Буча"}


def test_every_generated_address_names_a_street_beside_the_point():
    for point in generate_points(1300):
        on = demo_kyiv.nearest_street(point.lat, point.lon)
        street, number = (point.address or "").rsplit(", ", 1)
        assert street == on.street.short and on.off_m <= 45, (point.id, point.address, on)
        assert number.isdigit()


def test_kyiv_yurt_and_named_test_points_stay_where_tests_expect_them():
    kyiv = next(y for y in YURTS if y.id == "kyiv-shevchenko-park-yurt")
    assert (kyiv.lat, kyiv.lon) == (50.44185, 30.51330)
    assert kyiv.address == "парк Шевченка, вул. Володимирська, 57"


def test_opening_hours_are_those_of_such_places():
    hours: dict[str, set[str]] = {}
    for point in generate_points(1300):
        kind = point.name["uk"].split(" №")[0].split(" «")[0]
        hours.setdefault(kind, set()).add(point.opening_hours or "")
    assert hours["Школа"] == {"Mo-Su 08:00-20:00"}
    assert hours["Відділення банку"] == {"Mo-Fr 09:00-18:00"}
    assert hours["Супермаркет"] == {"Mo-Su 08:00-22:00"}
    assert hours["Пожежно-рятувальна частина"] == {"24/7"}
    assert hours["Аптека"] == {"24/7", "Mo-Su 08:00-21:00"}  # a few pharmacies never close


def test_nobody_counts_more_people_than_a_point_has_places():
    rng = random.Random(1)
    now = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    for capacity in [20, 30, 40] * 200:
        for _moment, report in generate_history(rng, now, capacity):
            assert (report.occupancy or 0) <= capacity
            if report.status == "full":
                assert report.occupancy == capacity


def test_protected_addresses_stay_out_of_the_public_gazetteer():
    network = generate_points(1300)
    protected = [p for p in network if p.visibility == "locality_only"]
    assert protected
    records = gazetteer_records(network)
    known = {(r.street, r.housenumber, round(r.lat, 6), round(r.lon, 6)) for r in records}
    for point in protected:
        street, number = (point.address or "").rsplit(", ", 1)
        full = STREET_OF_ADDRESS[street]
        assert (full, number, round(point.lat, 6), round(point.lon, 6)) not in known
    public = next(p for p in network if p.visibility == "public")
    street, number = (public.address or "").rsplit(", ", 1)
    assert (STREET_OF_ADDRESS[street], number, public.lat, public.lon) in known
