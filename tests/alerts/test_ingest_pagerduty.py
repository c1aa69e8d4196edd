"""PagerDuty Events API v2 compatibility: wire format, answers, errors, and the official client."""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any

import pagerduty
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory, Source
from tests.live import self_signed_certificate, serve
from tocsin.alerts.models import PriorityRule


def trigger(routing_key: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "payload": {"summary": "Ping failed for web-1", "source": "web-1", "severity": "critical"},
    }
    event.update(extra)
    return event


def alerts(client: TestClient, actor: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/alerts", headers=actor.headers).json()["items"]
    return items


def pd_invalid(response: Any, status: int = 400) -> list[str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "message", "errors"}
    assert body["status"] == "invalid event"
    assert isinstance(body["errors"], list) and body["errors"]
    errors: list[str] = body["errors"]
    return errors


@pytest.mark.parametrize("path", ["/v2/enqueue", "/api/v2/enqueue"])
def test_trigger_answers_like_pagerduty(client: TestClient, source: Source, responder: Actor, path: str) -> None:
    response = client.post(path, json=trigger(source.key, dedup_key="web-1/ping"))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "web-1/ping"}
    [alert] = alerts(client, responder)
    assert (alert["summary"], alert["priority"], alert["severity"]) == ("Ping failed for web-1", "HIGH", "CRITICAL")


def test_trigger_without_dedup_key_gets_one(client: TestClient, source: Source) -> None:
    body = client.post("/v2/enqueue", json=trigger(source.key)).json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["dedup_key"])


def test_acknowledge_and_resolve_by_dedup_key(client: TestClient, source: Source, responder: Actor) -> None:
    client.post("/v2/enqueue", json=trigger(source.key, dedup_key="k1"))
    ack = client.post("/v2/enqueue", json={"routing_key": source.key, "event_action": "acknowledge", "dedup_key": "k1"})
    assert ack.status_code == 202 and ack.json()["dedup_key"] == "k1"
    assert alerts(client, responder)[0]["state"] == "ACCEPTED"
    client.post("/v2/enqueue", json={"routing_key": source.key, "event_action": "resolve", "dedup_key": "K1"})
    assert alerts(client, responder)[0]["state"] == "RESOLVED"


def test_full_payload_mapping(client: TestClient, source: Source, responder: Actor) -> None:
    event = trigger(
        source.key,
        dedup_key="full",
        client="Grafana",
        client_url="https://grafana.example/d/1",
        images=[{"src": "https://img.example/a.png", "href": "https://grafana.example", "alt": "panel"}],
        links=[{"href": "https://runbook.example", "text": "Runbook"}],
        payload={
            "summary": "Disk 95%", "source": "db-1", "severity": "warning", "timestamp": "2026-03-02T08:59:00+00:00",
            "component": "postgres", "group": "prod-db", "class": "disk", "custom_details": {"free": "5%"},
        },
    )
    assert client.post("/v2/enqueue", json=event).status_code == 202
    [alert] = alerts(client, responder)
    assert alert["priority"] == "LOW"
    assert alert["labels"] == {"source": "db-1", "component": "postgres", "group": "prod-db", "class": "disk"}
    assert alert["customDetails"] == {"free": "5%"}
    assert alert["images"] == [{"src": "https://img.example/a.png", "href": "https://grafana.example", "alt": "panel"}]
    assert alert["links"] == [{"href": "https://runbook.example", "text": "Runbook"},
                              {"href": "https://grafana.example/d/1", "text": "Grafana"}]


def test_custom_details_may_be_a_string(client: TestClient, source: Source, responder: Actor) -> None:
    payload = {"summary": "s", "source": "h", "severity": "info", "custom_details": "free text"}
    client.post("/v2/enqueue", json=trigger(source.key, payload=payload))
    assert alerts(client, responder)[0]["customDetails"] == {"details": "free text"}


@pytest.mark.parametrize(
    ("severity", "rule", "ignore", "expected"),
    [
        ("critical", "HIGH", False, "HIGH"),
        ("error", "LOW", False, "HIGH"),
        ("warning", "HIGH", False, "LOW"),
        ("info", "HIGH", False, "LOW"),
        ("critical", "LOW", True, "LOW"),  # the source's rule says otherwise
        ("info", "HIGH", True, "HIGH"),
    ],
)
def test_severity_to_priority(client: TestClient, factory: Factory, team: int, responder: Actor,
                              severity: str, rule: str, ignore: bool, expected: str) -> None:
    src = factory.source(teams=(team,), priority_rule=PriorityRule(rule).value, ignore_event_priority=ignore)
    payload = {"summary": "s", "source": "h", "severity": severity}
    assert client.post("/v2/enqueue", json=trigger(src.key, payload=payload)).status_code == 202
    assert alerts(client, responder)[0]["priority"] == expected


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda e: e.pop("routing_key"), "routing_key"),
        (lambda e: e.update(event_action="explode"), "event_action"),
        (lambda e: e.pop("payload"), "payload"),
        (lambda e: e["payload"].pop("summary"), "summary"),
        (lambda e: e["payload"].pop("source"), "source"),
        (lambda e: e["payload"].update(severity="fatal"), "severity"),
        (lambda e: e["payload"].update(summary="x" * 1025), "summary"),
        (lambda e: e.update(dedup_key="k" * 256), "dedup_key"),
        (lambda e: e["payload"].update(timestamp="yesterday"), "timestamp"),
        (lambda e: e.update(event_action="resolve", dedup_key=None), "dedup_key"),
    ],
)
def test_invalid_events_answer_in_pagerduty_format(client: TestClient, source: Source, responder: Actor,
                                                   mutate: Any, needle: str) -> None:
    event = trigger(source.key)
    mutate(event)
    errors = pd_invalid(client.post("/v2/enqueue", json=event))
    assert any(needle in e for e in errors), errors
    assert alerts(client, responder) == []


def test_invalid_json_and_unknown_or_disabled_key(client: TestClient, factory: Factory, admin: Actor) -> None:
    pd_invalid(client.post("/v2/enqueue", content=b"{nope", headers={"content-type": "application/json"}))
    errors = pd_invalid(client.post("/v2/enqueue", json=trigger("f" * 32)), 404)
    assert "integration key" in errors[0]
    src = factory.source()
    client.put(f"/api/alert-sources/{src.id}", headers=admin.headers, json={"status": "DISABLED"})
    pd_invalid(client.post("/v2/enqueue", json=trigger(src.key)), 403)


def test_official_pagerduty_client_works_unchanged(app: FastAPI, client: TestClient, source: Source,
                                                   responder: Actor, tmp_path: Path) -> None:
    tls = self_signed_certificate(tmp_path)  # the client only speaks https
    with serve(app, tls=tls) as url:
        pd = pagerduty.EventsApiV2Client(source.key, base_url=url, verify=ssl.create_default_context(cafile=tls[1]))
        dedup_key = pd.trigger("Replica lag 300s", "db-2", severity="error", custom_details={"lag": 300})
        assert dedup_key
        [alert] = alerts(client, responder)
        assert (alert["summary"], alert["priority"], alert["customDetails"]) == ("Replica lag 300s", "HIGH",
                                                                               {"lag": 300})
        assert pd.acknowledge(dedup_key) == dedup_key
        assert alerts(client, responder)[0]["state"] == "ACCEPTED"
        assert pd.resolve(dedup_key) == dedup_key
        assert alerts(client, responder)[0]["state"] == "RESOLVED"
