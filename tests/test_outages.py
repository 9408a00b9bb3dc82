"""Power-outage schedules read from the files Ukraine's power companies' mirrors publish: the
outage-data-ua JSON of Vinnytsiaoblenergo (real end-of-day snapshots from the shared data
folder, and copies of them given one quirk each) and YASNO's Kyiv calendars. Expected outages
are read off the files by hand and written here in UTC; the clocks' changes in March and October
are tried on made-up days."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.domain.errors import Invalid
from nezlam.domain.outage_schedule import ProviderSchedule, combined
from nezlam.domain.outages import KYIV, Kind, Outage, merged
from nezlam.interchange import outage_ics, outage_json
from nezlam.interchange.outage_files import read_schedule, read_schedules
from nezlam.interchange.outage_times import kyiv_stamp

OUTAGES = Path(__file__).resolve().parents[2] / "shared/data/outages"
DEC_06 = "vinnytsia_2025-12-06_482707ba9c.json"  # Dec 6 and 7; lastUpdated "…+02:00Z"
DEC_08 = "vinnytsia_2025-12-08_88f1521f9f.json"  # Dec 8 and 9; lastUpdated in seconds
DEC_10 = "vinnytsia_2025-12-10_7902490064.json"  # Dec 10 and 11
YASNO = "yasno-kyiv-ics-2024"
D, P = Kind.DEFINITE, Kind.POSSIBLE


def real(name: str) -> Path:
    path = OUTAGES / name
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the outage schedule is missing at {path}")
        pytest.skip(f"the outage schedule is not at {path} (it lives in the shared data folder)")
    return path


def real_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(real(name).read_text(encoding="utf-8"))
    return document


def encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def utc(text: str) -> datetime:
    """'2025-12-06 08:00+02' (a Kyiv time with its offset, as read off the file) in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


def off(start: str, end: str, kind: Kind = D) -> Outage:
    return Outage(utc(start), utc(end), kind)


def outages(schedule: Any, queue: str, first: date, days: int) -> list[Outage]:
    return list(schedule.timeline(first, days)[queue].outages)


def kyiv_midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=KYIV).timestamp())


def hours(*off_hours: int, value: str = "no") -> dict[str, str]:
    """A day's 24 hours: `value` in the hours given, power on in the rest."""
    return {str(hour): value if hour in off_hours else "yes" for hour in range(1, 25)}


def made_up(days: dict[int, Any], **top: Any) -> bytes:
    """A file in the schema with the given days (key -> queues) and top-level fields."""
    document = {"regionId": "test", "fact": {"data": {str(k): v for k, v in days.items()}}}
    return encoded({**document, **top})


# The real files


def test_a_real_days_off_hours_come_out_in_utc():
    schedule = outage_json.read(real(DEC_06).read_bytes(), DEC_06)
    assert schedule.region == "vinnytsia"
    assert schedule.today == date(2025, 12, 6)
    assert schedule.queues() == tuple(f"{n}.{m}" for n in range(1, 7) for m in (1, 2))
    assert schedule.notes == ()
    # GPV1.1, Dec 6: hours 9-11 "no", 12 "first", 16-22 "no"; Dec 7: 6-8 "no", 9 "first", 13-19.
    assert outages(schedule, "1.1", date(2025, 12, 6), 2) == [
        off("2025-12-06 08:00+02", "2025-12-06 11:30+02"),
        off("2025-12-06 15:00+02", "2025-12-06 22:00+02"),
        off("2025-12-07 05:00+02", "2025-12-07 08:30+02"),
        off("2025-12-07 12:00+02", "2025-12-07 19:00+02"),
    ]
    assert schedule.timeline(date(2025, 12, 6), 2)["1.1"].unscheduled == ()


def test_half_hours_are_the_first_or_second_half_of_their_hour():
    schedule = outage_json.read(real(DEC_06).read_bytes(), DEC_06)
    # GPV2.2, Dec 6: hours 9-12 "no", 18 "second", 19-22 "no".
    assert outages(schedule, "2.2", date(2025, 12, 6), 1) == [
        off("2025-12-06 08:00+02", "2025-12-06 12:00+02"),
        off("2025-12-06 17:30+02", "2025-12-06 22:00+02"),
    ]
    # GPV4.1, Dec 6: hour 19 "second", 20 "first" — two halves of two hours, one hour off.
    assert off("2025-12-06 18:30+02", "2025-12-06 19:30+02") in outages(
        schedule, "4.1", date(2025, 12, 6), 1
    )


