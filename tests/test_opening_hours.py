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
