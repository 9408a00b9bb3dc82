"""Visitor signals: no account, rate-limited, counted for coordinators, several flag a point,
and nothing about the visitor is stored."""

from urllib.parse import parse_qs, urlencode, urlsplit

import sqlalchemy as sa

from nezlam.store.tables import Base, VisitorSignal

EN = {"Accept-Language": "en"}


def signal(client, point_id, kind):
    """From the TestClient's one address, "testclient"; tests that need several visitors clear
    the per-visitor limiter between signals, as a different address would find it."""
    return client.post(f"/api/v1/points/{point_id}/signals", json={"kind": kind})


def test_anyone_can_send_a_signal_without_an_account(app_client, network):
    response = signal(app_client, network.point_a, "closed")
    assert response.status_code == 202 and response.json()["counted"] is True


def test_the_same_client_is_counted_once_per_point_for_every_negative_kind_together(
    app_client, network
):
    assert signal(app_client, network.point_a, "full").json()["counted"] is True
    assert signal(app_client, network.point_a, "full").json()["counted"] is False
    assert signal(app_client, network.point_a, "no_power").json()["counted"] is False
    assert signal(app_client, network.point_a, "confirmed_open").json()["counted"] is True
    assert signal(app_client, network.point_b, "no_power").json()["counted"] is True


def test_one_visitor_tapping_every_negative_button_does_not_flag_the_point(app_client, network):
    """Review R12: closed + full + no power from one address were three votes, and three flag."""
    state = app_client.app.state.nezlam
    assert state.settings.signal_flag_threshold <= 3
    answers = [
        signal(app_client, network.point_a, k).json() for k in ("closed", "full", "no_power")
    ]
    assert [a["counted"] for a in answers] == [True, False, False]
    url = f"/api/v1/points/{network.point_a}"
    assert app_client.get(url).json()["properties"]["flagged"] is False
    counts = app_client.get(url, headers=network.headers("coordinator_a")).json()
    signals = counts["properties"]["signals"]
    assert (signals["closed"], signals["full"], signals["no_power"]) == (1, 0, 0)
    page = app_client.get(f"/points/{network.point_a}", headers=EN).text
    assert "“It is full”" not in page


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


def tap(client, point_id, kind):
    """The point page's own button: the form post, answered by a redirect."""
    return client.post(f"/points/{point_id}/signal", data={"kind": kind}, follow_redirects=False)


def receipt_of(answer) -> dict[str, str]:
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {name: query[name][0] for name in ("kind", "at", "undo")}


def test_the_page_says_what_was_recorded_and_when(app_client, network, clock):
    answer = tap(app_client, network.point_a, "full")
    page = app_client.get(answer.headers["location"], headers=EN).text
    assert "Thank you: you reported “It is full” at 20:00." in page  # 18:00 UTC is 20:00 in Kyiv
    assert "Undo: I tapped the wrong button" in page


def test_a_visitor_takes_a_wrong_tap_back_within_five_minutes(app_client, network, clock, db):
    receipt = receipt_of(tap(app_client, network.point_a, "closed"))
    clock.advance(minutes=4)
    undone = app_client.post(f"/points/{network.point_a}/signal/undo", data=receipt)
    assert "Taken back" in app_client.get(undone.url, headers=EN).text
    url = f"/api/v1/points/{network.point_a}"
    counts = app_client.get(url, headers=network.headers("coordinator_a")).json()
    assert counts["properties"]["signals"]["closed"] == 0
    again = app_client.post(f"/points/{network.point_a}/signal/undo", data=receipt)
    assert again.url.query == b"signal=invalid"  # once only
    with db.read() as session:  # the history keeps both: the signal and its withdrawal
        kinds = session.execute(sa.select(VisitorSignal.kind)).scalars().all()
    assert sorted(kinds) == ["-closed", "closed"]


def test_an_undo_after_five_minutes_or_with_a_forged_receipt_changes_nothing(
    app_client, network, clock
):
    receipt = receipt_of(tap(app_client, network.point_a, "closed"))
    forged = {**receipt, "kind": "full"}
    assert app_client.post(f"/points/{network.point_a}/signal/undo", data=forged).url.query == (
        b"signal=invalid"
    )
    clock.advance(minutes=6)
    late = app_client.post(f"/points/{network.point_a}/signal/undo", data=receipt)
    assert late.url.query == b"signal=late"
    page = app_client.get(f"/points/{network.point_a}?" + urlencode(receipt) + "&signal=thanks")
    assert "/signal/undo" not in page.text  # no button for what can no longer be undone
    url = f"/api/v1/points/{network.point_a}"
    counts = app_client.get(url, headers=network.headers("coordinator_a")).json()
    assert counts["properties"]["signals"]["closed"] == 1


def test_taking_back_the_signal_that_flagged_a_point_lowers_the_flag(app_client, network):
    state = app_client.app.state.nezlam
    receipts = []
    for _ in range(state.settings.signal_flag_threshold):
        state.signal_repeat._hits.clear()  # each a different visitor
        receipts.append(receipt_of(tap(app_client, network.point_a, "closed")))
    url = f"/api/v1/points/{network.point_a}"
    assert app_client.get(url).json()["properties"]["flagged"] is True
    app_client.post(f"/points/{network.point_a}/signal/undo", data=receipts[-1])
    assert app_client.get(url).json()["properties"]["flagged"] is False


def test_residents_see_what_visitors_said_beside_the_operators_status(app_client, network, clock):
    state = app_client.app.state.nezlam
    for kind in ("full", "full", "confirmed_open"):
        state.signal_repeat._hits.clear()
        tap(app_client, network.point_a, kind)
    page = app_client.get(f"/points/{network.point_a}", headers=EN).text
    said = page[page.index('<p class="visitors">') :]
    said = said[: said.index("</p>")]
    assert "Visitors in the last 2 h:" in said and "“It is full” — 2" in said
    assert "“It is open” — 1" in said and "not the operator" in said
    assert page.index('class="headline"') < page.index('<p class="visitors">')  # beside, after
    clock.advance(hours=3)  # older than the window: no longer said
    assert '<p class="visitors">' not in app_client.get(f"/points/{network.point_a}").text


def test_undo_refuses_posts_from_other_sites(app_client, network):
    receipt = receipt_of(tap(app_client, network.point_a, "closed"))
    answer = app_client.post(
        f"/points/{network.point_a}/signal/undo",
        data=receipt,
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_a_visitor_who_took_a_wrong_tap_back_may_tap_the_right_one(app_client, network, clock):
    receipt = receipt_of(tap(app_client, network.point_a, "closed"))
    assert "signal=already" in tap(app_client, network.point_a, "full").headers["location"]
    app_client.post(f"/points/{network.point_a}/signal/undo", data=receipt)
    assert "signal=thanks" in tap(app_client, network.point_a, "full").headers["location"]
    url = f"/api/v1/points/{network.point_a}"
    counts = app_client.get(url, headers=network.headers("coordinator_a")).json()
    signals = counts["properties"]["signals"]
    assert (signals["closed"], signals["full"]) == (0, 1)
    assert "signal=already" in tap(app_client, network.point_a, "no_power").headers["location"]
