"""The printable poster: an A4 page of the nearest points, each with a QR code to its page.

Posters are rendered from real public Features (the read side's view of a PointView, or the
nearest API) and read back with a PDF text extractor and a QR decoder, as a person with a phone
would read them.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import segno
import zxingcpp
from pypdf import PdfReader
from pypdf.generic import ContentStream

from nezlam.domain.point_view import PointView
from nezlam.domain.vocabulary import ShownStatus
from nezlam.geo.spatial_index import SpatialIndex
from nezlam.poster import (
    direction_words,
    nearest_features_for_poster,
    point_url,
    render_poster,
    walking_minutes,
    weekly_hours,
)
from nezlam.reading.features import feature
from nezlam.reading.point_public import Asker, found_public
from tests.conftest import point_create
from tests.test_spatial_index import view as index_view

NOW = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)  # 14:05 in Kyiv
BASE = "https://nezlam.example.org"
STALE, SILENT = timedelta(hours=6), timedelta(hours=24)
MM_PER_PT = 25.4 / 72


def view(point_id: str, name: str, **changes: object) -> PointView:
    """A point as the poster sees it: the spatial index tests' view, with a name, an address,
    hours and a phone worth printing."""
    fields: dict[str, object] = dict(
        name={"uk": name, "en": f"Point {point_id}"},
        phone="+380 44 000 00 00",
        address="вул. Хрещатик, 22",
        capacity=40,
        opening_hours="24/7",
        occupancy=3,
        updated_at=NOW - timedelta(minutes=20),
        verified_at=NOW - timedelta(minutes=20),
        edited_at=None,
    )
    fields.update(changes)
    lat, lon = fields.pop("lat", 50.45), fields.pop("lon", 30.52)
    return index_view(point_id, lat, lon, **fields)


def features(
    views: list[PointView], metres: list[float], shown: str = "open"
) -> list[dict[str, object]]:
    asker = Asker("uk", NOW)
    status = ShownStatus(shown)
    return [
        feature(found_public(v, asker, status, True, m)) for v, m in zip(views, metres, strict=True)
    ]


def poster(points: list[dict[str, object]], **options: object) -> PdfReader:
    kwargs: dict[str, object] = dict(
        place_label="Київ, вул. Хрещатик, 22",
        lat=50.4501,
        lon=30.5234,
        base_url=BASE,
        generated_at=NOW,
    )
    kwargs.update(options)
    return PdfReader(io.BytesIO(render_poster(points, **kwargs)))  # type: ignore[arg-type]


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def image_names(reader: PdfReader) -> list[str]:
    xobjects = reader.pages[0]["/Resources"].get("/XObject", {})
    return [name for name, ref in xobjects.items() if ref.get_object()["/Subtype"] == "/Image"]


def decoded_codes(reader: PdfReader) -> list[str]:
    return [
        code.text
        for image in reader.pages[0].images
        for code in zxingcpp.read_barcodes(image.image)
    ]


THREE = [
    view("lyceum-3", "Ліцей № 3 — пункт незламності", address="вул. Січових Стрільців, 5"),
    view("cafe", "Кав'ярня «Їжак і Ґава»", opening_hours="Mo-Fr 08:00-20:00; Sa 10:00-16:00"),
    view(
        "front",
        "Укриття громади",
        visibility="locality_only",
        address="вул. Таємна, 7",
        locality="Оболонь",
    ),
]


def test_poster_is_one_a4_portrait_page():
    reader = poster(features(THREE, [350, 990, 3000]))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) <= 1 and abs(float(box.height) - 842) <= 1


def test_poster_names_every_point_with_distance_and_walking_minutes():
    text = text_of(poster(features(THREE, [350, 990, 3000])))
    assert "Пункти незламності поруч" in text and "Invincibility points nearby" in text
    assert "Київ, вул. Хрещатик, 22" in text and "станом на 24.11.2026 14:05" in text
    for name in ("Ліцей № 3 — пункт незламності", "Кав'ярня «Їжак і Ґава»", "Укриття громади"):
        assert name in text
    # 350 m × 1.3 at 75 m/min is 6.07 min, said as ≈ 7; 990 m is 17.2 → 18.
    assert "350 м · ≈ 7 хв пішки" in text and "≈ 7 min walk" in text
    assert "990 м · ≈ 18 хв пішки" in text
    assert "Цілодобово · 24/7" in text
    assert "Пн–Пт 08:00–20:00 · Сб 10:00–16:00 · Нд зачинено" in text
    assert "Обігрів · Зарядка пристроїв" in text and "тел. +380 44 000 00 00" in text
    assert "Статус змінюється: скануйте код, щоб побачити актуальний" in text


def test_protected_point_shows_its_locality_never_its_address():
    text = text_of(poster(features(THREE, [350, 990, 3000])))
    assert "Таємна" not in text
    assert "Оболонь · точна адреса не публікується" in text
    assert "≈ 3 км · ≈ 52 хв пішки" in text  # a rounded distance is said as approximate
    assert "вул. Січових Стрільців, 5, Київ" in text  # public points keep their address


def test_protected_point_address_stays_off_even_if_a_feature_carries_one():
    leaky = features(THREE, [350, 990, 3000])
    leaky[2]["properties"]["address"] = "вул. Таємна, 7"  # e.g. a privileged Feature by mistake
    text = text_of(poster(leaky))
    assert "Таємна" not in text and "Оболонь" in text


def test_demo_mark_appears_only_with_demo_data():
    real = text_of(poster(features(THREE, [350, 990, 3000])))
    demo_views = [view("demo-1", "Демо-пункт", demo=True), *THREE[:1]]
    demo = text_of(poster(features(demo_views, [200, 400])))
    assert "ДЕМО-ДАНІ · DEMO DATA" in demo and "їх не існує" in demo
    assert "ДЕМО" not in real and "DEMO" not in real


def test_one_qr_code_per_point_opens_its_page():
    reader = poster(features(THREE, [350, 990, 3000]))
    assert len(image_names(reader)) == 3
    assert sorted(decoded_codes(reader)) == sorted(
        f"{BASE}/points/{point_id}" for point_id in ("lyceum-3", "cafe", "front")
    )


def test_qr_codes_are_at_least_25_mm_wide_on_paper():
    reader = poster(features(THREE[:1], [350]))
    page = reader.pages[0]
    placed = []
    matrix: list[float] = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"cm":
            matrix = [float(v) for v in operands]
        elif operator == b"Do":
            placed.append(matrix[0] * MM_PER_PT)
    code = segno.make_qr(point_url(BASE, "lyceum-3"), error="m")
    modules = code.symbol_size(scale=1, border=0)[0]
    assert len(placed) == 1
    symbol_mm = placed[0] * modules / (modules + 8)  # the image includes a 4-module quiet zone
    assert symbol_mm >= 25


def test_live_status_is_not_printed_as_if_permanent():
    closed = text_of(poster(features(THREE[:1], [350], shown="closed")))
    unconfirmed = text_of(poster(features(THREE[:1], [350], shown="unconfirmed")))
    confirmed = text_of(poster(features(THREE[:1], [350], shown="open")))
    assert "зачинено" not in closed.lower() and "closed" not in closed.lower()
    assert "підтверджено" not in unconfirmed
    assert "востаннє підтверджено відкритим: 24.11.2026 13:45" in confirmed


def test_more_points_than_fit_keeps_the_nearest_first():
    many = [view(f"p{i}", f"Пункт номер {i}") for i in range(1, 9)]
    reader = poster(features(many, [100 * i for i in range(1, 9)]))
    text = text_of(reader)
    assert len(image_names(reader)) == 6
    assert all(f"Пункт номер {i}" in text for i in range(1, 7))
    assert "Пункт номер 7" not in text and "Пункт номер 8" not in text


def test_poster_without_points_says_so():
    reader = poster([])
    assert "Поруч пунктів не знайдено" in text_of(reader)
    assert image_names(reader) == []


def test_english_poster_puts_english_first():
    text = text_of(poster(features(THREE[:2], [350, 990]), lang="en"))
    assert text.index("Invincibility points nearby") < text.index("Пункти незламності поруч")
    assert "350 m · ≈ 7 min walk" in text and "Mon–Fri 08:00–20:00" in text
    assert "Heating · Phone charging" in text


@pytest.mark.parametrize(("metres", "minutes"), [(1, 1), (350, 7), (1000, 18), (4500, 78)])
def test_walking_minutes_round_up_a_detoured_straight_line(metres, minutes):
    assert walking_minutes(metres) == minutes


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        (None, "Години роботи не вказано"),
        ("24/7", "Цілодобово · 24/7"),
        ("Mo-Su 00:00-24:00", "Цілодобово · 24/7"),
        ("Mo-Fr 08:00-20:00; Sa 10:00-16:00", "Пн–Пт 08:00–20:00 · Сб 10:00–16:00 · Нд зачинено"),
        (
            "Mo,We 09:00-13:00,14:00-18:00",
            "Пн 09:00–13:00, 14:00–18:00 · Вт зачинено · "
            "Ср 09:00–13:00, 14:00–18:00 · Чт–Нд зачинено",
        ),
    ],
)
def test_weekly_hours_in_words(expression, words):
    assert weekly_hours(expression, "Europe/Kyiv", NOW, "uk") == words


def test_nearest_features_for_poster_come_from_the_index_nearest_first():
    index = SpatialIndex(STALE, SILENT)
    index.replace_all(
        [view("far", "Далекий", lat=50.50), view("near", "Близький", lat=50.451)], seq=1
    )
    found = nearest_features_for_poster(index, 50.45, 30.52, now=NOW, k=6)
    assert [f["id"] for f in found] == ["near", "far"]
    assert found[0]["properties"]["distance_m"] == pytest.approx(111, abs=2)


def test_poster_from_the_nearest_api_hides_a_protected_address(app_client, db, clock):
    from nezlam.store import points
    from nezlam.store.actor import CLI

    with db.write() as session:
        points.create_point(
            session,
            point_create(
                "front-line",
                "Київ",
                50.4512,
                30.5212,
                address="вул. Канарейкова, 77",
                visibility="locality_only",
                locality="Подільський район",
            ),
            CLI,
            now=clock(),
        )
    app_client.app.state.nezlam.sync.load_all()
    answer = app_client.get("/api/v1/points/nearest", params={"lat": 50.45, "lon": 30.52, "k": 6})
    found = answer.json()["features"]
    reader = poster(found, generated_at=clock())
    text = text_of(reader)
    assert "Пункт point-a" in text and "Подільський район" in text
    assert "Канарейкова" not in text
    assert len(image_names(reader)) == len(found)
    assert f"{BASE}/points/front-line" in decoded_codes(reader)


@pytest.mark.parametrize(
    ("lat", "lon", "uk", "en"),
    [
        (50.4532, 30.5234, "на північ", "north"),
        (50.4530, 30.5280, "на північний схід", "north-east"),
        (50.4501, 30.5300, "на схід", "east"),
        (50.4470, 30.5190, "на південний захід", "south-west"),
        (50.4530, 30.5190, "на північний захід", "north-west"),
    ],
)
def test_each_point_says_which_way_to_walk_from_the_door(lat, lon, uk, en):
    assert direction_words(50.4501, 30.5234, lat, lon, "uk") == uk
    assert direction_words(50.4501, 30.5234, lat, lon, "en") == en
    assert direction_words(50.4501, 30.5234, 50.45011, 30.52341, "uk") is None  # at the door


def test_the_direction_is_printed_beside_the_distance():
    north_west = view("nw", "Пункт на північному заході", lat=50.4530, lon=30.5190)
    text = text_of(poster(features([north_west], [440])))
    assert "440 м · ≈ 8 хв пішки · на північний захід" in text
    english = text_of(poster(features([north_west], [440]), lang="en"))
    assert "440 m · ≈ 8 min walk · north-west" in english


def test_standby_and_never_reported_points_say_what_that_means():
    standby = text_of(poster(features(THREE[:1], [350], shown="standby")))
    assert "Резервний пункт: відкривається за потреби — зателефонуйте" in standby
    unknown = text_of(poster(features(THREE[:1], [350], shown="unknown")))
    assert "Стан ще невідомий — зателефонуйте, перш ніж іти" in unknown
    assert "Резервний" not in text_of(poster(features(THREE[:1], [350], shown="open")))


def font_sizes(reader: PdfReader) -> list[float]:
    """The sizes of every text run on the page (Tf operators), in points."""
    return [
        float(operands[1])
        for operands, operator in ContentStream(reader.pages[0].get_contents(), reader).operations
        if operator == b"Tf"
    ]


def test_body_text_is_large_enough_for_a_door():
    sizes = font_sizes(poster(features(THREE, [350, 990, 3000])))
    # Most text on the page is the points' place, hours, services and phone: their size.
    assert Counter(sizes).most_common(1)[0][0] >= 12.5, Counter(sizes)
    assert sizes.count(14.0) >= 3  # each point's distance and direction, bold


def test_the_poster_page_names_its_place_from_the_gazetteer(client, db, clock):
    from nezlam import demo

    with db.write() as session:
        demo.load(session, now=clock(), count=20)
    client.app.state.nezlam.sync.load_all()
    answer = client.get("/poster", params={"lat": "50.44190", "lon": "30.51330"})
    text = text_of(PdfReader(io.BytesIO(answer.content)))
    assert "Біля: вулиця Володимирська, 57, Київ" in text
    assert "Біля: 50.44190" not in text
    named = client.get("/poster", params={"lat": "50.4419", "lon": "30.5133", "place": "Юрта"})
    assert "Біля: Юрта" in text_of(PdfReader(io.BytesIO(named.content)))
    english = client.get("/poster", params={"lat": "50.4419", "lon": "30.5133", "lang": "en"})
    assert "Near: vulytsia Volodymyrska, 57, Kyiv" in text_of(
        PdfReader(io.BytesIO(english.content))
    )
    nowhere = client.get("/poster", params={"lat": "48.0", "lon": "2.0"})
    assert "Біля: 48.00000, 2.00000" in text_of(PdfReader(io.BytesIO(nowhere.content)))
