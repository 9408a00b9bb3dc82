"""OpenStreetMap opening_hours strings as they are written in the wild, evaluated in the point's
own timezone."""

from datetime import UTC, datetime

import pytest

from nezlam.domain import opening_hours
from nezlam.domain.opening_hours import OpeningHoursError

WEEKDAYS = "Mo-Fr 08:00-20:00; Sa 09:00-16:00; Su off"


def kyiv(y, m, d, hh, mm=0):
    """A Kyiv wall-clock time as UTC (Kyiv is UTC+2 in winter)."""
    return datetime(y, m, d, hh - 2, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        ("24/7", kyiv(2026, 11, 24, 3), True),
        (WEEKDAYS, kyiv(2026, 11, 24, 8, 0), True),  # Tuesday, opening minute
        (WEEKDAYS, kyiv(2026, 11, 24, 19, 59), True),
        (WEEKDAYS, kyiv(2026, 11, 24, 20, 0), False),  # closing minute
        (WEEKDAYS, kyiv(2026, 11, 28, 15, 0), True),  # Saturday
        (WEEKDAYS, kyiv(2026, 11, 28, 16, 30), False),
        (WEEKDAYS, kyiv(2026, 11, 29, 12, 0), False),  # Sunday off
        ("Mo-Su 18:00-06:00", kyiv(2026, 11, 24, 23), True),  # overnight
        ("Mo-Su 18:00-06:00", kyiv(2026, 11, 25, 5, 30), True),
        ("Mo-Su 18:00-06:00", kyiv(2026, 11, 25, 12), False),
        ("Mo-Fr 09:00-13:00,14:00-18:00", kyiv(2026, 11, 24, 13, 30), False),  # lunch break
        ("Mo-Fr 09:00-13:00,14:00-18:00", kyiv(2026, 11, 24, 14, 30), True),
    ],
)
def test_real_opening_hours_strings(expression, moment, expected):
    assert opening_hours.is_open(expression, "Europe/Kyiv", moment) is expected


def test_hours_are_evaluated_in_the_points_timezone():
    # 15:00 UTC is 17:00 in Kyiv (open) but 09:00 in Chicago (not yet open at 10:00).
    moment = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert opening_hours.is_open("Mo-Fr 10:00-18:00", "Europe/Kyiv", moment) is True
    assert opening_hours.is_open("Mo-Fr 10:00-18:00", "America/Chicago", moment) is False


def test_no_hours_means_unknown():
    assert opening_hours.is_open(None, "Europe/Kyiv", kyiv(2026, 11, 24, 12)) is None


def test_next_change_and_todays_intervals():
    moment = kyiv(2026, 11, 24, 21)
    change = opening_hours.next_change(WEEKDAYS, "Europe/Kyiv", moment)
    assert change is not None and change.isoformat() == "2026-11-25T08:00:00+02:00"
    assert opening_hours.intervals_for_day(WEEKDAYS, "Europe/Kyiv", moment) == [("08:00", "20:00")]
    assert opening_hours.intervals_for_day(WEEKDAYS, "Europe/Kyiv", kyiv(2026, 11, 29, 9)) == []


@pytest.mark.parametrize("bad", ["", "sometimes", "Mo-Fr 25:00-26:00", "Xx 10:00-12:00"])
def test_invalid_expressions_are_refused_with_a_reason(bad):
    with pytest.raises(OpeningHoursError) as caught:
        opening_hours.validate(bad)
    assert str(caught.value)


def test_unknown_timezone_is_refused():
    with pytest.raises(OpeningHoursError, match="Mars/Olympus"):
        opening_hours.validate_timezone("Mars/Olympus")


