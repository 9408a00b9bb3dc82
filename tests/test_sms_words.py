"""What a short message asks, and how long an SMS answer is: the parts that need no gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nezlam.channels import asking, sms_text, sms_words
from nezlam.channels.answering import Found
from nezlam.domain.vocabulary import ShownStatus
from nezlam.reading.point_public import PointPublic, PublicDetails


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("ТЕПЛО Хрещатик 22", asking.Nearest(("heat",), "Хрещатик 22")),
        ("heat 50.45 30.52", asking.Nearest(("heat",), "50.45 30.52")),
        ("Зарядка, вода: Бровари", asking.Nearest(("power", "water"), "Бровари")),
        ("тепло тепло Бровари", asking.Nearest(("heat",), "Бровари")),
        ("вулиця Антоновича 5", asking.Nearest((), "вулиця Антоновича 5")),
        ("ТЕПЛО", asking.Nearest(("heat",), "")),
        ("ПУНКТ kyiv-0042", asking.OnePoint("kyiv-0042")),
        ("point Bucha-Yurt", asking.OnePoint("bucha-yurt")),
        ("", asking.Help()),
        ("   \n ", asking.Help()),
        ("ДОПОМОГА", asking.Help()),
        ("?", asking.Help()),
    ],
)
def test_a_residents_message_is_read_as_they_meant_it(text, question):
    assert asking.read(text) == question


def test_status_words_are_an_update_only_from_an_operator():
    """From a resident "Open Street 5" is a place; from an operator "OPEN" sets the status."""
    assert asking.read("OPEN") == asking.Nearest((), "OPEN")
    assert asking.read("Open Street 5") == asking.Nearest((), "Open Street 5")
    assert asking.read("OPEN", operator=True) == asking.StatusUpdate("open")
    assert asking.read("зачинено", operator=True) == asking.StatusUpdate("closed")
    assert asking.read("ОК", operator=True) == asking.StatusUpdate("verify")  # Cyrillic О, К
    assert asking.read("ok point-a", operator=True) == asking.StatusUpdate("verify", "point-a")
    assert asking.read("full of people here", operator=True) == asking.Nearest(
        (), "full of people here"
    )


def test_the_language_of_the_answer_is_that_of_the_question():
    assert asking.language_of("ТЕПЛО Хрещатик 22") == "uk"
    assert asking.language_of("HEAT 50.45 30.52") == "en"
    assert asking.language_of("50.45 30.52") == "uk"
    assert asking.language_of("50.45 30.52", default="en") == "en"


def test_a_message_of_emoji_is_read_without_failing():
    question = asking.read("🔥" * 4000)
    assert isinstance(question, asking.Nearest)
    assert len(question.place) <= asking.MAX_TEXT


@pytest.mark.parametrize(
    ("text", "units", "parts"),
    [
        ("", 0, 0),
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("€" * 80, 160, 1),  # an extension character takes two septets
        ("ж" * 70, 70, 1),
        ("ж" * 71, 71, 2),
        ("ж" * 134, 134, 2),
        ("ж" * 135, 135, 3),
        ("a" * 69 + "ж", 70, 1),  # one Cyrillic letter turns it all to UCS-2
        ("🔥" * 35, 70, 1),  # an emoji is two UTF-16 units
    ],
)
def test_segments_are_counted_as_the_network_bills(text, units, parts):
    assert sms_text.units(text) == units
    assert sms_text.segments(text) == parts


NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def point(n: int, name: str, metres: float, phone: str | None = "+380 44 123 45 67") -> PointPublic:
    details = PublicDetails(
        id=f"p-{n}", name=name, names={"uk": name}, category="state", kind="fixed",
        anchor=False, organisation=None, phone=phone, address="вул. Тестова, 1",
        locality="Київ", region="Київ", location_precision="exact", timezone="Europe/Kyiv",
        services=("heat",), capacity=40, opening_hours="24/7", notes=None, faults=(),
        demo=False, position=(50.45, 30.52), reported_status="open", power=None,
        heating=None, internet=None, occupancy=None, updated_at=NOW - timedelta(minutes=20),
        verified_at=NOW - timedelta(minutes=20), flagged=False,
    )  # fmt: skip
    return PointPublic(details, ShownStatus.OPEN, True, None, metres, metres * 1.2, "walking")


def test_three_points_fit_in_two_cyrillic_sms_with_every_phone_whole():
    long_name = "Пункт незламності при Шевченківській районній адміністрації міста Києва"
    found = Found("Хрещатик 22", [point(n, long_name, 300.0 * n) for n in (1, 2, 3)])
    text = sms_words.nearest_text(found, "uk")
    assert sms_text.segments(text) <= 2
    lines = text.split("\n")
    assert len(lines) == 3
    assert all(line.endswith("0441234567") for line in lines)  # dialled as at home
    assert lines[0].startswith("1. Пункт") and "…" in lines[0]  # the name was shortened
    assert "360 м" in lines[0] and "відкрито" in lines[0]  # on foot, as walked


def test_short_names_keep_the_time_each_was_confirmed():
    found = Found(None, [point(1, "Юрта", 950.0), point(2, "Школа 5", 1500.0)])
    text = sms_words.nearest_text(found, "uk")
    assert text.split("\n") == [
        "1. Юрта, 1,1 км, відкрито 19:40, 0441234567",  # 18:00 UTC is 20:00 in Kyiv
        "2. Школа 5, 1,8 км, відкрито 19:40, 0441234567",
    ]


def test_an_english_answer_stays_in_the_gsm_alphabet():
    found = Found(None, [point(n, "Юрта незламності на Хрещатику", 500.0) for n in (1, 2, 3)])
    text = sms_words.nearest_text(found, "en")
    assert sms_text.is_gsm(text)
    assert "Yurta nezlamnosti na Khreshchatyku" in text
    assert "+380441234567" in text
    assert sms_text.segments(text) <= 2


def test_no_open_point_says_so_with_the_services_asked_for():
    text = sms_words.nearest_text(Found("Бровари", [], "none_open", ("heat",)), "uk")
    assert "немає відкритих пунктів з послугами: обігрів" in text
    assert "112" in text
    text = sms_words.nearest_text(Found("Бровари", [], "no_place"), "en")
    assert "Could not find 'Brovary'" in text
