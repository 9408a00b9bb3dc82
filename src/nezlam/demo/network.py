"""The demo network itself: the two Kazakh yurts, the organisations behind the points, and a
deterministic Kyiv-like network generated across the ten districts from templates of the places
that kept their doors open (schools, fire stations, cafés, pharmacies…)."""

from __future__ import annotations

import random

from nezlam import demo_kyiv
from nezlam.domain.points import OrganisationCreate, PointCreate

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


def generate_points(count: int = 1300, seed: int = SEED) -> list[PointCreate]:
    """A deterministic Kyiv-like network of `count` points spread over the ten districts, each
    on a real street (the nearest of `demo_kyiv_map.STREETS`), its address the house it stands
    at."""
    rng = random.Random(seed)
    weights = [t[4] for t in TEMPLATES]
    numbers: dict[str, int] = {}
    result = []
    for i in range(count):
        d_uk, d_en, lat0, lon0, spread = DISTRICTS[i % len(DISTRICTS)]
        category, uk, en, services, _share, hours = rng.choices(TEMPLATES, weights)[0]
        n = numbers[uk] = numbers.get(uk, 0) + 1 + rng.randrange(3)
        on, left, lat, lon = _house_near(rng, lat0, lon0, spread)
        chosen = _offered_services(rng, category, services)
        protected = i % 400 == 17  # a few points near critical infrastructure
        result.append(
            PointCreate(
                id=f"kyiv-{i + 1:04d}",
                name={"uk": uk.format(n=n, d=d_uk), "en": en.format(n=n, d_en=d_en)},
                category=category,
                kind="mobile" if uk.startswith("Намет") else "stationary",
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


def _house_near(
    rng: random.Random, lat0: float, lon0: float, spread: float
) -> tuple[demo_kyiv.OnStreet, bool, float, float]:
    """A house on the street nearest a position drawn around (lat0, lon0), degrees WGS84: the
    place on the street, which side of it (left), and the house's own lat, lon."""
    on = demo_kyiv.nearest_street(lat0 + rng.gauss(0, spread), lon0 + rng.gauss(0, spread * 1.5))
    left = rng.random() < 0.5
    lat, lon = demo_kyiv.house_position(on, left, rng.uniform(12, 40))
    return on, left, lat, lon


def _offered_services(rng: random.Random, category: str, services: list[str]) -> list[str]:
    """Most of what the template offers (never nothing), and now and then pets allowed."""
    chosen = [s for s in services if rng.random() < 0.9] or services[:1]
    if category != "service" and rng.random() < 0.15:
        chosen.append("pets_allowed")
    return chosen


def pharmacy_hours(rng: random.Random) -> str:
    """Some pharmacies are open round the clock (цілодобова аптека); most close at night."""
    return "24/7" if rng.random() < 0.2 else "Mo-Su 08:00-21:00"
