"""Visitor signals: no account, rate-limited, counted for coordinators, several flag a point,
and nothing about the visitor is stored."""

import sqlalchemy as sa

from nezlam.store.tables import Base


def signal(client, point_id, kind):
    """From the TestClient's one address, "testclient"; tests that need several visitors clear
    the per-visitor limiter between signals, as a different address would find it."""
    return client.post(f"/api/v1/points/{point_id}/signals", json={"kind": kind})


def test_anyone_can_send_a_signal_without_an_account(app_client, network):
    response = signal(app_client, network.point_a, "closed")
    assert response.status_code == 202 and response.json()["counted"] is True


def test_the_same_client_is_counted_once_per_point_and_kind(app_client, network):
    assert signal(app_client, network.point_a, "full").json()["counted"] is True
    assert signal(app_client, network.point_a, "full").json()["counted"] is False
    assert signal(app_client, network.point_a, "no_power").json()["counted"] is True


def test_a_flood_from_one_client_is_refused(app_client, network):
    state = app_client.app.state.nezlam
    limit = state.signal_volume.limit
    kinds = ["closed", "full", "no_power", "confirmed_open"]
    answers = [
        signal(app_client, network.point_a if i % 2 else network.point_b, kinds[i % 4])
        for i in range(limit + 1)
    ]
    assert answers[-1].status_code == 429
    assert all(a.status_code == 202 for a in answers[:-1])


def test_several_independent_signals_flag_the_point_until_its_operator_answers(app_client, network):
    state = app_client.app.state.nezlam
    threshold = state.settings.signal_flag_threshold
    url = f"/api/v1/points/{network.point_a}"
    for i in range(threshold):
        # Each independent visitor gets a fresh limiter slot, as a different address would.
        state.signal_repeat._hits.clear()
        answer = signal(app_client, network.point_a, "closed").json()
        assert answer["flagged"] is (i == threshold - 1)
    assert app_client.get(url).json()["properties"]["flagged"] is True
    counts = app_client.get(url, headers=network.headers("coordinator_a")).json()
    assert counts["properties"]["signals"]["closed"] == threshold
    app_client.post(f"{url}/reports", json={"verify": True}, headers=network.headers("operator_a"))
    assert app_client.get(url).json()["properties"]["flagged"] is False


def test_confirmations_do_not_flag(app_client, network):
    state = app_client.app.state.nezlam
    for _ in range(state.settings.signal_flag_threshold + 1):
        state.signal_repeat._hits.clear()
        assert signal(app_client, network.point_a, "confirmed_open").json()["flagged"] is False


def test_bad_signal_kind_is_refused_and_unknown_point_is_404(app_client, network):
    bad = app_client.post(f"/api/v1/points/{network.point_a}/signals", json={"kind": "haunted"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    missing = app_client.post("/api/v1/points/nowhere/signals", json={"kind": "closed"})
    assert missing.status_code == 404


def test_no_visitor_data_is_stored_anywhere(app_client, network, db):
    signal(app_client, network.point_a, "closed")
    with db.read() as session:
        dump = []
        for table in Base.metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in session.execute(sa.select(table))]
    text = "\n".join(dump)
    assert "testclient" not in text and "closed" in text
    columns = {c.name for c in Base.metadata.tables["visitor_signals"].columns}
    assert columns == {"id", "point_id", "kind", "received_at"}
