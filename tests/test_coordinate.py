"""The coordinator's dashboard: the points of their regions after the freshness rule, filters,
sorting, counts, open points over time, exports, notifications and one point's history — and
nobody sees or touches a region that is not theirs."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from nezlam.domain.points import ReportCreate
from nezlam.store import points, reports, signals
from nezlam.store import status_history as history
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, Notification, User
from nezlam.web.pages.coordinate_chart import round_ticks
from tests.conftest import REGION_A, REGION_B, point_create, sign_in_as

HOUR = timedelta(hours=1)
SIX_HOURS = timedelta(hours=6)


# --- Replaying the report history (pure; times in hours here, seconds in the store) ------------


def event(point: str, hours: float, status: str | None = None, verify: bool = False):
    return history.ReportEvent(point, hours, status, verify or status is not None)


def open_counts(events, hours: int = 24) -> list[int]:
    """Points shown open at 0 h, 1 h, … `hours` h, going stale 6 hours after a confirmation."""
    moments = list(range(hours + 1))
    return history.count_at(history.open_intervals(events, hours + 1, 6), moments)


def test_an_open_nobody_confirms_goes_stale_after_six_hours():
    counts = open_counts([event("p", 0, "open")], hours=8)
    assert counts == [1, 1, 1, 1, 1, 1, 0, 0, 0]


def test_still_current_keeps_an_open_point_open_and_a_new_status_ends_it():
    history = [event("p", 0, "open"), event("p", 5, verify=True), event("p", 9, "closed")]
    assert open_counts(history, hours=12) == [1] * 9 + [0] * 4


def test_still_current_confirms_an_old_open_but_never_a_closed_point():
    history = [
        event("a", -72, "open"),  # said three days ago, pressed "still current" since
        event("a", -1, verify=True),
        event("b", -2, "closed"),
        event("b", -1, verify=True),
        event("c", 2, "standby"),
    ]
    assert open_counts(history, hours=6) == [1, 1, 1, 1, 1, 0, 0]


def test_points_are_counted_together_and_a_report_at_the_hour_counts():
    history = [event("a", 1, "open"), event("b", 2, "open"), event("a", 3, "full")]
    assert open_counts(history, hours=4) == [0, 1, 2, 1, 1]


def doubt_counts(events, hours: int = 40) -> list[int]:
    """Points in doubt at 0 h … `hours` h: stale 6 hours after a confirmation, silent 24 hours
    after any report."""
    moments = list(range(hours + 1))
    return history.count_at(history.replay(events, hours + 1, 6, 24)[1], moments)


def test_an_open_point_is_in_doubt_from_when_it_goes_stale_until_it_speaks():
    reports_ = [event("p", 0, "open"), event("p", 10, verify=True), event("p", 12, "closed")]
    assert doubt_counts(reports_, hours=14) == [0] * 6 + [1] * 4 + [0] * 5
    # Said open and never heard of again: unconfirmed, then silent — in doubt throughout.
    assert doubt_counts([event("q", 0, "open")], hours=40)[6:] == [1] * 35


def test_any_other_status_is_in_doubt_only_once_silent_for_a_day():
    reports_ = [event("c", 0, "closed"), event("f", 0, "full"), event("f", 20, "full")]
    counts = doubt_counts(reports_, hours=50)
    assert counts[23] == 0 and counts[24] == 1 and counts[43] == 1 and counts[44] == 2
    assert doubt_counts([event("u", 0, verify=True)]) == [0] * 41  # never a status: unknown


@pytest.mark.parametrize(
    ("highest", "ticks"),
    [
        (782, [0, 200, 400, 600, 800]),
        (391, [0, 100, 200, 300, 400]),
        (1302, [0, 500, 1000, 1500]),
        (40, [0, 10, 20, 30, 40]),
        (3, [0, 1, 2, 3]),
        (0, [0, 1]),
    ],
)
def test_the_chart_axis_has_round_ticks(highest, ticks):
    assert round_ticks(highest) == ticks


# --- The network the page tests share ----------------------------------------------------------


def report(db, point_id, at, **fields):
    with db.write() as session:
        reports.add_report(session, point_id, ReportCreate(**fields), CLI, now=at)


@pytest.fixture
def kyiv(db, network, clock):
    """Four more points in REGION_A, in different states; point-a open, point-b (REGION_B)
    open and full of fuel."""
    now = clock()
    extra = {
        "a-gen": dict(name={"uk": "Школа генератор", "en": "School generator"}),
        "a-stale": dict(name={"uk": "Бібліотека", "en": "Library"}, locality="Бровари"),
        "a-full": dict(name={"uk": "Юрта", "en": "Yurt"}, visibility="locality_only"),
        "a-silent": dict(name={"uk": "Ліцей", "en": "Lyceum"}),
    }
    with db.write() as session:
        for i, (point_id, fields) in enumerate(extra.items()):
            data = point_create(point_id, REGION_A, 50.40 + i / 100, 30.50, **fields)
            points.create_point(session, data, CLI, now=now - timedelta(days=3))
    report(db, "point-a", now - HOUR, status="open", power="grid", occupancy=5)
    report(db, "a-gen", now - 2 * HOUR, status="open", power="generator", fuel_litres=12)
    report(db, "a-stale", now - 8 * HOUR, status="open", power="generator", fuel_litres=40)
    report(db, "a-full", now - 30 * 60 * timedelta(seconds=1), status="full", occupancy=40)
    report(db, "point-b", now - HOUR, status="open", power="generator", fuel_litres=3)
    return network


@pytest.fixture
def as_coordinator(app_client, db, clock, kyiv):
    def sign_in(who: str) -> str:
        return sign_in_as(app_client, db, who, clock())

    return sign_in


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', html)


def dashboard(client, **params):
    answer = client.get("/coordinate", params=params, headers={"Accept-Language": "en"})
    assert answer.status_code == 200, answer.text
    return answer.text


# --- Who may look ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(app_client):
    for path in ("/coordinate", "/coordinate/export.csv", "/coordinate/points/point-a"):
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={path}"


def test_operators_are_refused(as_coordinator, app_client):
    as_coordinator("operator_a")
    for path in ("/coordinate", "/coordinate/export.geojson", "/coordinate/points/point-a"):
        answer = app_client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 403, path


def test_a_coordinator_sees_only_their_regions_and_an_admin_sees_all(as_coordinator, app_client):
    as_coordinator("coordinator_a")
    html = dashboard(app_client)
    assert set(row_ids(html)) == {"point-a", "a-gen", "a-stale", "a-full", "a-silent"}
    assert REGION_B not in html
    as_coordinator("coordinator_b")
    assert row_ids(dashboard(app_client)) == ["point-b"]
    refused = app_client.get("/coordinate", params={"region": REGION_A})
    assert refused.status_code == 422 and "region" in refused.text
    as_coordinator("admin")
    assert len(row_ids(dashboard(app_client))) == 6


def test_statuses_are_shown_after_the_freshness_rule(as_coordinator, app_client):
    as_coordinator("coordinator_a")
    html = dashboard(app_client, sort="name")
    shown = dict(
        re.findall(r'<tr data-id="([^"]+)".*?class="c-status shown shown-(\w+)"', html, re.S)
    )
    assert shown == {
        "point-a": "open",
        "a-gen": "open",
        "a-stale": "unconfirmed",  # said open 8 hours ago
        "a-full": "full",
        "a-silent": "unknown",
    }
    assert "Unconfirmed" in html and "last confirmed 8 hours ago" in html


# --- Filters, sorting, counts, paging -----------------------------------------------------------


def test_filters_by_status_power_fuel_and_text(as_coordinator, app_client):
    as_coordinator("coordinator_a")
    several = dashboard(app_client, status=["unconfirmed", "full"])
    assert set(row_ids(several)) == {"a-stale", "a-full"}
    assert set(row_ids(dashboard(app_client, power="generator"))) == {"a-gen", "a-stale"}
    assert row_ids(dashboard(app_client, fuel_below="20")) == ["a-gen"]
    # Cyrillic in any case, in the name or the locality.
    assert row_ids(dashboard(app_client, q="ШКОЛА")) == ["a-gen"]
    assert row_ids(dashboard(app_client, q="бровари")) == ["a-stale"]
    assert row_ids(dashboard(app_client, q="Brovary")) == ["a-stale"]  # as English shows it
    assert row_ids(dashboard(app_client, q="nothing like it")) == []


def test_nonsense_in_a_filter_is_refused_naming_the_field(as_coordinator, app_client):
    as_coordinator("coordinator_a")
    for params, field in (
        ({"fuel_below": "lots"}, "fuel_below"),
        ({"fuel_below": "nan"}, "fuel_below"),
        ({"fuel_below": "-1"}, "fuel_below"),
        ({"page": "0"}, "page"),
        ({"days": "400"}, "days"),
        ({"status": "sleeping"}, "status"),
        ({"sort": "mood"}, "sort"),
        ({"power": "nuclear"}, "power"),
    ):
        answer = app_client.get("/coordinate", params=params)
        assert answer.status_code == 422 and field in answer.json()["errors"][0]["field"]


def test_sorting_by_a_column_both_ways_with_aria_sort(as_coordinator, app_client):
    as_coordinator("coordinator_a")
    fuel_up = dashboard(app_client, sort="fuel")
    # Rows without a fuel level come last in either direction.
    assert row_ids(fuel_up)[:2] == ["a-gen", "a-stale"]
    assert row_ids(dashboard(app_client, sort="fuel", dir="desc"))[:2] == ["a-stale", "a-gen"]
    assert re.search(r'aria-sort="ascending">\s*<a href="[^"]*sort=fuel&amp;dir=desc', fuel_up)
    assert fuel_up.count("aria-sort=") == 1
    names = row_ids(dashboard(app_client, sort="name"))
    assert names == ["a-stale", "a-silent", "point-a", "a-gen", "a-full"]  # Б, Л, П, Ш, Ю
    # By status, what needs a coordinator first: doubt, trouble, silence, then the open ones.
    by_status = row_ids(dashboard(app_client))
    assert by_status == ["a-stale", "a-full", "a-silent", "point-a", "a-gen"]


def test_counts_per_region_with_a_total_row(as_coordinator, app_client):
    as_coordinator("admin")
    html = dashboard(app_client)
    counts = html[html.index('class="grid counts"') : html.index("</table>")]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", counts, re.S)
    plain = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    header = plain[:9]
    assert header == [
        "Region", "Open", "On standby", "Unconfirmed", "Full", "Closed", "No response",
        "Status unknown", "Total",
    ]  # fmt: skip
    body = [plain[i : i + 9] for i in range(9, len(plain), 9)]
    # In English, regions in the national transliteration; the links still name the region.
    assert body == [
        ["Kyiv", "2", "0", "1", "1", "0", "0", "1", "5"],
        ["Kharkivska oblast", "1", "0", "0", "0", "0", "0", "0", "1"],
        ["Total", "3", "0", "1", "1", "0", "0", "1", "6"],
    ]
    assert 'href="?region=%D0%9A%D0%B8%D1%97%D0%B2&amp;status=open"' in counts


def test_thousands_of_points_are_paged(db, clock, as_coordinator, app_client):
    with db.write() as session:
        for i in range(230):
            data = point_create(f"bulk-{i:03d}", REGION_A, 50.0 + i / 1000, 30.0)
            points.create_point(session, data, CLI, now=clock())
    as_coordinator("coordinator_a")
    first = dashboard(app_client, sort="name")
    assert len(row_ids(first)) == 100 and "Points 1–100 of 235" in first
    assert "Page 1 of 3" in first and 'rel="next"' in first
    last = dashboard(app_client, sort="name", page="3")
    assert len(row_ids(last)) == 35 and "Page 3 of 3" in last
    every = set(row_ids(first)) | set(row_ids(dashboard(app_client, sort="name", page="2")))
    assert len(every | set(row_ids(last))) == 235


def test_names_sort_by_their_numbers_and_the_ukrainian_alphabet(
    db, clock, as_coordinator, app_client
):
    names = [
        "АЗС № 10",
        "АЗС № 2",
        "АЗС № 1",
        "Ірпінський ЦНАП",
        "Яготинський ліцей",
        "Школа № 100",
    ]
    with db.write() as session:
        for i, name in enumerate(names):
            data = point_create(f"n-{i}", REGION_A, 50.3 + i / 100, 30.4, name={"uk": name})
            points.create_point(session, data, CLI, now=clock())
    as_coordinator("coordinator_a")
    html = app_client.get("/coordinate", params={"sort": "name", "q": "№"}).text
    assert row_ids(html) == ["n-2", "n-1", "n-0", "n-5"]  # № 1, № 2, № 10, then Школа
    html = app_client.get("/coordinate", params={"sort": "name", "q": "ський"}).text
    assert row_ids(html) == ["n-3", "n-4"]  # І before Я (Unicode puts і after я)


def table_cells(html: str, point_id: str) -> list[str]:
    row = re.search(rf'<tr data-id="{point_id}"[^>]*>(.*?)</tr>', html, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]


def test_numbers_are_written_for_the_language_and_a_place_is_said_once(
    db, clock, as_coordinator, app_client
):
    report(db, "a-stale", clock() - 7 * HOUR, fuel_litres=39.6)  # says nothing of status
    as_coordinator("coordinator_a")
    uk = app_client.get("/coordinate", params={"fuel_below": "50.0"}).text
    assert "39,6" in table_cells(uk, "a-stale") and "Бровари, Київ" in table_cells(uk, "a-stale")
    assert 'name="fuel_below" type="number"' in uk and 'value="50"' in uk  # not "50.0"
    en = dashboard(app_client, fuel_below="50.0")
    assert "39.6" in table_cells(en, "a-stale") and "12" in table_cells(en, "a-gen")
    assert "Brovary, Kyiv" in table_cells(en, "a-stale")
    # Kyiv is its own region: said once, not "Kyiv, Kyiv".
    assert "Kyiv" in table_cells(dashboard(app_client), "point-a")
    assert "Kyiv, Kyiv" not in dashboard(app_client)


def test_the_english_workspace_transliterates_places_and_keeps_english_names(
    as_coordinator, app_client
):
    as_coordinator("coordinator_a")
    en = dashboard(app_client, sort="name")
    assert "Brovary" in en and "Бровари" not in en and ">Library</a>" in en
    page = app_client.get("/coordinate/points/a-stale", headers={"Accept-Language": "en"}).text
    details = page[page.index("Details") : page.index("Recent reports")]
    assert "vul. Testova, 7, Brovary" in details and "Kyiv" in details
    assert "Org" not in details or "Org A" in details
    uk = app_client.get("/coordinate/points/a-stale", headers={"Accept-Language": "uk"}).text
    assert "вул. Тестова, 7, Бровари" in uk


# --- Open points over time from the history -----------------------------------------------------


def test_chart_replays_the_history_of_the_coordinators_regions(db, clock, network):
    now = clock()
    report(db, "point-a", now - 10 * HOUR, status="open")  # stale 4 h ago
    report(db, "point-a", now - 30 * HOUR, status="open")  # reported earlier, stored later
    report(db, "point-b", now - 3 * HOUR, status="open")  # REGION_B: not counted for A
    moments = history.hourly_moments(now, days=2)
    assert len(moments) == 49 and moments[-1] == now
    with db.read() as session:
        counts = history.open_counts_at(session, [REGION_A], moments, SIX_HOURS)
    # Open from 30 h ago for 6 h, and from 10 h ago for 6 h.
    expected = [0] * 49
    for back in (*range(25, 31), *range(5, 11)):
        expected[48 - back] = 1
    assert counts == expected
    with db.read() as session:
        both = history.open_counts_at(session, [REGION_A, REGION_B], moments, SIX_HOURS)
    assert both[-4:] == [1, 1, 1, 1]


def test_chart_counts_an_open_said_before_the_window_and_kept_current(db, clock, network):
    now = clock()
    report(db, "point-a", now - timedelta(days=10), status="open")
    for back in (50, 45, 40):  # hours ago: "still current" three times, then silence
        report(db, "point-a", now - back * HOUR, verify=True)
    with db.read() as session:
        counts = history.open_counts_at(
            session, [REGION_A], history.hourly_moments(now, days=2), SIX_HOURS
        )
    assert counts[0] == 1  # 48 h ago: confirmed 2 h before
    assert counts[48 - 35] == 1 and counts[48 - 34] == 0 and counts[48 - 33] == 0


def test_remembered_hours_agree_with_a_fresh_replay_as_time_moves_on(db, clock, network):
    remembered_history = history.OpenHistory()

    def remembered_and_fresh() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        moments = history.hourly_moments(clock(), days=1)
        with db.read() as session:
            remembered = remembered_history.series(
                session, [REGION_A], now=clock(), days=1, stale_after=SIX_HOURS
            )
            fresh = history.counts_at(session, [REGION_A], moments, SIX_HOURS)
        return [(n, d) for _at, n, d in remembered], fresh

    assert remembered_and_fresh() == ([(0, 0)] * 25, [(0, 0)] * 25)
    # A report stamped with the present hour, committed after that hour was first counted.
    report(db, "point-a", clock(), status="open")
    first, fresh = remembered_and_fresh()
    assert first == fresh and first[-1] == (1, 0)
    for status in ("open", "closed", "open"):  # reports arrive, each at the time it arrives
        clock.advance(minutes=100)
        report(db, "point-a", clock(), status=status)
        remembered, fresh = remembered_and_fresh()
        assert remembered == fresh
    clock.advance(hours=7)  # nobody confirms it: in doubt now
    remembered, fresh = remembered_and_fresh()
    assert remembered == fresh and fresh[-1] == (0, 1)


def test_the_chart_counts_points_in_doubt_from_the_history(db, clock, network):
    now = clock()
    report(db, "point-a", now - 30 * HOUR, status="closed")  # silent from 6 h ago
    moments = history.hourly_moments(now, days=2)
    with db.read() as session:
        counted = history.counts_at(session, [REGION_A], moments, SIX_HOURS, 24 * HOUR)
    doubt = [d for _n, d in counted]
    assert doubt[-7:] == [1] * 7 and doubt[-8] == 0 and set(doubt[:-7]) == {0}


def test_the_page_draws_the_chart_as_an_accessible_svg(as_coordinator, app_client):
    as_coordinator("coordinator_a")
    html = dashboard(app_client, days="1")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "style=" not in html  # the content security policy forbids style attributes
    for series in ("series-open", "series-doubt"):
        drawn = re.search(rf'<polyline class="series {series}" points="([^"]+)"', svg)[1]
        assert len(drawn.split()) == 25
    ticks = re.findall(r'<text class="axis-label" x="38" y="[^"]+" text-anchor="end">(\d+)<', svg)
    assert ticks == ["0", "1", "2"]  # two open now: round ticks, nothing like 0, 1, 2.5
    table = html[html.index("The chart as a table") :]
    assert len(re.findall(r"<tr><td>", table)) == 25
    assert "Unconfirmed or not responding" in table
    # a-stale is unconfirmed now; the legend says in words what each line is.
    assert "Now 2 open and 1 unconfirmed or not responding" in html
    assert "Unconfirmed or not responding (dashed)" in html


# --- Exports -----------------------------------------------------------------------------------


def test_exports_hold_the_same_rows_as_the_table_in_every_format(as_coordinator, app_client, clock):
    as_coordinator("coordinator_a")
    params = {"power": "generator", "sort": "fuel"}
    table = row_ids(dashboard(app_client, **params))
    day = "2026-11-24"
    answer = app_client.get("/coordinate/export.csv", params=params)
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    assert f'filename="nezlam-points-{day}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == table == ["a-gen", "a-stale"]
    assert rows[1]["status"] == "unconfirmed" and rows[1]["name"] == "Бібліотека"
    assert rows[0]["fuel_litres"] == "12.0"

    geo = app_client.get("/coordinate/export.geojson", params=params)
    assert f"nezlam-points-{day}.geojson" in geo.headers["content-disposition"]
    features = json.loads(geo.content)["features"]
    assert [f["id"] for f in features] == table
    assert features[0]["geometry"]["coordinates"] == [30.5, 50.4]

    book = app_client.get("/coordinate/export.xlsx", params=params)
    assert f"nezlam-points-{day}.xlsx" in book.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(book.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header, data = values[0], values[1:]
    assert [dict(zip(header, line, strict=True))["id"] for line in data] == table
    assert list(header) == list(rows[0].keys())


def test_exports_cover_every_page_and_protected_points_in_ones_own_region(
    as_coordinator, app_client
):
    as_coordinator("coordinator_a")
    rows = list(
        csv.DictReader(
            io.StringIO(app_client.get("/coordinate/export.csv").content.decode("utf-8-sig"))
        )
    )
    assert len(rows) == 5
    yurt = next(r for r in rows if r["id"] == "a-full")
    assert yurt["visibility"] == "locality_only"
    assert yurt["address"] and float(yurt["lat"]) == 50.42  # exact, for its coordinator


def test_exports_never_hold_another_regions_points(as_coordinator, app_client):
    as_coordinator("coordinator_b")
    for fmt in ("csv", "geojson"):
        answer = app_client.get(f"/coordinate/export.{fmt}")
        assert answer.status_code == 200 and b"point-b" in answer.content
        assert b"point-a" not in answer.content and b"a-full" not in answer.content
    sheet = load_workbook(io.BytesIO(app_client.get("/coordinate/export.xlsx").content)).active
    assert [line[0] for line in sheet.iter_rows(min_row=2, values_only=True)] == ["point-b"]
    assert app_client.get("/coordinate/export.csv", params={"region": REGION_A}).status_code == 422


# --- Notifications -------------------------------------------------------------------------------


@pytest.fixture
def notices(db, clock, kyiv):
    """The kyiv reports already turned a-gen low on fuel, a-full full and point-b low on fuel;
    two more, written directly."""
    with db.write() as session:
        session.add_all(
            [
                Notification(point_id="a-gen", region=REGION_A, kind="no_power", at=clock()),
                Notification(point_id="point-b", region=REGION_B, kind="closed", at=clock()),
            ]
        )
    with db.read() as session:
        rows = session.execute(sa.select(Notification.point_id, Notification.kind, Notification.id))
        return {(point, kind): id_ for point, kind, id_ in rows}


def notification_panel(html: str) -> str:
    return html[html.index('id="notifications"') : html.index('id="counts-title"')]


def test_notifications_are_grouped_by_kind_with_a_count_each(notices, as_coordinator, app_client):
    as_coordinator("coordinator_a")
    panel = notification_panel(dashboard(app_client))
    assert "Notifications: 3 new" in panel
    groups = re.findall(
        r'<li class="note-group kind-(\w+)">.*?class="note-count">(\d+)<', panel, re.S
    )
    assert groups == [("full", "1"), ("no_power", "1"), ("low_fuel", "1")]  # kinds in order
    assert panel.count(">School generator</a>") == 2 and panel.count("12 l ·") == 1
    assert 'href="/coordinate/notifications?kind=low_fuel"' in panel
    assert "Closed" not in panel and "point-b" not in panel
    as_coordinator("coordinator_b")
    panel = notification_panel(dashboard(app_client))
    assert "kind-closed" in panel and "3 l ·" in panel and "School generator" not in panel


def add_notifications(db, clock, point_id: str, region: str, kind: str, n: int) -> list[int]:
    with db.write() as session:
        rows = [
            Notification(point_id=point_id, region=region, kind=kind, at=clock()) for _ in range(n)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_the_dashboard_shows_the_newest_few_of_a_kind_and_links_to_all(
    notices, as_coordinator, app_client, db, clock
):
    ids = add_notifications(db, clock, "a-silent", REGION_A, "closed", 130)
    csrf = as_coordinator("coordinator_a")
    panel = notification_panel(dashboard(app_client))
    assert 'class="note-count">130<' in panel and panel.count(">Lyceum</a>") == 3
    assert "Show all 130" in panel
    # Every one of them on the page of that kind, newest first, 100 a page.
    en = {"Accept-Language": "en"}
    first = app_client.get("/coordinate/notifications", params={"kind": "closed"}, headers=en)
    assert "Not yet acknowledged: 130" in first.text and ">Full (1)</a>" in first.text
    older = re.search(r'href="\?kind=closed&amp;before=(\d+)" rel="next"', first.text)[1]
    second = app_client.get(
        "/coordinate/notifications", params={"kind": "closed", "before": older}, headers=en
    )
    pages = [notification_ids(first.text), notification_ids(second.text)]
    assert [len(p) for p in pages] == [100, 30] and pages[0] + pages[1] == sorted(ids)[::-1]
    # Acknowledging one there comes back to that page, one fewer.
    one = app_client.post(
        f"/coordinate/notifications/{ids[0]}/acknowledge",
        data={"csrf": csrf, "back": "list", "back_kind": "closed"},
        follow_redirects=False,
    )
    assert one.headers["location"].startswith("/coordinate/notifications?done=acknowledged")
    assert "kind=closed" in one.headers["location"]
    after = app_client.get(one.headers["location"], headers=en).text
    assert "Not yet acknowledged: 129" in after and ids[0] not in notification_ids(after)


def notification_ids(html: str) -> list[int]:
    found = re.findall(r'action="/coordinate/notifications/(\d+)/acknowledge"', html)
    return [int(i) for i in found]


def audited_acknowledgements(db) -> list[str]:
    with db.read() as session:
        query = sa.select(AuditEntry.entity_id).where(
            AuditEntry.entity == "notification", AuditEntry.action == "acknowledge"
        )
        return sorted(session.execute(query).scalars())


def test_acknowledge_all_of_a_kind_is_one_post_audited_and_scoped(
    notices, as_coordinator, app_client, db, clock
):
    mine = add_notifications(db, clock, "a-silent", REGION_A, "closed", 60)
    theirs = add_notifications(db, clock, "point-b", REGION_B, "closed", 2)
    csrf = as_coordinator("coordinator_a")
    html = dashboard(app_client)
    up_to = re.search(
        r'name="kind" value="closed">\s*<input type="hidden" name="up_to" value="(\d+)"', html
    )[1]
    assert int(up_to) == max(mine)
    # One arriving while the coordinator reads is not swept up unseen.
    late = add_notifications(db, clock, "a-silent", REGION_A, "closed", 1)
    form = {"kind": "closed", "up_to": up_to, "back": "dashboard"}
    forged = app_client.post(
        "/coordinate/notifications/acknowledge", data=form, follow_redirects=False
    )
    assert forged.status_code == 403 and acknowledged(db) == {}
    done = app_client.post(
        "/coordinate/notifications/acknowledge", data={**form, "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and "done=acknowledged&n=60" in done.headers["location"]
    assert audited_acknowledgements(db) == sorted(str(i) for i in mine)
    with db.read() as session:
        waiting = session.execute(
            sa.select(Notification.id).where(Notification.acknowledged_at.is_(None))
        ).scalars()
        left = set(waiting)
    assert set(theirs) <= left and set(late) <= left  # another region's, and the late one
    assert left.isdisjoint(mine)
    assert "Acknowledged: 60." in dashboard_after(app_client, done)
    # Sent again (a second tab), nothing more is acknowledged or audited.
    again = app_client.post(
        "/coordinate/notifications/acknowledge", data={**form, "csrf": csrf}, follow_redirects=False
    )
    assert "n=0" in again.headers["location"] and len(audited_acknowledgements(db)) == 60


def dashboard_after(client, answer) -> str:
    return client.get(answer.headers["location"], headers={"Accept-Language": "en"}).text


def test_acknowledge_all_kinds_leaves_other_regions_alone(notices, as_coordinator, app_client, db):
    csrf = as_coordinator("coordinator_a")
    html = dashboard(app_client)
    up_to = re.search(
        r'name="kind" value="">\s*<input type="hidden" name="up_to" value="(\d+)"', html
    )[1]
    answer = app_client.post(
        "/coordinate/notifications/acknowledge",
        data={"csrf": csrf, "kind": "", "up_to": up_to},
        follow_redirects=False,
    )
    assert "n=3" in answer.headers["location"]
    assert set(acknowledged(db)) == {"a-gen", "a-full"}  # point-b is Kharkiv's
    assert "No new notifications." in notification_panel(dashboard(app_client))
    bad = app_client.post(
        "/coordinate/notifications/acknowledge", data={"csrf": csrf, "kind": "bored", "up_to": "1"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"


def acknowledged(db):
    with db.read() as session:
        rows = session.execute(
            sa.select(Notification.point_id, Notification.acknowledged_by).where(
                Notification.acknowledged_at.is_not(None)
            )
        )
        return {point: by for point, by in rows}


def test_acknowledge_needs_the_forms_token_and_is_audited(notices, as_coordinator, app_client, db):
    csrf = as_coordinator("coordinator_a")
    url = f"/coordinate/notifications/{notices['a-gen', 'no_power']}/acknowledge"
    forged = app_client.post(url, data={"csrf": "guess"}, follow_redirects=False)
    assert forged.status_code == 403 and acknowledged(db) == {}
    missing = app_client.post(url, data={}, follow_redirects=False)
    assert missing.status_code == 403 and acknowledged(db) == {}
    done = app_client.post(url, data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/coordinate?done=")
    with db.read() as session:
        me = session.execute(sa.select(User.id).where(User.username == "coordinator_a")).scalar()
        entry = session.execute(
            sa.select(AuditEntry).where(AuditEntry.entity == "notification")
        ).scalar_one()
    assert acknowledged(db) == {"a-gen": me}
    assert entry.actor == "user:coordinator_a" and entry.action == "acknowledge"
    assert "No power" not in notification_panel(dashboard(app_client))
    again = app_client.post(url, data={"csrf": csrf}, follow_redirects=False)
    assert again.status_code == 303  # twice is harmless, and audited once
    with db.read() as session:
        audited = session.execute(
            sa.select(sa.func.count()).where(AuditEntry.entity == "notification")
        ).scalar()
    assert audited == 1


def test_a_coordinator_cannot_acknowledge_another_regions_notification(
    notices, as_coordinator, app_client, db
):
    csrf = as_coordinator("coordinator_b")
    url = f"/coordinate/notifications/{notices['a-full', 'full']}/acknowledge"
    answer = app_client.post(url, data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 403 and acknowledged(db) == {}


# --- One point ---------------------------------------------------------------------------------


def test_point_page_shows_state_reports_signals_and_the_change_log_in_words(
    as_coordinator, app_client, db, clock, settings
):
    with db.write() as session:
        signals.add_signal(
            session, "a-gen", "full", window=settings.signal_window, threshold=3, now=clock()
        )
    as_coordinator("coordinator_a")
    answer = app_client.get("/coordinate/points/a-gen", headers={"Accept-Language": "en"})
    html = answer.text
    assert answer.status_code == 200 and "<h1>School generator</h1>" in html
    assert 'href="/coordinate/points/a-gen/inspect"' in html and 'href="/points/a-gen"' in html
    reports_part = html[html.index("Recent reports") : html.index("Recent visitor signals")]
    assert "api" in reports_part and "Status: Open" in reports_part and "generator" in reports_part
    signals_part = html[html.index("Recent visitor signals") : html.index("Change log")]
    assert "It is full" in signals_part
    log = html[html.index("Change log") :]
    assert "Status: — → Open" in log and "Generator fuel, litres: — → 12" in log
    assert "Created" in log and "cli" in log


def test_point_page_of_another_region_is_refused_and_a_missing_one_is_404(
    as_coordinator, app_client
):
    as_coordinator("coordinator_b")
    assert app_client.get("/coordinate/points/point-a").status_code == 403
    assert app_client.get("/coordinate/points/no-such-point").status_code == 404
    assert app_client.get("/coordinate/points/point-b").status_code == 200
