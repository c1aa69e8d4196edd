"""/api/alert-sources: CRUD, integration keys, validation, and who may see or change a source."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.helpers import problem, send
from tests.conftest import Actor, Factory, Source
from tocsin.alerts.models import AlertSource
from tocsin.auth.models import Role
from tocsin.db import Database


def create(client: TestClient, actor: Actor, **body: Any) -> Any:
    body.setdefault("name", "Prometheus prod")
    return client.post("/api/alert-sources", headers=actor.headers, json=body)


def test_create_shows_the_key_once_and_stores_only_a_digest(client: TestClient, admin: Actor, team: int,
                                                            db: Database) -> None:
    response = create(client, admin, teams=[{"id": team}], alertCreation="ONE_ALERT_GROUPED_PER_WINDOW",
                      alertGroupingWindow="PT5M", autoResolutionTimeout="PT4H", alertPriorityRule="LOW")
    assert response.status_code == 201, response.text
    body = response.json()
    key = body["integrationKey"]
    assert len(key) == 32 and int(key, 16) >= 0  # 128 random bits
    assert body["integrationUrl"] == f"http://testserver/api/events/{key}"
    assert body["integrationKeyHint"] == key[-4:]
    assert body["teams"] == [{"id": team, "name": "Operations"}]
    assert body["alertGroupingWindow"] == "PT5M"
    assert body["autoResolutionTimeout"] == "PT4H"
    assert body["alertPriorityRule"] == "LOW"
    assert body["status"] == "ACTIVE"
    fetched = client.get(f"/api/alert-sources/{body['id']}", headers=admin.headers).json()
    assert fetched["integrationKey"] is None
    assert [s["id"] for s in client.get("/api/alert-sources", headers=admin.headers).json()] == [body["id"]]
    with db.session() as session:
        row = session.scalar(select(AlertSource))
        assert row is not None and key not in (row.key_digest, row.key_hint) and len(row.key_digest) == 64
    assert send(client, key).status_code == 202


def test_update_keeps_omitted_fields(client: TestClient, admin: Actor, team: int) -> None:
    source = create(client, admin, teams=[{"id": team}], autoResolutionTimeout="PT1H").json()
    updated = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                         json={"name": "Renamed", "status": "IN_MAINTENANCE"})
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["status"], body["autoResolutionTimeout"]) == ("Renamed", "IN_MAINTENANCE", "PT1H")
    assert body["teams"] == [{"id": team, "name": "Operations"}]
    cleared = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                         json={"autoResolutionTimeout": None}).json()
    assert cleared["autoResolutionTimeout"] is None and cleared["name"] == "Renamed"


def test_rotate_key_retires_the_old_key(client: TestClient, admin: Actor) -> None:
    source = create(client, admin).json()
    rotated = client.post(f"/api/alert-sources/{source['id']}/rotate-key", headers=admin.headers).json()
    assert rotated["integrationKey"] != source["integrationKey"]
    assert send(client, source["integrationKey"]).status_code == 404
    assert send(client, rotated["integrationKey"]).status_code == 202


def test_delete(client: TestClient, admin: Actor) -> None:
    source = create(client, admin).json()
    send(client, source["integrationKey"])
    assert client.delete(f"/api/alert-sources/{source['id']}", headers=admin.headers).status_code == 204
    problem(client.get(f"/api/alert-sources/{source['id']}", headers=admin.headers), 404)
    assert client.get("/api/alerts", headers=admin.headers).json()["items"] == []
    assert send(client, source["integrationKey"]).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"alertCreation": "ONE_ALERT_GROUPED_PER_WINDOW"}, "alertGroupingWindow"),
        ({"alertGroupingWindow": "5 minutes"}, "alertGroupingWindow"),
        ({"autoResolutionTimeout": "P1Y"}, "autoResolutionTimeout"),
        ({"autoResolutionTimeout": "PT0S"}, "autoResolutionTimeout"),
        ({"alertPriorityRule": "HIGH_DURING_SUPPORT_HOURS"}, "supportHours"),
        ({"supportHours": {"timezone": "Mars/Olympus", "supportDays": {}}}, "timezone"),
        ({"supportHours": {"timezone": "UTC", "supportDays": {"FUNDAY": {"start": "08:00", "end": "17:00"}}}},
         "supportDays"),
        ({"supportHours": {"timezone": "UTC", "supportDays": {"MONDAY": {"start": "17:00", "end": "08:00"}}}},
         "supportDays"),
        ({"teams": [{"id": 4242}]}, "teams"),
        ({"escalationPolicy": {"id": 7}}, "escalationPolicy"),
        ({"integrationType": "CARRIER_PIGEON"}, "integrationType"),
        ({"status": "SLEEPING"}, "status"),
        ({"unknownField": 1}, "unknownField"),
    ],
)
def test_validation(client: TestClient, admin: Actor, body: dict[str, Any], field: str) -> None:
    body = problem(create(client, admin, **body), 400)
    assert field in (body.get("field") or "") + body["detail"], body


def test_support_hours_round_trip(client: TestClient, admin: Actor) -> None:
    hours = {"timezone": "Europe/Berlin", "supportDays": {"MONDAY": {"start": "08:00", "end": "17:00"},
                                                          "SATURDAY": None}}
    body = create(client, admin, alertPriorityRule="HIGH_DURING_SUPPORT_HOURS", supportHours=hours).json()
    assert body["supportHours"] == hours


def test_roles_and_teams_decide_who_may_change_a_source(
    client: TestClient, factory: Factory, team: int, responder: Actor, outsider: Actor
) -> None:
    member = factory.user(Role.USER, teams=(team,))
    problem(create(client, responder, teams=[{"id": team}]), 403)  # responders configure nothing
    problem(create(client, member), 400)  # a non-admin must give one of their teams
    other_team = factory.team("Other")
    problem(create(client, member, teams=[{"id": other_team}]), 403)
    created = create(client, member, teams=[{"id": team}])
    assert created.status_code == 201
    source_id = created.json()["id"]
    assert client.put(f"/api/alert-sources/{source_id}", headers=member.headers, json={"name": "x"}).status_code == 200
    problem(client.put(f"/api/alert-sources/{source_id}", headers=responder.headers, json={"name": "y"}), 403)
    assert client.get(f"/api/alert-sources/{source_id}", headers=responder.headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/rotate-key")],
)
def test_another_teams_source_is_not_found(
    client: TestClient, source: Source, outsider: Actor, admin: Actor, method: str, path: str
) -> None:
    body = {"name": "hijacked"} if method == "PUT" else None
    problem(client.request(method, f"/api/alert-sources/{source.id}{path}", headers=outsider.headers, json=body), 404)
    assert client.get(f"/api/alert-sources/{source.id}", headers=admin.headers).json()["name"] == "Source"
    assert source.id not in [s["id"] for s in client.get("/api/alert-sources", headers=outsider.headers).json()]
    assert send(client, source.key).status_code == 202  # the key was not rotated
