"""/api/integrations: key placement, adapters through the real endpoint, tests recorded, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tests.integrations.helpers import GRAFANA_SECRET, SENTRY_SECRET, case, generic_mapping
from tocsin.alerts.models import Alert, InboundEvent
from tocsin.app import create_app
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.integrations import source_settings
from tocsin.integrations.catalog import CATEGORIES
from tocsin.integrations.vendors.statuscake import expected_token
from tocsin.settings import Settings


def make_source(client: TestClient, admin: Actor, team: int, integration_type: str,
                settings: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"{integration_type} source", "integrationType": integration_type,
                            "teams": [{"id": team}]}
    if settings is not None:
        body["integrationSettings"] = settings
    response = client.post("/api/alert-sources", headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def post_case(client: TestClient, key: str, vendor: str, name: str, **kwargs: Any) -> Any:
    found = case(vendor, name)
    url = f"/api/integrations/{key}" + (f"?{found.query}" if found.query else "")
    return client.post(url, content=found.body, headers=found.headers, **kwargs)


def alerts(client: TestClient, admin: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/alerts", headers=admin.headers).json()["items"]
    return sorted(items, key=lambda a: a["id"])


def stored_rows(db: Database) -> int:
    with db.session() as session:
        return (session.scalar(select(func.count()).select_from(Alert)) or 0) + \
            (session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


def test_alertmanager_batch_opens_and_resolves_one_alert_per_entry(client: TestClient, admin: Actor,
                                                                    team: int) -> None:
    source = make_source(client, admin, team, "PROMETHEUS")
    key = source["integrationKey"]
    assert source["integrationUrl"] == f"http://testserver/api/integrations/{key}"

    answer = post_case(client, key, "alertmanager", "batch-mixed.json")
    assert answer.status_code == 202, answer.text
    assert [(e["eventType"], e["outcome"]) for e in answer.json()["events"]] == [
        ("ALERT", "CREATED"), ("RESOLVE", "IGNORED"), ("ALERT", "CREATED")]
    opened = alerts(client, admin)
    assert [(a["alertKey"], a["priority"], a["state"]) for a in opened] == [
        ("86a6535a6a635d23", "HIGH", "PENDING"), ("fe2e0e6148ae2055", "LOW", "PENDING")]
    assert opened[0]["summary"] == "Filesystem /var on node-01.prod.example.com:9100 has 3.8% space left"
    assert opened[0]["labels"]["instance"] == "node-01.prod.example.com:9100"
    assert {"href": "https://runbooks.example.com/node/filesystem-almost-full", "text": "Runbook"} in opened[0]["links"]

    # Alertmanager re-sends the whole group: the same firing alert is absorbed, not a second page.
    again = post_case(client, key, "alertmanager", "batch-mixed.json")
    assert [e["outcome"] for e in again.json()["events"]] == ["APPENDED", "IGNORED", "APPENDED"]
    assert len(alerts(client, admin)) == 2

    firing = post_case(client, key, "alertmanager", "firing.json")
    assert firing.json()["events"][0]["outcome"] == "CREATED"
    resolved = post_case(client, key, "alertmanager", "resolved.json")
    assert resolved.json()["events"][0]["outcome"] == "APPLIED"
    cpu = next(a for a in alerts(client, admin) if a["alertKey"] == "9c5a195d1a21f87d")
    assert cpu["state"] == "RESOLVED"


@pytest.mark.parametrize("placement", ["path", "query-key", "query-integrationKey", "header"])
def test_the_key_may_come_in_the_path_the_query_or_a_header(client: TestClient, admin: Actor, team: int,
                                                             placement: str) -> None:
    key = make_source(client, admin, team, "PROMETHEUS")["integrationKey"]
    body = case("alertmanager", "firing.json").body
    url, headers = {
        "path": (f"/api/integrations/{key}", {}),
        "query-key": (f"/api/integrations?key={key}", {}),
        "query-integrationKey": (f"/api/integrations?integrationKey={key}", {}),
        "header": ("/api/integrations", {"X-Tocsin-Integration-Key": key}),
    }[placement]
    answer = client.post(url, content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert [a["alertKey"] for a in alerts(client, admin)] == ["9c5a195d1a21f87d"]


def test_key_refusals(client: TestClient, admin: Actor, team: int, db: Database) -> None:
    body = case("alertmanager", "firing.json").body
    assert "no integration key" in problem(client.post("/api/integrations", content=body), 400)["detail"]
    problem(client.post("/api/integrations/" + "0" * 32, content=body), 404)
    source = make_source(client, admin, team, "PROMETHEUS")
    client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers, json={"status": "DISABLED"})
    problem(client.post(f"/api/integrations/{source['integrationKey']}", content=body), 403)
    assert stored_rows(db) == 0


def test_an_api_source_is_told_where_its_events_go(client: TestClient, admin: Actor, team: int) -> None:
    source = make_source(client, admin, team, "API")
    answer = problem(client.post(f"/api/integrations/{source['integrationKey']}", json={"summary": "x"}), 400)
    assert "/api/events/" in answer["detail"] and answer["field"] == "integrationType"
    assert source["integrationUrl"].endswith(f"/api/events/{source['integrationKey']}")


def test_a_test_notification_is_recorded_and_pages_nobody(client: TestClient, admin: Actor, team: int,
                                                          outsider: Actor) -> None:
    source = make_source(client, admin, team, "GRAFANA")
    answer = post_case(client, source["integrationKey"], "grafana", "test.json")
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"status": "accepted", "test": True, "events": [],
                             "note": "Grafana contact point test ([FIRING:1] TestAlert Grafana)"}
    assert alerts(client, admin) == []
    listing = client.get(f"/api/alert-sources/{source['id']}/inbound-events", headers=admin.headers)
    assert listing.status_code == 200, listing.text
    [row] = listing.json()["items"]
    assert (row["outcome"], row["eventType"], row["alertId"]) == ("TEST", "TEST", None)
    assert row["reason"].startswith("Grafana contact point test")
    problem(client.get(f"/api/alert-sources/{source['id']}/inbound-events", headers=outsider.headers), 404)


def test_inbound_events_list_outcomes_newest_first_with_a_cursor(client: TestClient, admin: Actor,
                                                                 team: int) -> None:
    source = make_source(client, admin, team, "PROMETHEUS")
    post_case(client, source["integrationKey"], "alertmanager", "batch-mixed.json")
    url = f"/api/alert-sources/{source['id']}/inbound-events"
    first = client.get(url, params={"limit": 2}, headers=admin.headers).json()
    assert [r["outcome"] for r in first["items"]] == ["CREATED", "IGNORED"]
    rest = client.get(url, params={"limit": 2, "cursor": first["nextCursor"]}, headers=admin.headers).json()
    assert [r["outcome"] for r in rest["items"]] == ["CREATED"] and rest["nextCursor"] is None
    created = client.get(url, params={"outcome": "CREATED"}, headers=admin.headers).json()["items"]
    assert [r["alertKey"] for r in created] == ["fe2e0e6148ae2055", "86a6535a6a635d23"]


def test_sentry_signature_is_checked_when_a_client_secret_is_set(client: TestClient, admin: Actor, team: int,
                                                                  db: Database) -> None:
    source = make_source(client, admin, team, "SENTRY", {"clientSecret": SENTRY_SECRET})
    key = source["integrationKey"]
    assert source["integrationSettings"] == {"clientSecret": "********"}
    fetched = client.get(f"/api/alert-sources/{source['id']}", headers=admin.headers).json()
    assert fetched["integrationSettings"] == {"clientSecret": "********"}
    assert SENTRY_SECRET not in json.dumps(client.get("/api/alert-sources", headers=admin.headers).json())

    found = case("sentry", "event_alert_triggered.json")
    forged = {**found.headers, "Sentry-Hook-Signature": "0" * 64}
    refused = problem(client.post(f"/api/integrations/{key}", content=found.body, headers=forged), 401)
    assert "Sentry-Hook-Signature" in refused["detail"]
    tampered = found.body.replace(b"heck is not defined", b"hack is not defined")
    problem(client.post(f"/api/integrations/{key}", content=tampered, headers=found.headers), 401)
    assert stored_rows(db) == 0

    # Sending the masked value back keeps the secret: signed requests still verify.
    kept = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                      json={"integrationSettings": {"clientSecret": "********"}})
    assert kept.status_code == 200, kept.text
    assert post_case(client, key, "sentry", "event_alert_triggered.json").status_code == 202
    assert post_case(client, key, "sentry", "issue_resolved.json").status_code == 202
    [alert] = alerts(client, admin)
    assert (alert["alertKey"], alert["state"]) == ("issue:1117540176", "RESOLVED")


def test_grafana_signature_with_timestamp(client: TestClient, admin: Actor, team: int) -> None:
    key = make_source(client, admin, team, "GRAFANA", {"secret": GRAFANA_SECRET})["integrationKey"]
    assert post_case(client, key, "grafana", "firing.json").status_code == 202
    unsigned = case("grafana", "resolved.json")
    problem(client.post(f"/api/integrations/{key}", content=unsigned.body), 401)


def test_pagerduty_v1_answers_like_pagerduty_at_both_paths(client: TestClient, admin: Actor, team: int) -> None:
    key = make_source(client, admin, team, "PAGERDUTY_V1")["integrationKey"]
    answer = post_case(client, key, "pagerduty-v1", "trigger.json")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "success", "message": "Event processed", "incident_key": "srv01/HTTP"}
    generated = post_case(client, key, "pagerduty-v1", "trigger_no_key.json").json()["incident_key"]
    assert len(generated) == 32

    body = json.loads(case("pagerduty-v1", "acknowledge.json").body) | {"service_key": key}
    alias = client.post("/generic/2010-04-15/create_event.json", json=body)
    assert alias.status_code == 200, alias.text
    assert alias.json()["incident_key"] == "srv01/HTTP"
    states = {a["alertKey"]: a["state"] for a in alerts(client, admin)}
    assert states == {"srv01/HTTP": "ACCEPTED", generated: "PENDING"}

    bad = client.post("/generic/2010-04-15/create_event.json",
                      json=json.loads(case("pagerduty-v1", "invalid_event_type.json").body) | {"service_key": key})
    assert bad.status_code == 400
    assert bad.json() == {"status": "invalid event", "message": "Event object is invalid",
                          "errors": ["event_type is invalid (must be one of: trigger acknowledge resolve)"]}


def test_goalert_reads_query_form_and_json(client: TestClient, admin: Actor, team: int) -> None:
    key = make_source(client, admin, team, "GOALERT")["integrationKey"]
    assert post_case(client, key, "goalert", "trigger_form.txt").status_code == 202
    [alert] = alerts(client, admin)
    assert alert["labels"] == {"host": "db1", "mount": "/var/lib/postgresql"}
    assert post_case(client, key, "goalert", "close_query.json").status_code == 202
    assert alerts(client, admin)[0]["state"] == "RESOLVED"
    # A leftover GoAlert token in the query changes nothing: the path key authenticates.
    assert client.post(f"/api/integrations/{key}?token=old&summary=Backup+failed").status_code == 202


def test_generic_json_mapping_is_validated_and_applied(client: TestClient, admin: Actor, team: int) -> None:
    missing = client.post("/api/alert-sources", headers=admin.headers,
                          json={"name": "Gatus", "integrationType": "GENERIC_JSON"})
    assert "needs a mapping" in problem(missing, 400)["detail"]
    for settings, field in [
        ({"summary": "{name}", "state": {"path": "state", "map": {"down": "EXPLODE"}}},
         "integrationSettings.state.map.down"),
        ({"summary": "{name}", "colour": "red"}, "integrationSettings.colour"),
        ({"summary": "{na me}"}, "integrationSettings"),
        ({"summary": "{name}", "priority": {"value": "HIGH", "path": "x"}}, "integrationSettings.priority"),
    ]:
        bad = client.post("/api/alert-sources", headers=admin.headers,
                          json={"name": "Gatus", "integrationType": "GENERIC_JSON", "integrationSettings": settings})
        assert problem(bad, 400)["field"] == field, settings

    key = make_source(client, admin, team, "GENERIC_JSON", generic_mapping("gatus_triggered"))["integrationKey"]
    assert post_case(client, key, "generic-json", "gatus_triggered.json").status_code == 202
    [alert] = alerts(client, admin)
    assert (alert["alertKey"], alert["summary"]) == ("shop/storefront", "shop/storefront: health check failed")
    assert alert["links"] == [{"href": "https://shop.example.com/health", "text": "Endpoint"}]
    post_case(client, key, "generic-json", "gatus_resolved.json")
    assert alerts(client, admin)[0]["state"] == "RESOLVED"


def test_changing_the_type_drops_settings_of_the_old_type(client: TestClient, admin: Actor, team: int) -> None:
    source = make_source(client, admin, team, "SENTRY", {"clientSecret": SENTRY_SECRET})
    changed = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                         json={"integrationType": "PROMETHEUS"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["integrationSettings"] == {}
    masked = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                        json={"integrationType": "SENTRY", "integrationSettings": {"clientSecret": "********"}})
    assert problem(masked, 400)["field"] == "integrationSettings.clientSecret"
    assert problem(client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                              json={"integrationSettings": {"anything": 1}}), 400)["field"] == "integrationSettings"


def test_catalog_lists_every_type_for_signed_in_users(client: TestClient, responder: Actor) -> None:
    problem(client.get("/api/integrations"), 401)
    entries = client.get("/api/integrations", headers=responder.headers).json()
    by_type = {e["type"]: e for e in entries}
    assert [e["type"] for e in entries][:3] == ["API", "EMAIL", "HEARTBEAT"]
    assert set(by_type) == source_settings.known_types() and len(entries) >= 25
    prometheus = by_type["PROMETHEUS"]
    assert prometheus["url"] == "http://testserver/api/integrations/{integrationKey}"
    assert prometheus["logoSvg"].startswith("<svg") and prometheus["name"] == "Prometheus Alertmanager"
    assert by_type["OPSGENIE"]["url"] == "http://testserver"
    assert by_type["API"]["url"] == "http://testserver/api/events/{integrationKey}"
    assert by_type["EMAIL"]["url"] == "{integrationKey}@alerts.localhost"
    assert by_type["HEARTBEAT"]["url"] == "http://testserver/api/heartbeats/{pingKey}"
    assert by_type["HEARTBEAT"]["keyPlaceholder"] == "{pingKey}"
    assert any("curl" in step and by_type["HEARTBEAT"]["url"] in step for step in by_type["HEARTBEAT"]["setupSteps"])
    for entry in entries:
        assert entry["name"].strip() and entry["category"] in CATEGORIES, entry["type"]
        assert entry["keyPlaceholder"] in entry["url"] or entry["type"] == "OPSGENIE", entry["type"]
        assert any(entry["url"] in step for step in entry["setupSteps"]), f"{entry['type']}: no step names the URL"
        assert all(step.strip() and "{url}" not in step for step in entry["setupSteps"]), entry["type"]
        logo = entry["logoSvg"]
        assert logo is None or (logo.startswith("<svg") and logo.endswith("</svg>") and len(logo) < 2000
                                and "<script" not in logo.lower()), entry["type"]


def test_the_email_address_is_answered_for_email_sources(client: TestClient, admin: Actor, team: int) -> None:
    source = make_source(client, admin, team, "EMAIL")
    assert source["integrationEmail"] == f"{source['integrationKey']}@alerts.localhost"
    assert source["integrationUrl"] is None
    rotated = client.post(f"/api/alert-sources/{source['id']}/rotate-key", headers=admin.headers).json()
    assert rotated["integrationEmail"] == f"{rotated['integrationKey']}@alerts.localhost"
    assert client.get(f"/api/alert-sources/{source['id']}", headers=admin.headers).json()["integrationEmail"] is None
    assert make_source(client, admin, team, "PROMETHEUS")["integrationEmail"] is None


def test_events_of_one_request_count_against_the_rate_limit_together(db: Database, clock: FrozenClock,
                                                                      admin: Actor, team: int) -> None:
    limited = create_app(Settings(database_url=db.url, base_url="http://testserver", event_rate_per_key=0.001,
                                  event_burst_per_key=2), db=db, clock=clock)
    with TestClient(limited) as client:
        key = make_source(client, admin, team, "PROMETHEUS")["integrationKey"]
        answer = post_case(client, key, "alertmanager", "batch-mixed.json")
        assert problem(answer, 429)["detail"].startswith("too many events")
        assert "Retry-After" in answer.headers
        assert alerts(client, admin) == []


def test_a_source_of_another_team_is_not_listed(app: FastAPI, client: TestClient, admin: Actor, team: int,
                                               responder: Actor, outsider: Actor) -> None:
    source = make_source(client, admin, team, "PROMETHEUS")
    assert client.get(f"/api/alert-sources/{source['id']}/inbound-events", headers=responder.headers) \
        .status_code == 200
    problem(client.get(f"/api/alert-sources/{source['id']}/inbound-events", headers=outsider.headers), 404)
    problem(client.get("/api/alert-sources/999999/inbound-events", headers=admin.headers), 404)


@pytest.mark.parametrize("integration_type", ["EMAIL", "HEARTBEAT"])
def test_types_handled_elsewhere_are_valid_but_not_taken_here(client: TestClient, admin: Actor, team: int,
                                                              integration_type: str) -> None:
    source = make_source(client, admin, team, integration_type)
    assert source["integrationUrl"] is None
    answer = problem(client.post(f"/api/integrations/{source['integrationKey']}", json={}), 400)
    assert integration_type in answer["detail"]


def _honeybadger_request(token: str | None) -> tuple[bytes, dict[str, str]]:
    return case("honeybadger", "occurred.json").body, ({"Honeybadger-Token": token} if token else {})


def _statuscake_request(token: str | None) -> tuple[bytes, dict[str, str]]:
    body = f"Token={token or ''}&Status=Down&StatusCode=503&URL=https%3A%2F%2Fshop.example.com&Name=Shop"
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(("integration_type", "given", "secret", "request_with"), [
    ("HONEYBADGER", {"token": "hb-webhook-token-1234"}, "hb-webhook-token-1234", _honeybadger_request),
    ("STATUSCAKE", {"username": "acme", "apiKey": "sc-api-key-5678"}, expected_token("acme", "sc-api-key-5678"),
     _statuscake_request),
])
def test_request_tokens_are_masked_and_kept(client: TestClient, admin: Actor, team: int, integration_type: str,
                                            given: dict[str, str], secret: str,
                                            request_with: Callable[[str | None], tuple[bytes, dict[str, str]]]
                                            ) -> None:
    source = make_source(client, admin, team, integration_type, given)
    url = f"/api/integrations/{source['integrationKey']}"
    assert source["integrationSettings"] == {"token": "********"}
    listed = json.dumps(client.get("/api/alert-sources", headers=admin.headers).json())
    assert secret not in listed and given.get("apiKey", secret) not in listed
    body, headers = request_with(None)
    problem(client.post(url, content=body, headers=headers), 401)

    # The masked value sent back keeps the token; a masked apiKey with nothing stored under it is refused.
    kept = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                      json={"integrationSettings": {"token": "********"}})
    assert kept.status_code == 200, kept.text
    body, headers = request_with(secret)
    answer = client.post(url, content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert len(alerts(client, admin)) == 1
    if integration_type == "STATUSCAKE":
        resent = client.put(f"/api/alert-sources/{source['id']}", headers=admin.headers,
                            json={"integrationSettings": {"username": "acme", "apiKey": "********"}})
        assert problem(resent, 400)["field"] == "integrationSettings.apiKey"


def test_netdata_cloud_verification_token_is_shown_to_the_user(client: TestClient, admin: Actor,
                                                               team: int) -> None:
    source = make_source(client, admin, team, "NETDATA")
    token = "2b633082-34ec-4ec3-946c-5e81076c39af"
    answer = post_case(client, source["integrationKey"], "netdata", "cloud_test.json")
    assert answer.status_code == 202, answer.text
    assert answer.json()["test"] is True and token in answer.json()["note"]
    [row] = client.get(f"/api/alert-sources/{source['id']}/inbound-events", headers=admin.headers).json()["items"]
    assert row["outcome"] == "TEST" and token in row["reason"] and token in row["body"]["note"]
    assert alerts(client, admin) == []
