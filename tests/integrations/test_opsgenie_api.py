"""The Opsgenie-compatible Alert API, driven by a plain HTTP client replaying the requests Opsgenie documents
(docs.opsgenie.com/docs/alert-api) against a live server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory
from tests.integrations.test_integrations_api import alerts, stored_rows
from tests.live import serve
from tocsin.db import Database

# Opsgenie's documented create-alert example, as sent by its curl sample.
DOCUMENTED_CREATE: dict[str, Any] = {
    "message": "An example alert message",
    "alias": "Life is too short for no alias",
    "description": "Every alert needs a description",
    "responders": [{"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "type": "team"}, {"name": "NOC", "type": "team"},
                   {"username": "trinity@opsgenie.com", "type": "user"},
                   {"name": "Nightwatch Escalation", "type": "escalation"}],
    "visibleTo": [{"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "type": "team"},
                  {"name": "rocket_team", "type": "team"}],
    "actions": ["Restart", "AnExampleAction"],
    "tags": ["OverwriteQuietHours", "Critical"],
    "details": {"key1": "value1", "key2": "value2"},
    "entity": "An example entity",
    "priority": "P1",
}
DOCUMENTED_ACTION = {"user": "Monitoring Script", "source": "AWS Lambda", "note": "Action executed via Alert API"}


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def genie(factory: Factory, team: int) -> str:
    return factory.source(teams=(team,), integration_type="OPSGENIE").key


def opsgenie(base_url: str, key: str | None, path: str, body: Any = None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"GenieKey {key}"} if key else {}
    return httpx.post(f"{base_url}{path}", json=body, params=params, headers=headers, timeout=10)


def accepted(response: httpx.Response) -> None:
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"result", "took", "requestId"}
    assert body["result"] == "Request will be processed"
    assert isinstance(body["took"], float) and 0 <= body["took"] < 5
    assert str(uuid.UUID(body["requestId"])) == body["requestId"] == response.headers["X-Request-ID"]


def refused(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["message"] and isinstance(body["took"], float) and uuid.UUID(body["requestId"])
    return body


def log_messages(client: TestClient, admin: Actor, alert_id: int) -> list[str]:
    return [e["message"] for e in client.get(f"/api/alerts/{alert_id}/log", headers=admin.headers).json()]


def test_documented_requests_create_note_acknowledge_and_close(base_url: str, genie: str, client: TestClient,
                                                               admin: Actor) -> None:
    accepted(opsgenie(base_url, genie, "/v2/alerts", DOCUMENTED_CREATE))
    [alert] = alerts(client, admin)
    assert (alert["summary"], alert["details"], alert["priority"]) == (
        "An example alert message", "Every alert needs a description", "HIGH")
    assert alert["alertKey"] == "Life is too short for no alias"
    assert alert["labels"] == {"OverwriteQuietHours": "", "Critical": "", "entity": "An example entity"}
    assert alert["customDetails"] == {"key1": "value1", "key2": "value2"}

    accepted(opsgenie(base_url, genie, "/v2/alerts", DOCUMENTED_CREATE))  # same alias: deduplicated
    assert [a["eventCount"] for a in alerts(client, admin)] == [2]

    alias = "Life is too short for no alias"
    accepted(opsgenie(base_url, genie, f"/v2/alerts/{alias}/notes", DOCUMENTED_ACTION, identifierType="alias"))
    accepted(opsgenie(base_url, genie, f"/v2/alerts/{alias}/acknowledge", DOCUMENTED_ACTION, identifierType="alias"))
    assert alerts(client, admin)[0]["state"] == "ACCEPTED"
    accepted(opsgenie(base_url, genie, f"/v2/alerts/{alert['id']}/close", DOCUMENTED_ACTION))  # identifierType=id
    assert alerts(client, admin)[0]["state"] == "RESOLVED"
    assert log_messages(client, admin, alert["id"]).count("Action executed via Alert API") == 3


@pytest.mark.parametrize(("priority", "expected"), [("P1", "HIGH"), ("P2", "HIGH"), ("P3", "LOW"), ("P4", "LOW"),
                                                    ("p5", "LOW"), (None, "HIGH")])
def test_priorities(base_url: str, genie: str, client: TestClient, admin: Actor, priority: str | None,
                    expected: str) -> None:
    body = {"message": "Disk full", **({"priority": priority} if priority else {})}
    accepted(opsgenie(base_url, genie, "/v2/alerts", body))
    assert alerts(client, admin)[0]["priority"] == expected


def test_tags_with_values_and_tiny_ids(base_url: str, genie: str, client: TestClient, admin: Actor) -> None:
    accepted(opsgenie(base_url, genie, "/v2/alerts", {"message": "m", "tags": ["env:prod", "db"], "source": "nagios"}))
    [alert] = alerts(client, admin)
    assert alert["labels"] == {"env": "prod", "db": "", "source": "nagios"}
    accepted(opsgenie(base_url, genie, f"/v2/alerts/{alert['id']}/close", {}, identifierType="tiny"))
    assert alerts(client, admin)[0]["state"] == "RESOLVED"


def test_closing_an_unknown_alias_is_accepted_and_changes_nothing(base_url: str, genie: str, client: TestClient,
                                                                  admin: Actor) -> None:
    accepted(opsgenie(base_url, genie, "/v2/alerts/nothing-here/close", identifierType="alias"))
    assert alerts(client, admin) == []


def test_errors_in_opsgenie_shape(base_url: str, genie: str, factory: Factory, db: Database) -> None:
    assert "GenieKey" in refused(opsgenie(base_url, None, "/v2/alerts", {"message": "m"}), 401)["message"]
    refused(httpx.post(f"{base_url}/v2/alerts", json={"message": "m"}, headers={"Authorization": f"Bearer {genie}"}),
            401)
    refused(opsgenie(base_url, "0" * 32, "/v2/alerts", {"message": "m"}), 401)
    disabled = factory.source(status="DISABLED").key
    refused(opsgenie(base_url, disabled, "/v2/alerts", {"message": "m"}), 403)
    broken = httpx.post(f"{base_url}/v2/alerts", content=b'{"message": ', timeout=10,
                        headers={"Authorization": f"GenieKey {genie}", "Content-Type": "application/json"})
    assert "JSON" in refused(broken, 400)["message"]
    missing = refused(opsgenie(base_url, genie, "/v2/alerts", {"alias": "a"}), 422)
    assert set(missing["errors"]) == {"message"}
    blank = refused(opsgenie(base_url, genie, "/v2/alerts", {"message": "  "}), 422)
    assert blank["errors"] == {"message": "Message can not be empty."}
    assert "priority" in refused(opsgenie(base_url, genie, "/v2/alerts", {"message": "m", "priority": "P9"}),
                                 422)["errors"]
    assert "identifierType" in refused(opsgenie(base_url, genie, "/v2/alerts/a/close", {}, identifierType="name"),
                                       422)["message"]
    refused(opsgenie(base_url, genie, "/v2/alerts/8743a1b2-11da-480e-8493-744660987bef/close", {}), 404)
    refused(opsgenie(base_url, genie, "/v2/alerts/42/close", {}), 404)
    assert "Note" in refused(opsgenie(base_url, genie, "/v2/alerts/a/notes", {}, identifierType="alias"),
                             422)["message"]
    huge = refused(opsgenie(base_url, genie, "/v2/alerts", {"message": "m", "description": "x" * 600_000}), 413)
    assert re.search(r"larger than the limit", huge["message"])
    assert stored_rows(db) == 0


def test_an_alert_of_another_source_cannot_be_touched_by_id(base_url: str, genie: str, factory: Factory,
                                                            client: TestClient, admin: Actor) -> None:
    other_team = factory.team("Elsewhere")
    theirs = factory.source(teams=(other_team,)).key
    sent = client.post(f"/api/events/{theirs}", json={"eventType": "ALERT", "summary": "theirs", "alertKey": "k"})
    assert sent.status_code == 202
    [alert] = alerts(client, admin)
    refused(opsgenie(base_url, genie, f"/v2/alerts/{alert['id']}/close", {}), 404)
    refused(opsgenie(base_url, genie, f"/v2/alerts/{alert['id']}/acknowledge", {}), 404)
    refused(opsgenie(base_url, genie, f"/v2/alerts/{alert['id']}/notes", {"note": "n"}), 404)
    accepted(opsgenie(base_url, genie, "/v2/alerts/k/close", {}, identifierType="alias"))  # another source's key
    assert alerts(client, admin)[0]["state"] == "PENDING"