def test_an_outage_across_midnight_is_one_interval():
    schedule = outage_json.read(real(DEC_06).read_bytes(), DEC_06)
    # GPV3.1: Dec 6 hour 19 "second", 20-24 "no"; Dec 7 hour 1 "no", 2 "first".
    assert off("2025-12-06 18:30+02", "2025-12-07 01:30+02") in outages(
        schedule, "3.1", date(2025, 12, 6), 2
    )
    # Seen one day at a time, it is cut at midnight.
    assert outages(schedule, "3.1", date(2025, 12, 7), 1)[0] == off(
        "2025-12-07 00:00+02", "2025-12-07 01:30+02"
    )


def test_three_days_files_join_across_midnight_from_one_file_to_the_next():
    files = [outage_json.read(real(name).read_bytes(), name) for name in (DEC_06, DEC_08, DEC_10)]
    schedule = combined(files)
    week = schedule.timeline(date(2025, 12, 6), 6)
    assert week["2.1"].unscheduled == ()
    # GPV2.1: Dec 7 (first file) ends 23 "second", 24 "no"; Dec 8 (second) begins 1-4, 5 "first".
    assert off("2025-12-07 22:30+02", "2025-12-08 04:30+02") in week["2.1"].outages
    # GPV3.1: Dec 9 (second file) ends 24 "second"; Dec 10 (third) begins 1-2 "no", 3 "first".
    assert off("2025-12-09 23:30+02", "2025-12-10 02:30+02") in week["3.1"].outages
    assert schedule.updated_at == datetime.fromtimestamp(1765403827, UTC)


def test_last_updated_with_both_an_offset_and_a_z_is_read_by_its_offset():
    schedule = outage_json.read(real(DEC_06).read_bytes(), DEC_06)
    assert real_document(DEC_06)["lastUpdated"] == "2025-12-06T23:44:43.095+02:00Z"
    assert schedule.updated_at == datetime(2025, 12, 6, 21, 44, 43, 95000, tzinfo=UTC)
    # The company's own words for it, in Kyiv time, say the same minute.
    assert real_document(DEC_06)["fact"]["update"] == "06.12.2025 23:44"
    assert schedule.updated_at.replace(second=0, microsecond=0) == kyiv_stamp(
        "06.12.2025 23:44", "fact.update"
    )


def test_last_updated_in_unix_seconds():
    schedule = outage_json.read(real(DEC_08).read_bytes(), DEC_08)
    assert real_document(DEC_08)["lastUpdated"] == 1765230984
    assert schedule.updated_at == datetime(2025, 12, 8, 21, 56, 24, tzinfo=UTC)
    assert real_document(DEC_08)["fact"]["update"] == "08.12.2025 23:56"
    assert schedule.updated_at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M") == "08.12.2025 23:56"


def test_last_updated_missing_falls_back_on_the_companys_own_time():
    document = real_document(DEC_06)
    del document["lastUpdated"]
    schedule = outage_json.read(encoded(document), DEC_06)
    assert schedule.updated_at == datetime(2025, 12, 6, 21, 44, tzinfo=UTC)


def rekeyed(document: dict[str, Any], keys: dict[str, int]) -> dict[str, Any]:
    data = document["fact"]["data"]
    document["fact"]["data"] = {str(keys.get(key, key)): value for key, value in data.items()}
    return document


def test_days_keyed_by_their_utc_midnight_are_read_as_their_kyiv_days():
    original = outage_json.read(real(DEC_06).read_bytes(), DEC_06)
    document = rekeyed(
        real_document(DEC_06),
        {"1764972000": 1764979200, "1765058400": 1765065600},  # 2025-12-06/07 00:00 UTC
    )
    schedule = outage_json.read(encoded(document), DEC_06)
    assert sorted(schedule.days) == [date(2025, 12, 6), date(2025, 12, 7)]
    assert schedule.timeline(date(2025, 12, 6), 2) == original.timeline(date(2025, 12, 6), 2)
    assert [note.text for note in schedule.notes] == [
        "fact.data.1764979200 is not a Kyiv midnight: read as the day 2025-12-06",
        "fact.data.1765065600 is not a Kyiv midnight: read as the day 2025-12-07",
    ]
    assert not any(note.warning for note in schedule.notes)


