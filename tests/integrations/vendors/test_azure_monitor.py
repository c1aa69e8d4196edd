from __future__ import annotations

import copy
from typing import Any

import pytest

from tocsin.alerts.models import Priority, Severity
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.azure_monitor import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def fired(**essentials: Any) -> dict[str, Any]:
    body = copy.deepcopy(fixture_json("azure_monitor", "metric_fired.json"))
    body["data"]["essentials"].update(essentials)
    return body


def test_metric_alert_details_and_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("azure_monitor", "metric_fired.json"), {}).events
    assert event.details == "Average Percentage CPU GreaterThan 85: 93.4102\n\nResources: vm-web-prod-01"
    assert event.labels == {"severity": "Sev1", "signalType": "Metric", "monitoringService": "Platform",
                            "resourceGroup": "rg-web-prod", "resourceType": "microsoft.compute/virtualmachines",
                            "resource": "vm-web-prod-01"}
    assert event.severity is Severity.ERROR
    assert event.custom_details["alertContext"]["conditionType"] == "SingleResourceMultipleMetricCriteria"


def test_log_search_links_and_query() -> None:
    [event] = INTEGRATION.parse(fixture_request("azure_monitor", "log_search_fired.json"), {}).events
    assert [link["text"] for link in event.links] == ["Filtered search results"]  # both links are the same URL
    assert event.details is not None and event.details.startswith("Count AppRequests | where ResultCode")


def test_custom_properties_become_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("azure_monitor", "metric_dynamic_fired.json"), {}).events
    assert event.labels["team"] == "data-platform"


@pytest.mark.parametrize(("severity", "priority"), [
    ("Sev0", Priority.HIGH), ("Sev1", Priority.HIGH), ("Sev2", Priority.LOW), ("Sev3", Priority.LOW),
    ("Sev4", Priority.LOW),
])
def test_priority_from_severity(severity: str, priority: Priority) -> None:
    assert INTEGRATION.parse(json_request(fired(severity=severity)), {}).events[0].priority is priority


def test_rule_without_description() -> None:
    assert INTEGRATION.parse(json_request(fired(description="")), {}).events[0].summary == "web-prod-cpu-high"


def test_older_schemas_are_refused_with_advice() -> None:
    body = {"schemaId": "AzureMonitorMetricAlert", "data": {"status": "Activated", "context": {}}}
    error = bad_payload(INTEGRATION, json_request(body))
    assert "turn on 'Enable the common alert schema'" in str(error)
    assert "None" in str(bad_payload(INTEGRATION, json_request({"status": "Activated", "context": {}})))


@pytest.mark.parametrize(("body", "says"), [
    ({"schemaId": "azureMonitorCommonAlertSchema"}, "'data' must be an object"),
    ({"schemaId": "azureMonitorCommonAlertSchema", "data": {}}, "'data.essentials' must be an object"),
    (fired(alertId=""), "'data.essentials.alertId' is missing"),
    (fired(alertRule=None), "'data.essentials.alertRule' is missing"),
    (fired(monitorCondition=None), "'data.essentials.monitorCondition' is missing"),
    (fired(monitorCondition="Acknowledged"), "must be Fired or Resolved"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_not_json() -> None:
    assert "body is empty" in str(bad_payload(INTEGRATION, InboundRequest(body=b"  ")))
