"""Limits on what anyone can send (review M6): every field's length and language keys, checked
in the input models the API, the import and the forms share; request bodies capped before they
are read; and the nearest answer compressed for a phone that accepts it."""

import asyncio
import concurrent.futures
import json

import pytest

from nezlam.domain.points import NOTES_MAX, PointUpdate, Strict
from nezlam.store.inspections import InspectionInput
from nezlam.web.plumbing.limits import API_LIMIT, FORM_LIMIT, SIGNAL_LIMIT

NEAREST = {"lat": 50.451, "lon": 30.521, "k": 5}
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")


def patch_notes(client, network, notes):
    return client.patch(
        f"/api/v1/points/{network.point_a}",
        headers=network.headers("operator_a"),
        json={"notes": notes},
    )


# --- fields -----------------------------------------------------------------------------------


def test_notes_are_at_most_a_thousand_characters_per_language_on_the_api(app_client, network):
    longest = {"uk": "н" * NOTES_MAX, "en": "n" * NOTES_MAX}
    assert patch_notes(app_client, network, longest).status_code == 200
    refused = patch_notes(app_client, network, {"uk": "н" * (NOTES_MAX + 1)})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "notes", "in": "body", "problem": "notes in 'uk' must be at most 1000 characters"}
    ]
    shown = app_client.get(f"/api/v1/points/{network.point_a}").json()
    assert shown["properties"]["notes"] == longest["uk"]  # the refused edit changed nothing


@pytest.mark.parametrize("key", ["xxxx", "UK", "u", "en-GB", "x" * 1000])
def test_a_language_key_must_be_a_language_code(app_client, network, key):
    refused = patch_notes(app_client, network, {key: "y"})
    assert refused.status_code == 422
    assert "is not a language code" in refused.json()["errors"][0]["problem"]
    assert len(refused.json()["errors"][0]["problem"]) < 100  # the key is not echoed whole
    named = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        headers=network.headers("operator_a"),
        json={"name": {"uk": "Пункт", key: "y"}},
    )
    assert named.status_code == 422


def test_the_import_shares_the_limits(db_url, db, tmp_path):
    from typer.testing import CliRunner

    from nezlam.cli import app

    path = tmp_path / "points.csv"
    header = "name,category,lat,lon,locality,region,notes_uk\n"
    fits = f"Пункт 1,state,50.45,30.52,Київ,Київ,{'x' * NOTES_MAX}\n"
    too_long = f"Пункт 2,state,50.46,30.53,Київ,Київ,{'x' * (NOTES_MAX + 1)}\n"
    path.write_text(header + fits + too_long, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["import", str(path), "--dry-run"], env={"NEZLAM_DATABASE_URL": db_url}
    )
    assert result.exit_code == 1
    assert "notes in 'uk' must be at most 1000 characters" in result.output
    assert result.output.count("must be at most") == 1  # the row that fits is not refused


def all_input_models() -> list[type[Strict]]:
    """Every input shape: the subclasses of Strict, once every module defining one is loaded."""
    import nezlam.domain.notifications
    import nezlam.store.onboarding
    import nezlam.web.app  # noqa: F401  (the API's own shapes: tokens, sign-in)

    found, pending = [], list(Strict.__subclasses__())
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return sorted(set(found), key=lambda m: m.__name__)


