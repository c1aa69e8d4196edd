"""Bodies no tool should send: a 4xx problem with a message, nothing stored, and the server keeps serving."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tests.integrations.helpers import case
from tests.integrations.test_integrations_api import make_source, stored_rows
from tocsin.db import Database

FIRING = json.loads(case("alertmanager", "firing.json").body)


def deep(levels: int) -> bytes:
    return b'{"alerts": ' + b"[" * levels + b"]" * levels + b"}"


def with_alert(**changes: Any) -> bytes:
    alert = {**FIRING["alerts"][0], **changes}
    return json.dumps({**FIRING, "alerts": [alert]}).encode()


MALFORMED: list[tuple[str, str, bytes, int, str]] = [
    # (id, integration type, body, status, words in the detail)
    ("not-json", "PROMETHEUS", b'{"alerts": [', 400, "not valid JSON"),
    ("empty", "PROMETHEUS", b"", 400, "empty"),
    ("json-array", "PROMETHEUS", b"[1, 2]", 400, "JSON object"),
    ("other-vendor", "PROMETHEUS", case("sentry", "metric_alert_critical.json").body, 400, "alerts"),
    ("missing-status", "PROMETHEUS", with_alert(status=None), 400, "alerts[0].status"),
    ("labels-not-object", "PROMETHEUS", with_alert(labels=["a"]), 400, "alerts[0].labels"),
    ("invalid-utf8", "PROMETHEUS", b'{"alerts": [{"status": "firing", "labels": {"x": "\xff\xfe"}}]}', 400, "UTF-8"),
    ("deeply-nested", "PROMETHEUS", deep(100), 400, "nested"),
    ("deeper-than-python", "PROMETHEUS", deep(100_000), 400, "nested too deeply"),
    ("nul-in-summary", "PROMETHEUS", with_alert(annotations={"summary": "disk\u0000full"}), 400, "NUL"),
    ("nan", "PROMETHEUS", with_alert(values={"A": float("nan")}), 400, "finite"),
    ("oncall-without-group", "GRAFANA_ONCALL", b'{"event": {"type": "resolve"}}', 400, "alert_group"),
    ("sentry-unknown-resource", "SENTRY", b'{"action": "x", "data": {"thing": {}}}', 400, "Sentry"),
    ("sns-not-sns", "AWS_CLOUDWATCH", b'{"Type": "Tweet"}', 400, "SNS"),
    ("goalert-no-summary", "GOALERT", b'{"details": "x"}', 400, "summary"),
    ("pagerduty-v1-no-description", "PAGERDUTY_V1", b'{"event_type": "trigger"}', 400, "description"),
    ("opsgenie-empty-message", "OPSGENIE", b'{"message": " "}', 400, "Message can not be empty"),
]


@pytest.mark.parametrize(("integration_type", "body", "status", "words"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_body_is_refused_and_nothing_is_stored(client: TestClient, admin: Actor, team: int, db: Database,
                                                         integration_type: str, body: bytes, status: int,
                                                         words: str) -> None:
    key = make_source(client, admin, team, integration_type)["integrationKey"]
    answer = problem(client.post(f"/api/integrations/{key}", content=body), status)
    assert words in answer["detail"], answer
    assert stored_rows(db) == 0
    if integration_type == "PROMETHEUS":  # and the server keeps serving
        assert client.post(f"/api/integrations/{key}", json=FIRING).status_code == 202


def test_a_body_over_512_kib_is_413(client: TestClient, admin: Actor, team: int, db: Database) -> None:
    key = make_source(client, admin, team, "PROMETHEUS")["integrationKey"]
    huge = with_alert(annotations={"summary": "x" * (512 * 1024)})
    assert "larger than the limit" in problem(client.post(f"/api/integrations/{key}", content=huge), 413)["detail"]
    assert stored_rows(db) == 0
    assert client.post(f"/api/integrations/{key}", json=FIRING).status_code == 202


def test_an_alias_longer_than_a_key_keeps_its_start_and_a_digest(client: TestClient, admin: Actor, team: int) -> None:
    key = make_source(client, admin, team, "GOALERT")["integrationKey"]
    long_dedup = "d" * 400
    for action in ("", "close"):
        sent = client.post(f"/api/integrations/{key}", json={"summary": "x", "dedup": long_dedup, "action": action})
        assert sent.status_code == 202, sent.text
    [alert] = client.get("/api/alerts", headers={"Authorization": f"Bearer {admin.key}"}).json()["items"]
    head, _, digest = alert["alertKey"].rpartition("~")
    assert head == "d" * 200 and len(digest) == 32 and alert["state"] == "RESOLVED"
