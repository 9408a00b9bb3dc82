"""Feeds: GeoJSON, CSV and HXL with the API's filters, ETag/304, and changed_since cursors."""

import csv
import io


def test_geojson_feed_is_a_feature_collection_with_a_cursor(app_client, network):
    response = app_client.get("/api/v1/feeds/points.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert {f["id"] for f in body["features"]} == {network.point_a, network.point_b}
    assert body["next_cursor"] == response.headers["nezlam-next-cursor"]


def test_csv_and_hxl_feeds_have_a_header_and_a_row_per_point(app_client, network):
    rows = list(csv.reader(io.StringIO(app_client.get("/api/v1/feeds/points.csv").text)))
    assert rows[0][:3] == ["id", "name_uk", "name_en"]
    assert sorted(r[0] for r in rows[1:]) == [network.point_a, network.point_b]
    hxl = list(csv.reader(io.StringIO(app_client.get("/api/v1/feeds/points.hxl.csv").text)))
    assert hxl[0] == rows[0]
    assert hxl[1][0] == "#loc+code" and all(tag.startswith("#") for tag in hxl[1])
    assert len(hxl) == len(rows) + 1
    row = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == network.point_a), strict=True))
    assert row["services"] == "heat;power" and row["lat"] == "50.45"


def test_feeds_honour_the_filters(app_client, network):
    app_client.post(
        f"/api/v1/points/{network.point_b}/reports",
        json={"status": "open"},
        headers=network.headers("operator_b"),
    )
    opened = app_client.get("/api/v1/feeds/points.geojson", params={"status": "open"}).json()
    assert [f["id"] for f in opened["features"]] == [network.point_b]
    boxed = app_client.get("/api/v1/feeds/points.csv", params={"bbox": "30,50,31,51"}).text
    assert network.point_a in boxed and network.point_b not in boxed
    bad = app_client.get("/api/v1/feeds/points.csv", params={"category": "castle"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "category"


def test_etag_gives_304_until_something_changes(app_client, network, clock):
    first = app_client.get("/api/v1/feeds/points.geojson")
    etag = first.headers["etag"]
    clock.advance(minutes=1)
    same = app_client.get("/api/v1/feeds/points.geojson", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    app_client.post(
        f"/api/v1/points/{network.point_a}/reports",
        json={"status": "full"},
        headers=network.headers("operator_a"),
    )
    changed = app_client.get("/api/v1/feeds/points.geojson", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_etag_changes_when_time_alone_makes_a_point_stale(app_client, network, clock):
    app_client.post(
        f"/api/v1/points/{network.point_a}/reports",
        json={"status": "open"},
        headers=network.headers("operator_a"),
    )
    etag = app_client.get("/api/v1/feeds/points.csv").headers["etag"]
    clock.advance(hours=7)
    later = app_client.get("/api/v1/feeds/points.csv", headers={"If-None-Match": etag})
    assert later.status_code == 200 and "unconfirmed" in later.text


def test_changed_since_returns_only_what_changed(app_client, network, clock):
    cursor = app_client.get("/api/v1/feeds/points.geojson").headers["nezlam-next-cursor"]
    nothing = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": cursor})
    assert nothing.json()["features"] == []
    clock.advance(minutes=5)
    app_client.post(
        f"/api/v1/points/{network.point_b}/reports",
        json={"status": "open"},
        headers=network.headers("operator_b"),
    )
    changed = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": cursor})
    assert [f["id"] for f in changed.json()["features"]] == [network.point_b]
    cursor = changed.headers["nezlam-next-cursor"]
    # Six hours later point B has turned unconfirmed with nobody writing anything: a change.
    clock.advance(hours=6, minutes=1)
    decayed = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": cursor})
    features = decayed.json()["features"]
    assert [f["id"] for f in features] == [network.point_b]
    assert features[0]["properties"]["status"] == "unconfirmed"


def test_changed_since_lists_points_that_left_public_view(app_client, network):
    cursor = app_client.get("/api/v1/feeds/points.geojson").headers["nezlam-next-cursor"]
    app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"visibility": "hidden"},
        headers=network.headers("coordinator_a"),
    )
    body = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": cursor}).json()
    assert body["removed"] == [network.point_a]
    assert network.point_a not in [f["id"] for f in body["features"]]


def test_bad_cursor_is_refused(app_client):
    response = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": "yesterday"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "changed_since"


def test_a_point_that_never_was_public_is_never_mentioned_as_removed(app_client, network, db):
    from nezlam.domain.points import PointUpdate
    from nezlam.store import points
    from nezlam.store.actor import CLI
    from tests.conftest import point_create

    cursor = app_client.get("/api/v1/feeds/points.geojson").headers["nezlam-next-cursor"]
    with db.write() as session:  # an organisation's point, awaiting approval
        points.create_point(
            session, point_create("pending", "Київ", 50.46, 30.50, visibility="hidden"), CLI
        )
    body = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": cursor}).json()
    assert body["removed"] == [] and body["features"] == []
    with db.write() as session:  # approved, then hidden again: now consumers must hear of it
        points.update_point(session, "pending", PointUpdate(visibility="public"), CLI)
        points.update_point(session, "pending", PointUpdate(visibility="hidden"), CLI)
    body = app_client.get("/api/v1/feeds/points.geojson", params={"changed_since": cursor}).json()
    assert body["removed"] == ["pending"]
