"""ilert-format events through the one ingest path: dedup, creation modes, ignored events, durability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.alerts.helpers import send
from tests.conftest import Actor, Factory, Source
from tocsin.alerts.models import Alert, AlertCreation, InboundEvent
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job
from tocsin.engine.worker import Worker


def alerts(client: TestClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/alerts", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_alert_event_creates_pending_alert_with_all_fields(
    client: TestClient, source: Source, responder: Actor
) -> None:
    response = client.post(
        "/api/events",
        json={
            "integrationKey": source.key,
            "eventType": "ALERT",
            "summary": "CPU high",
            "details": "95% for 10m",
            "alertKey": "cpu-web-1",
            "priority": "LOW",
            "severity": "WARNING",
            "images": [{"src": "https://img.example/cpu.png", "href": "https://grafana.example", "alt": "graph"}],
            "links": [{"href": "https://runbook.example/cpu", "text": "Runbook"}],
            "customDetails": {"host": "web-1", "value": 95},
            "labels": {"env": "prod"},
        },
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted", "alertKey": "cpu-web-1", "outcome": "CREATED"}
    [alert] = alerts(client, responder)
    assert alert["state"] == "PENDING"
    assert alert["summary"] == "CPU high"
    assert alert["details"] == "95% for 10m"
    assert alert["priority"] == "LOW"
    assert alert["severity"] == "WARNING"
    assert alert["images"] == [
        {"src": "https://img.example/cpu.png", "href": "https://grafana.example", "alt": "graph"}
    ]
    assert alert["links"] == [{"href": "https://runbook.example/cpu", "text": "Runbook"}]
    assert alert["customDetails"] == {"host": "web-1", "value": 95}
    assert alert["labels"] == {"env": "prod"}
    assert alert["eventCount"] == 1
    assert alert["alertSource"]["id"] == source.id


def test_alert_event_without_key_gets_a_generated_one(client: TestClient, source: Source) -> None:
    first = send(client, source.key).json()["alertKey"]
    second = send(client, source.key).json()["alertKey"]
    assert first and second and first != second


def test_duplicate_alert_on_open_key_is_appended_not_a_new_alert(
    client: TestClient, source: Source, responder: Actor, db: Database
) -> None:
    assert send(client, source.key, alertKey="disk-1").json()["outcome"] == "CREATED"
    # The key is trimmed and compared case-insensitively.
    assert send(client, source.key, alertKey="  DISK-1 ", summary="again").json()["outcome"] == "APPENDED"
    [alert] = alerts(client, responder)
    assert alert["eventCount"] == 2
    assert alert["summary"] == "Disk full on db-1"
    log = client.get(f"/api/alerts/{alert['id']}/log", headers=responder.headers).json()
    assert [e["kind"] for e in log] == ["EVENT", "EVENT"]
    assert log[1]["data"]["summary"] == "again"
    with db.session() as session:
        # One alert.created job only: a duplicate does not page again.
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "alert.created")) == 1


def test_duplicate_on_accepted_alert_is_appended_too(client: TestClient, source: Source, responder: Actor) -> None:
    send(client, source.key, alertKey="k")
    assert send(client, source.key, alertKey="k", eventType="ACCEPT").json()["outcome"] == "APPLIED"
    assert send(client, source.key, alertKey="k").json()["outcome"] == "APPENDED"
    [alert] = alerts(client, responder)
    assert alert["state"] == "ACCEPTED"


def test_accept_resolve_comment_without_open_alert_are_recorded_as_ignored(
    client: TestClient, source: Source, responder: Actor, db: Database
) -> None:
    for event_type, extra in (("ACCEPT", {}), ("RESOLVE", {}), ("COMMENT", {"comments": [{"content": "hi"}]})):
        response = send(client, source.key, alertKey="nothing-open", eventType=event_type, **extra)
        assert response.status_code == 202
        assert response.json()["outcome"] == "IGNORED"
        assert response.json()["reason"] == "no open alert for this key"
    assert alerts(client, responder) == []
    with db.session() as session:
        outcomes = session.scalars(select(InboundEvent.outcome)).all()
    assert outcomes == ["IGNORED", "IGNORED", "IGNORED"]


def test_alert_after_resolve_opens_a_new_alert(client: TestClient, source: Source, responder: Actor) -> None:
    send(client, source.key, alertKey="flappy")
    assert send(client, source.key, alertKey="FLAPPY", eventType="RESOLVE").json()["outcome"] == "APPLIED"
    assert send(client, source.key, alertKey="flappy").json()["outcome"] == "CREATED"
    states = [a["state"] for a in alerts(client, responder)]
    assert states == ["PENDING", "RESOLVED"]


def test_comment_event_adds_to_the_alert_log(client: TestClient, source: Source, responder: Actor) -> None:
    send(client, source.key, alertKey="c")
    send(client, source.key, alertKey="c", eventType="COMMENT", comments=[{"creator": "CI", "content": "deploy 42"}])
    [alert] = alerts(client, responder)
    log = client.get(f"/api/alerts/{alert['id']}/log", headers=responder.headers).json()
    comment = [e for e in log if e["kind"] == "COMMENT"]
    assert comment and comment[0]["message"] == "deploy 42"
    assert comment[0]["data"] == {"author": "CI"}


def test_keys_are_per_alert_source(client: TestClient, factory: Factory, team: int, responder: Actor) -> None:
    a, b = factory.source(teams=(team,)), factory.source(teams=(team,))
    send(client, a.key, alertKey="same")
    assert send(client, b.key, alertKey="same").json()["outcome"] == "CREATED"
    assert send(client, b.key, alertKey="same", eventType="RESOLVE").json()["outcome"] == "APPLIED"
    states = {a_["alertSource"]["id"]: a_["state"] for a_ in alerts(client, responder)}
    assert states == {a.id: "PENDING", b.id: "RESOLVED"}


def test_one_alert_per_event_mode(client: TestClient, factory: Factory, team: int, responder: Actor) -> None:
    src = factory.source(teams=(team,), alert_creation=AlertCreation.ONE_ALERT_PER_EVENT.value)
    send(client, src.key, alertKey="x")
    send(client, src.key, alertKey="x")
    assert len(alerts(client, responder)) == 2
    # RESOLVE closes every open alert with the key.
    send(client, src.key, alertKey="x", eventType="RESOLVE")
    assert {a["state"] for a in alerts(client, responder)} == {"RESOLVED"}


def test_one_pending_alert_per_key_mode(client: TestClient, factory: Factory, team: int, responder: Actor) -> None:
    src = factory.source(teams=(team,), alert_creation=AlertCreation.ONE_PENDING_ALERT_PER_KEY.value)
    send(client, src.key, alertKey="x")
    assert send(client, src.key, alertKey="x").json()["outcome"] == "APPENDED"
    [first] = alerts(client, responder)
    client.put(f"/api/alerts/{first['id']}/accept", headers=responder.headers)
    # Once accepted, a new event for the key is a new problem to page about.
    assert send(client, src.key, alertKey="x").json()["outcome"] == "CREATED"
    assert [a["state"] for a in alerts(client, responder)] == ["PENDING", "ACCEPTED"]


def test_grouping_window_mode(
    client: TestClient, factory: Factory, team: int, responder: Actor, clock: FrozenClock
) -> None:
    src = factory.source(
        teams=(team,), alert_creation=AlertCreation.ONE_ALERT_GROUPED_PER_WINDOW.value, grouping_window_seconds=300
    )
    send(client, src.key, alertKey="a")
    clock.advance(timedelta(minutes=2))
    assert send(client, src.key, alertKey="b").json()["outcome"] == "APPENDED"
    clock.advance(timedelta(minutes=4))  # 6 minutes after the alert opened: a new window
    assert send(client, src.key, alertKey="c").json()["outcome"] == "CREATED"
    counts = [a["eventCount"] for a in alerts(client, responder)]
    assert counts == [1, 2]


def test_auto_resolution_after_quiet_period(
    client: TestClient, factory: Factory, team: int, responder: Actor, clock: FrozenClock, worker: Worker
) -> None:
    src = factory.source(teams=(team,), auto_resolution_seconds=3600)
    send(client, src.key, alertKey="quiet")
    clock.advance(timedelta(minutes=50))
    send(client, src.key, alertKey="quiet")  # pushes the deadline to 50 + 60 minutes
    clock.advance(timedelta(minutes=15))
    worker.run_until_idle()
    assert alerts(client, responder)[0]["state"] == "PENDING"
    clock.advance(timedelta(minutes=46))
    worker.run_until_idle()
    [alert] = alerts(client, responder)
    assert alert["state"] == "RESOLVED"
    assert alert["resolvedBy"] is None
    log = client.get(f"/api/alerts/{alert['id']}/log", headers=responder.headers).json()
    assert "auto-resolution" in log[-1]["message"]


def test_maintenance_ignores_new_alerts_but_still_resolves(
    client: TestClient, factory: Factory, team: int, responder: Actor, admin: Actor
) -> None:
    src = factory.source(teams=(team,))
    send(client, src.key, alertKey="open-before")
    client.put(f"/api/alert-sources/{src.id}", headers=admin.headers, json={"status": "IN_MAINTENANCE"})
    response = send(client, src.key, alertKey="during")
    assert response.status_code == 202
    assert response.json()["outcome"] == "IGNORED"
    assert send(client, src.key, alertKey="open-before", eventType="RESOLVE").json()["outcome"] == "APPLIED"
    assert [a["alertKey"] for a in alerts(client, responder)] == ["open-before"]


def test_unknown_and_disabled_keys(client: TestClient, factory: Factory, admin: Actor) -> None:
    unknown = send(client, "0" * 32)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    src = factory.source()
    client.put(f"/api/alert-sources/{src.id}", headers=admin.headers, json={"status": "DISABLED"})
    disabled = send(client, src.key)
    assert disabled.status_code == 403
    assert "disabled" in disabled.json()["detail"]


def test_invalid_events_are_clear_400s_and_write_nothing(client: TestClient, source: Source, db: Database) -> None:
    cases = [
        ({"eventType": "ALERT"}, "summary"),
        ({"eventType": "RESOLVE"}, "alertKey"),
        ({"eventType": "BOOM", "summary": "x"}, "eventType"),
        ({"eventType": "ALERT", "summary": "x", "priority": "URGENT"}, "priority"),
        ({"eventType": "ALERT", "summary": "x" * 1025}, "summary"),
        ({"eventType": "ALERT", "summary": "x", "labels": {"a": 1}}, "labels"),
    ]
    for body, field in cases:
        response = client.post(f"/api/events/{source.key}", json=body)
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.text, (body, response.text)
    bad_json = client.post(
        f"/api/events/{source.key}", content=b'{"eventType": "ALERT",', headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["detail"]
    missing_key = client.post("/api/events", json={"eventType": "ALERT", "summary": "x"})
    assert missing_key.status_code == 400
    assert missing_key.json()["field"] == "integrationKey"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 0


def test_json_sent_as_text_plain_is_accepted(client: TestClient, source: Source) -> None:
    response = client.post(
        f"/api/events/{source.key}",
        content=b'{"eventType":"ALERT","summary":"plain"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 202


def test_event_and_its_job_are_committed_before_the_answer(client: TestClient, source: Source, db: Database) -> None:
    send(client, source.key, alertKey="durable")
    # A fresh connection (another process would see the same) finds the alert and its due job.
    with db.session() as session:
        alert = session.scalar(select(Alert).where(Alert.alert_key == "durable"))
        assert alert is not None
        jobs = session.scalars(select(Job).where(Job.kind == "alert.created")).all()
        assert [j.payload for j in jobs] == [{"alertId": alert.id}]


def test_a_new_alert_wakes_the_worker_after_commit_a_duplicate_does_not(client: TestClient, source: Source) -> None:
    waiting = client.app.state.tocsin.jobs_waiting  # type: ignore[attr-defined]
    send(client, source.key, alertKey="wake")
    assert waiting.is_set()
    waiting.clear()
    send(client, source.key, alertKey="wake")  # appended: nothing new to do
    assert not waiting.is_set()