def test_a_day_from_the_wrong_year_is_read_in_the_files_year():
    original = outage_json.read(real(DEC_06).read_bytes(), DEC_06)
    wrong = kyiv_midnight(date(2024, 12, 7))
    document = rekeyed(real_document(DEC_06), {"1765058400": wrong})
    schedule = outage_json.read(encoded(document), DEC_06)
    assert sorted(schedule.days) == [date(2025, 12, 6), date(2025, 12, 7)]
    assert schedule.timeline(date(2025, 12, 6), 2) == original.timeline(date(2025, 12, 6), 2)
    [note] = schedule.notes
    assert note.warning
    assert note.text == f"fact.data.{wrong} is the day 2024-12-07, a year off: read as 2025-12-07"


def test_a_wrong_year_at_new_year_goes_to_the_next_year():
    last, first = kyiv_midnight(date(2025, 12, 31)), kyiv_midnight(date(2025, 1, 1))
    data = made_up(
        {last: {"GPV1.1": hours(1)}, first: {"GPV1.1": hours(2)}},
        lastUpdated="2025-12-31T20:00:00Z",  # 22:00 in Kyiv on New Year's Eve
    )
    schedule = outage_json.read(data)
    assert sorted(schedule.days) == [date(2025, 12, 31), date(2026, 1, 1)]


def test_a_day_far_from_the_files_date_in_any_year_is_kept_as_it_is():
    day = kyiv_midnight(date(2025, 10, 1))
    schedule = outage_json.read(made_up({day: {"GPV1.1": hours(1)}}, lastUpdated=1765230984))
    assert list(schedule.days) == [date(2025, 10, 1)]
    assert schedule.notes == ()


def revised(
    document: dict[str, Any], updated: object, day: str, queue_hours: dict[str, str]
) -> dict[str, Any]:
    """A later revision of the file that changes one queue's plan on one day and has only it."""
    document["lastUpdated"] = updated
    plans = document["fact"]["data"][day]
    document["fact"]["data"] = {day: {**plans, "GPV1.1": queue_hours}}
    return document


def test_of_several_revisions_the_newest_says_what_each_of_its_days_is():
    first = outage_json.read(real(DEC_08).read_bytes(), "evening")
    # Dec 9 (key 1765231200), revised at 02:10 Kyiv time: queue 1.1 keeps its power all day.
    later = revised(real_document(DEC_08), "2025-12-09T02:10:00+02:00", "1765231200", hours())
    second = outage_json.read(encoded(later), "night")
    for revisions in ([first, second], [second, first]):
        schedule = combined(revisions)
        assert schedule.updated_at == datetime(2025, 12, 9, 0, 10, tzinfo=UTC)
        assert outages(schedule, "1.1", date(2025, 12, 9), 1) == []
        # Dec 8, which the revision does not have, stays as the first file has it.
        assert outages(schedule, "1.1", date(2025, 12, 8), 1) == outages(
            first, "1.1", date(2025, 12, 8), 1
        )
        # Another queue on Dec 9 is as the revision has it (unchanged there): 5.1, 7-9, 10 first.
        assert outages(schedule, "5.1", date(2025, 12, 9), 1)[0] == off(
            "2025-12-09 06:00+02", "2025-12-09 09:30+02"
        )


def test_revisions_of_two_regions_are_refused():
    kyiv = real_document(DEC_08)
    kyiv["regionId"] = "kyiv"
    revisions = [outage_json.read(real(DEC_08).read_bytes(), "a.json")]
    revisions.append(outage_json.read(encoded(kyiv), "b.json"))
    with pytest.raises(Invalid, match=r"different regions \(a.json: vinnytsia, b.json: kyiv\)"):
        combined(revisions)


def test_a_day_published_without_a_schedule_and_a_day_not_published_have_none():
    document = real_document(DEC_06)
    document["fact"]["data"]["1765058400"] = {}  # Dec 7
    schedule = outage_json.read(encoded(document), DEC_06)
    three = schedule.timeline(date(2025, 12, 6), 3)["1.1"]
    assert three.unscheduled == (date(2025, 12, 7), date(2025, 12, 8))
    assert three.outages[-1] == off("2025-12-06 15:00+02", "2025-12-06 22:00+02")


