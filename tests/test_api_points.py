"""The stable JSON contracts: nearest, bbox, one point, create and update."""

import pytest

NEAR_A = {"lat": 50.451, "lon": 30.521}


def test_healthz_answers_when_the_database_is_up(app_client):
    response = app_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["points_indexed"] == 2


def test_nearest_returns_geojson_ordered_by_distance_with_the_contract_fields(app_client, network):
    response = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "k": 5})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    ids = [f["id"] for f in body["features"]]
    assert ids == [network.point_a, network.point_b]
    distances = [f["properties"]["distance_m"] for f in body["features"]]
    assert distances == sorted(distances)
    assert 100 < distances[0] < 200  # 50.45,30.52 → 50.451,30.521 is about 131 m
    props = body["features"][0]["properties"]
    for key in (
        "id",
        "name",
        "category",
        "status",
        "services",
        "distance_m",
        "updated_at",
        "verified_at",
        "occupancy",
        "capacity",
        "open_now",
    ):
        assert key in props, key
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [30.52, 50.45]}


def test_nearest_filters_by_status_after_freshness(app_client, network, clock):
    headers = network.headers("operator_a")
    sent = app_client.post(
        f"/api/v1/points/{network.point_a}/reports", headers=headers, json={"status": "open"}
    )
    assert sent.status_code == 201
    opened = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "status": "open"})
    assert [f["id"] for f in opened.json()["features"]] == [network.point_a]
    clock.advance(hours=7)
    stale = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "status": "open"})
    assert stale.json()["features"] == []
    shown = app_client.get("/api/v1/points/nearest", params=NEAR_A).json()["features"][0]
    assert shown["properties"]["status"] == "unconfirmed"
    assert shown["properties"]["reported_status"] == "open"


def test_nearest_filters_by_services_and_distance(app_client, network):
    none = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "services": "heat,beds"})
    assert none.json()["features"] == []
    both = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "services": "heat,power"})
    assert len(both.json()["features"]) == 2
    close = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "max_km": 5})
    assert [f["id"] for f in close.json()["features"]] == [network.point_a]


def test_names_follow_the_requested_language(app_client, network):
    english = app_client.get(
        "/api/v1/points/nearest",
        params={**NEAR_A, "k": 1},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert english.json()["features"][0]["properties"]["name"] == f"Point {network.point_a}"
    ukrainian = app_client.get(
        "/api/v1/points/nearest",
        params={**NEAR_A, "k": 1, "lang": "uk"},
        headers={"Accept-Language": "en"},
    )
    assert ukrainian.json()["features"][0]["properties"]["name"] == f"Пункт {network.point_a}"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 30}, "lat"),
        ({"lat": 91, "lon": 30}, "lat"),
        ({"lat": 50, "lon": "east"}, "lon"),
        ({**NEAR_A, "k": 0}, "k"),
        ({**NEAR_A, "k": "many"}, "k"),
        ({**NEAR_A, "services": "sauna"}, "services"),
        ({**NEAR_A, "status": "maybe"}, "status"),
        ({**NEAR_A, "max_km": -1}, "max_km"),
        ({**NEAR_A, "lang": "fr"}, "lang"),
        ({**NEAR_A, "lat": "nan"}, "lat"),
        ({**NEAR_A, "open_now": "perhaps"}, "open_now"),
    ],
)
def test_bad_nearest_input_gets_a_422_naming_the_field(app_client, params, field):
    response = app_client.get("/api/v1/points/nearest", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["problem"]


def test_bbox_lists_points_inside(app_client, network):
    box = app_client.get("/api/v1/points", params={"bbox": "30.4,50.4,30.6,50.5"})
    assert [f["id"] for f in box.json()["features"]] == [network.point_a]
    everything = app_client.get("/api/v1/points")
    assert {f["id"] for f in everything.json()["features"]} == {network.point_a, network.point_b}


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "30,51,31,50", "200,0,201,1"])
def test_bad_bbox_is_refused(app_client, bbox):
    response = app_client.get("/api/v1/points", params={"bbox": bbox})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "bbox"


