"""The coordinator's next 24 hours of scheduled outages, pure (issue 12): rows by queue, and the
spells when a locality has no open point with power, with the standby points that would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nezlam.domain.outage_timeline import (
    DarkSpell,
    TimelinePoint,
    dark_spells,
    intersection,
    queue_rows,
)
from nezlam.domain.outages import Kind, Outage
from nezlam.domain.vocabulary import ShownStatus

START = datetime(2025, 12, 6, 20, 0, tzinfo=UTC)  # 22:00 in Kyiv: the window crosses midnight
END = START + timedelta(hours=24)
OPEN, STANDBY, CLOSED = ShownStatus.OPEN, ShownStatus.STANDBY, ShownStatus.CLOSED
D, P = Kind.DEFINITE, Kind.POSSIBLE


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def off(first: float, last: float, kind: Kind = D) -> Outage:
    return Outage(at(first), at(last), kind)


def point(
    id: str,
    shown: ShownStatus = OPEN,
    queue: str | None = "1.1",
    locality: str = "Вінниця",
    generator: bool = False,
) -> TimelinePoint:
    return TimelinePoint(id, locality, shown, None if queue is None else ("vin", queue), generator)


OUTAGES = {
    ("vin", "1.1"): [off(-2, 1), off(6, 10), off(14, 16, P)],  # under way at the start
    ("vin", "1.2"): [off(8, 12), off(23, 27)],  # the last one runs past the window
    ("vin", "2.1"): [off(30, 34)],  # beyond the window
}


def test_intersection_keeps_only_the_times_in_both():
    first = [(at(0), at(4)), (at(6), at(10)), (at(12), at(13))]
    second = [(at(2), at(7)), (at(9), at(12))]
    assert intersection(first, second) == [(at(2), at(4)), (at(6), at(7)), (at(9), at(10))]
    assert intersection(first, []) == [] and intersection([], second) == []
    # Spans that only touch share no time.
    assert intersection([(at(0), at(2))], [(at(2), at(3))]) == []


def test_each_queue_with_points_is_a_row_with_its_outages_cut_to_the_window():
    points = [
        point("a"),
        point("b", STANDBY),
        point("c", CLOSED, generator=True),
        point("d", queue="1.2"),
        point("e", queue="10.1"),
        point("f", queue="2.1"),
        point("nobody's", queue=None),
    ]
    rows = queue_rows(points, OUTAGES, START, END)
    assert [row.queue for row in rows] == [("vin", q) for q in ("1.1", "1.2", "2.1", "10.1")]
    first = rows[0]
    assert (first.open, first.standby, first.generator, first.points) == (1, 1, 1, 3)
    assert first.outages == (off(0, 1), off(6, 10), off(14, 16, P))  # begun before: from now
    assert rows[1].outages == (off(8, 12), off(23, 24))  # to the window's end
    assert rows[2].outages == () and rows[3].outages == ()  # none within a day; none at all


def test_a_definite_outage_over_a_possible_one_holds_for_the_overlap():
    outages = {("vin", "1.1"): [off(2, 6, P), off(4, 5)]}
    [row] = queue_rows([point("a")], outages, START, END)
    assert row.outages == (off(2, 4, P), off(4, 5), off(5, 6, P))


def test_a_locality_is_dark_only_while_every_open_point_in_it_is_without_power():
    points = [point("a"), point("b", queue="1.2")]  # 1.1 off 0-1, 6-10; 1.2 off 8-12, 23-27
    assert dark_spells(points, OUTAGES, START, END) == [
        DarkSpell("Вінниця", at(8), at(10), open_points=2, ready=())
    ]
    alone = dark_spells([point("a")], OUTAGES, START, END)
    assert [(s.start, s.end) for s in alone] == [(at(0), at(1)), (at(6), at(10))]


def test_a_generator_or_a_point_without_a_queue_keeps_its_locality_lit():
    with_generator = [point("a"), point("b", queue="1.2", generator=True)]
    assert dark_spells(with_generator, OUTAGES, START, END) == []
    unknown = [point("a"), point("b", queue=None)]
    assert dark_spells(unknown, OUTAGES, START, END) == []


def test_a_possible_outage_darkens_nothing():
    assert dark_spells([point("a")], {("vin", "1.1"): [off(2, 6, P)]}, START, END) == []


def test_standby_points_with_power_all_through_a_spell_are_the_ones_to_open():
    points = [
        point("open"),  # 1.1: dark 0-1 and 6-10
        point("standby 1.2", STANDBY, queue="1.2"),  # off 8-12: not through 6-10
        point("standby 2.1", STANDBY, queue="2.1"),  # power all day
        point("standby generator", STANDBY, generator=True),
        point("closed 2.1", CLOSED, queue="2.1"),  # closed: never counted
        point("elsewhere", STANDBY, queue="2.1", locality="Жмеринка"),
    ]
    spells = {(s.locality, s.start): s for s in dark_spells(points, OUTAGES, START, END)}
    assert spells["Вінниця", at(0)].ready == ("standby 1.2", "standby 2.1", "standby generator")
    assert spells["Вінниця", at(6)].ready == ("standby 2.1", "standby generator")
    # A locality with points on standby and none open is dark all day: none is open.
    assert spells["Жмеринка", START] == DarkSpell("Жмеринка", START, END, 0, ("elsewhere",))
    assert set(spells) == {("Вінниця", at(0)), ("Вінниця", at(6)), ("Жмеринка", START)}


def test_a_locality_of_closed_points_only_is_not_listed():
    assert dark_spells([point("a", CLOSED)], OUTAGES, START, END) == []
