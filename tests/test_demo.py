"""The demo network generator: deterministic, Kyiv-scale, varied — with no database."""

from collections import Counter

from nezlam.demo import DISTRICTS, YURTS, generate_points


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
