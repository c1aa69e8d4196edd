"""The schedules API: definitions, validation, visibility, shifts, on-call answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor, Factory
from tests.schedules.helpers import create_schedule, iso, rotation, who
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock


@pytest.fixture
def bob(factory: Factory, team: int) -> Actor:
    return factory.user(Role.RESPONDER, teams=(team,), name="Bob")


@pytest.fixture
def schedule(client: TestClient, admin: Actor, responder: Actor, bob: Actor, team: int,
             clock: FrozenClock) -> dict[str, Any]:
    """Daily handoff at 09:00 UTC: Rita from today (Monday 2 March), then Bob, and so on."""
    return create_schedule(client, admin, teams=[team], layers=[rotation([responder, bob], clock.now())])


def test_create_and_read_a_recurring_schedule(client: TestClient, admin: Actor, responder: Actor, bob: Actor,
                                              team: int, clock: FrozenClock) -> None:
    body = {
        "name": "Ops", "timezone": "Europe/Berlin", "description": "primary rota", "teams": [{"id": team}],
        "layers": [{
            "name": "Nights", "start": iso(clock.now()), "users": [{"id": responder.id}, {"id": bob.id}],
            "shiftUnit": "WEEKS", "shiftLength": 1,
            "restrictions": [{"weekdays": ["MON", "TUE"], "start": "18:00", "end": "08:00"}],
        }],
    }
    created = client.post("/api/schedules", headers=admin.headers, json=body)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["type"] == "RECURRING" and out["timezone"] == "Europe/Berlin"
    [layer] = out["layers"]
    assert layer["name"] == "Nights" and [u["name"] for u in layer["users"]] == ["Rita Responder", "Bob"]
    assert layer["restrictions"] == [{"weekdays": ["MON", "TUE"], "start": "18:00", "end": "08:00"}]
    assert client.get(f"/api/schedules/{out['id']}", headers=responder.headers).json() == out
    assert [s["id"] for s in client.get("/api/schedules", headers=responder.headers).json()] == [out["id"]]


def test_update_replaces_the_definition_and_delete_removes_it(client: TestClient, admin: Actor, responder: Actor,
                                                             bob: Actor, schedule: dict[str, Any]) -> None:
    sid = schedule["id"]
    body = {"name": "Renamed", "timezone": "UTC", "teams": [{"id": t["id"]} for t in schedule["teams"]],
            "layers": [{"start": schedule["layers"][0]["start"], "users": [{"id": bob.id}]}]}
    updated = client.put(f"/api/schedules/{sid}", headers=admin.headers, json=body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Renamed"
    assert client.get(f"/api/schedules/{sid}/on-call", headers=admin.headers).json()["user"]["id"] == bob.id
    assert client.delete(f"/api/schedules/{sid}", headers=admin.headers).status_code == 204
    problem(client.get(f"/api/schedules/{sid}", headers=admin.headers), 404)


def test_static_schedule_lists_explicit_shifts(client: TestClient, admin: Actor, responder: Actor, bob: Actor,
                                               team: int, clock: FrozenClock) -> None:
    now = clock.now()
    shifts = [{"user": {"id": bob.id}, "start": iso(now + timedelta(hours=2)), "end": iso(now + timedelta(hours=4))},
              {"user": {"id": responder.id}, "start": iso(now), "end": iso(now + timedelta(hours=2))}]
    out = create_schedule(client, admin, teams=[team], layers=[], type="STATIC", shifts=shifts)
    final = client.get(f"/api/schedules/{out['id']}/shifts", headers=admin.headers).json()["shifts"]
    assert who(final) == [("Rita Responder", "03-02T09:00", "03-02T11:00", "STATIC"),
                          ("Bob", "03-02T11:00", "03-02T13:00", "STATIC")]
    overlapping = [shifts[1], {**shifts[0], "start": iso(now + timedelta(hours=1))}]
    body = {"name": "x", "timezone": "UTC", "teams": [{"id": team}], "type": "STATIC", "shifts": overlapping}
    assert "overlap" in problem(client.post("/api/schedules", headers=admin.headers, json=body), 400)["detail"]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"timezone": "Mars/Olympus"}, 400, "time zone"),
        ({"layers": [{"start": "2026-03-02T09:00:00Z", "end": "2026-03-01T09:00:00Z", "users": "R"}]}, 400,
         "end after it starts"),
        ({"layers": [{"start": "2026-03-02T09:00:00Z", "users": [{"id": 999999}]}]}, 400, "does not exist"),
        ({"layers": [{"start": "2026-03-02T09:00:00", "users": "R"}]}, 400, "timezone"),
        ({"layers": [{"start": "2026-03-02T09:00:00Z", "users": "R", "shiftLength": 400}]}, 400, "at most 366"),
        ({"layers": [{"start": "2026-03-02T09:00:00Z", "users": "R",
                      "restrictions": [{"weekdays": ["FUN"], "start": "18:00", "end": "08:00"}]}]}, 400, "weekdays"),
        ({"layers": [{"start": "2026-03-02T09:00:00Z", "users": "R",
                      "restrictions": [{"weekdays": ["MON"], "start": "25:00", "end": "08:00"}]}]}, 400, "time of day"),
        ({"layers": [{"start": "2026-03-02T09:00:00Z", "users": "O"}]}, 400, "not a member"),
        ({"shifts": [{"user": {"id": 1}, "start": "2026-03-02T09:00:00Z", "end": "2026-03-03T09:00:00Z"}]}, 400,
         "RECURRING schedule has layers"),
    ],
)
def test_invalid_definitions_are_refused_with_a_clear_message(
    client: TestClient, admin: Actor, responder: Actor, outsider: Actor, team: int,
    change: dict[str, Any], status: int, words: str,
) -> None:
    body: dict[str, Any] = {"name": "Ops", "timezone": "UTC", "teams": [{"id": team}], **change}
    for layer in body.get("layers", []):
        if isinstance(layer.get("users"), str):
            layer["users"] = [{"id": responder.id if layer["users"] == "R" else outsider.id}]
    answer = problem(client.post("/api/schedules", headers=admin.headers, json=body), status)
    assert words in answer["detail"], answer


def test_other_teams_cannot_see_or_touch_a_schedule(client: TestClient, outsider: Actor,
                                                     schedule: dict[str, Any], clock: FrozenClock) -> None:
    sid = schedule["id"]
    body = {"name": "x", "timezone": "UTC"}
    window = {"user": {"id": outsider.id}, "start": iso(clock.now()), "end": iso(clock.now() + timedelta(hours=1))}
    for method, path, payload in [
        ("GET", "", None), ("PUT", "", body), ("DELETE", "", None), ("GET", "/shifts", None),
        ("GET", "/on-call", None), ("GET", "/overrides", None), ("POST", "/overrides", window),
        ("DELETE", "/overrides/1", None), ("POST", "/take", {}),
    ]:
        problem(client.request(method, f"/api/schedules/{sid}{path}", headers=outsider.headers, json=payload), 404)
    assert client.get("/api/schedules", headers=outsider.headers).json() == []
    feed = client.post("/api/calendar-feeds", headers=outsider.headers, json={"schedule": {"id": sid}})
    problem(feed, 404)


def test_responders_may_not_change_the_definition(client: TestClient, responder: Actor,
                                                  schedule: dict[str, Any]) -> None:
    body = {"name": "x", "timezone": "UTC", "teams": [{"id": t["id"]} for t in schedule["teams"]]}
    problem(client.put(f"/api/schedules/{schedule['id']}", headers=responder.headers, json=body), 403)
    problem(client.delete(f"/api/schedules/{schedule['id']}", headers=responder.headers), 403)
    problem(client.post("/api/schedules", headers=responder.headers, json=body), 403)


def test_shifts_show_final_shifts_and_each_layer(client: TestClient, admin: Actor, responder: Actor, bob: Actor,
                                                 team: int, clock: FrozenClock) -> None:
    now = clock.now()
    base = rotation([responder, bob], now, name="Base")
    evenings = rotation([bob], now, name="Evenings",
                        restrictions=[{"weekdays": ["MON"], "start": "18:00", "end": "20:00"}])
    out = create_schedule(client, admin, teams=[team], layers=[base, evenings])
    params = {"from": iso(now), "until": iso(now + timedelta(days=1)), "includeLayers": "true"}
    answer = client.get(f"/api/schedules/{out['id']}/shifts", headers=admin.headers, params=params).json()
    assert who(answer["shifts"]) == [
        ("Rita Responder", "03-02T09:00", "03-02T18:00", "LAYER"),
        ("Bob", "03-02T18:00", "03-02T20:00", "LAYER"),
        ("Rita Responder", "03-02T20:00", "03-03T09:00", "LAYER"),
    ]
    assert answer["shifts"][1]["source"]["layerName"] == "Evenings"
    assert [len(layer["shifts"]) for layer in answer["layers"]] == [1, 1]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "2026-03-05T00:00:00Z", "until": "2026-03-04T00:00:00Z"}, "end after it starts"),
        ({"from": "2026-03-05T00:00:00Z", "until": "2027-04-05T00:00:00Z"}, "longer than one year"),
        ({"from": "yesterday"}, "from"),
    ],
)
def test_shift_ranges_are_checked(client: TestClient, admin: Actor, schedule: dict[str, Any],
                                  params: dict[str, str], words: str) -> None:
    answer = problem(client.get(f"/api/schedules/{schedule['id']}/shifts", headers=admin.headers, params=params), 400)
    assert words in answer["detail"]


def test_on_call_says_who_since_until_and_next(client: TestClient, admin: Actor, responder: Actor, bob: Actor,
                                               schedule: dict[str, Any], clock: FrozenClock) -> None:
    at = clock.now() + timedelta(hours=30)  # Tuesday 15:00: Bob's day
    answer = client.get(f"/api/schedules/{schedule['id']}/on-call", headers=admin.headers,
                        params={"at": iso(at)}).json()
    assert answer["user"] == {"id": bob.id, "name": "Bob", "timezone": "UTC"}
    assert (answer["since"], answer["until"]) == ("2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z")
    assert answer["next"] == {"user": {"id": responder.id, "name": "Rita Responder"}, "start": "2026-03-04T09:00:00Z"}
    before = client.get(f"/api/schedules/{schedule['id']}/on-call", headers=admin.headers,
                        params={"at": "2026-03-01T00:00:00Z"}).json()
    assert before["user"] is None and before["next"]["user"]["id"] == responder.id


def test_my_shifts_and_the_on_call_overview(client: TestClient, admin: Actor, responder: Actor, bob: Actor,
                                            schedule: dict[str, Any], clock: FrozenClock) -> None:
    mine = client.get("/api/users/me/shifts", headers=bob.headers,
                      params={"from": iso(clock.now()), "until": iso(clock.now() + timedelta(days=4))}).json()
    assert [(s["schedule"]["name"], s["start"], s["end"]) for s in mine] == [
        ("Primary", "2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z"),
        ("Primary", "2026-03-05T09:00:00Z", "2026-03-06T09:00:00Z"),
    ]
    policy = client.post("/api/escalation-policies", headers=admin.headers, json={
        "name": "Ops", "teams": [{"id": schedule["teams"][0]["id"]}],
        "levels": [{"escalationTimeout": 5, "targets": [{"type": "SCHEDULE", "id": schedule["id"]}]},
                   {"escalationTimeout": 5, "targets": [{"type": "USER", "id": bob.id}]}],
    }).json()
    overview = client.get("/api/on-call", headers=responder.headers).json()
    assert [(s["schedule"]["id"], s["user"]["name"]) for s in overview["schedules"]] == [
        (schedule["id"], "Rita Responder")
    ]
    [entry] = overview["escalationPolicies"]
    assert entry["policy"]["id"] == policy["id"]
    assert [[u["name"] for u in level["users"]] for level in entry["levels"]] == [["Rita Responder"], ["Bob"]]


def test_times_far_from_now_are_refused_not_failed(client: TestClient, admin: Actor, responder: Actor,
                                                   team: int, factory: Factory) -> None:
    body = {"name": "Ancient", "timezone": "America/Chicago", "teams": [{"id": team}],
            "layers": [{"start": "0001-01-01T00:00:00Z", "users": [{"id": responder.id}]}]}
    assert "between the years" in problem(client.post("/api/schedules", headers=admin.headers, json=body),
                                          400)["detail"]
    problem(client.get("/api/on-call", headers=admin.headers, params={"at": "9999-12-30T00:00:00Z"}), 400)
    problem(client.get("/api/users/me/shifts", headers=admin.headers, params={"from": "9999-12-30T00:00:00Z"}), 400)
    watcher = factory.user(Role.STAKEHOLDER, teams=(team,))
    readonly = {**body, "layers": [{"start": "2026-03-02T09:00:00Z", "users": [{"id": watcher.id}]}]}
    assert "read-only" in problem(client.post("/api/schedules", headers=admin.headers, json=readonly),
                                  400)["detail"]
