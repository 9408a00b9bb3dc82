"""HEAD on every GET route, errors with the pages' security headers (a page for a browser, JSON
for the API), OPTIONS answered with Allow, API input details and the OpenAPI document that
says all of it (review m10, m11)."""

import re

import pytest
from fastapi.routing import iter_route_contexts

from nezlam.web.plumbing.limits import API_LIMIT, KB

SECURITY_HEADERS = (
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
)
# Sample values for the path parameters of the GET routes, by name.
SAMPLES = {
    "point_id": "point-a",
    "path": "app.css",
    "token": "not-a-real-link",
    "need_id": "1",
    "user_id": "1",
    "application_id": "1",
    "task_id": "1",
}


# One real file in each mount of static files.
MOUNTED = {
    "/static/{path}": "/static/app.css",
    "/static/leaflet/{path}": "/static/leaflet/leaflet.js",
    "/api/docs-static/{path}": "/api/docs-static/swagger-ui.css",
}


def get_routes(app):
    """Every GET route's path (mounts: one file in them), with sample path parameters."""
    paths = []
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path_format", None) or getattr(route, "path", "")
        methods = getattr(route, "methods", None)
        if methods is None:
            paths.append(MOUNTED[path])  # a new mount needs its sample file here
        elif "GET" in methods:
            paths.append(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLES.get(m[1], "1"), path))
    return sorted(set(paths))


def comparable(headers):
    return {k: v for k, v in headers.items() if k not in ("set-cookie", "date")}


def test_head_answers_every_get_route_like_get_without_a_body(app_client):
    paths = get_routes(app_client.app.app)
    assert {"/", "/healthz", "/api/v1/feeds/points.csv", "/static/app.css"} <= set(paths)
    assert "/api/v1/points/nearest" in paths and "/login" in paths and "/sw.js" in paths
    for path in paths:
        url = path + (
            "?lat=50.45&lon=30.52" if path in ("/api/v1/points/nearest", "/poster") else ""
        )
        first, second = app_client.get(url), app_client.get(url)
        head = app_client.head(url)
        assert head.status_code == first.status_code != 405, path
        assert head.content == b"", path
        if first.content == second.content:  # pages with a fresh form token differ each time
            assert comparable(head.headers) == comparable(first.headers), path
        else:
            assert set(head.headers) == set(first.headers), path


def test_errors_carry_the_security_headers_a_page_has(app_client, network):
    answers = {
        "404 API": app_client.get("/api/v1/points/no-such-point"),
        "404 unknown": app_client.get("/no/such/page"),
        "404 static": app_client.get("/static/nothing-here.css"),
        "405": app_client.delete("/api/v1/feeds/points.csv"),
        "401": app_client.get("/api/v1/me"),
        "422 query": app_client.get("/api/v1/points", params={"bbox": "nonsense"}),
        "422 fast path": app_client.get("/api/v1/points/nearest", params={"lat": 91, "lon": 0}),
        "413": app_client.post(
            "/api/v1/points", content=b"x" * (API_LIMIT + 1), headers=network.headers("admin")
        ),
    }
    for _ in range(25):
        answers["429"] = app_client.post(
            f"/api/v1/points/{network.point_a}/signals", json={"kind": "closed"}
        )
    for name, answer in answers.items():
        assert answer.status_code == int(name[:3]), name
        missing = [h for h in SECURITY_HEADERS if h not in answer.headers]
        assert missing == [], name
        assert answer.headers["content-type"].startswith("application/json"), name


def test_a_browser_gets_a_page_and_the_api_json(app_client):
    browser = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en"}
    page = app_client.get("/no/such/page", headers=browser)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "This does not exist" in page.text
    assert all(h in page.headers for h in SECURITY_HEADERS)
    wrong_method = app_client.put("/login", headers=browser)
    assert wrong_method.status_code == 405 and "cannot be used this way" in wrong_method.text
    api = app_client.get("/api/v1/no-such-thing", headers=browser)
    assert api.status_code == 404 and api.json()["errors"][0]["problem"]
    bad = app_client.get("/api/v1/points", params={"limit": "many"}, headers=browser)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "limit"