def test_an_empty_list_for_days_is_no_days():
    schedule = outage_json.read(encoded({"regionId": "dnipro", "fact": {"data": []}}))
    assert schedule.days == {} and schedule.queues() == ()


# The weekly plan of possible outages, and "maybe" in a day's plan


def test_the_weekly_plan_gives_possible_outages_on_the_days_no_day_plan_covers():
    monday = date(2025, 12, 8)
    week = {
        str(day): {**hours(10, value="maybe"), "11": "mfirst", "12": "no"} for day in range(1, 8)
    }
    data = made_up(
        {kyiv_midnight(monday): {"GPV1.1": {**hours(9), "10": "msecond"}}},
        preset={"data": {"GPV1.1": week}},
    )
    schedule = outage_json.read(data)
    assert outages(schedule, "1.1", monday, 2) == [
        # Monday by its own plan: hour 9 off, then possibly the second half of hour 10.
        off("2025-12-08 08:00+02", "2025-12-08 09:00+02"),
        off("2025-12-08 09:30+02", "2025-12-08 10:00+02", P),
        # Tuesday by the weekly plan: hour 10 "maybe", 11 "mfirst", 12 "no" — all possible.
        off("2025-12-09 09:00+02", "2025-12-09 10:30+02", P),
        off("2025-12-09 11:00+02", "2025-12-09 12:00+02", P),
    ]
    assert schedule.timeline(monday, 2)["1.1"].unscheduled == ()


# The clocks' changes: 30 March 2025 has 23 hours, 26 October 2025 has 25


SPRING, AUTUMN = date(2025, 3, 30), date(2025, 10, 26)
HOUR = timedelta(hours=1)


def one_day(day: date, plan: dict[str, str]) -> ProviderSchedule:
    return outage_json.read(made_up({kyiv_midnight(day): {"GPV1.1": plan}}))


def test_a_whole_day_off_lasts_23_hours_in_march_and_25_in_october():
    spring = one_day(SPRING, hours(*range(1, 25)))
    assert outages(spring, "1.1", SPRING, 1) == [off("2025-03-30 00:00+02", "2025-03-31 00:00+03")]
    assert utc("2025-03-31 00:00+03") - utc("2025-03-30 00:00+02") == 23 * HOUR
    autumn = one_day(AUTUMN, hours(*range(1, 25)))
    assert outages(autumn, "1.1", AUTUMN, 1) == [off("2025-10-26 00:00+03", "2025-10-27 00:00+02")]
    assert utc("2025-10-27 00:00+02") - utc("2025-10-26 00:00+03") == 25 * HOUR


def test_the_hour_the_clocks_skip_in_march_never_happens():
    # 03:00-04:00 does not exist: the clock goes from 02:59:59 (EET) to 04:00 (EEST).
    assert outages(one_day(SPRING, hours(4)), "1.1", SPRING, 1) == []
    # Hours 3-5 are 02:00 EET to 05:00 EEST: two real hours.
    assert outages(one_day(SPRING, hours(3, 4, 5)), "1.1", SPRING, 1) == [
        off("2025-03-30 02:00+02", "2025-03-30 05:00+03")
    ]


def test_the_hour_the_clocks_repeat_in_october_is_off_both_times():
    # 03:00-04:00 happens at +03 and again at +02: the hour says nothing of which, so both.
    assert outages(one_day(AUTUMN, hours(4)), "1.1", AUTUMN, 1) == [
        off("2025-10-26 03:00+03", "2025-10-26 04:00+02")
    ]
    assert outages(one_day(AUTUMN, hours(4, value="first")), "1.1", AUTUMN, 1) == [
        off("2025-10-26 03:00+03", "2025-10-26 03:30+03"),
        off("2025-10-26 03:00+02", "2025-10-26 03:30+02"),
    ]


def test_an_outage_across_midnight_into_the_day_the_clocks_change():
    day_before = date(2025, 3, 29)
    data = made_up(
        {
            kyiv_midnight(day_before): {"GPV1.1": hours(24)},
            kyiv_midnight(SPRING): {"GPV1.1": hours(1, 5)},
        }
    )
    assert outages(outage_json.read(data), "1.1", day_before, 2) == [
        off("2025-03-29 23:00+02", "2025-03-30 01:00+02"),
        off("2025-03-30 04:00+03", "2025-03-30 05:00+03"),
    ]