def test_one_point_and_a_missing_one(app_client, network):
    found = app_client.get(f"/api/v1/points/{network.point_a}")
    assert found.status_code == 200 and found.json()["id"] == network.point_a
    missing = app_client.get("/api/v1/points/no-such-point")
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "id"


def test_coordinator_creates_a_point_that_is_found_at_once(app_client, network):
    body = {
        "name": {"uk": "Новий пункт", "en": "New point"},
        "category": "business",
        "lat": 50.40,
        "lon": 30.60,
        "locality": "Київ",
        "region": "Київ",
        "services": ["power", "heat", "power"],
        "opening_hours": "Mo-Fr 09:00-18:00",
    }
    created = app_client.post("/api/v1/points", json=body, headers=network.headers("coordinator_a"))
    assert created.status_code == 201, created.text
    point_id = created.json()["id"]
    assert created.headers["location"] == f"/api/v1/points/{point_id}"
    assert created.json()["properties"]["services"] == ["heat", "power"]  # deduplicated, ordered
    near = app_client.get("/api/v1/points/nearest", params={"lat": 50.40, "lon": 30.60, "k": 1})
    assert near.json()["features"][0]["id"] == point_id
    assert near.json()["features"][0]["properties"]["status"] == "unknown"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": {"en": "No Ukrainian"}}, "name"),
        ({"services": ["sauna"]}, "services"),
        ({"opening_hours": "whenever"}, "opening_hours"),
        ({"lat": 95, "lon": 30}, "lat"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"capacity": -3}, "capacity"),
        ({"category": "palace"}, "category"),
        ({"id": "Bad Id!"}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_point_input_gets_a_422_naming_the_field(app_client, network, change, field):
    body = {
        "name": {"uk": "Пункт"},
        "category": "state",
        "lat": 50.4,
        "lon": 30.6,
        "locality": "Київ",
        "region": "Київ",
        **change,
    }
    response = app_client.post("/api/v1/points", json=body, headers=network.headers("admin"))
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(
        f == field or f.startswith(field) or field in e["problem"]
        for f, e in zip(fields, response.json()["errors"], strict=True)
    ), fields


def test_duplicate_point_id_is_a_conflict(app_client, network):
    body = {
        "id": network.point_a,
        "name": {"uk": "Копія"},
        "category": "state",
        "lat": 50.4,
        "lon": 30.6,
        "locality": "Київ",
        "region": "Київ",
    }
    response = app_client.post("/api/v1/points", json=body, headers=network.headers("admin"))
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "id"


def test_operator_edits_services_and_hours(app_client, network, clock):
    response = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"services": ["heat", "water"], "opening_hours": "24/7"},
        headers=network.headers("operator_a"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["properties"]["services"] == ["heat", "water"]
    near = app_client.get("/api/v1/points/nearest", params={**NEAR_A, "services": "water"})
    assert [f["id"] for f in near.json()["features"]] == [network.point_a]


def test_operator_may_not_change_visibility_but_coordinator_may(app_client, network):
    url = f"/api/v1/points/{network.point_a}"
    refused = app_client.patch(
        url, json={"visibility": "hidden"}, headers=network.headers("operator_a")
    )
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "visibility"
    hidden = app_client.patch(
        url, json={"visibility": "hidden"}, headers=network.headers("coordinator_a")
    )
    assert hidden.status_code == 200
    assert app_client.get(url).status_code == 404
    assert app_client.get(url, headers=network.headers("operator_a")).status_code == 200
    near = app_client.get("/api/v1/points/nearest", params=NEAR_A)
    assert network.point_a not in [f["id"] for f in near.json()["features"]]


def test_moving_a_mobile_point_keeps_its_positions(app_client, network):
    url = f"/api/v1/points/{network.point_a}"
    headers = network.headers("coordinator_a")
    assert app_client.patch(url, json={"kind": "mobile"}, headers=headers).status_code == 200
    for lat in (50.46, 50.47):
        assert (
            app_client.patch(url, json={"lat": lat, "lon": 30.5}, headers=headers).status_code
            == 200
        )
    positions = app_client.get(f"{url}/positions", headers=headers).json()["positions"]
    assert [p["lat"] for p in positions] == [50.46, 50.47]
    assert app_client.get(f"{url}/positions").status_code == 401


def test_demo_points_are_labelled(client, db, clock):
    from nezlam import demo
    from nezlam.store.points import count_points

    with db.write() as session:
        demo.load(session, now=clock(), count=20)
    client.app.state.nezlam.sync.load_all()
    with db.read() as session:
        # Two yurts and 20 generated points, and one applicant's yurt awaiting approval.
        assert count_points(session) == 23
    body = client.get(
        "/api/v1/points/nearest", params={"lat": 50.44, "lon": 30.51, "k": 100}
    ).json()
    assert len(body["features"]) == 22  # the one awaiting approval is not public
    assert "Demo data" in body["notice"]
    assert body["features"][0]["id"] == "kyiv-shevchenko-park-yurt"
    assert all(f["properties"]["demo"] for f in body["features"])


@pytest.mark.parametrize(
    "query_string",
    [
        "lat=50.451&lon=30.521&k=3",
        "lat=50.451&lon=30.521&services=heat&status=open,unknown",
        "lat=50.451&lon=30.521&lang=en&max_km=800",
        "lat=91&lon=30",
        "lat=50&lon=30&k=zero",
    ],
)
def test_fast_path_answers_exactly_as_the_documented_route(app_client, query_string):
    from fastapi.testclient import TestClient

    fast = app_client.get(f"/api/v1/points/nearest?{query_string}")
    with TestClient(app_client.app.app) as framework_only:  # the FastAPI app behind the fast path
        routed = framework_only.get(f"/api/v1/points/nearest?{query_string}")
    assert (fast.status_code, fast.headers["content-type"]) == (
        routed.status_code,
        routed.headers["content-type"],
    )
    body, expected = fast.json(), routed.json()
    body.pop("generated_at", None), expected.pop("generated_at", None)
    assert body == expected


def test_points_written_in_one_transaction_share_a_change_number_and_all_load(db, clock):
    """A bulk write takes one change number; paging by (number, id) still finds every point."""
    from nezlam.store import points as point_store
    from nezlam.store.actor import CLI
    from tests.conftest import point_create

    with db.write() as session:
        for i in range(7):
            point_store.create_point(
                session, point_create(f"bulk-{i}", "Київ", 50 + i / 100, 30.5), CLI, now=clock()
            )
    with db.read() as session:
        found = list(point_store.iter_points(session, since_seq=0, batch=3))
    assert [p.id for p in found] == [f"bulk-{i}" for i in range(7)]
    assert len({p.change_seq for p in found}) == 1


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "cdn" not in page.text.lower()
    script = client.get("/api/docs-static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/points/nearest" in spec["paths"]
    names = [p["name"] for p in spec["paths"]["/api/v1/points/nearest"]["get"]["parameters"]]
    assert {"lat", "lon", "k", "services", "status", "max_km"} <= set(names)


def test_when_the_database_is_down_health_and_writes_say_503_and_reads_go_on(app_client, network):
    from nezlam.store.db import Database

    state = app_client.app.state.nezlam
    working = state.db
    # Everything that reaches the database now finds nothing there.
    state.db = state.report_writer.db = Database(
        "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=1"
    )
    try:
        assert app_client.get("/healthz").status_code == 503
        write = app_client.post(
            f"/api/v1/points/{network.point_a}/reports",
            json={"status": "open"},
            headers=network.headers("operator_a"),
        )
        assert write.status_code == 503 and write.headers["retry-after"] == "5"
        assert "nothing was stored" in write.json()["errors"][0]["problem"]
        # Residents still find points: the index is in memory.
        assert app_client.get("/api/v1/points/nearest", params=NEAR_A).status_code == 200
    finally:
        state.db.dispose()
        state.db = state.report_writer.db = working
