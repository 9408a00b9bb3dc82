"""Kyiv for the demo: real streets and well-known places with rough positions, so that generated
points stand on a street that is really there and the finder finds what its cards print.

Positions are degrees WGS84 (lat, lon), good to a hundred metres or so: enough for a demo to be
believable, never a substitute for `nezlam places import` of a real OpenStreetMap extract. A
street is a polyline of a few points along it; current names (after the 2022–2024 renamings),
with the old name as an alternative, because residents still type the old one.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nezlam.places.records import PlaceKind, PlaceRecord


class Street(NamedTuple):
    name: str  # as the gazetteer has it: "вулиця Хрещатик"
    short: str  # as an address is written on a card: "вул. Хрещатик"
    line: tuple[tuple[float, float], ...]  # (lat, lon) along it, from where its numbers start
    old: str | None = None  # the name before a renaming


def _s(name: str, line: list[tuple[float, float]], old: str | None = None) -> Street:
    for full, short in ABBREVIATIONS:
        if name.startswith(full + " "):
            return Street(name, short + name[len(full) :], tuple(line), old)
    return Street(name, name, tuple(line), old)


ABBREVIATIONS = (("вулиця", "вул."), ("проспект", "просп."), ("бульвар", "бул."))

STREETS = [
    # Шевченківський
    _s("вулиця Хрещатик", [(50.4547, 30.5293), (50.4501, 30.5237), (50.4418, 30.5216)]),
    _s(
        "вулиця Володимирська",
        [(50.4585, 30.5178), (50.4530, 30.5150), (50.4419, 30.5133), (50.4330, 30.5165)],
    ),
    _s("бульвар Тараса Шевченка", [(50.4420, 30.5210), (50.4440, 30.5070), (50.4480, 30.4900)]),
    _s("вулиця Богдана Хмельницького", [(50.4475, 30.5225), (50.4460, 30.5060)]),
    _s("вулиця Січових Стрільців", [(50.4555, 30.5070), (50.4560, 30.4900)]),
    _s("вулиця Велика Житомирська", [(50.4560, 30.5170), (50.4590, 30.5020)]),
    _s("вулиця Олеся Гончара", [(50.4462, 30.5050), (50.4560, 30.5045)]),
    _s("вулиця Ярославів Вал", [(50.4505, 30.5170), (50.4530, 30.5060)]),
    _s("вулиця Пушкінська", [(50.4470, 30.5200), (50.4410, 30.5190)]),
    _s("вулиця Дегтярівська", [(50.4560, 30.4720), (50.4620, 30.4400)]),
    _s("вулиця Юрія Іллєнка", [(50.4630, 30.4800), (50.4740, 30.4480)], "вулиця Мельникова"),
    _s("вулиця Олени Теліги", [(50.4710, 30.4480), (50.4860, 30.4660)]),
    _s("вулиця Щербаківського", [(50.4650, 30.4100), (50.4750, 30.4050)]),
    _s(
        "Берестейський проспект",
        [
            (50.4497, 30.4880),
            (50.4550, 30.4500),
            (50.4580, 30.4050),
            (50.4578, 30.3900),
            (50.4600, 30.3600),
            (50.4650, 30.3400),
        ],
        "проспект Перемоги",
    ),
    # Печерський
    _s("вулиця Михайла Грушевського", [(50.4500, 30.5300), (50.4440, 30.5380), (50.4400, 30.5450)]),
    _s("вулиця Інститутська", [(50.4495, 30.5260), (50.4440, 30.5360)]),
    _s("бульвар Лесі Українки", [(50.4370, 30.5310), (50.4290, 30.5360), (50.4210, 30.5420)]),
    _s("вулиця Лаврська", [(50.4430, 30.5480), (50.4350, 30.5570)]),
    _s("вулиця Князів Острозьких", [(50.4430, 30.5440), (50.4360, 30.5480)], "вулиця Московська"),
    _s("вулиця Генерала Алмазова", [(50.4310, 30.5370), (50.4240, 30.5430)], "вулиця Кутузова"),
    _s(
        "бульвар Миколи Міхновського",
        [(50.4200, 30.5300), (50.4150, 30.5450), (50.4130, 30.5560)],
        "бульвар Дружби Народів",
    ),
    _s("вулиця Іоанна Павла II", [(50.4270, 30.5440), (50.4160, 30.5500)], "вулиця Лумумби"),
    _s("вулиця Мечникова", [(50.4380, 30.5210), (50.4340, 30.5270)]),
    _s("вулиця Драгомирова", [(50.4160, 30.5600), (50.4060, 30.5620)]),
    _s("Наддніпрянське шосе", [(50.4260, 30.5620), (50.4100, 30.5640)]),
    # Голосіївський
    _s(
        "вулиця Велика Васильківська",
        [(50.4410, 30.5215), (50.4300, 30.5195), (50.4200, 30.5205), (50.4050, 30.5175)],
    ),
    _s(
        "Голосіївський проспект",
        [(50.4047, 30.5167), (50.3977, 30.5083), (50.3900, 30.4900), (50.3830, 30.4780)],
    ),
    _s("проспект Академіка Глушкова", [(50.3830, 30.4780), (50.3766, 30.4690), (50.3690, 30.4560)]),
    _s(
        "проспект Науки",
        [(50.4030, 30.5260), (50.3870, 30.5280), (50.3700, 30.5330), (50.3550, 30.5400)],
    ),
    _s("вулиця Ломоносова", [(50.3945, 30.4890), (50.3905, 30.5080)]),
    _s(
        "вулиця Академіка Заболотного", [(50.3660, 30.4620), (50.3530, 30.4800), (50.3430, 30.4950)]
    ),
    _s("вулиця Героїв Оборони", [(50.3870, 30.5050), (50.3780, 30.5050)]),
    _s("Пирогівський шлях", [(50.3850, 30.5330), (50.3600, 30.5450), (50.3400, 30.5500)]),
    _s("Столичне шосе", [(50.3800, 30.5500), (50.3500, 30.5600), (50.3300, 30.5700)]),
    # Солом'янський
    _s(
        "проспект Повітряних Сил",
        [(50.4390, 30.4870), (50.4330, 30.4620), (50.4270, 30.4400)],
        "Повітрофлотський проспект",
    ),
    _s("вулиця Симона Петлюри", [(50.4430, 30.5000), (50.4410, 30.4900)]),
    _s(
        "проспект Валерія Лобановського",
        [(50.4260, 30.4430), (50.4150, 30.4650), (50.4080, 30.4950), (50.4050, 30.5150)],
        "Червонозоряний проспект",
    ),
    _s("вулиця Солом'янська", [(50.4340, 30.4860), (50.4230, 30.4700)]),
    _s("вулиця Героїв Севастополя", [(50.4300, 30.4300), (50.4150, 30.4250)]),
    _s("вулиця Борщагівська", [(50.4490, 30.4700), (50.4430, 30.4300), (50.4380, 30.4000)]),
    _s(
        "проспект Любомира Гузара",
        [(50.4390, 30.4420), (50.4480, 30.4360)],
        "проспект Космонавта Комарова",
    ),
    # Святошинський
    _s("проспект Леся Курбаса", [(50.4420, 30.3740), (50.4370, 30.3570)]),
    _s("вулиця Якуба Коласа", [(50.4430, 30.3830), (50.4400, 30.3600)]),
    _s("вулиця Симиренка", [(50.4460, 30.3620), (50.4350, 30.3620)]),
    _s("вулиця Гната Юри", [(50.4440, 30.3750), (50.4340, 30.3700)]),
    _s("вулиця Чорнобильська", [(50.4590, 30.3600), (50.4520, 30.3720)]),
    _s(
        "проспект Академіка Палладіна", [(50.4650, 30.3560), (50.4850, 30.3600), (50.5000, 30.3650)]
    ),
    _s("вулиця Стеценка", [(50.4800, 30.4050), (50.4900, 30.3900)]),
    # Подільський
    _s("вулиця Кирилівська", [(50.4660, 30.5120), (50.4780, 30.4990), (50.4930, 30.4830)]),
    _s("вулиця Вишгородська", [(50.4890, 30.4730), (50.5030, 30.4620), (50.5180, 30.4550)]),
    _s(
        "проспект Європейського Союзу",
        [(50.5000, 30.4450), (50.5120, 30.4300), (50.5200, 30.4200)],
        "проспект Правди",
    ),
    _s("вулиця Сирецька", [(50.4780, 30.4350), (50.4900, 30.4300)]),
    _s("вулиця Ярославська", [(50.4650, 30.5150), (50.4680, 30.5030)]),
    _s("вулиця Петра Сагайдачного", [(50.4595, 30.5250), (50.4645, 30.5170)]),
    _s("вулиця Межигірська", [(50.4660, 30.5150), (50.4780, 30.5070)]),
    _s("вулиця Світлицького", [(50.4880, 30.4200), (50.4950, 30.4350)]),
    # Оболонський
    _s(
        "Оболонський проспект",
        [(50.5230, 30.4960), (50.5110, 30.4990), (50.4990, 30.5050), (50.4910, 30.5080)],
    ),
    _s(
        "проспект Володимира Івасюка",
        [(50.5230, 30.5140), (50.5080, 30.5170), (50.4960, 30.5170)],
        "проспект Героїв Сталінграда",
    ),
    _s("вулиця Героїв Дніпра", [(50.5225, 30.4920), (50.5230, 30.5100)]),
    _s(
        "вулиця Левка Лук'яненка",
        [(50.5075, 30.4900), (50.5090, 30.5150)],
        "вулиця Маршала Тимошенка",
    ),
    _s(
        "проспект Степана Бандери",
        [(50.4880, 30.4850), (50.4890, 30.5050), (50.4880, 30.5270)],
        "Московський проспект",
    ),
    _s("вулиця Північна", [(50.5160, 30.4850), (50.5190, 30.5050)]),
    _s("вулиця Богатирська", [(50.5300, 30.5050), (50.5450, 30.5150), (50.5580, 30.5200)]),
    # Дніпровський
    _s(
        "Броварський проспект",
        [(50.4460, 30.5780), (50.4510, 30.5980), (50.4560, 30.6130), (50.4640, 30.6440)],
    ),
    _s(
        "проспект Соборності",
        [(50.4560, 30.6070), (50.4480, 30.6230), (50.4430, 30.6350)],
        "проспект Возз'єднання",
    ),
    _s("Русанівська набережна", [(50.4360, 30.5930), (50.4500, 30.5960)]),
    _s("вулиця Гната Хоткевича", [(50.4620, 30.6150), (50.4710, 30.6200)]),
    _s("бульвар Верховної Ради", [(50.4500, 30.6100), (50.4440, 30.6250)]),
    _s("вулиця Попудренка", [(50.4560, 30.6190), (50.4640, 30.6240)]),
    _s("вулиця Березняківська", [(50.4300, 30.6100), (50.4230, 30.6300)]),
    # Деснянський
    _s(
        "проспект Червоної Калини",
        [(50.5160, 30.5930), (50.5090, 30.6150), (50.5020, 30.6330)],
        "проспект Маяковського",
    ),
    _s("вулиця Милославська", [(50.5250, 30.6040), (50.5170, 30.6280)]),
    _s("вулиця Миколи Закревського", [(50.5250, 30.6140), (50.5050, 30.6150)]),
    _s(
        "проспект Романа Шухевича",
        [(50.4870, 30.5750), (50.5000, 30.5900), (50.5150, 30.6000)],
        "проспект Ватутіна",
    ),
    _s("вулиця Лісківська", [(50.5100, 30.6400), (50.4990, 30.6500)]),
    _s("вулиця Братиславська", [(50.4950, 30.6000), (50.4830, 30.6200)]),
    _s("вулиця Сабурова", [(50.5220, 30.6200), (50.5300, 30.6100)]),
    _s("вулиця Оноре де Бальзака", [(50.5200, 30.6200), (50.5100, 30.6300)]),
    # Дарницький
    _s(
        "проспект Миколи Бажана",
        [(50.4030, 30.5900), (50.4040, 30.6200), (50.4030, 30.6500), (50.4010, 30.6800)],
    ),
    _s(
        "Харківське шосе",
        [(50.4350, 30.6200), (50.4180, 30.6520), (50.4050, 30.6850), (50.3950, 30.7100)],
    ),
    _s("проспект Петра Григоренка", [(50.4020, 30.6260), (50.3880, 30.6400)]),
    _s("вулиця Ревуцького", [(50.4020, 30.6360), (50.3900, 30.6480)]),
    _s("вулиця Драгоманова", [(50.4120, 30.6160), (50.3950, 30.6250)]),
    _s("вулиця Вербицького", [(50.4090, 30.6400), (50.3990, 30.6560)]),
    _s("вулиця Бориспільська", [(50.4220, 30.6700), (50.4100, 30.7000)]),
    _s("Дніпровська набережна", [(50.4150, 30.5880), (50.4020, 30.5980), (50.3900, 30.6050)]),
]

# (Ukrainian, English or None, lat, lon, kind, other names ";"-separated)
PLACES = [
    (
        "Майдан Незалежності",
        "Maidan Nezalezhnosti (Independence Square)",
        50.4501,
        30.5234,
        "square",
        "Майдан;Independence Square;Maidan",
    ),
    (
        "Центральний залізничний вокзал",
        "Central Railway Station",
        50.4406,
        30.4891,
        "station",
        "Вокзал;Залізничний вокзал;Київ-Пасажирський;Railway station",
    ),
    ("Контрактова площа", "Kontraktova Square", 50.4650, 30.5155, "square", None),
    ("Софійська площа", "Sofiiska Square", 50.4535, 30.5165, "square", None),
    ("Михайлівська площа", "Mykhailivska Square", 50.4550, 30.5220, "square", None),
    ("Європейська площа", "European Square", 50.4545, 30.5290, "square", None),
    ("Бессарабська площа", "Bessarabska Square", 50.4417, 30.5213, "square", None),
    ("Львівська площа", "Lvivska Square", 50.4540, 30.5060, "square", None),
    ("Галицька площа", "Halytska Square", 50.4497, 30.4880, "square", "площа Перемоги"),
    ("Поштова площа", "Poshtova Square", 50.4590, 30.5250, "square", None),
    ("Золоті ворота", "Golden Gate", 50.4488, 30.5133, "monument", None),
    ("Києво-Печерська лавра", "Kyiv Pechersk Lavra", 50.4345, 30.5570, "monument", "Лавра"),
    ("НСК «Олімпійський»", "Olympic Stadium", 50.4332, 30.5219, "stadium", "Олімпійський стадіон"),
    (
        "Аеропорт «Київ» (Жуляни)",
        "Kyiv International Airport (Zhuliany)",
        50.4017,
        30.4497,
        "aerodrome",
        "Жуляни;аеропорт",
    ),
    ("Гідропарк", "Hydropark", 50.4455, 30.5760, "park", None),
    ("Маріїнський парк", "Mariinskyi Park", 50.4470, 30.5390, "park", None),
    ("Голосіївський парк", "Holosiivskyi Park", 50.3890, 30.5130, "park", None),
    (
        "Київський політехнічний інститут",
        "Kyiv Polytechnic Institute",
        50.4490,
        30.4580,
        "university",
        "КПІ",
    ),
    (
        "Червоний корпус університету Шевченка",
        "Red University Building",
        50.4419,
        30.5110,
        "university",
        None,
    ),
    ("Поділ", None, 50.4670, 30.5140, "suburb", None),
    ("Печерськ", None, 50.4330, 30.5430, "suburb", None),
    ("Оболонь", None, 50.5010, 30.5000, "suburb", None),
    ("Троєщина", None, 50.5130, 30.6100, "suburb", None),
    ("Позняки", None, 50.3980, 30.6330, "suburb", None),
    ("Осокорки", None, 50.3950, 30.6160, "suburb", None),
    ("Виноградар", None, 50.5110, 30.4270, "suburb", None),
    ("Борщагівка", None, 50.4420, 30.3700, "suburb", None),
    ("Теремки", None, 50.3680, 30.4560, "suburb", None),
    ("Лук'янівка", None, 50.4620, 30.4820, "suburb", None),
    ("Святошин", None, 50.4580, 30.3900, "suburb", None),
    ("Нивки", None, 50.4600, 30.4050, "suburb", None),
    ("Академмістечко", None, 50.4650, 30.3550, "suburb", None),
    ("Дарниця", None, 50.4560, 30.6130, "suburb", None),
    ("Русанівка", None, 50.4430, 30.5970, "suburb", None),
    ("Лівобережний масив", None, 50.4520, 30.5980, "suburb", "Лівобережна"),
    ("Лісовий масив", None, 50.4650, 30.6450, "suburb", None),
    ("Харківський масив", None, 50.4000, 30.6520, "suburb", None),
    ("Березняки", None, 50.4270, 30.6070, "suburb", None),
    ("Голосієво", None, 50.3960, 30.5080, "suburb", None),
    ("Соломʼянка", None, 50.4330, 30.4700, "suburb", None),
    ("Куренівка", None, 50.4870, 30.4850, "suburb", None),
    ("Сирець", None, 50.4770, 30.4330, "suburb", None),
]

# Addresses everyone knows, which the demo's points may not happen to have.
LANDMARK_ADDRESSES = [("вулиця Хрещатик", "22", 50.4505, 30.5243, "Головпоштамт")]
M_PER_DEG = 111_320.0
HOUSE_SPACING_M = 22.0  # metres of street per house number on each side, roughly


def _xy(lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north of 50.45 N, 30.52 E: flat enough for a city."""
    return (lon - 30.52) * M_PER_DEG * math.cos(math.radians(50.45)), (lat - 50.45) * M_PER_DEG