def test_utc_midnight_keys_on_the_days_the_clocks_change():
    # 00:00 UTC is 02:00 in Kyiv on 30 March and 03:00 on 26 October: both still that day.
    for day, key in ((SPRING, "2025-03-30 00:00+00"), (AUTUMN, "2025-10-26 00:00+00")):
        schedule = outage_json.read(made_up({int(utc(key).timestamp()): {"GPV1.1": hours(1)}}))
        assert list(schedule.days) == [day]


# Merging


def test_outages_of_one_kind_that_touch_or_overlap_are_one():
    a = off("2025-12-06 08:00+02", "2025-12-06 09:00+02")
    b = off("2025-12-06 09:00+02", "2025-12-06 10:00+02")
    c = off("2025-12-06 09:30+02", "2025-12-06 11:00+02")
    assert merged([c, a, b]) == (off("2025-12-06 08:00+02", "2025-12-06 11:00+02"),)


def test_a_definite_outage_holds_where_a_possible_one_overlaps_it():
    possible = off("2025-12-06 10:00+02", "2025-12-06 14:00+02", P)
    definite = off("2025-12-06 12:00+02", "2025-12-06 13:00+02")
    assert merged([possible, definite]) == (
        off("2025-12-06 10:00+02", "2025-12-06 12:00+02", P),
        definite,
        off("2025-12-06 13:00+02", "2025-12-06 14:00+02", P),
    )
    # A definite and a possible one that only touch stay two.
    touching = off("2025-12-06 13:00+02", "2025-12-06 15:00+02", P)
    assert merged([definite, touching]) == (definite, touching)


# What cannot be read is refused, naming where


def refused(data: bytes) -> Invalid:
    with pytest.raises(Invalid) as caught:
        outage_json.read(data)
    return caught.value


DAY = kyiv_midnight(date(2025, 12, 6))


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (b"{not json", "file", "not valid JSON"),
        (b'{"regionId": "x"}', "file", "neither `fact` nor `preset`"),
        (b'{"fact": "soon"}', "fact", "expected an object, not str"),
        (b'{"fact": {"data": 7}}', "fact.data", "expected an object of days"),
        (made_up({"tomorrow": {}}), "fact.data.tomorrow", "'tomorrow' is not a time in Unix"),
        (
            made_up({DAY + 12 * 3600: {}}),
            f"fact.data.{DAY + 12 * 3600}",
            "2025-12-06 12:00 in Kyiv",
        ),
        (made_up({DAY: {"GPV1.1": "all"}}), f"fact.data.{DAY}.GPV1.1", 'the hours "1"'),
        (
            made_up({DAY: {"GPV1.1": {**hours(), "12": "third"}}}),
            f"fact.data.{DAY}.GPV1.1.12",
            "'third' is not one of yes, no, first, second, maybe, mfirst, msecond",
        ),
        (
            made_up({DAY: {"GPV1.1": {str(h): "yes" for h in range(1, 23)}}}),
            f"fact.data.{DAY}.GPV1.1",
            "hour 23, 24 missing",
        ),
        (
            made_up({DAY: {"GPV1.1": {**hours(), "25": "no"}}}),
            f"fact.data.{DAY}.GPV1.1",
            "'25' is not an hour",
        ),
        (made_up({}, lastUpdated="yesterday"), "lastUpdated", "'yesterday' is not an ISO 8601"),
        (made_up({}, lastUpdated=1765230984000), "lastUpdated", "between 2000 and 2100"),
        (made_up({}, lastUpdated=True), "lastUpdated", "True is not a time"),
        (
            made_up({}, preset={"data": {"GPV1.1": {"8": hours()}}}),
            "preset.data.GPV1.1",
            "'8' is not a weekday",
        ),
    ],
)
def test_what_cannot_be_read_is_refused_naming_the_key(data, field, problem):
    error = refused(data)
    assert error.field == field
    assert problem in error.problem


def test_two_keys_for_one_day_that_disagree_are_refused():
    utc_midnight = int(utc("2025-12-06 00:00+00").timestamp())
    error = refused(made_up({DAY: {"GPV1.1": hours(1)}, utc_midnight: {"GPV1.1": hours(2)}}))
    assert error.field == "fact.data"
    assert error.problem == f"days {DAY} and {utc_midnight} are both 2025-12-06 and disagree"


