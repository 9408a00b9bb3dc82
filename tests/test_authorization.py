"""The authorization matrix: every write endpoint (and every protected read) × every role.

Roles, from the `network` fixture: an anonymous visitor, the operator of point B (another point),
the coordinator of region B (another region), the operator of point A, the coordinator of
region A, and an admin. Every request targets point A or region A.
"""

import pytest

ROLES = ["anonymous", "operator_b", "coordinator_b", "operator_a", "coordinator_a", "admin"]


def new_point(region="Київ"):
    return {
        "name": {"uk": "Пункт"},
        "category": "state",
        "lat": 50.4,
        "lon": 30.6,
        "locality": "Київ",
        "region": region,
    }


# name: (method, url, json body, expected status per role in ROLES order)
MATRIX = {
    "create point in region A": (
        "POST",
        "/api/v1/points",
        new_point(),
        [401, 403, 403, 403, 201, 201],
    ),
    "edit point A details": (
        "PATCH",
        "/api/v1/points/point-a",
        {"phone": "+380 44 000 0000"},
        [401, 403, 403, 200, 200, 200],
    ),
    "hide point A": (
        "PATCH",
        "/api/v1/points/point-a",
        {"visibility": "hidden"},
        [401, 403, 403, 403, 200, 200],
    ),
    "move point A to region B": (
        "PATCH",
        "/api/v1/points/point-a",
        {"region": "Харківська область"},
        [401, 403, 403, 403, 403, 200],
    ),
    "report on point A": (
        "POST",
        "/api/v1/points/point-a/reports",
        {"status": "open"},
        [401, 403, 403, 201, 201, 201],
    ),
    "confirm point A still current": (
        "POST",
        "/api/v1/points/point-a/reports",
        {"verify": True},
        [401, 403, 403, 201, 201, 201],
    ),
    "visitor signal on point A": (
        "POST",
        "/api/v1/points/point-a/signals",
        {"kind": "full"},
        [202, 202, 202, 202, 202, 202],
    ),
    "register an organisation": (
        "POST",
        "/api/v1/organisations",
        {"slug": "new-org", "name": "New", "kind": "ngo"},
        [401, 403, 201, 403, 201, 201],
    ),
    "create a user": (
        "POST",
        "/api/v1/users",
        {"username": "newcomer"},
        [401, 403, 201, 403, 201, 201],
    ),
    "make someone operator of point A": (
        "POST",
        "/api/v1/users/operator_b/roles",
        {"role": "operator", "point_id": "point-a"},
        [401, 403, 403, 403, 201, 201],
    ),
    "make someone coordinator of region A": (
        "POST",
        "/api/v1/users/operator_b/roles",
        {"role": "coordinator", "region": "Київ"},
        [401, 403, 403, 403, 403, 201],
    ),
    "deactivate the operator of point A": (
        "PATCH",
        "/api/v1/users/operator_a",
        {"is_active": False},
        [401, 403, 403, 403, 200, 200],
    ),
    "deactivate the coordinator of region A": (
        "PATCH",
        "/api/v1/users/coordinator_a",
        {"is_active": False},
        [401, 403, 403, 403, 403, 200],
    ),
    "rename an organisation": (
        "PATCH",
        "/api/v1/organisations/org-a",
        {"name": "Org A+"},
        [401, 403, 200, 403, 200, 200],
    ),
    "revoke a role": ("DELETE", "/api/v1/roles/1", None, [401, 403, 403, 403, 403, 204]),
    "create an own token": (
        "POST",
        "/api/v1/tokens",
        {"name": "phone"},
        [401, 201, 201, 201, 201, 201],
    ),
    "revoke someone else's token": (
        "DELETE",
        "/api/v1/tokens/1",
        None,
        [401, 403, 403, 403, 403, 204],
    ),
    "read point A's report history": (
        "GET",
        "/api/v1/points/point-a/reports",
        None,
        [401, 403, 403, 200, 200, 200],
    ),
    "read point A's audit log": (
        "GET",
        "/api/v1/points/point-a/audit",
        None,
        [401, 403, 403, 200, 200, 200],
    ),
    "read point A's positions": (
        "GET",
        "/api/v1/points/point-a/positions",
        None,
        [401, 403, 403, 200, 200, 200],
    ),
}
CASES = [
    pytest.param(name, role, expected, id=f"{name} as {role}")
    for name, (_m, _u, _b, statuses) in MATRIX.items()
    for role, expected in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("name", "role", "expected"), CASES)
def test_authorization_matrix(app_client, network, name, role, expected):
    method, url, body, _statuses = MATRIX[name]
    # Token 1 is operator_a's own, so operator_a tries operator_b's token 2 instead.
    if name == "revoke someone else's token" and role == "operator_a":
        url = "/api/v1/tokens/2"
    response = app_client.request(method, url, json=body, headers=network.headers(role))
    assert response.status_code == expected, response.text
    if expected in (401, 403):
        assert response.json()["errors"][0]["problem"]


def test_organisation_operator_acts_on_every_point_of_the_organisation(app_client, network):
    headers = network.headers("org_operator_a")
    ok = app_client.post("/api/v1/points/point-a/reports", json={"status": "open"}, headers=headers)
    assert ok.status_code == 201
    other = app_client.post(
        "/api/v1/points/point-b/reports", json={"status": "open"}, headers=headers
    )
    assert other.status_code == 403


def test_a_revoked_token_stops_working(app_client, network):
    headers = network.headers("operator_a")
    me = app_client.get("/api/v1/me", headers=headers).json()
    assert me["username"] == "operator_a"
    assert app_client.delete(f"/api/v1/tokens/{me['token_id']}", headers=headers).status_code == 204
    refused = app_client.post(
        "/api/v1/points/point-a/reports", json={"status": "open"}, headers=headers
    )
    assert refused.status_code == 401


def test_a_made_up_token_is_refused(app_client):
    response = app_client.get("/api/v1/me", headers={"Authorization": "Bearer nzl_made-up"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
