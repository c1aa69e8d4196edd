from __future__ import annotations

import copy
from typing import Any

import pytest

from tocsin.alerts.models import Priority, Severity
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.google_cloud_monitoring import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def opened(**incident: Any) -> dict[str, Any]:
    body = copy.deepcopy(fixture_json("google_cloud_monitoring", "incident_open.json"))
    body["incident"].update(incident)
    return body


def test_open_incident_links_labels_and_details() -> None:
    [event] = INTEGRATION.parse(fixture_request("google_cloud_monitoring", "incident_open.json"), {}).events
    assert event.links == [
        {"href": "https://console.cloud.google.com/monitoring/alerting/incidents/0.nxh3k7q2v9rt?project=shop-prod",
         "text": "Incident in Google Cloud"},
        {"href": "https://wiki.example.com/runbooks/web-prod-cpu", "text": "Runbook"},
    ]
    assert event.labels == {"instance_id": "4412345678901234567", "project_id": "shop-prod", "zone": "us-central1-a",
                            "instance_name": "web-prod-1", "env": "prod", "team": "web"}
    assert event.details is not None
    assert event.details.startswith("CPU on a web-prod VM has been above 80% for 5 minutes.")
    assert "Observed value: 0.934\nThreshold: 0.8" in event.details
    assert event.severity is None


@pytest.mark.parametrize(("severity", "priority", "level"), [
    ("Critical", Priority.HIGH, Severity.CRITICAL), ("ERROR", Priority.HIGH, Severity.ERROR),
    ("Warning", Priority.LOW, Severity.WARNING), ("no severity", Priority.HIGH, None), (None, Priority.HIGH, None),
])
def test_priority_from_severity(severity: str | None, priority: Priority, level: Severity | None) -> None:
    [event] = INTEGRATION.parse(json_request(opened(severity=severity)), {}).events
    assert (event.priority, event.severity) == (priority, level)


def test_states_compare_case_insensitively() -> None:
    assert INTEGRATION.parse(json_request(opened(state="CLOSED")), {}).events[0].event_type.value == "RESOLVE"


def test_documentation_as_text() -> None:
    [event] = INTEGRATION.parse(json_request(opened(documentation="Check the LB.")), {}).events
    assert event.details is not None and event.details.startswith("Check the LB.")


@pytest.mark.parametrize(("body", "says"), [
    ({"version": "1.2"}, "'incident' must be an object"),
    (opened(incident_id=""), "'incident.incident_id' is missing"),
    (opened(state=None), "'incident.state' is missing"),
    (opened(state="acknowledged"), "incident.state must be 'open' or 'closed'"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_not_json() -> None:
    assert "not valid UTF-8" in str(bad_payload(INTEGRATION, InboundRequest(body=b'{"incident": "\xe9"}')))