def uncapped(schema, definitions, where):
    """Paths of strings, maps and lists in a JSON schema with no length limit."""
    if "$ref" in schema:
        return uncapped(definitions[schema["$ref"].split("/")[-1]], definitions, where)
    problems = []
    for option in schema.get("anyOf", []):
        problems += uncapped(option, definitions, where)
    kind = schema.get("type")
    if kind == "string" and not (
        {"maxLength", "pattern", "enum", "const"} & set(schema) or schema.get("format")
    ):
        problems.append(where)
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            problems += uncapped(sub, definitions, f"{where}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                problems.append(f"{where}{{}}")
            problems += uncapped(extra, definitions, f"{where}{{}}")
    if kind == "array":
        items = schema.get("items", {})
        resolved = definitions.get(items.get("$ref", "").split("/")[-1], items)
        if "maxItems" not in schema and "enum" not in resolved:
            problems.append(f"{where}[]")
        problems += uncapped(items, definitions, f"{where}[]")
    return problems


def test_every_free_text_field_of_every_input_shape_has_a_length_cap():
    models = all_input_models()
    names = {m.__name__ for m in models}
    assert {"PointCreate", "ReportCreate", "UserCreate", "ApplicationCreate"} <= names
    assert {"WebhookCreate", "TokenCreate", "RoleGrantCreate", "OrganisationUpdate"} <= names
    problems = []
    for model in models:
        schema = model.model_json_schema()
        problems += uncapped(schema, schema.get("$defs", {}), model.__name__)
    assert problems == []


def test_true_is_not_a_number_and_nan_is_not_finite(app_client, network):
    url = f"/api/v1/points/{network.point_a}/reports"
    headers = network.headers("operator_a")
    for field in ("occupancy", "fuel_litres", "occupancy_change"):
        sent = app_client.post(url, headers=headers, json={field: True})
        assert sent.status_code == 422, field
        assert sent.json()["errors"][0] == {
            "field": field,
            "in": "body",
            "problem": "must be a number, not true or false",
        }
    for raw in (b'{"fuel_litres": NaN}', b'{"fuel_litres": Infinity}', b'{"occupancy": -Infinity}'):
        sent = app_client.post(
            url, headers={**headers, "Content-Type": "application/json"}, content=raw
        )
        assert sent.status_code == 422
        assert sent.json()["errors"][0]["problem"] == "must be a finite number"
    capacity = app_client.patch(
        f"/api/v1/points/{network.point_a}", headers=headers, json={"capacity": False}
    )
    assert capacity.status_code == 422
    assert PointUpdate.model_validate({"capacity": "40"}).capacity == 40  # forms send text


def test_an_inspection_note_must_belong_to_a_checklist_item():
    from nezlam.domain.errors import Invalid
    from nezlam.domain.vocabulary import INSPECTION_ITEMS

    answers = dict.fromkeys(INSPECTION_ITEMS, "pass")
    InspectionInput(answers, item_notes={next(iter(INSPECTION_ITEMS)): "ok"}).check()
    with pytest.raises(Invalid, match="not a checklist item"):
        InspectionInput(answers, item_notes={"x" * 5000: "y" * 300}).check()


# --- request bodies ---------------------------------------------------------------------------


def test_an_api_body_over_its_limit_is_refused_before_it_is_read(app_client, network):
    body = json.dumps({"notes": {"uk": "x" * API_LIMIT}}).encode()
    refused = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        headers={**network.headers("operator_a"), "Content-Type": "application/json"},
        content=body,
    )
    assert refused.status_code == 413
    assert refused.json() == {
        "status": 413,
        "errors": [
            {
                "field": "body",
                "problem": "the request body is larger than 256 KB, the most this address takes",
            }
        ],
    }
    assert all(name in refused.headers for name in SECURITY_HEADERS)
    # Just under the limit, the body is read and its field refused on its own terms.
    under = json.dumps({"notes": {"uk": "x" * (API_LIMIT - 1000)}}).encode()
    checked = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        headers={**network.headers("operator_a"), "Content-Type": "application/json"},
        content=under,
    )
    assert checked.status_code == 422 and checked.json()["errors"][0]["field"] == "notes"


def chunks(total: int, size: int = 8192):
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def test_a_chunked_body_is_counted_as_it_arrives(app_client, network):
    # A generator: httpx sends it chunked, with no Content-Length to refuse it by.
    refused = app_client.post(
        f"/api/v1/points/{network.point_a}/signals",
        headers={"Content-Type": "application/json"},
        content=chunks(SIGNAL_LIMIT + 1),
    )
    assert refused.status_code == 413 and "16 KB" in refused.json()["errors"][0]["problem"]
    small = app_client.post(
        f"/api/v1/points/{network.point_a}/signals",
        headers={"Content-Type": "application/json"},
        content=(part for part in [b'{"kind": ', b'"closed"}']),
    )
    assert small.status_code == 202