def test_a_key_that_is_no_queue_is_left_out_with_a_note():
    schedule = outage_json.read(made_up({DAY: {"GPV1.1": hours(1), "comment": "x"}}))
    assert schedule.queues() == ("1.1",)
    assert [note.text for note in schedule.notes] == [
        f"fact.data.{DAY}.comment is not a queue (GPV1.1 …) and was left out"
    ]


def test_a_refusal_from_a_file_names_the_file(tmp_path):
    path = tmp_path / "vinnytsia.json"
    path.write_bytes(made_up({DAY: {"GPV1.1": {**hours(), "12": "third"}}}))
    with pytest.raises(Invalid) as caught:
        read_schedule(path)
    assert caught.value.field == f"vinnytsia.json: fact.data.{DAY}.GPV1.1.12"
    with pytest.raises(Invalid) as caught:
        read_schedule(tmp_path / "missing.json")
    assert caught.value.field == "missing.json"
    assert "No such file" in caught.value.problem


# The iCalendar form: YASNO's Kyiv groups, summer 2024


def group(number: int) -> Path:
    return real(f"{YASNO}/group-{number}.ics")


def test_a_real_calendars_week_repeats_its_off_and_maybe_events():
    schedule = outage_ics.read(group(1).read_bytes(), "group-1.ics")
    assert schedule.queues() == ("1",)
    # Monday 3 June (events from "SU,MO,TH", "TU,FR", "WE,SA" rules), Kyiv summer time.
    assert outages(schedule, "1", date(2024, 6, 3), 3) == [
        off("2024-06-03 00:00+03", "2024-06-03 04:00+03"),
        off("2024-06-03 04:00+03", "2024-06-03 07:00+03", P),
        off("2024-06-03 09:00+03", "2024-06-03 13:00+03"),
        off("2024-06-03 13:00+03", "2024-06-03 16:00+03", P),
        off("2024-06-03 18:00+03", "2024-06-03 22:00+03"),
        off("2024-06-03 22:00+03", "2024-06-04 01:00+03", P),
        off("2024-06-04 03:00+03", "2024-06-04 07:00+03"),
        off("2024-06-04 07:00+03", "2024-06-04 10:00+03", P),
        off("2024-06-04 12:00+03", "2024-06-04 16:00+03"),
        off("2024-06-04 16:00+03", "2024-06-04 19:00+03", P),
        # Tuesday's 21:00-01:00 off, then Wednesday's 01:00-04:00 maybe.
        off("2024-06-04 21:00+03", "2024-06-05 01:00+03"),
        off("2024-06-05 01:00+03", "2024-06-05 04:00+03", P),
        off("2024-06-05 06:00+03", "2024-06-05 10:00+03"),
        off("2024-06-05 10:00+03", "2024-06-05 13:00+03", P),
        off("2024-06-05 15:00+03", "2024-06-05 19:00+03"),
        off("2024-06-05 19:00+03", "2024-06-05 22:00+03", P),
    ]
    # A week later the same, seven days on.
    later = outages(schedule, "1", date(2024, 6, 10), 1)
    assert later[0] == off("2024-06-10 00:00+03", "2024-06-10 04:00+03")


def test_a_calendars_days_before_its_first_event_have_no_schedule():
    schedule = outage_ics.read(group(1).read_bytes(), "group-1.ics")
    window = schedule.timeline(date(2024, 6, 1), 3)["1"]
    assert window.unscheduled == (date(2024, 6, 1), date(2024, 6, 2))
    assert window.outages[0] == off("2024-06-03 00:00+03", "2024-06-03 04:00+03")


def test_a_real_calendars_sunday_when_the_clocks_change():
    schedule = outage_ics.read(group(1).read_bytes(), "group-1.ics")
    # Sundays: off 00:00-04:00 Kyiv time — five real hours on 27 October 2024, three on 30 March.
    autumn = outages(schedule, "1", date(2024, 10, 27), 1)[0]
    assert autumn == off("2024-10-27 00:00+03", "2024-10-27 04:00+02")
    assert autumn.end - autumn.start == 5 * HOUR
    spring = outages(schedule, "1", date(2025, 3, 30), 1)[0]
    assert spring == off("2025-03-30 00:00+02", "2025-03-30 04:00+03")
    assert spring.end - spring.start == 3 * HOUR