def _latlon(x: float, y: float) -> tuple[float, float]:
    return 50.45 + y / M_PER_DEG, 30.52 + x / (M_PER_DEG * math.cos(math.radians(50.45)))


class OnStreet(NamedTuple):
    street: Street
    lat: float  # the nearest position on the street's line
    lon: float
    along_m: float  # from the street's first point
    off_m: float  # how far the given position was from the street
    segment: int  # which of the segments below


def _segments() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every street segment: start (x, y metres), vector, owning street, length before it."""
    starts, vectors, owners, before = [], [], [], []
    for index, street in enumerate(STREETS):
        walked = 0.0
        for a, b in zip(street.line, street.line[1:], strict=False):
            (ax, ay), (bx, by) = _xy(*a), _xy(*b)
            starts.append((ax, ay))
            vectors.append((bx - ax, by - ay))
            owners.append(index)
            before.append(walked)
            walked += math.hypot(bx - ax, by - ay)
    return np.array(starts), np.array(vectors), np.array(owners), np.array(before)


_STARTS, _VECTORS, _OWNERS, _BEFORE = _segments()


def nearest_street(lat: float, lon: float) -> OnStreet:
    """The demo street nearest to (lat, lon) in degrees, and the nearest position on it."""
    x, y = _xy(lat, lon)
    d = np.array([x, y]) - _STARTS
    length2 = np.einsum("ij,ij->i", _VECTORS, _VECTORS)
    t = np.clip(np.einsum("ij,ij->i", d, _VECTORS) / length2, 0.0, 1.0)
    foot = _STARTS + _VECTORS * t[:, None]
    gap = np.hypot(foot[:, 0] - x, foot[:, 1] - y)
    best = int(np.argmin(gap))
    along = float(_BEFORE[best] + t[best] * math.sqrt(length2[best]))
    flat, flon = _latlon(*foot[best])
    return OnStreet(STREETS[int(_OWNERS[best])], flat, flon, along, float(gap[best]), best)


def house_number(along_m: float, left: bool) -> str:
    """Odd numbers on one side, even on the other, growing along the street."""
    pair = int(along_m // (2 * HOUSE_SPACING_M))
    return str(2 * pair + (2 if left else 1))


def house_position(on: OnStreet, left: bool, setback_m: float) -> tuple[float, float]:
    """A building `setback_m` metres beside the street, on its left or right (seen along it)."""
    vx, vy = _VECTORS[on.segment]
    norm = math.hypot(vx, vy) or 1.0
    side = 1.0 if left else -1.0
    x, y = _xy(on.lat, on.lon)
    return _latlon(x - side * vy / norm * setback_m, y + side * vx / norm * setback_m)


def records(addresses: list[tuple[str, str, float, float]]) -> list[PlaceRecord]:
    """The streets and places above, and `addresses` (street, number, lat, lon), for the
    gazetteer."""
    found = []
    for known in STREETS:
        middle = known.line[len(known.line) // 2]
        names = {"alt_name": known.old} if known.old else {}
        found.append(
            PlaceRecord(
                PlaceKind.STREET,
                middle[0],
                middle[1],
                name=known.name,
                names=names,
                locality="Київ",
            )
        )
    for name, english, lat, lon, kind, other in PLACES:
        names = {key: value for key, value in (("name:en", english), ("alt_name", other)) if value}
        found.append(
            PlaceRecord(
                PlaceKind.PLACE, lat, lon, name=name, names=names, place_type=kind, locality="Київ"
            )
        )
    for street, number, lat, lon, name in LANDMARK_ADDRESSES:
        found.append(
            PlaceRecord(
                PlaceKind.ADDRESS,
                lat,
                lon,
                name=name,
                street=street,
                housenumber=number,
                locality="Київ",
            )
        )
    for street, number, lat, lon in addresses:
        found.append(
            PlaceRecord(
                PlaceKind.ADDRESS, lat, lon, street=street, housenumber=number, locality="Київ"
            )
        )
    return found
