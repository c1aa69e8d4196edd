"""Listing, counting, history and suggestions."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tests.coverage.conftest import Crew
from tests.coverage.helpers import act, made, shift
from tocsin.clock import FrozenClock


def ids(client: TestClient, actor: Actor, **params: str) -> list[int]:
    response = client.get("/api/coverage-requests", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["items"]]


def test_default_list_direction_states_and_time_filters(client: TestClient, crew: Crew, clock: FrozenClock) -> None:
    s = crew.schedule
    old = made(client, crew.alice, crew.bob, shift(s, "03-06T09:00", "03-06T12:00"))
    declined = made(client, crew.alice, crew.bob, shift(s, "03-08T09:00", "03-08T12:00"))
    act(client, crew.bob, declined, "decline")
    clock.advance(timedelta(days=1))  # Tuesday 09:00
    mine_to_alice = made(client, crew.bob, crew.alice, shift(s, "03-05T09:00", "03-05T12:00"))
    clock.advance(timedelta(hours=2))
    act(client, crew.bob, old, "accept")  # created a day ago, accepted just now

    assert ids(client, crew.alice) == [mine_to_alice["id"]]  # default: pending, not expired, both directions
    assert ids(client, crew.bob, direction="received") == []
    assert ids(client, crew.bob, direction="sent") == [mine_to_alice["id"]]
    assert ids(client, crew.alice, states="ACCEPTED,DECLINED") == [declined["id"], old["id"]]
    assert ids(client, crew.alice, states="declined") == [declined["id"]]
    # changedAfter: pending ones plus those whose state changed since (the web app's "last 24 hours").
    assert ids(client, crew.alice, changedAfter="2026-03-03T10:00:00Z") == [mine_to_alice["id"], old["id"]]
    # createdAfter: created since then, whatever their state, plus all pending ones.
    assert ids(client, crew.alice, createdAfter="2026-03-03T00:00:00Z") == [mine_to_alice["id"]]
    assert ids(client, crew.alice, createdAfter="2026-03-01T00:00:00Z") == [
        mine_to_alice["id"], declined["id"], old["id"]]
    problem(client.get("/api/coverage-requests", headers=crew.alice.headers, params={"states": "MAYBE"}), 400)
    problem(client.get("/api/coverage-requests", headers=crew.alice.headers, params={"direction": "up"}), 400)


def test_expired_requests_leave_the_default_list_and_the_badge(client: TestClient, crew: Crew,
                                                               clock: FrozenClock) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-02T12:00", "03-02T14:00"))
    counts = client.get("/api/coverage-requests/count", headers=crew.bob.headers).json()
    assert counts == {"pendingReceived": 1, "pendingSent": 0}
    assert client.get("/api/coverage-requests/count", headers=crew.alice.headers).json() == {
        "pendingReceived": 0, "pendingSent": 1}
    clock.advance(timedelta(hours=6))
    assert ids(client, crew.bob) == []
    assert client.get("/api/coverage-requests/count", headers=crew.bob.headers).json()["pendingReceived"] == 0
    listed = client.get("/api/coverage-requests", headers=crew.bob.headers,
                        params={"changedAfter": "2026-03-01T00:00:00Z"}).json()["items"]
    assert [(r["id"], r["expired"]) for r in listed] == [(request["id"], True)]
    # It expired at 14:00: a list of what changed since 14:30 no longer shows it.
    assert ids(client, crew.bob, changedAfter="2026-03-02T14:30:00Z") == []


def test_pages_are_newest_first_with_a_cursor(client: TestClient, crew: Crew) -> None:
    made_ids = [made(client, crew.alice, crew.bob, shift(crew.schedule, f"03-{d:02d}T10:00", f"03-{d:02d}T11:00"))
                ["id"] for d in (4, 6, 8)]
    first = client.get("/api/coverage-requests", headers=crew.bob.headers, params={"limit": 2}).json()
    assert [r["id"] for r in first["items"]] == made_ids[::-1][:2]
    second = client.get("/api/coverage-requests", headers=crew.bob.headers,
                        params={"limit": 2, "cursor": first["nextCursor"]}).json()
    assert [r["id"] for r in second["items"]] == made_ids[:1] and second["nextCursor"] is None


def test_history_records_every_action(client: TestClient, crew: Crew) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T10:00", "03-04T12:00"))
    act(client, crew.bob, request, "decline", declineComment="no")
    history = client.get(f"/api/coverage-requests/{request['id']}/history", headers=crew.bob.headers).json()
    assert [(h["action"], h["actor"]["name"], h["detail"]) for h in history] == [
        ("CREATED", "Alice", {}), ("DECLINED", "Bob", {"comment": "no"})]
    assert history[0]["at"] == "2026-03-02T09:00:00Z"


def test_suggestions_are_free_colleagues_least_on_call_first(client: TestClient, crew: Crew,
                                                             clock: FrozenClock) -> None:
    # Cy is free; Bob is free on Wednesday but was on call on Tuesday; Alice is asking.
    clock.advance(timedelta(days=2))  # Wednesday 09:00: Bob was on call Tuesday
    params = {"scheduleId": str(crew.schedule["id"]), "start": "2026-03-04T12:00:00Z",
              "end": "2026-03-04T14:00:00Z"}
    found = client.get("/api/coverage-requests/suggestions", headers=crew.alice.headers, params=params).json()
    assert [(s["user"]["name"], s["onCallHoursLast30Days"]) for s in found] == [("Cy", 0.0), ("Bob", 24.0)]
    assert found[1]["localStart"] == "2026-03-04T06:00:00-06:00"  # on Bob's clock (Chicago)
    busy = {**params, "start": "2026-03-05T12:00:00Z", "end": "2026-03-05T14:00:00Z"}  # Bob's own day
    found = client.get("/api/coverage-requests/suggestions", headers=crew.alice.headers, params=busy).json()
    assert [s["user"]["name"] for s in found] == ["Cy"]
    problem(client.get("/api/coverage-requests/suggestions", headers=crew.alice.headers,
                       params={**params, "scheduleId": "424242"}), 404)