def test_options_is_405_with_every_method_the_path_takes(app_client):
    document = app_client.get("/api/openapi.json").json()
    for path, operations in document["paths"].items():
        assert "options" not in operations and "head" not in operations, path
        url = re.sub(r"\{\w+\}", "point-a", path)
        answer = app_client.options(url)
        assert answer.status_code == 405, path
        allowed = {m.strip() for m in answer.headers["allow"].split(",")}
        documented = {m.upper() for m in operations}
        assert documented <= allowed, path
        assert ("HEAD" in allowed) == ("GET" in allowed), path
    points = app_client.options("/api/v1/points")
    assert set(points.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


# --- API input details (m10) --------------------------------------------------------------------


def test_malformed_json_names_the_body_not_a_character_offset(app_client, network):
    answer = app_client.post(
        f"/api/v1/points/{network.point_a}/reports",
        headers={**network.headers("operator_a"), "Content-Type": "application/json"},
        content=b'{"status": "open",',
    )
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "body"
    assert error["problem"].startswith("is not valid JSON: ") and "character 18" in error["problem"]


def test_a_body_that_is_not_text_is_malformed_json_too(app_client, network):
    answer = app_client.post(
        f"/api/v1/points/{network.point_a}/signals",
        content=b"\xff\xfe\x17",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422  # documented, unlike the framework's own 400
    assert answer.json()["errors"] == [
        {"field": "body", "problem": "is not valid JSON: it is not UTF-8 text"}
    ]


def anonymous_write_routes(app):
    """Every API write except those anyone may send (a visitor's signal, signing in and out,
    an SMS gateway's signed webhooks, Telegram's)."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path_format", "") or ""
        for method in getattr(route, "methods", None) or ():
            if method in ("POST", "PUT", "PATCH", "DELETE") and path.startswith("/api/"):
                found.append((method, path))
    anyone = {("POST", "/api/v1/points/{point_id}/signals"), ("POST", "/api/v1/session")}
    anyone |= {("DELETE", "/api/v1/session")}  # signing out without a session does nothing
    # SMS gateways sign their posts; no token is asked (tests/test_sms.py refuses forged ones).
    anyone |= {("POST", "/api/v1/sms/twilio"), ("POST", "/api/v1/sms/android")}
    # Telegram sends its secret token; no API token (tests/test_telegram.py refuses others).
    anyone |= {("POST", "/api/v1/telegram/webhook")}
    return sorted(set(found) - anyone)


@pytest.mark.parametrize(
    "body", [b'{"status": ', b'{"unknown": [1, 2, 3]}', b"[]", b"\xff\xfe not text"]
)
def test_anonymous_writes_are_401_whatever_the_body(app_client, network, body):
    routes = anonymous_write_routes(app_client.app.app)
    assert len(routes) >= 10
    for method, path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: "point-a" if "point" in m[1] else "1", path)
        answer = app_client.request(
            method, url, content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "field" not in str(answer.json()["errors"][0]["field"] or "")


# --- the OpenAPI document (m11) -----------------------------------------------------------------


def test_the_openapi_documents_every_refusal_with_the_error_body(app_client):
    document = app_client.get("/api/openapi.json").json()
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["status", "errors"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operations = {
        (method.upper(), path): op
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }

    def statuses(method, path):
        return set(operations[(method, path)]["responses"])

    assert {"401", "403", "404", "409", "413", "422"} <= statuses(
        "PATCH", "/api/v1/points/{point_id}"
    )
    assert {"404", "413", "422", "429"} <= statuses("POST", "/api/v1/points/{point_id}/signals")
    assert {"401", "422", "429"} <= statuses("POST", "/api/v1/session")
    assert "401" not in statuses("GET", "/api/v1/points/nearest")
    for (method, path), operation in operations.items():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    too_large = operations[("POST", "/api/v1/points")]["responses"]["413"]["description"]
    assert f"{API_LIMIT // KB} KB" in too_large


def test_points_are_documented_as_geojson(app_client):
    document = app_client.get("/api/openapi.json").json()
    paths = document["paths"]
    for method, path, status in [
        ("get", "/api/v1/points/nearest", "200"),
        ("get", "/api/v1/points", "200"),
        ("get", "/api/v1/points/{point_id}", "200"),
        ("post", "/api/v1/points", "201"),
        ("patch", "/api/v1/points/{point_id}", "200"),
        ("get", "/api/v1/feeds/points.geojson", "200"),
    ]:
        assert list(paths[path][method]["responses"][status]["content"]) == [
            "application/geo+json"
        ], (method, path)


def test_each_limit_parameter_is_checked_as_documented(app_client, network):
    document = app_client.get("/api/openapi.json").json()
    checked = []
    for path, operations in document["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        required = {p["name"]: "Київ" for p in parameters if p["required"] and p["name"] != "limit"}
        for parameter in parameters:
            if parameter["name"] != "limit" or "{" in path:
                continue
            highest = parameter["schema"]["maximum"]
            at_most = app_client.get(path, params={**required, "limit": highest})
            assert at_most.status_code == 200, path
            over = app_client.get(path, params={**required, "limit": highest + 1})
            assert over.status_code == 422, path
            (error,) = over.json()["errors"]
            assert error["field"] == "limit" and str(highest) in error["problem"], path
            assert str(highest * 10) not in error["problem"], path  # the feeds said 200000
            checked.append(path)
    assert "/api/v1/points" in checked and "/api/v1/feeds/points.csv" in checked


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/feeds/points.csv",
        "/api/v1/feeds/points.hxl.csv",
        "/api/v1/feeds/points.geojson",
        "/api/v1/points/nearest?lat=50.45&lon=30.52",
        "/api/v1/points/point-a",
        "/static/app.js",
        "/",
    ],
)
def test_every_answer_forbids_sniffing_its_type(app_client, path):
    """A feed holds text anyone may have typed: a browser must never take it for a page."""
    assert app_client.get(path).headers["x-content-type-options"] == "nosniff"
