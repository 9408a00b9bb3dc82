"""A point hours away is said to be far, not given as thousands of minutes' walk (review m13)."""

import re

NEAR_A = {"lat": "50.451", "lon": "30.521", "f": "1"}  # point-b is in Kharkiv, 400 km east


def card(html: str, name: str) -> str:
    start = html.index(f">{name}<")
    return re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", "", html[start : html.index("</article>", start)])
    )


def test_a_point_hundreds_of_kilometres_away_is_far_not_minutes_away(app_client, network):
    html = app_client.get("/", params=NEAR_A, headers={"Accept-Language": "en"}).text
    far = card(html, "Point point-b")
    assert "far away: more than an hour on foot" in far and "min walk" not in far
    near = card(html, "Point point-a")
    assert "min walk" in near and "far away" not in near
    features = app_client.get(
        "/api/v1/points/nearest", params={"lat": 50.451, "lon": 30.521, "k": 2}
    ).json()["features"]
    assert [f["properties"]["far"] for f in features] == [False, True]