def calendar(*events: str) -> bytes:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n{body}END:VCALENDAR\r\n".encode()


def event(
    summary: str = "off",
    start: str = "DTSTART;TZID=Europe/Kyiv:20250302T020000",
    end: str = "DTEND;TZID=Europe/Kyiv:20250302T050000",
    rule: str = "RRULE:FREQ=WEEKLY;BYDAY=SU",
) -> str:
    lines = ["BEGIN:VEVENT", "UID:e1", start, end, rule, f"SUMMARY:{summary}", "END:VEVENT"]
    return "".join(f"{line}\r\n" for line in lines if line)


def test_a_weekly_event_keeps_its_wall_clock_times_across_the_clocks_changes():
    schedule = outage_ics.read(calendar(event()), "group-4.ics")
    assert schedule.queues() == ("4",)
    # Sundays 02:00-05:00 Kyiv time: two real hours on 30 March 2025, four on 26 October.
    assert outages(schedule, "4", SPRING, 1) == [off("2025-03-30 02:00+02", "2025-03-30 05:00+03")]
    assert outages(schedule, "4", AUTUMN, 1) == [off("2025-10-26 02:00+03", "2025-10-26 05:00+02")]
    assert outages(schedule, "4", date(2025, 3, 23), 1) == [
        off("2025-03-23 02:00+02", "2025-03-23 05:00+02")
    ]


def test_a_calendars_outage_is_cut_at_the_windows_ends():
    night = event(
        start="DTSTART;TZID=Europe/Kyiv:20250302T220000",
        end="DTEND;TZID=Europe/Kyiv:20250303T020000",
        summary="maybe",
    )
    schedule = outage_ics.read(calendar(night), "group-2.ics")
    assert outages(schedule, "2", date(2025, 3, 3), 1) == [
        off("2025-03-03 00:00+02", "2025-03-03 02:00+02", P)
    ]


def test_calendars_of_several_groups_are_one_schedule_of_their_queues(tmp_path):
    paths = [group(n) for n in range(1, 7)]
    schedule = read_schedules(paths)
    assert schedule.queues() == ("1", "2", "3", "4", "5", "6")
    saturday = schedule.timeline(date(2024, 6, 8), 1)
    # Group 2's Saturdays have 06:00-10:00 off (a "WE,SA" rule); group 1's do not.
    assert off("2024-06-08 06:00+03", "2024-06-08 10:00+03") in saturday["2"].outages
    assert off("2024-06-08 15:00+03", "2024-06-08 19:00+03") in saturday["1"].outages
    assert not any(o.start == utc("2024-06-08 06:00+03") for o in saturday["1"].outages)
    # The same queue twice is refused.
    copy = tmp_path / "copy-1.ics"
    copy.write_bytes(paths[0].read_bytes())
    with pytest.raises(Invalid, match="queue 1 is in both group-1.ics and copy-1.ics"):
        read_schedules([paths[0], copy])


def test_a_calendar_is_known_by_its_content_whatever_its_name(tmp_path):
    path = tmp_path / "schedule.txt"
    path.write_bytes(calendar(event()))
    schedule = read_schedule(path)
    assert schedule.queues() == ("schedule",)
    assert outages(schedule, "schedule", SPRING, 1)[0].start == utc("2025-03-30 02:00+02")


@pytest.mark.parametrize(
    ("name", "queue"), [("group-1.ics", "1"), ("kyiv-2.1.ics", "2.1"), ("plan.ics", "plan")]
)
def test_a_calendars_queue_is_the_number_its_file_name_ends_in(name, queue):
    assert outage_ics.queue_of_name(name) == queue


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (b"no calendar here", "file", "not readable as iCalendar"),
        (calendar(), "file", "the calendar holds no events"),
        (calendar(event(summary="lunch")), "event e1", "SUMMARY 'lunch' is neither"),
        (
            calendar(event(start="DTSTART;TZID=Mars/Olympus:20250302T020000", end="")),
            "event e1",
            "DTSTART: the time zone 'Mars/Olympus' is not one known here",
        ),
        (calendar(event(start="DTSTART:2025XXX")), "event e1", "DTSTART: Expected"),
        (calendar(event(rule="RRULE:FREQ=SOMETIMES")), "event e1", "RRULE: Expected frequency"),
        (calendar(event(start="", end="")), "event e1", "it has no DTSTART"),
    ],
)
def test_a_calendar_that_cannot_be_read_is_refused_naming_the_event(data, field, problem):
    with pytest.raises(Invalid) as caught:
        outage_ics.read(data, "group-1.ics")
    assert caught.value.field == field
    assert problem in caught.value.problem


