"""A point's devices in the workspace (issue 12, /operate/{id}/devices): its operator makes a key
(shown once, on the answer that made it, never stored and never cached), sets a device up with
it and sees what it says; revokes it, and its pings are refused from the next one. Only those
who may edit the point: another point's operator or another region's coordinator is refused,
also for a device id of this point sent through their own point's address. SQLite and
PostgreSQL."""

from __future__ import annotations

import re

import pytest

from nezlam.store import audit, devices
from tests.conftest import sign_in_as

PAGE = {"Accept": "text/html", "Accept-Language": "uk"}
DEVICES = "/operate/point-a/devices"
KEY = re.compile(r'<code class="key" id="new-key">(nzd_[A-Za-z0-9_-]+)</code>')


def add(client, csrf, name="ESP32, електрощит", powered_by="mains", path=DEVICES):
    data = {"csrf": csrf, "name": name, "powered_by": powered_by}
    return client.post(path, data=data, headers=PAGE, follow_redirects=False)


def stored(db, point_id="point-a"):
    with db.read() as session:
        return devices.devices(session, point_id)


def ping(client, key):
    return client.post("/api/v1/heartbeat", json={"power": "grid"}, headers={"X-Device-Key": key})


def test_an_operator_makes_a_key_sets_a_device_up_and_sees_what_it_says(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    empty = app_client.get(DEVICES, headers=PAGE)
    assert empty.status_code == 200 and "Пристроїв ще немає." in empty.text

    made = add(app_client, csrf)
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"  # no proxy or back button keeps a key
    key = KEY.search(made.text).group(1)
    assert f"channelPing?channel_key={key}" in made.text  # the SvitloBot-style address too
    (row,) = stored(db)
    assert row.name == "ESP32, електрощит" and row.powered_by == "mains"
    assert key not in row.key_hash and row.prefix == key[: len(row.prefix)]
    assert "ще не виходив на зв&#39;язок" in made.text

    assert ping(app_client, key).status_code == 200
    again = app_client.get(DEVICES, headers=PAGE).text
    assert key not in again  # shown once: afterwards only its first characters
    assert f"{row.prefix}…" in again
    assert "на зв&#39;язку" in again and "живлення: мережа" in again
    with db.read() as session:
        (entry,) = [e for e in audit.entries(session, "device", str(row.id))]
    assert entry.actor == "user:operator_a"


def test_revoking_a_key_refuses_its_next_ping(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    key = KEY.search(add(app_client, csrf).text).group(1)
    (row,) = stored(db)
    revoke = f"{DEVICES}/{row.id}/revoke"
    answer = app_client.post(revoke, data={"csrf": csrf}, headers=PAGE, follow_redirects=False)
    assert answer.status_code == 303 and "done=revoked" in answer.headers["location"]
    assert stored(db)[0].revoked_at is not None
    assert ping(app_client, key).status_code == 403
    page = app_client.get(answer.headers["location"], headers=PAGE).text
    assert "Ключ відкликано" in page
    assert "відкликано" in page and f"/devices/{row.id}/revoke" not in page  # nothing to revoke


def test_a_name_is_needed_and_a_bad_one_is_said_beside_its_field(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    answer = add(app_client, csrf, name="   ")
    assert answer.status_code == 422
    assert 'id="name-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert stored(db) == []
    assert add(app_client, csrf, powered_by="sunshine").status_code == 422
    assert stored(db) == []


def test_a_name_is_shown_as_text_never_as_markup(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    add(app_client, csrf, name="<script>alert(1)</script>")
    page = app_client.get(DEVICES, headers=PAGE).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("who", ["operator_b", "coordinator_b"])
def test_others_may_neither_see_nor_add_nor_revoke(app_client, db, clock, who):
    owner = sign_in_as(app_client, db, "operator_a", clock())
    key = KEY.search(add(app_client, owner).text).group(1)
    (row,) = stored(db)
    csrf = sign_in_as(app_client, db, who, clock())
    assert app_client.get(DEVICES, headers=PAGE).status_code == 403
    assert add(app_client, csrf).status_code == 403
    theirs = f"/operate/point-a/devices/{row.id}/revoke"
    answer = app_client.post(theirs, data={"csrf": csrf}, headers=PAGE)
    assert answer.status_code == 403
    if who == "operator_b":  # point A's device through point B's own address: not there
        through = f"/operate/point-b/devices/{row.id}/revoke"
        assert app_client.post(through, data={"csrf": csrf}, headers=PAGE).status_code == 404
    assert [d.revoked_at for d in stored(db)] == [None] and len(stored(db)) == 1
    assert ping(app_client, key).status_code == 200


def test_the_coordinator_of_the_region_may(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    assert add(app_client, csrf, name="hall phone", powered_by="battery").status_code == 200
    assert [d.powered_by for d in stored(db)] == ["battery"]


def test_without_a_session_or_its_token_nothing_is_made(app_client, db, clock):
    answer = app_client.get(DEVICES, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    sign_in_as(app_client, db, "operator_a", clock())
    assert add(app_client, "not-the-token").status_code == 403
    assert stored(db) == []