# --- Hours as operators write them (normalise) --------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "osm"),
    [
        ("Пн-Пт 9-18", "Mo-Fr 09:00-18:00"),
        ("пн–пт 09:00–18:00; сб 10-14; нд вихідний", "Mo-Fr 09:00-18:00; Sa 10:00-14:00; Su off"),
        ("цілодобово", "24/7"),
        ("Цілодобово", "24/7"),
        ("Круглодобово", "24/7"),
        ("24 години", "24/7"),
        ("24/7", "24/7"),
        ("Щодня з 8:00 до 20:00", "Mo-Su 08:00-20:00"),
        ("без вихідних 8-22", "Mo-Su 08:00-22:00"),
        ("9-18", "Mo-Su 09:00-18:00"),
        ("Пн-Пт 9:00-18:00, перерва 13:00-14:00", "Mo-Fr 09:00-13:00,14:00-18:00"),
        ("Пн-Пт 8-17 обід 12-13", "Mo-Fr 08:00-12:00,13:00-17:00"),
        ("пн-пт: 9.00-18.00", "Mo-Fr 09:00-18:00"),
        (
            "ПН-ПТ 08:00-20:00\nСБ 09:00-15:00\nНД вихідний",
            "Mo-Fr 08:00-20:00; Sa 09:00-15:00; Su off",
        ),  # fmt: skip
        (
            "Пн – Пт: з 9 до 18; Сб: з 10 до 15; Нд: вихідний",
            "Mo-Fr 09:00-18:00; Sa 10:00-15:00; Su off",
        ),  # fmt: skip
        ("Пн-Пт 9-18 Сб 10-14 Нд вихідний", "Mo-Fr 09:00-18:00; Sa 10:00-14:00; Su off"),
        ("Пн-Пт 9-18, Сб 10-14", "Mo-Fr 09:00-18:00; Sa 10:00-14:00"),
        ("пн-пт 9-18 сб-нд вихідні", "Mo-Fr 09:00-18:00; Sa-Su off"),
        ("сб, нд — вихідні", "Sa,Su off"),
        ("будні дні 9-18, вихідні 10-16", "Mo-Fr 09:00-18:00; Sa-Su 10:00-16:00"),
        ("Вт-Нд 10:00-19:00, Пн вихідний", "Tu-Su 10:00-19:00; Mo off"),
        ("Понеділок-п'ятниця 9-17", "Mo-Fr 09:00-17:00"),
        ("понеділок–пʼятниця 9–17", "Mo-Fr 09:00-17:00"),  # the Ukrainian apostrophe ʼ
        ("Пн, Ср, Пт 10-16", "Mo,We,Fr 10:00-16:00"),
        ("щодня 18-6", "Mo-Su 18:00-06:00"),  # overnight
        ("пн-пт 9 год - 18 год", "Mo-Fr 09:00-18:00"),
        ("Пн-Вс 10-20", "Mo-Su 10:00-20:00"),  # Russian Sunday
        ("Mo-Fr 9:00-18:00", "Mo-Fr 09:00-18:00"),
        ("mon-fri 9-18; sat 10-14", "Mo-Fr 09:00-18:00; Sa 10:00-14:00"),
        # Valid OpenStreetMap this reader does not follow is kept exactly as written.
        ("Mo-Fr 08:00-20:00; PH off", "Mo-Fr 08:00-20:00; PH off"),
        ("Mo-Su sunrise-sunset", "Mo-Su sunrise-sunset"),
        ('Mo-Fr 09:00-18:00 "за записом"', 'Mo-Fr 09:00-18:00 "за записом"'),
        ("  Mo-Fr 08:00-20:00; Su off  ", "Mo-Fr 08:00-20:00; Su off"),
    ],
)
def test_hours_as_people_write_them_become_openstreetmap_syntax(typed, osm):
    assert opening_hours.normalise(typed) == osm
    assert opening_hours.validate(typed) == osm
    assert opening_hours.normalise(osm) == osm  # saved once, read again the same


def test_normalised_hours_mean_what_was_typed():
    tuesday_noon, tuesday_lunch = kyiv(2026, 11, 24, 12), kyiv(2026, 11, 24, 13, 30)
    hours = opening_hours.normalise("Пн-Пт 9:00-18:00, перерва 13:00-14:00")
    assert opening_hours.is_open(hours, "Europe/Kyiv", tuesday_noon) is True
    assert opening_hours.is_open(hours, "Europe/Kyiv", tuesday_lunch) is False
    sunday = opening_hours.normalise("пн–пт 09:00–18:00; сб 10-14; нд вихідний")
    assert opening_hours.is_open(sunday, "Europe/Kyiv", kyiv(2026, 11, 29, 12)) is False


@pytest.mark.parametrize(
    ("typed", "kind", "piece"),
    [
        ("Пн-Пт 9-25", "hour", "25"),
        ("Mo-Fr 25:00", "hour", "25"),
        ("Mo-Fr 25:00-26:00", "hour", "25"),
        ("Пн-Пт 9:75-18", "minute", "75"),
        ("Пт- 9-18", "day", "Пт-"),
        ("Xx 10:00-12:00", "day", "Xx"),
        ("пн-пт 9-", "time", "9-"),
        ("пн-пт 9:5-18", "time", "9:5"),
        ("sometimes", "unclear", "sometimes"),
        ("whenever", "unclear", "whenever"),
        ("Пн-Пт", "no_hours", "Пн-Пт"),
        ("пн-пт 9-18 перерва 19-20", "break", "19-20"),
    ],
)
def test_a_mistake_in_the_hours_is_named(typed, kind, piece):
    with pytest.raises(OpeningHoursError) as caught:
        opening_hours.normalise(typed)
    assert (caught.value.kind, caught.value.piece) == (kind, piece)
    assert str(caught.value)  # the API's message, in English


def test_friendly_hours_are_accepted_by_the_api_and_stored_normalised(app_client, network):
    answer = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"opening_hours": "Пн-Пт 9-18; Сб 10-14; Нд вихідний"},
        headers=network.headers("operator_a"),
    )
    assert answer.status_code == 200, answer.text
    stored = app_client.get(f"/api/v1/points/{network.point_a}").json()["properties"]
    assert stored["opening_hours"] == "Mo-Fr 09:00-18:00; Sa 10:00-14:00; Su off"
    refused = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"opening_hours": "Пн-Пт 9-25"},
        headers=network.headers("operator_a"),
    )
    assert refused.status_code == 422 and "hour 25 does not exist" in refused.text
