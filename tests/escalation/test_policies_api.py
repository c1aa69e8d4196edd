"""/api/escalation-policies: CRUD, validation, routing a source to a policy, preview, isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor, Factory
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock


def policy_body(*levels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": "Primary", "levels": [{"escalationTimeout": 10, "targets": t} for t in levels], **extra}


def user(actor: Actor) -> dict[str, Any]:
    return {"type": "USER", "id": actor.id}


def test_create_read_update_delete(
    client: TestClient, admin: Actor, responder: Actor, team: int, factory: Factory
) -> None:
    other = factory.user(teams=(team,), name="Zed")
    body = policy_body(
        [user(responder)],
        [user(other), {"type": "TEAM", "id": team}],
        repeating=True,
        repeatTimes=2,
        fallbackUser={"id": other.id},
        teams=[{"id": team}],
    )
    created = client.post("/api/escalation-policies", headers=admin.headers, json=body)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["levels"] == [
        {"escalationTimeout": 10, "targets": [{"type": "USER", "id": responder.id}]},
        {"escalationTimeout": 10, "targets": [{"type": "USER", "id": other.id}, {"type": "TEAM", "id": team}]},
    ]
    assert (policy["repeating"], policy["repeatTimes"]) == (True, 2)
    assert policy["fallbackUser"] == {"id": other.id, "name": "Zed"}
    assert policy["teams"] == [{"id": team, "name": "Operations"}]
    assert client.get(f"/api/escalation-policies/{policy['id']}", headers=responder.headers).json() == policy
    assert [p["id"] for p in client.get("/api/escalation-policies", headers=responder.headers).json()] == [policy["id"]]
    changed = client.put(
        f"/api/escalation-policies/{policy['id']}",
        headers=admin.headers,
        json=policy_body([user(other)], name="Renamed", teams=[{"id": team}]),
    ).json()
    assert changed["name"] == "Renamed" and len(changed["levels"]) == 1 and changed["repeating"] is False
    assert client.delete(f"/api/escalation-policies/{policy['id']}", headers=admin.headers).status_code == 204
    problem(client.get(f"/api/escalation-policies/{policy['id']}", headers=admin.headers), 404)


def test_alert_source_routes_to_a_policy_and_the_policy_cannot_vanish_under_it(
    client: TestClient, admin: Actor, responder: Actor
) -> None:
    policy = client.post("/api/escalation-policies", headers=admin.headers, json=policy_body([user(responder)])).json()
    source = client.post(
        "/api/alert-sources", headers=admin.headers, json={"name": "web", "escalationPolicy": {"id": policy["id"]}}
    )
    assert source.status_code == 201 and source.json()["escalationPolicy"] == {"id": policy["id"]}
    body = problem(client.delete(f"/api/escalation-policies/{policy['id']}", headers=admin.headers), 409)
    assert "web" in body["detail"]
    problem(
        client.post("/api/alert-sources", headers=admin.headers, json={"name": "x", "escalationPolicy": {"id": 98765}}),
        400,
    )


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": "x", "levels": []}, "levels"),
        ({"name": "", "levels": [{"escalationTimeout": 5, "targets": [{"type": "USER", "id": 1}]}]}, "name"),
        (
            {"name": "x", "levels": [{"escalationTimeout": 0, "targets": [{"type": "USER", "id": 1}]}]},
            "escalationTimeout",
        ),
        ({"name": "x", "levels": [{"escalationTimeout": 5, "targets": []}]}, "targets"),
        ({"name": "x", "levels": [{"escalationTimeout": 5, "targets": [{"type": "ROBOT", "id": 1}]}]}, "type"),
        ({"name": "x", "levels": [{"escalationTimeout": 5, "targets": [{"type": "USER", "id": 4242}]}]}, "user 4242"),
        ({"name": "x", "levels": [{"escalationTimeout": 5, "targets": [{"type": "SCHEDULE", "id": 3}]}]}, "schedule 3"),
        (
            {
                "name": "x",
                "repeating": True,
                "levels": [{"escalationTimeout": 5, "targets": [{"type": "USER", "id": 1}]}],
            },
            "repeatTimes",
        ),
        (
            {
                "name": "x",
                "fallbackUser": {"id": 4242},
                "levels": [{"escalationTimeout": 5, "targets": [{"type": "USER", "id": 1}]}],
            },
            "4242",
        ),
    ],
)
def test_validation(client: TestClient, admin: Actor, body: dict[str, Any], needle: str) -> None:
    answer = problem(client.post("/api/escalation-policies", headers=admin.headers, json=body), 400)
    assert needle in answer["detail"] + str(answer.get("errors", "")), answer


def test_who_may_change_policies(
    client: TestClient, factory: Factory, team: int, responder: Actor, admin: Actor
) -> None:
    member = factory.user(Role.USER, teams=(team,))
    problem(
        client.post(
            "/api/escalation-policies",
            headers=responder.headers,
            json=policy_body([user(responder)], teams=[{"id": team}]),
        ),
        403,
    )
    problem(client.post("/api/escalation-policies", headers=member.headers, json=policy_body([user(member)])), 400)
    created = client.post(
        "/api/escalation-policies", headers=member.headers, json=policy_body([user(member)], teams=[{"id": team}])
    )
    assert created.status_code == 201
    problem(
        client.put(
            f"/api/escalation-policies/{created.json()['id']}",
            headers=responder.headers,
            json=policy_body([user(responder)], teams=[{"id": team}]),
        ),
        403,
    )


@pytest.mark.parametrize(("method", "path"), [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/preview")])
def test_another_teams_policy_is_not_found(
    client: TestClient, admin: Actor, responder: Actor, team: int, outsider: Actor, method: str, path: str
) -> None:
    policy = client.post(
        "/api/escalation-policies", headers=admin.headers, json=policy_body([user(responder)], teams=[{"id": team}])
    ).json()
    body = policy_body([user(outsider)]) if method == "PUT" else None
    problem(
        client.request(method, f"/api/escalation-policies/{policy['id']}{path}", headers=outsider.headers, json=body),
        404,
    )
    assert client.get("/api/escalation-policies", headers=outsider.headers).json() == []
    assert client.get(f"/api/escalation-policies/{policy['id']}", headers=admin.headers).json()["name"] == "Primary"


@pytest.fixture
def rota(client: TestClient, admin: Actor, responder: Actor, clock: FrozenClock) -> int:
    """A schedule with Rita on call from midnight to noon today and nobody after."""
    midnight = clock.now().replace(hour=0, minute=0)
    body = {"name": "Mornings", "timezone": "UTC", "type": "STATIC",
            "shifts": [{"user": {"id": responder.id}, "start": midnight.isoformat(),
                        "end": (midnight + timedelta(hours=12)).isoformat()}]}
    response = client.post("/api/schedules", headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_preview_resolves_each_level_at_its_own_time(
    client: TestClient, admin: Actor, responder: Actor, factory: Factory, clock: FrozenClock, rota: int
) -> None:
    fallback = factory.user(name="Fallback Fred")
    policy = client.post(
        "/api/escalation-policies",
        headers=admin.headers,
        json={
            "name": "Rota",
            "fallbackUser": {"id": fallback.id},
            "levels": [
                {"escalationTimeout": 120, "targets": [{"type": "SCHEDULE", "id": rota}]},
                {"escalationTimeout": 60, "targets": [{"type": "SCHEDULE", "id": rota}]},
            ],
        },
    ).json()
    at = clock.now().replace(hour=10, minute=30)
    preview = client.get(
        f"/api/escalation-policies/{policy['id']}/preview", headers=admin.headers, params={"at": at.isoformat()}
    )
    assert preview.status_code == 200, preview.text
    levels = preview.json()["levels"]
    assert [(lv["level"], [u["name"] for u in lv["users"]], lv["fallback"]) for lv in levels] == [
        (1, ["Rita Responder"], False),
        (2, ["Fallback Fred"], True),  # 12:30: nobody on call, the fallback would be paged
    ]
    assert levels[1]["at"].startswith((at + timedelta(minutes=120)).strftime("%Y-%m-%dT%H:%M"))
    problem(
        client.get(f"/api/escalation-policies/{policy['id']}/preview", headers=admin.headers, params={"at": "soon"}),
        400,
    )


def test_schedule_target_pages_whoever_is_on_call_at_escalation_time(
    client: TestClient, admin: Actor, responder: Actor, rota: int, clock: FrozenClock, worker: Any
) -> None:
    policy = client.post(
        "/api/escalation-policies",
        headers=admin.headers,
        json={"name": "Rota", "levels": [{"escalationTimeout": 5, "targets": [{"type": "SCHEDULE", "id": rota}]}]},
    ).json()
    key = client.post(
        "/api/alert-sources", headers=admin.headers, json={"name": "s", "escalationPolicy": {"id": policy["id"]}}
    ).json()["integrationKey"]
    client.post(f"/api/events/{key}", json={"eventType": "ALERT", "summary": "morning"})
    worker.run_until_idle()
    [alert] = client.get("/api/alerts", headers=admin.headers).json()["items"]
    log = client.get(f"/api/alerts/{alert['id']}/log", headers=admin.headers).json()
    assert "Escalated to level 1: Rita Responder" in [e["message"] for e in log]