def test_a_signal_is_small_and_so_is_its_limit(app_client, network):
    padded = json.dumps({"kind": "closed", "pad": "x" * SIGNAL_LIMIT})
    api = app_client.post(
        f"/api/v1/points/{network.point_a}/signals",
        content=padded,
        headers={"Content-Type": "application/json"},
    )
    form = app_client.post(
        f"/points/{network.point_a}/signal",
        data={"kind": "closed", "pad": "x" * SIGNAL_LIMIT},
        follow_redirects=False,
    )
    assert (api.status_code, form.status_code) == (413, 413)


def test_a_browser_posting_too_much_gets_a_page(app_client):
    answer = app_client.post(
        "/login",
        data={"username": "x", "password": "y" * FORM_LIMIT},
        headers={"Accept": "text/html", "Accept-Language": "en"},
    )
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert "What was sent is too long" in answer.text and "64 KB" in answer.text
    assert all(name in answer.headers for name in SECURITY_HEADERS)


def test_no_more_than_the_limit_and_one_chunk_is_ever_read(app_client, network):
    """Driven at the ASGI level with a 6 MB body in 64 KB chunks (as a real server passes
    them on): the app stops pulling at the first chunk past the limit and answers 413."""
    app = app_client.app.app  # under the fast path: the app with its middleware
    chunk, chunks_sent = 64 * 1024, 100
    pulled, sent = [], []

    async def receive():
        pulled.append(chunk)
        more = len(pulled) < chunks_sent
        return {"type": "http.request", "body": b"x" * chunk, "more_body": more}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/points/point-a/signals",
        "raw_path": b"/api/v1/points/point-a/signals",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    # In a thread of its own: a browser test earlier in the run may keep an event loop running
    # in this one (Playwright's synchronous API), and asyncio.run refuses to nest.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert sum(pulled) <= SIGNAL_LIMIT + chunk


# --- the nearest answer, compressed -------------------------------------------------------------


def test_nearest_is_gzipped_when_accepted_and_large_enough(app_client, network):
    assert patch_notes(app_client, network, {"uk": "Вхід з двору. " * 60}).status_code == 200
    plain = app_client.get(
        "/api/v1/points/nearest", params=NEAREST, headers={"Accept-Encoding": "identity"}
    )
    packed = app_client.get(
        "/api/v1/points/nearest", params=NEAREST, headers={"Accept-Encoding": "br, gzip"}
    )
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    assert packed.json() == plain.json()
    assert packed.num_bytes_downloaded < len(plain.content) / 3
    assert int(packed.headers["content-length"]) == packed.num_bytes_downloaded
    refused = app_client.get(
        "/api/v1/points/nearest", params=NEAREST, headers={"Accept-Encoding": "gzip;q=0"}
    )
    assert "content-encoding" not in refused.headers


def test_a_small_nearest_answer_is_sent_as_it_is(app_client, network):
    nothing_near = {"lat": -45.0, "lon": 170.0, "k": 1, "max_km": 1}
    answer = app_client.get(
        "/api/v1/points/nearest", params=nothing_near, headers={"Accept-Encoding": "gzip"}
    )
    assert answer.status_code == 200 and answer.json()["features"] == []
    assert "content-encoding" not in answer.headers and len(answer.content) < 1024
    assert answer.headers["vary"] == "Accept-Encoding"  # a larger answer would be compressed
    head = app_client.head(
        "/api/v1/points/nearest", params=NEAREST, headers={"Accept-Encoding": "gzip"}
    )
    got = app_client.get(
        "/api/v1/points/nearest", params=NEAREST, headers={"Accept-Encoding": "gzip"}
    )
    assert head.status_code == 200 and head.content == b""
    assert head.headers == got.headers
