"""A canary: a locality_only point's exact address and coordinates appear in no public response,
feed or export — only its operators and coordinators see them."""

import pytest

from nezlam.config import Settings
from nezlam.interchange.exporter import export_public
from tests.conftest import point_create

SECRET_ADDRESS = "вул. Канарейкова, 77"
SECRET_LAT, SECRET_LON = 50.123456, 30.654321
CANARIES = [SECRET_ADDRESS, "Канарейкова", "50.1234", "30.6543", "50.123", "30.654"]


@pytest.fixture
def protected(app_client, network, db, clock):
    from nezlam.store import points
    from nezlam.store.actor import CLI

    with db.write() as session:
        points.create_point(
            session,
            point_create(
                "front-line",
                "Київ",
                SECRET_LAT,
                SECRET_LON,
                address=SECRET_ADDRESS,
                visibility="locality_only",
                organisation="org-a",
            ),
            CLI,
            now=clock(),
        )
    app_client.app.state.nezlam.sync.load_all()
    answer = app_client.post(
        "/api/v1/points/front-line/reports",
        json={"status": "open"},
        headers=network.headers("coordinator_a"),
    )
    assert answer.status_code == 201
    return "front-line"


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary!r} leaked"


PUBLIC_URLS = [
    "/api/v1/points/nearest?lat=50.12&lon=30.65&k=10",
    "/api/v1/points/nearest?lat=50.12&lon=30.65&k=10&status=open&services=heat",
    "/api/v1/points?bbox=30,50,31,51",
    "/api/v1/points",
    "/api/v1/points/front-line",
    "/api/v1/points/front-line?lang=en",
    "/api/v1/feeds/points.geojson",
    "/api/v1/feeds/points.csv",
    "/api/v1/feeds/points.hxl.csv",
    "/api/v1/feeds/points.geojson?changed_since=0-0",
    "/?lat=50.12&lon=30.65&f=1",
    "/?lat=50.12&lon=30.65&f=1&lang=en",
    "/points/front-line",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_responses_never_reveal_the_exact_place(app_client, protected, url):
    response = app_client.get(url)
    assert response.status_code == 200
    assert "front-line" in response.text  # the point itself is listed
    assert_no_canary(response.text)


def test_the_public_sees_the_locality_and_a_rounded_distance(app_client, protected):
    body = app_client.get("/api/v1/points/nearest?lat=50.2&lon=30.6&k=10").json()
    feature = next(f for f in body["features"] if f["id"] == "front-line")
    assert feature["geometry"] is None
    props = feature["properties"]
    assert props["locality"] == "Київ" and props["address"] is None
    assert props["location_precision"] == "locality"
    assert props["distance_m"] % 1000 == 0


def test_operators_and_coordinators_see_the_exact_place(app_client, network, protected):
    for who in ("org_operator_a", "coordinator_a", "admin"):
        body = app_client.get("/api/v1/points/front-line", headers=network.headers(who)).json()
        assert body["properties"]["address"] == SECRET_ADDRESS, who
        assert body["geometry"]["coordinates"] == [SECRET_LON, SECRET_LAT], who
    for who in ("operator_a", "operator_b", "coordinator_b"):  # operators of other points
        text = app_client.get("/api/v1/points/front-line", headers=network.headers(who)).text
        assert_no_canary(text)


def test_command_line_export_hides_the_exact_place(protected, db, settings: Settings):
    for fmt in ("geojson", "csv", "hxl"):
        text = export_public(settings, db, fmt).decode()
        assert "front-line" in text
        assert_no_canary(text)