# nezlam outages show


def show(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["outages", "show", *map(str, args)])


def test_show_prints_each_queues_outages_by_day_in_kyiv_time():
    result = show(real(DEC_06), "--queue", "1.1", "--queue", "GPV3.1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{DEC_06}: 2025-12-06 – 2025-12-07, Kyiv time; updated 2025-12-06 23:44",
        "1.1: 2025-12-06 08:00–11:30 off; 15:00–22:00 off; 2025-12-07 05:00–08:30 off; "
        "12:00–19:00 off",
        "3.1: 2025-12-06 11:30–15:00 off; 18:30–2025-12-07 01:30 off; 08:30–12:00 off; "
        "15:30–22:30 off",
    ]


def test_show_says_which_days_have_no_schedule_and_every_queue_by_default():
    result = show(real(DEC_06), "--days", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == [
        f"{n}.{m}" for n in range(1, 7) for m in (1, 2)
    ]
    assert lines[1].endswith("; 12:00–19:00 off; 2025-12-08 no schedule")
    # 5.1 ends Dec 7 off from 19:00 to midnight: the window's last scheduled day ends there.
    assert "19:00–24:00 off; 2025-12-08 no schedule" in lines[9]


def test_show_marks_possible_outages_from_a_calendar():
    result = show(group(1), "--from", "2024-06-03", "--days", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "group-1.ics: 2024-06-03, Kyiv time",
        "1: 2024-06-03 00:00–04:00 off; 04:00–07:00 off (possible); 09:00–13:00 off; "
        "13:00–16:00 off (possible); 18:00–22:00 off; 22:00–24:00 off (possible)",
    ]


def test_show_joins_revisions_and_says_what_it_put_right(tmp_path):
    wrong = tmp_path / "wrong-year.json"
    year = kyiv_midnight(date(2024, 12, 7))
    wrong.write_bytes(encoded(rekeyed(real_document(DEC_06), {"1765058400": year})))
    result = show(wrong, real(DEC_08), "--from", "2025-12-07", "--queue", "2.1")
    assert result.exit_code == 0, result.output
    assert f"warning: fact.data.{year} is the day 2024-12-07, a year off" in result.stderr
    assert result.stdout.splitlines()[1] == (
        "2.1: 2025-12-07 01:30–08:30 off; 12:00–19:00 off; 22:30–2025-12-08 04:30 off; "
        "09:00–16:00 off; 19:30–24:00 off"
    )


def one_line_refusal(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    return str(line)


def test_show_refuses_a_file_it_cannot_read_in_one_line_naming_the_key(tmp_path):
    bad = tmp_path / "vinnytsia.json"
    bad.write_bytes(made_up({DAY: {"GPV1.1": {**hours(), "12": "third"}}}))
    assert one_line_refusal(show(bad)) == (
        f"cannot read vinnytsia.json: fact.data.{DAY}.GPV1.1.12: 'third' is not one of yes, no, "
        "first, second, maybe, mfirst, msecond"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.json", None, "cannot read missing.json: cannot read it: No such file"),
        ("notes.txt", b"shopping list", "cannot read notes.txt: not valid JSON"),
        ("group-1.ics", b"BEGIN:VCALENDAR\r\n", "cannot read group-1.ics: not readable as"),
        (
            "old.json",
            b'{"fact": {"data": {}}, "lastUpdated": 17652309840}',
            "cannot read old.json: lastUpdated: 17652309840 is not a time",
        ),
    ],
)
def test_show_refuses_what_is_no_schedule(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert one_line_refusal(show(path)).startswith(message)


def test_show_refuses_a_queue_the_schedule_does_not_have_and_a_day_that_is_none():
    line = one_line_refusal(show(real(DEC_06), "--queue", "7.1"))
    assert line.startswith("error (--queue): no queue 7.1 in the schedule (it has 1.1, 1.2, ")
    line = one_line_refusal(show(real(DEC_06), "--from", "2025-12-32"))
    assert line == "error (--from): '2025-12-32' is not a day like 2025-12-06"
