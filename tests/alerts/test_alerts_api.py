"""The alerts REST API: listing, filters, pagination, counts, actions, log, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import open_alert, problem, send
from tests.conftest import Actor, Factory, Source
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock


def listing(client: TestClient, actor: Actor, **params: Any) -> dict[str, Any]:
    response = client.get("/api/alerts", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def keys(page: dict[str, Any]) -> list[str]:
    return [a["alertKey"] for a in page["items"]]


def test_list_is_newest_first_with_cursor_pagination(client: TestClient, source: Source, responder: Actor) -> None:
    for i in range(5):
        send(client, source.key, alertKey=f"k{i}")
    first = listing(client, responder, limit=2)
    assert keys(first) == ["k4", "k3"]
    second = listing(client, responder, limit=2, cursor=first["nextCursor"])
    assert keys(second) == ["k2", "k1"]
    third = listing(client, responder, limit=2, cursor=second["nextCursor"])
    assert keys(third) == ["k0"]
    assert third["nextCursor"] is None
    problem(client.get("/api/alerts", headers=responder.headers, params={"cursor": "garbage"}), 400)


def test_filters(
    client: TestClient, factory: Factory, team: int, responder: Actor, clock: FrozenClock
) -> None:
    a, b = factory.source(teams=(team,)), factory.source(teams=(team,))
    send(client, a.key, alertKey="disk", summary="Disk full", priority="HIGH")
    clock.advance(timedelta(hours=1))
    cutoff = clock.now()
    send(client, b.key, alertKey="cpu", summary="CPU high", details="on web_1", priority="LOW")
    cpu = open_alert(client, b.key, alertKey="cpu")
    client.put(f"/api/alerts/{cpu}/accept", headers=responder.headers)
    client.put(f"/api/alerts/{cpu}/assign", headers=responder.headers, json={"userId": responder.id})

    assert keys(listing(client, responder, states="ACCEPTED")) == ["cpu"]
    assert keys(listing(client, responder, states="pending,accepted")) == ["cpu", "disk"]
    assert keys(listing(client, responder, alertSource=a.id)) == ["disk"]
    assert keys(listing(client, responder, priority="LOW")) == ["cpu"]
    assert keys(listing(client, responder, assignedTo="me")) == ["cpu"]
    assert keys(listing(client, responder, assignedTo=str(responder.id))) == ["cpu"]
    assert keys(listing(client, responder, createdAfter=cutoff.isoformat())) == ["cpu"]
    assert keys(listing(client, responder, createdBefore=cutoff.isoformat())) == ["disk"]
    assert keys(listing(client, responder, text="disk")) == ["disk"]
    assert keys(listing(client, responder, text="WEB_1")) == ["cpu"]  # details, case-insensitive
    assert keys(listing(client, responder, text="%")) == []  # LIKE wildcards are literal
    problem(client.get("/api/alerts", headers=responder.headers, params={"states": "OPEN"}), 400)
    problem(client.get("/api/alerts", headers=responder.headers, params={"assignedTo": "bob"}), 400)
    problem(client.get("/api/alerts", headers=responder.headers, params={"createdAfter": "yesterday"}), 400)

    count = client.get("/api/alerts/count", headers=responder.headers, params={"states": "PENDING"})
    assert count.json() == {"count": 1}


def test_accept_then_resolve_records_who_and_when(
    client: TestClient, source: Source, responder: Actor, clock: FrozenClock
) -> None:
    alert_id = open_alert(client, source.key, alertKey="a")
    clock.advance(timedelta(minutes=3))
    accepted = client.put(f"/api/alerts/{alert_id}/accept", headers=responder.headers)
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["state"] == "ACCEPTED"
    assert body["acceptedBy"] == {"id": responder.id, "name": responder.name}
    assert body["acceptedAt"] == clock.now().isoformat().replace("+00:00", "Z")
    # Idempotent: accepting again is fine and changes nothing.
    again = client.put(f"/api/alerts/{alert_id}/accept", headers=responder.headers)
    assert again.status_code == 200 and again.json()["acceptedAt"] == body["acceptedAt"]
    resolved = client.put(f"/api/alerts/{alert_id}/resolve", headers=responder.headers).json()
    assert resolved["state"] == "RESOLVED"
    assert resolved["resolvedBy"]["id"] == responder.id
    assert client.put(f"/api/alerts/{alert_id}/resolve", headers=responder.headers).status_code == 200
    conflict = problem(client.put(f"/api/alerts/{alert_id}/accept", headers=responder.headers), 409)
    assert "resolved" in conflict["detail"]
    problem(client.put(f"/api/alerts/{alert_id}/assign", headers=responder.headers, json={"userId": responder.id}), 409)

    log = client.get(f"/api/alerts/{alert_id}/log", headers=responder.headers).json()
    assert [e["kind"] for e in log] == ["EVENT", "STATE", "STATE"]
    assert log[1]["actor"] == {"id": responder.id, "name": responder.name}
    assert log[1]["message"] == f"Alert accepted by {responder.name}"


def test_pending_to_resolved_directly(client: TestClient, source: Source, responder: Actor) -> None:
    alert_id = open_alert(client, source.key)
    body = client.put(f"/api/alerts/{alert_id}/resolve", headers=responder.headers).json()
    assert body["state"] == "RESOLVED" and body["acceptedAt"] is None


def test_assign_and_comment(client: TestClient, source: Source, responder: Actor, factory: Factory, team: int,
                            outsider: Actor) -> None:
    colleague = factory.user(teams=(team,), name="Cody Colleague")
    alert_id = open_alert(client, source.key)
    assigned = client.put(f"/api/alerts/{alert_id}/assign", headers=responder.headers, json={"userId": colleague.id})
    assert assigned.json()["assignedTo"] == {"id": colleague.id, "name": colleague.name}
    # Someone who cannot see the alert's source cannot be assigned it.
    problem(client.put(f"/api/alerts/{alert_id}/assign", headers=responder.headers, json={"userId": outsider.id}), 400)
    problem(client.put(f"/api/alerts/{alert_id}/assign", headers=responder.headers, json={"userId": 999999}), 400)
    commented = client.post(f"/api/alerts/{alert_id}/comments", headers=responder.headers,
                            json={"content": "Looking into it"})
    assert commented.status_code == 201
    problem(client.post(f"/api/alerts/{alert_id}/comments", headers=responder.headers, json={"content": "  "}), 400)
    log = client.get(f"/api/alerts/{alert_id}/log", headers=responder.headers).json()
    assert [(e["kind"], e["message"]) for e in log[1:]] == [
        ("ASSIGNED", f"Alert assigned to {colleague.name} by {responder.name}"),
        ("COMMENT", "Looking into it"),
    ]


def test_stakeholders_read_but_cannot_act(client: TestClient, source: Source, factory: Factory, team: int) -> None:
    stakeholder = factory.user(Role.STAKEHOLDER, teams=(team,))
    alert_id = open_alert(client, source.key)
    assert client.get(f"/api/alerts/{alert_id}", headers=stakeholder.headers).status_code == 200
    for path in ("accept", "resolve"):
        problem(client.put(f"/api/alerts/{alert_id}/{path}", headers=stakeholder.headers), 403)
    problem(client.post(f"/api/alerts/{alert_id}/comments", headers=stakeholder.headers, json={"content": "x"}), 403)


def test_visibility_follows_the_source_teams(
    client: TestClient, source: Source, responder: Actor, outsider: Actor, admin: Actor, factory: Factory
) -> None:
    alert_id = open_alert(client, source.key)
    account_wide = factory.source()  # no team: everyone sees it
    shared_id = open_alert(client, account_wide.key, alertKey="shared")
    assert {a["id"] for a in listing(client, outsider)["items"]} == {shared_id}
    assert {a["id"] for a in listing(client, responder)["items"]} == {alert_id, shared_id}
    assert {a["id"] for a in listing(client, admin)["items"]} == {alert_id, shared_id}
    assert client.get("/api/alerts/count", headers=outsider.headers).json() == {"count": 1}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("GET", "/log", None),
        ("PUT", "/accept", None),
        ("PUT", "/resolve", None),
        ("PUT", "/assign", {"userId": 1}),
        ("POST", "/comments", {"content": "x"}),
    ],
)
def test_another_teams_alert_is_not_found(
    client: TestClient, source: Source, outsider: Actor, responder: Actor, method: str, path: str, body: Any
) -> None:
    alert_id = open_alert(client, source.key)
    response = client.request(method, f"/api/alerts/{alert_id}{path}", headers=outsider.headers, json=body)
    problem(response, 404)
    # And nothing changed.
    assert client.get(f"/api/alerts/{alert_id}", headers=responder.headers).json()["state"] == "PENDING"


def test_unknown_alert_and_unauthenticated(client: TestClient, responder: Actor) -> None:
    problem(client.get("/api/alerts/424242", headers=responder.headers), 404)
    unauthenticated = problem(client.get("/api/alerts"), 401)
    assert "Bearer" in unauthenticated["detail"]
    problem(client.get("/api/alerts", headers={"Authorization": "Bearer tcs_not-a-key"}), 401)
