"""Validation, permissions, state rules and conflicts of coverage requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor, Factory
from tests.coverage.conftest import Crew
from tests.coverage.helpers import act, ask, made, on_call, shift
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("self", 400, "ask yourself"),
        ("unknown receiver", 400, "does not exist"),
        ("receiver outside the team", 400, "not in the teams"),
        ("not on call", 400, "Bob is on call from 2026-03-03T10:00:00+00:00"),
        ("partly not on call", 400, "not Alice"),
        ("past", 400, "in the past"),
        ("empty", 400, "at least one shift"),
        ("too many", 400, "at most 50"),
        ("end before start", 400, "end after it starts"),
        ("long message", 400, "longer than 1000"),
        ("no receiver", 400, "either a receiver or a receiverTeam"),
        ("unknown schedule", 400, "does not exist"),
    ],
)
def test_invalid_requests_are_refused_clearly(client: TestClient, crew: Crew, outsider: Actor, case: str,
                                              status: int, words: str) -> None:
    s = crew.schedule
    alice, bob = crew.alice, crew.bob
    wed = shift(s, "03-04T10:00", "03-04T12:00")
    body: dict[str, Any] = {
        "self": {"receiver": {"id": alice.id}, "shifts": [wed]},
        "unknown receiver": {"receiver": {"id": 987654}, "shifts": [wed]},
        "receiver outside the team": {"receiver": {"id": outsider.id}, "shifts": [wed]},
        "not on call": {"receiver": {"id": bob.id}, "shifts": [shift(s, "03-03T10:00", "03-03T12:00")]},
        "partly not on call": {"receiver": {"id": bob.id}, "shifts": [shift(s, "03-04T08:00", "03-04T12:00")]},
        "past": {"receiver": {"id": bob.id}, "shifts": [shift(s, "03-01T10:00", "03-01T12:00")]},
        "empty": {"receiver": {"id": bob.id}, "shifts": []},
        "too many": {"receiver": {"id": bob.id}, "shifts": [wed] * 51},
        "end before start": {"receiver": {"id": bob.id}, "shifts": [shift(s, "03-04T12:00", "03-04T10:00")]},
        "long message": {"receiver": {"id": bob.id}, "shifts": [wed], "message": "x" * 1001},
        "no receiver": {"shifts": [wed]},
        "unknown schedule": {"receiver": {"id": bob.id},
                             "shifts": [{**wed, "schedule": {"id": 424242}}]},
    }[case]
    answer = problem(client.post("/api/coverage-requests", headers=alice.headers, json=body), status)
    assert words in answer["detail"], answer
    assert client.get("/api/coverage-requests", headers=alice.headers,
                      params={"states": "PENDING,ACCEPTED,DECLINED,CANCELLED"}).json()["items"] == []


def test_a_second_pending_request_for_the_same_time_is_a_conflict(client: TestClient, crew: Crew) -> None:
    first = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"))
    clash = problem(ask(client, crew.alice, crew.cy, shift(crew.schedule, "03-04T11:00", "03-04T13:00")), 409)
    assert clash["conflictingRequest"] == first["id"]
    made(client, crew.alice, crew.cy, shift(crew.schedule, "03-04T12:00", "03-04T13:00"))  # next to it is fine
    assert act(client, crew.bob, first, "decline").status_code == 200
    made(client, crew.alice, crew.cy, shift(crew.schedule, "03-04T10:00", "03-04T11:00"))  # declined: free again


def test_a_request_starting_in_the_past_covers_only_what_is_left(client: TestClient, crew: Crew,
                                                                  clock: FrozenClock) -> None:
    clock.advance(timedelta(hours=3))  # Monday 12:00, in Alice's shift
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-02T09:00", "03-02T15:00"))
    assert request["shifts"][0]["start"] == "2026-03-02T12:00:00Z"


def test_accept_rules(client: TestClient, crew: Crew, admin: Actor, clock: FrozenClock) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T12:00", "03-04T14:00"))
    problem(act(client, crew.alice, request, "accept"), 403)  # the sender is not the receiver
    problem(act(client, admin, request, "accept"), 403)
    assert act(client, crew.bob, request, "accept").status_code == 200
    again = act(client, crew.bob, request, "accept")
    assert again.status_code == 200 and again.json()["state"] == "ACCEPTED"  # idempotent
    overrides = client.get(f"/api/schedules/{crew.schedule['id']}/overrides", headers=admin.headers).json()
    assert len(overrides) == 1  # accepting twice made one override
    problem(act(client, crew.bob, request, "decline"), 409)

    declined = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-06T12:00", "03-06T14:00"))
    act(client, crew.bob, declined, "decline")
    assert "declined" in problem(act(client, crew.bob, declined, "accept"), 409)["detail"]

    expiring = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-02T12:00", "03-02T14:00"))
    clock.advance(timedelta(hours=6))
    body = problem(act(client, crew.bob, expiring, "accept"), 409)
    assert "expired" in body["detail"]
    assert client.get(f"/api/coverage-requests/{expiring['id']}", headers=crew.bob.headers).json()["expired"] is True


def test_accept_after_the_schedule_changed_is_a_conflict_and_changes_nothing(
    client: TestClient, crew: Crew, admin: Actor
) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"),
                   shift(crew.schedule, "03-06T10:00", "03-06T12:00"))
    # Cy takes part of the second range before Bob answers.
    client.post(f"/api/schedules/{crew.schedule['id']}/overrides", headers=admin.headers,
                json={"user": {"id": crew.cy.id}, "start": "2026-03-06T11:00:00Z", "end": "2026-03-06T13:00:00Z"})
    body = problem(act(client, crew.bob, request, "accept"), 409)
    assert body["shift"] == 2 and "Cy is on call" in body["detail"]
    assert on_call(client, admin, crew.schedule, "03-04T11:00") == "Alice"  # the first range is untouched
    assert client.get(f"/api/coverage-requests/{request['id']}", headers=crew.bob.headers).json()["state"] == \
        "PENDING"


def test_only_sender_receiver_and_admins_see_a_request(client: TestClient, crew: Crew, admin: Actor,
                                                       outsider: Actor) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"))
    path = f"/api/coverage-requests/{request['id']}"
    for stranger in (outsider, crew.cy):
        for method, suffix in [("GET", ""), ("PUT", "/accept"), ("PUT", "/decline"), ("PUT", "/cancel"),
                               ("GET", "/history")]:
            problem(client.request(method, path + suffix, headers=stranger.headers), 404)
        assert client.get("/api/coverage-requests", headers=stranger.headers).json()["items"] == []
    for viewer in (crew.alice, crew.bob, admin):
        assert client.get(path, headers=viewer.headers).status_code == 200
    problem(client.get("/api/coverage-requests/999999", headers=admin.headers), 404)


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_requests_cannot_be_edited_or_deleted(client: TestClient, crew: Crew, method: str) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"))
    problem(client.request(method, f"/api/coverage-requests/{request['id']}", headers=crew.alice.headers,
                           json={"message": "changed"}), 405)


def test_on_behalf_of_a_member(client: TestClient, crew: Crew, factory: Factory, admin: Actor) -> None:
    lead = factory.user(Role.USER, teams=(crew.team,), name="Lead", team_admin=True)
    request = made(client, lead, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"),
                   sender={"id": crew.alice.id})
    assert request["sender"]["name"] == "Alice" and request["createdBy"]["name"] == "Lead"
    assert client.get(f"/api/coverage-requests/{request['id']}", headers=lead.headers).status_code == 200
    problem(ask(client, crew.cy, crew.bob, shift(crew.schedule, "03-06T10:00", "03-06T12:00"),
                sender={"id": crew.alice.id}), 403)
    by_admin = made(client, admin, crew.bob, shift(crew.schedule, "03-06T10:00", "03-06T12:00"),
                    sender={"id": crew.alice.id})
    history = client.get(f"/api/coverage-requests/{by_admin['id']}/history", headers=crew.alice.headers).json()
    assert history[0]["action"] == "CREATED" and history[0]["detail"] == {"onBehalfOf": crew.alice.id}


def test_a_receiver_who_left_the_team_cannot_accept(client: TestClient, crew: Crew, admin: Actor) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"))
    team = client.get(f"/api/teams/{crew.team}", headers=admin.headers).json()
    members = [{"userId": m["user"]["id"] if "user" in m else m["userId"], "role": m["role"]}
               for m in team["members"]]
    kept = [m for m in members if m["userId"] != crew.bob.id]
    assert client.put(f"/api/teams/{crew.team}", headers=admin.headers, json={"members": kept}).status_code == 200
    refused = problem(act(client, crew.bob, request, "accept"), 409)
    assert "no longer be on call" in refused["detail"] and refused["shift"] == 1
    assert on_call(client, admin, crew.schedule, "03-04T11:00") == "Alice"
