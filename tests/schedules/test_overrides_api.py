"""Overrides and take on-call: replacing parts of shifts, overrides over overrides, and removal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor, Factory
from tests.schedules.helpers import create_schedule, rotation, who
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock


@pytest.fixture
def bob(factory: Factory, team: int) -> Actor:
    return factory.user(Role.RESPONDER, teams=(team,), name="Bob")


@pytest.fixture
def cy(factory: Factory, team: int) -> Actor:
    return factory.user(Role.RESPONDER, teams=(team,), name="Cy")


@pytest.fixture
def schedule(client: TestClient, admin: Actor, responder: Actor, bob: Actor, team: int,
             clock: FrozenClock) -> dict[str, Any]:
    return create_schedule(client, admin, teams=[team], layers=[rotation([responder, bob], clock.now())])


def override(client: TestClient, actor: Actor, schedule: dict[str, Any], user: Actor, start: str,
             end: str) -> Any:
    body = {"user": {"id": user.id}, "start": f"2026-03-{start}:00Z", "end": f"2026-03-{end}:00Z"}
    return client.post(f"/api/schedules/{schedule['id']}/overrides", headers=actor.headers, json=body)


def day(client: TestClient, actor: Actor, schedule: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    params = {"from": "2026-03-02T09:00:00Z", "until": "2026-03-03T09:00:00Z"}
    return who(client.get(f"/api/schedules/{schedule['id']}/shifts", headers=actor.headers, params=params).json()
               ["shifts"])


def test_an_override_replaces_part_of_a_shift_and_says_what_it_replaced(
    client: TestClient, responder: Actor, bob: Actor, schedule: dict[str, Any]
) -> None:
    created = override(client, responder, schedule, bob, "02T12:00", "02T14:00")
    assert created.status_code == 201, created.text
    assert who(created.json()["replaced"]) == [("Rita Responder", "03-02T12:00", "03-02T14:00", "LAYER")]
    assert day(client, responder, schedule) == [
        ("Rita Responder", "03-02T09:00", "03-02T12:00", "LAYER"),
        ("Bob", "03-02T12:00", "03-02T14:00", "OVERRIDE"),
        ("Rita Responder", "03-02T14:00", "03-03T09:00", "LAYER"),
    ]
    listed = client.get(f"/api/schedules/{schedule['id']}/overrides", headers=responder.headers).json()
    assert [(o["user"]["name"], o["createdBy"]) for o in listed] == [("Bob", responder.id)]


def test_an_override_over_overrides_splits_and_replaces_them_and_removal_restores_the_rotation(
    client: TestClient, responder: Actor, bob: Actor, cy: Actor, schedule: dict[str, Any]
) -> None:
    first = override(client, responder, schedule, bob, "02T10:00", "02T20:00").json()["override"]
    second = override(client, responder, schedule, cy, "02T12:00", "02T14:00")
    assert who(second.json()["replaced"]) == [("Bob", "03-02T12:00", "03-02T14:00", "OVERRIDE")]
    assert day(client, responder, schedule) == [
        ("Rita Responder", "03-02T09:00", "03-02T10:00", "LAYER"),
        ("Bob", "03-02T10:00", "03-02T12:00", "OVERRIDE"),
        ("Cy", "03-02T12:00", "03-02T14:00", "OVERRIDE"),
        ("Bob", "03-02T14:00", "03-02T20:00", "OVERRIDE"),
        ("Rita Responder", "03-02T20:00", "03-03T09:00", "LAYER"),
    ]
    # A wider one swallows Cy's and trims both of Bob's parts.
    wide = override(client, responder, schedule, responder, "02T11:00", "02T15:00")
    assert [r["user"]["name"] for r in wide.json()["replaced"]] == ["Bob", "Cy", "Bob"]
    overrides = client.get(f"/api/schedules/{schedule['id']}/overrides", headers=responder.headers).json()
    assert [(o["user"]["name"], o["start"][11:16], o["end"][11:16]) for o in overrides] == [
        ("Bob", "10:00", "11:00"), ("Rita Responder", "11:00", "15:00"), ("Bob", "15:00", "20:00"),
    ]
    assert first["id"] == overrides[0]["id"]
    for o in overrides:
        assert client.delete(f"/api/schedules/{schedule['id']}/overrides/{o['id']}",
                             headers=responder.headers).status_code == 204
    assert day(client, responder, schedule) == [("Rita Responder", "03-02T09:00", "03-03T09:00", "LAYER")]


def test_override_validation(client: TestClient, admin: Actor, responder: Actor, outsider: Actor,
                             schedule: dict[str, Any], factory: Factory) -> None:
    assert "end after it starts" in problem(override(client, admin, schedule, responder, "03T10:00", "03T09:00"),
                                            400)["detail"]
    assert "longer than one year" in problem(
        client.post(f"/api/schedules/{schedule['id']}/overrides", headers=admin.headers,
                    json={"user": {"id": responder.id}, "start": "2026-03-03T00:00:00Z",
                          "end": "2027-03-05T00:00:00Z"}), 400)["detail"]
    assert "in the past" in problem(override(client, admin, schedule, responder, "01T10:00", "01T12:00"),
                                    400)["detail"]
    assert "not a member" in problem(override(client, admin, schedule, outsider, "03T10:00", "03T12:00"),
                                     400)["detail"]
    body = {"user": {"id": 987654}, "start": "2026-03-03T10:00:00Z", "end": "2026-03-03T12:00:00Z"}
    assert "does not exist" in problem(client.post(f"/api/schedules/{schedule['id']}/overrides",
                                                   headers=admin.headers, json=body), 400)["detail"]
    stakeholder = factory.user(Role.STAKEHOLDER, teams=(schedule["teams"][0]["id"],))
    problem(override(client, stakeholder, schedule, responder, "03T10:00", "03T12:00"), 403)
    problem(client.delete(f"/api/schedules/{schedule['id']}/overrides/424242", headers=admin.headers), 404)


def test_an_override_of_another_schedule_is_not_found_through_this_one(
    client: TestClient, admin: Actor, responder: Actor, bob: Actor, team: int, schedule: dict[str, Any],
    clock: FrozenClock,
) -> None:
    other = create_schedule(client, admin, teams=[team], layers=[rotation([bob], clock.now())], name="Other")
    theirs = override(client, admin, other, responder, "03T10:00", "03T12:00").json()["override"]
    problem(client.delete(f"/api/schedules/{schedule['id']}/overrides/{theirs['id']}", headers=admin.headers), 404)


def test_take_on_call_defaults_to_now_until_the_end_of_the_current_shift(
    client: TestClient, bob: Actor, responder: Actor, schedule: dict[str, Any], clock: FrozenClock
) -> None:
    clock.advance(timedelta(hours=3))  # 12:00 on Rita's day
    taken = client.post(f"/api/schedules/{schedule['id']}/take", headers=bob.headers)
    assert taken.status_code == 201, taken.text
    out = taken.json()
    assert (out["override"]["start"], out["override"]["end"]) == ("2026-03-02T12:00:00Z", "2026-03-03T09:00:00Z")
    assert who(out["replaced"]) == [("Rita Responder", "03-02T12:00", "03-03T09:00", "LAYER")]
    now = client.get(f"/api/schedules/{schedule['id']}/on-call", headers=bob.headers).json()
    assert now["user"]["id"] == bob.id and now["source"]["type"] == "OVERRIDE"
    # Bob is on call until Wednesday 09:00 now (his own shift follows), so taking again is a conflict.
    assert "already on call" in problem(client.post(f"/api/schedules/{schedule['id']}/take", headers=bob.headers),
                                        409)["detail"]
    part = client.post(f"/api/schedules/{schedule['id']}/take", headers=responder.headers,
                       json={"start": "2026-03-03T10:00:00Z", "end": "2026-03-03T11:00:00Z"})
    assert part.status_code == 201 and who(part.json()["replaced"]) == [("Bob", "03-03T10:00", "03-03T11:00", "LAYER")]


def test_take_when_nobody_is_on_call_needs_an_end(client: TestClient, admin: Actor, responder: Actor, bob: Actor,
                                                   team: int, clock: FrozenClock) -> None:
    later = create_schedule(client, admin, teams=[team], layers=[rotation([bob], clock.now() + timedelta(days=3))])
    assert "give an end" in problem(client.post(f"/api/schedules/{later['id']}/take", headers=responder.headers),
                                    409)["detail"]


def test_an_override_begun_in_the_past_covers_the_rest_and_a_split_keeps_its_author(
    client: TestClient, admin: Actor, responder: Actor, bob: Actor, cy: Actor, schedule: dict[str, Any],
) -> None:
    early = override(client, admin, schedule, bob, "02T06:00", "02T20:00").json()["override"]
    assert early["start"] == "2026-03-02T09:00:00Z"  # now: the past is not rewritten
    override(client, responder, schedule, cy, "02T12:00", "02T13:00")
    listed = client.get(f"/api/schedules/{schedule['id']}/overrides", headers=admin.headers).json()
    assert [(o["user"]["name"], o["start"][11:16], o["createdBy"]) for o in listed] == [
        ("Bob", "09:00", admin.id), ("Cy", "12:00", responder.id), ("Bob", "13:00", admin.id)]
