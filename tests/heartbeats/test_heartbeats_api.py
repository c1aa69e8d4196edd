"""/api/heartbeats: create, read, change, pause, rotate, delete; validation; team isolation; pings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.helpers import problem
from tests.conftest import START, Actor, Factory, Source
from tests.heartbeats.helpers import create, created, pending_checks, ping
from tocsin.auth import security
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.heartbeats.models import HeartbeatMonitor


def test_create_shows_the_key_once_and_stores_only_its_digest(client: TestClient, member: Actor, source: Source,
                                                              db: Database) -> None:
    body = created(client, member, source.id, interval="PT5M", gracePeriod=30, summary="Backups stopped")
    key = body["pingKey"]
    assert len(key) == 32 and int(key, 16) >= 0 and not key.isdigit()
    assert body["pingUrl"] == f"http://testserver/api/heartbeats/{key}"
    assert body["pingKeyHint"] == key[-4:]
    assert (body["interval"], body["intervalSeconds"]) == ("PT5M", 300)
    assert (body["gracePeriod"], body["gracePeriodSeconds"]) == ("PT30S", 30)
    assert body["alertSource"] == {"id": source.id, "name": "Source"}
    assert (body["status"], body["state"], body["lastPingAt"]) == ("ACTIVE", "NEW", None)
    assert body["summary"] == "Backups stopped"
    assert body["dueAt"] == (START + timedelta(seconds=330)).isoformat().replace("+00:00", "Z")
    fetched = client.get(f"/api/heartbeats/{body['id']}", headers=member.headers).json()
    assert fetched["pingKey"] is None and fetched["pingUrl"] is None
    with db.session() as session:
        row = session.scalar(select(HeartbeatMonitor))
        assert row is not None and row.key_digest == security.digest(key)
        assert key not in repr(row.__dict__)
    assert len(pending_checks(db, body["id"])) == 1  # the first interval runs from creation


def test_interval_as_seconds_and_default_grace(client: TestClient, member: Actor, source: Source) -> None:
    body = created(client, member, source.id, interval=25)
    assert (body["interval"], body["gracePeriod"]) == ("PT25S", "PT1M")
    body = created(client, member, source.id, interval="P31D", gracePeriod="PT0S")
    assert (body["intervalSeconds"], body["gracePeriodSeconds"]) == (31 * 86400, 0)


@pytest.mark.parametrize(("field", "value"), [
    ("interval", 24),
    ("interval", "PT24S"),
    ("interval", "P32D"),
    ("interval", "every five minutes"),
    ("interval", True),
    ("interval", 1.5),
    ("interval", "PT0S"),
    ("gracePeriod", -1),
    ("gracePeriod", "P32D"),
    ("name", " "),
    ("status", "SLEEPING"),
])
def test_invalid_fields_are_400_naming_the_field(client: TestClient, member: Actor, source: Source, field: str,
                                                 value: Any) -> None:
    body = problem(create(client, member, source.id, **{field: value}), 400)
    assert body["field"].split(".")[0] == field, body


def test_unknown_fields_and_missing_interval_are_400(client: TestClient, member: Actor, source: Source) -> None:
    assert problem(create(client, member, source.id, intervall="PT5M"), 400)["field"] == "intervall"
    response = client.post("/api/heartbeats", headers=member.headers,
                           json={"name": "x", "alertSource": {"id": source.id}})
    assert problem(response, 400)["field"] == "interval"


def test_alert_source_must_exist_be_visible_and_changeable(client: TestClient, member: Actor, outsider: Actor,
                                                           factory: Factory, source: Source, team: int) -> None:
    assert problem(create(client, member, 999), 400)["field"] == "alertSource"
    # Another team's source is not even named back to the caller.
    body = problem(create(client, outsider, source.id), 400)
    assert body["field"] == "alertSource" and "does not exist" in body["detail"]
    # A source without teams is visible to everyone, but only admins change it.
    shared = factory.source()
    assert "admins" in problem(create(client, member, shared.id), 403)["detail"]
    responder = factory.user(Role.RESPONDER, teams=(team,))
    assert problem(create(client, responder, source.id), 403)


def test_another_teams_user_gets_404_for_every_monitor_endpoint(client: TestClient, member: Actor, outsider: Actor,
                                                                source: Source) -> None:
    monitor = created(client, member, source.id)
    path = f"/api/heartbeats/{monitor['id']}"
    problem(client.get(path, headers=outsider.headers), 404)
    problem(client.put(path, headers=outsider.headers, json={"status": "PAUSED"}), 404)
    problem(client.post(f"{path}/rotate-key", headers=outsider.headers), 404)
    problem(client.delete(path, headers=outsider.headers), 404)
    assert client.get("/api/heartbeats", headers=outsider.headers).json() == []
    assert [m["id"] for m in client.get("/api/heartbeats", headers=member.headers).json()] == [monitor["id"]]
    assert client.get(path, headers=member.headers).json()["status"] == "ACTIVE"  # nothing changed


def test_team_members_who_may_not_configure_can_read_but_not_change(client: TestClient, member: Actor,
                                                                    responder: Actor, source: Source) -> None:
    monitor = created(client, member, source.id)
    path = f"/api/heartbeats/{monitor['id']}"
    assert client.get(path, headers=responder.headers).status_code == 200
    problem(client.put(path, headers=responder.headers, json={"name": "mine"}), 403)
    problem(client.delete(path, headers=responder.headers), 403)


def test_requests_without_credentials_are_401(client: TestClient) -> None:
    problem(client.get("/api/heartbeats"), 401)
    problem(client.get("/api/heartbeats/1"), 401)


def test_update_changes_only_the_fields_sent_and_reschedules(client: TestClient, member: Actor, source: Source,
                                                             clock: FrozenClock, db: Database) -> None:
    monitor = created(client, member, source.id, summary="Backups stopped")
    clock.advance(timedelta(minutes=1))
    response = client.put(f"/api/heartbeats/{monitor['id']}", headers=member.headers,
                          json={"interval": "PT10M", "gracePeriod": 0})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["summary"], body["interval"], body["gracePeriod"]) == (
        "Nightly backup", "Backups stopped", "PT10M", "PT0S")
    # The interval still counts from creation; only its length changed.
    assert body["dueAt"] == (START + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    [job] = pending_checks(db, monitor["id"])
    assert job.run_at == START + timedelta(minutes=10)
    response = client.put(f"/api/heartbeats/{monitor['id']}", headers=member.headers, json={"summary": None})
    assert response.json()["summary"] is None


def test_pause_cancels_the_pending_check_and_resume_starts_a_fresh_interval(
        client: TestClient, member: Actor, source: Source, clock: FrozenClock, db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT5M", gracePeriod=0)
    path = f"/api/heartbeats/{monitor['id']}"
    paused = client.put(path, headers=member.headers, json={"status": "PAUSED"}).json()
    assert (paused["status"], paused["dueAt"]) == ("PAUSED", None)
    assert pending_checks(db, monitor["id"]) == []
    clock.advance(timedelta(hours=1))
    resumed = client.put(path, headers=member.headers, json={"status": "ACTIVE"}).json()
    assert resumed["dueAt"] == (clock.now() + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    [job] = pending_checks(db, monitor["id"])
    assert job.run_at == clock.now() + timedelta(minutes=5)


def test_moving_a_monitor_to_another_source_needs_that_source_to_be_changeable(
        client: TestClient, member: Actor, source: Source, factory: Factory, team: int) -> None:
    monitor = created(client, member, source.id)
    path = f"/api/heartbeats/{monitor['id']}"
    other = factory.source(teams=(factory.team("Elsewhere"),))
    assert problem(client.put(path, headers=member.headers, json={"alertSource": {"id": other.id}}), 400)
    mine = factory.source(teams=(team,))
    moved = client.put(path, headers=member.headers, json={"alertSource": {"id": mine.id}})
    assert moved.status_code == 200 and moved.json()["alertSource"]["id"] == mine.id


def test_rotate_key_replaces_the_ping_key(client: TestClient, member: Actor, source: Source) -> None:
    monitor = created(client, member, source.id)
    response = client.post(f"/api/heartbeats/{monitor['id']}/rotate-key", headers=member.headers)
    assert response.status_code == 200, response.text
    new_key = response.json()["pingKey"]
    assert new_key != monitor["pingKey"] and response.json()["pingUrl"].endswith(new_key)
    problem(client.get(f"/api/heartbeats/{monitor['pingKey']}"), 404)
    ping(client, new_key)


def test_delete_removes_the_monitor_its_check_and_its_key(client: TestClient, member: Actor, source: Source,
                                                          db: Database) -> None:
    monitor = created(client, member, source.id)
    assert client.delete(f"/api/heartbeats/{monitor['id']}", headers=member.headers).status_code == 204
    problem(client.get(f"/api/heartbeats/{monitor['id']}", headers=member.headers), 404)
    problem(client.post(f"/api/heartbeats/{monitor['pingKey']}"), 404)
    assert pending_checks(db, monitor["id"]) == []


def test_deleting_the_alert_source_deletes_its_monitors(client: TestClient, admin: Actor, source: Source,
                                                        member: Actor) -> None:
    monitor = created(client, member, source.id)
    assert client.delete(f"/api/alert-sources/{source.id}", headers=admin.headers).status_code == 204
    problem(client.get(f"/api/heartbeats/{monitor['id']}", headers=admin.headers), 404)


# --- pings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_a_ping_by_any_method_is_202_and_recorded(client: TestClient, member: Actor, source: Source,
                                                  clock: FrozenClock, method: str) -> None:
    monitor = created(client, member, source.id)
    clock.advance(timedelta(minutes=2))
    response = ping(client, monitor["pingKey"], method)
    if method == "HEAD":
        assert response.content == b""
    else:
        assert response.json() == {"status": "accepted", "state": "UP"}
    body = client.get(f"/api/heartbeats/{monitor['id']}", headers=member.headers).json()
    assert body["lastPingAt"] == clock.now().isoformat().replace("+00:00", "Z")
    assert body["state"] == "UP"
    assert body["dueAt"] == (clock.now() + timedelta(minutes=6)).isoformat().replace("+00:00", "Z")


def test_a_ping_with_a_body_and_an_upper_case_key_works(client: TestClient, member: Actor, source: Source) -> None:
    monitor = created(client, member, source.id)
    response = client.post(f"/api/heartbeats/{monitor['pingKey'].upper()}", content=b"backup done: 3 GB")
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("key", ["0123456789abcdef0123456789abcdef", "not-a-key", "x" * 200])
def test_an_unknown_ping_key_is_404(client: TestClient, key: str) -> None:
    body = problem(client.get(f"/api/heartbeats/{key}"), 404)
    assert body["detail"] == "no heartbeat monitor has this key"


def test_a_ping_key_longer_than_200_characters_is_400(client: TestClient) -> None:
    problem(client.get(f"/api/heartbeats/{'x' * 201}"), 400)


def test_an_unknown_ping_key_answers_head_without_a_body(client: TestClient) -> None:
    response = client.head("/api/heartbeats/nope")
    assert response.status_code == 404 and response.content == b""
