"""The demo network: the two Kazakh yurts of invincibility, and a Kyiv-scale network of about
1,300 generated points across Kyiv's ten districts.

The generator is deterministic (a fixed seed): the same points, places and histories every time;
only the report times are relative to the moment of loading, so some points are fresh, some stale
and some silent, as in a real network. Every generated point is marked `demo`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nezlam import demo_kyiv
from nezlam.domain.points import (
    OrganisationCreate,
    PointCreate,
    ReportCreate,
    RoleGrantCreate,
    UserCreate,
)
from nezlam.places.records import PlaceKind, PlaceRecord
from nezlam.places.store import add_places
from nezlam.store import accounts, onboarding, points, reports
from nezlam.store.actor import DEMO
from nezlam.store.needs import demo_needs
from nezlam.store.tables import utcnow

SEED = 20221122  # the day the invincibility points were announced
KYIV = "Київ"
KYIV_OBLAST = "Київська область"

# (Ukrainian, English, centre lat, centre lon, spread in degrees)
DISTRICTS = [
    ("Голосіївський", "Holosiivskyi", 50.370, 30.505, 0.030),
    ("Дарницький", "Darnytskyi", 50.410, 30.650, 0.025),
    ("Деснянський", "Desnianskyi", 50.510, 30.615, 0.022),
    ("Дніпровський", "Dniprovskyi", 50.455, 30.605, 0.020),
    ("Оболонський", "Obolonskyi", 50.505, 30.495, 0.020),
    ("Печерський", "Pecherskyi", 50.425, 30.550, 0.015),
    ("Подільський", "Podilskyi", 50.480, 30.450, 0.020),
    ("Святошинський", "Sviatoshynskyi", 50.455, 30.370, 0.025),
    ("Солом'янський", "Solomianskyi", 50.425, 30.450, 0.020),
    ("Шевченківський", "Shevchenkivskyi", 50.460, 30.490, 0.015),
]
# (category, Ukrainian template, English template, services offered, share, opening hours)
# Hours as such places keep them: schools and offices by day, shops into the evening, the state
# rescue service, tents and fuel stations round the clock.
TEMPLATES = [
    (
        "state",
        "Школа № {n}",
        "School No. {n}",
        [
            "heat",
            "power",
            "water",
            "hot_drinks",
            "wifi",
            "mobile_signal",
            "first_aid",
            "toilet",
            "mother_and_child",
        ],
        0.22,
        "Mo-Su 08:00-20:00",
    ),
    (
        "state",
        "ЦНАП «{d}»",
        "Administrative services centre {d_en}",
        [
            "heat",
            "power",
            "water",
            "hot_drinks",
            "satellite_internet",
            "first_aid",
            "toilet",
            "step_free",
        ],
        0.08,
        "Mo-Fr 08:00-20:00; Sa 09:00-16:00",
    ),
    (
        "state",
        "Пожежно-рятувальна частина № {n}",
        "Fire and rescue unit No. {n}",
        [
            "heat",
            "power",
            "water",
            "hot_drinks",
            "satellite_internet",
            "first_aid",
            "toilet",
            "beds",
        ],
        0.08,
        "24/7",
    ),
    (
        "state",
        "Намет незламності № {n}",
        "Invincibility tent No. {n}",
        ["heat", "power", "hot_drinks", "satellite_internet", "first_aid"],
        0.06,
        "24/7",
    ),
    (
        "business",
        "Кав'ярня «Тепло» № {n}",
        "Teplo café No. {n}",
        ["heat", "power", "hot_drinks", "food", "wifi", "toilet"],
        0.14,
        "Mo-Fr 07:30-21:00; Sa,Su 09:00-21:00",
    ),
    (
        "business",
        "Супермаркет «Сільпо» № {n}",
        "Supermarket No. {n}",
        ["heat", "power", "wifi", "toilet", "step_free"],
        0.12,
        "Mo-Su 08:00-22:00",
    ),
    (
        "business",
        "Коворкінг «Генератор» № {n}",
        "Generator coworking No. {n}",
        ["heat", "power", "wifi", "hot_drinks", "toilet"],
        0.08,
        "Mo-Su 08:00-23:00",
    ),
    (
        "service",
        "Аптека № {n}",
        "Pharmacy No. {n}",
        ["heat", "first_aid", "step_free"],
        0.09,
        "Mo-Su 08:00-21:00",
    ),
    (
        "service",
        "АЗС № {n}",
        "Fuel station No. {n}",
        ["heat", "hot_drinks", "food", "toilet"],
        0.07,
        "24/7",
    ),
    (
        "service",
        "Відділення банку № {n}",
        "Bank branch No. {n}",
        ["heat"],
        0.06,
        "Mo-Fr 09:00-18:00",
    ),
]
ORGANISATIONS = [
    OrganisationCreate(
        slug="kyiv-city",
        name="Київська міська військова адміністрація",
        kind="municipality",
        phone="+380 44 202 7272",
    ),
    OrganisationCreate(slug="dsns", name="ДСНС України", kind="emergency_service", phone="101"),
    OrganisationCreate(
        slug="kz-yurts",
        name="Юрти незламності (казахський бізнес)",
        kind="business",
        phone="+380 67 000 1991",
    ),
    OrganisationCreate(slug="teplo-cafe", name="Мережа кав'ярень «Тепло»", kind="business"),
    OrganisationCreate(slug="volunteers-kyiv", name="Волонтери Києва", kind="ngo"),
]
ORG_FOR_TEMPLATE = {
    "Школа № {n}": "kyiv-city",
    "ЦНАП «{d}»": "kyiv-city",
    "Пожежно-рятувальна частина № {n}": "dsns",
    "Намет незламності № {n}": "volunteers-kyiv",
    "Кав'ярня «Тепло» № {n}": "teplo-cafe",
}
YURTS = [
    PointCreate(
        id="kyiv-shevchenko-park-yurt",
        name={
            "uk": "Юрта незламності в парку Шевченка",
            "en": "Yurt of Invincibility, Shevchenko Park",
        },
        category="business",
        organisation="kz-yurts",
        phone="+380 67 000 1991",
        lat=50.44185,
        lon=30.51330,
        address="парк Шевченка, вул. Володимирська, 57",
        locality=KYIV,
        region=KYIV,
        services=["heat", "power", "hot_drinks", "satellite_internet"],
        capacity=50,
        opening_hours="24/7",
        notes={
            "uk": "Казахська юрта: генератор, чай, Starlink. Відкрита з 7 січня 2023 року.",
            "en": "A Kazakh yurt: generator, tea, Starlink. Open since 7 January 2023.",
        },
    ),
    PointCreate(
        id="bucha-yurt",
        name={"uk": "Юрта незламності в Бучі", "en": "Yurt of Invincibility, Bucha"},
        category="business",
        organisation="kz-yurts",
        phone="+380 67 000 1991",
        lat=50.54680,
        lon=30.23360,
        address="вул. Енергетиків, 12",
        locality="Буча",
        region=KYIV_OBLAST,
        services=["heat", "power", "hot_drinks", "satellite_internet"],
        capacity=50,
        opening_hours="24/7",
        notes={
            "uk": "Казахська юрта: генератор, чай, Starlink.",
            "en": "A Kazakh yurt: generator, tea, Starlink.",
        },
    ),
]


def gazetteer_records(generated: list[PointCreate] | None = None) -> list[PlaceRecord]:
    """What the demo makes findable by typing, until a real street extract is imported with
    `nezlam places import`: the two towns, Kyiv's districts, streets and well-known places
    (`demo_kyiv`), the yurts' addresses, and the address of every generated point that
    publishes one (a protected point's address stays out: the gazetteer is public)."""
    records = [
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
    for uk, en, lat, lon, _spread in DISTRICTS:
        records.append(
            PlaceRecord(
                kind=PlaceKind.PLACE,
                name=f"{uk} район",
                names={"name:en": f"{en} district"},
                lat=lat,
                lon=lon,
                place_type="suburb",
                locality=KYIV,
            )
        )
    addresses = [("вулиця Володимирська", "57", 50.44185, 30.51330)]
    for point in generated or ():
        street = STREET_OF_ADDRESS.get((point.address or "").rsplit(", ", 1)[0])
        if street and point.visibility == "public" and point.address:
            addresses.append((street, point.address.rsplit(", ", 1)[1], point.lat, point.lon))
    return records + demo_kyiv.records(addresses)


# "вул. Хрещатик" (as a card writes it) → "вулиця Хрещатик" (as the gazetteer names it)
STREET_OF_ADDRESS = {street.short: street.name for street in demo_kyiv.STREETS}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str  # a role, or "donor": a member of the organisation `scope`, with no role
    scope: str


DEMO_ACCOUNTS = [
    DemoAccount("operator", "operator-demo-2022", "operator", "kyiv-shevchenko-park-yurt"),
    DemoAccount("coordinator", "coordinator-demo-2022", "coordinator", KYIV),
    DemoAccount("admin", "admin-demo-2022", "admin", ""),
    DemoAccount("donor", "donor-demo-2022", "donor", "volunteers-kyiv"),
]
# The organisation whose application waits for the Kyiv coordinator (store/onboarding.py).
DEMO_APPLICANT = ("dala-yurt", "dala-yurt-demo-2022")


def generate_points(count: int = 1300, seed: int = SEED) -> list[PointCreate]:
    """A deterministic Kyiv-like network of `count` points spread over the ten districts, each
    on a real street (the nearest of `demo_kyiv.STREETS`), its address the house it stands at."""
    rng = random.Random(seed)
    weights = [t[4] for t in TEMPLATES]
    numbers: dict[str, int] = {}
    result = []
    for i in range(count):
        d_uk, d_en, lat0, lon0, spread = DISTRICTS[i % len(DISTRICTS)]
        category, uk, en, services, _share, hours = rng.choices(TEMPLATES, weights)[0]
        n = numbers[uk] = numbers.get(uk, 0) + 1 + rng.randrange(3)
        tent = uk.startswith("Намет")
        on = demo_kyiv.nearest_street(
            lat0 + rng.gauss(0, spread), lon0 + rng.gauss(0, spread * 1.5)
        )
        left = rng.random() < 0.5
        lat, lon = demo_kyiv.house_position(on, left, rng.uniform(12, 40))
        chosen = [s for s in services if rng.random() < 0.9] or services[:1]
        if category != "service" and rng.random() < 0.15:
            chosen.append("pets_allowed")
        protected = i % 400 == 17  # a few points near critical infrastructure
        result.append(
            PointCreate(
                id=f"kyiv-{i + 1:04d}",
                name={"uk": uk.format(n=n, d=d_uk), "en": en.format(n=n, d_en=d_en)},
                category=category,
                kind="mobile" if tent else "stationary",
                anchor=category == "state" and rng.random() < 0.1,
                organisation=ORG_FOR_TEMPLATE.get(uk),
                phone=f"+380 44 {rng.randrange(200, 599)} {rng.randrange(10, 99)} "
                f"{rng.randrange(10, 99)}",
                lat=round(lat, 6),
                lon=round(lon, 6),
                address=f"{on.street.short}, {demo_kyiv.house_number(on.along_m, left)}",
                locality=KYIV,
                region=KYIV,
                visibility="locality_only" if protected else "public",
                services=chosen,
                capacity=rng.choice([20, 30, 40, 50, 80, 100, 150]),
                opening_hours=pharmacy_hours(rng) if uk.startswith("Аптека") else hours,
            )
        )
    return result


def pharmacy_hours(rng: random.Random) -> str:
    """Some pharmacies are open round the clock (цілодобова аптека); most close at night."""
    return "24/7" if rng.random() < 0.2 else "Mo-Su 08:00-21:00"


def generate_history(
    rng: random.Random, now: datetime, capacity: int = 50
) -> list[tuple[datetime, ReportCreate]]:
    """A point's recent reports, oldest first: mostly fresh, some stale, some silent. Nobody
    counts more people inside than the point has places; a full point is full."""
    roll = rng.random()
    if roll < 0.06:
        return []  # never reported
    if roll < 0.14:
        start = now - timedelta(hours=rng.uniform(25, 60))  # silent: no_response
    elif roll < 0.30:
        start = now - timedelta(hours=rng.uniform(7, 20))  # open but stale: unconfirmed
    else:
        start = now - timedelta(hours=rng.uniform(0.2, 5))
    status = rng.choices(["open", "standby", "full", "closed"], [0.78, 0.1, 0.05, 0.07])[0]
    power = rng.choices(["grid", "generator", "battery", "none"], [0.35, 0.5, 0.12, 0.03])[0]
    history = [
        (
            start - timedelta(hours=rng.uniform(1, 4)),
            ReportCreate(status="open", power="grid", heating=True, internet=True),
        )
    ]
    history.append(
        (
            start,
            ReportCreate(
                status=status,
                power=power,
                heating=status != "closed",
                internet=rng.random() < 0.85,
                occupancy=occupancy(rng, status, capacity),
                fuel_litres=round(rng.uniform(5, 200), 1) if power == "generator" else None,
            ),
        )
    )
    return history


def occupancy(rng: random.Random, status: str, capacity: int) -> int:
    draw = rng.randrange(0, 50)  # drawn whatever the status, so each history draws alike
    if status == "full":
        return capacity
    return min(draw, capacity - 1) if status == "open" else 0


def load(
    session: Session,
    now: datetime | None = None,
    count: int = 1300,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Load the demo network into an empty database."""
    now = now or utcnow()
    rng = random.Random(SEED + 1)
    for org in ORGANISATIONS:
        accounts.create_organisation(session, org, DEMO)
    for yurt in YURTS:
        points.create_point(session, yurt, DEMO, demo=True, now=now)
        reports.add_report(
            session,
            yurt.id or "",
            ReportCreate(
                status="open",
                power="generator",
                heating=True,
                internet=True,
                occupancy=12,
                fuel_litres=140.0,
            ),
            DEMO,
            source="demo",
            now=now - timedelta(minutes=25),
        )
    generated = generate_points(count)
    for i, data in enumerate(generated):
        points.create_point(session, data, DEMO, demo=True, now=now - timedelta(days=30))
        for moment, report in generate_history(rng, now, data.capacity or 50):
            reports.add_report(session, data.id or "", report, DEMO, source="demo", now=moment)
        if progress is not None:
            progress(i + 1)
    add_places(session, "demo", gazetteer_records(generated))
    for account in DEMO_ACCOUNTS:
        donor = account.role == "donor"
        user = accounts.create_user(
            session,
            UserCreate(
                username=account.username,
                password=account.password,
                organisation=account.scope if donor else None,
            ),
            DEMO,
        )
        if donor:  # pledges for their organisation on the needs board; no role needed
            continue
        grant = RoleGrantCreate(
            role=account.role,
            region=account.scope if account.role == "coordinator" else None,
            point_id=account.scope if account.role == "operator" else None,
        )
        accounts.grant_role(session, user, grant, DEMO)
    # What coordinators have to work with: needs and pledges, an application to decide.
    needs = demo_needs(session, now)
    application = onboarding.demo_applications(session, now)
    return {
        "organisations": len(ORGANISATIONS),
        "points": len(YURTS) + len(generated),
        "accounts": len(DEMO_ACCOUNTS),
        "needs": needs,
        "awaiting_approval": len(application.point_ids),
    }
