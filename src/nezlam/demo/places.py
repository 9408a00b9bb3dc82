"""What the demo makes findable by typing: its towns, districts, streets, places and the
addresses of its points, as gazetteer records."""

from __future__ import annotations

from nezlam import demo_kyiv
from nezlam.demo.network import DISTRICTS, KYIV, KYIV_OBLAST
from nezlam.demo_kyiv_map import STREETS
from nezlam.domain.points import PointCreate
from nezlam.places.records import PlaceKind, PlaceRecord

# "вул. Хрещатик" (as a card writes it) → "вулиця Хрещатик" (as the gazetteer names it)
STREET_OF_ADDRESS = {street.short: street.name for street in STREETS}


def gazetteer_records(generated: list[PointCreate] | None = None) -> list[PlaceRecord]:
    """What the demo makes findable by typing, until a real street extract is imported with
    `nezlam places import`: the two towns, Kyiv's districts, streets and well-known places
    (`demo_kyiv`), the yurts' addresses, and the address of every generated point that
    publishes one (a protected point's address stays out: the gazetteer is public)."""
    records = _yurt_places() + _district_places()
    return records + demo_kyiv.records(_published_addresses(generated or []))


def _yurt_places() -> list[PlaceRecord]:
    """Kyiv and Bucha, and where in them the yurts stand."""
    return [
        PlaceRecord(
            kind=PlaceKind.PLACE,
            name=KYIV,
            names={"name:en": "Kyiv", "alt_name": "Київ місто;Kiev"},
            lat=50.4501,
            lon=30.5234,
            place_type="city",
        ),
        PlaceRecord(
            kind=PlaceKind.PLACE,
            name="Буча",
            names={"name:en": "Bucha"},
            lat=50.5432,
            lon=30.2126,
            place_type="town",
            locality=KYIV_OBLAST,
        ),
        PlaceRecord(
            kind=PlaceKind.PLACE,
            name="парк Шевченка",
            names={"name:en": "Shevchenko Park"},
            lat=50.4418,
            lon=30.5128,
            place_type="park",
            locality=KYIV,
        ),
        PlaceRecord(
            kind=PlaceKind.ADDRESS,
            street="вулиця Енергетиків",
            housenumber="12",
            lat=50.54680,
            lon=30.23360,
            locality="Буча",
        ),
    ]


def _district_places() -> list[PlaceRecord]:
    return [
        PlaceRecord(
            kind=PlaceKind.PLACE,
            name=f"{uk} район",
            names={"name:en": f"{en} district"},
            lat=lat,
            lon=lon,
            place_type="suburb",
            locality=KYIV,
        )
        for uk, en, lat, lon, _spread in DISTRICTS
    ]


def _published_addresses(generated: list[PointCreate]) -> list[tuple[str, str, float, float]]:
    """(street, number, lat, lon) of the Kyiv yurt and of each generated point on a known street
    whose address is public."""
    addresses = [("вулиця Володимирська", "57", 50.44185, 30.51330)]
    for point in generated:
        street = STREET_OF_ADDRESS.get((point.address or "").rsplit(", ", 1)[0])
        if street and point.visibility == "public" and point.address:
            addresses.append((street, point.address.rsplit(", ", 1)[1], point.lat, point.lon))
    return addresses
