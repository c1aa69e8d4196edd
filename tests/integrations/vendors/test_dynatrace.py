from __future__ import annotations

from typing import Any

import pytest

from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.dynatrace import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def problem(**changes: Any) -> dict[str, Any]:
    return fixture_json("dynatrace", "problem_open.json") | changes


def test_open_problem_details_links_and_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("dynatrace", "problem_open.json"), {}).events
    assert event.details == "Problem P-2505117 (service impact) on checkout-service"
    assert event.links == [{"href": "https://abc12345.live.dynatrace.com/#problems/problemdetails;"
                                    "pid=-6351739217486630175_1747218240000V2", "text": "Problem in Dynatrace"}]
    assert event.labels == {"impact": "SERVICE", "severity": "ERROR", "env": "production", "team": "payments"}
    assert event.severity is Severity.ERROR
    assert event.custom_details["impactedEntities"] == [
        {"type": "SERVICE", "name": "checkout-service", "entity": "SERVICE-5E3A91C2D7B04F18"}]


@pytest.mark.parametrize(("severity", "priority"), [
    ("AVAILABILITY", Priority.HIGH), ("ERROR", Priority.HIGH), ("CUSTOM_ALERT", Priority.HIGH),
    ("PERFORMANCE", Priority.LOW), ("RESOURCE_CONTENTION", Priority.LOW), ("MONITORING_UNAVAILABLE", Priority.LOW),
    ("", None),
])
def test_priority_from_problem_severity(severity: str, priority: Priority | None) -> None:
    assert INTEGRATION.parse(json_request(problem(ProblemSeverity=severity)), {}).events[0].priority is priority


def test_other_states_alert() -> None:
    assert INTEGRATION.parse(json_request(problem(State="MERGED")), {}).events[0].event_type is EventType.ALERT


def test_test_notification_with_the_recommended_payload_keys() -> None:
    body = problem(PID="99999", ProblemID="999", ProblemTitle="Dynatrace problem notification test run")
    parsed = INTEGRATION.parse(json_request(body), {})
    assert parsed.test and parsed.events == []


def test_entities_sent_as_quoted_text_are_tolerated() -> None:
    [event] = INTEGRATION.parse(json_request(problem(ImpactedEntities="[{...}]")), {}).events
    assert event.alert_key == "-6351739217486630175_1747218240000V2"


@pytest.mark.parametrize(("body", "says"), [
    ({"State": "OPEN", "ProblemTitle": "x"}, "'PID' is missing"),
    ({"State": "OPEN", "PID": "123"}, "'ProblemTitle' is missing"),
    ({"PID": "123", "ProblemTitle": "x"}, "'State' is missing"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_unescaped_placeholders_are_not_json() -> None:
    request = InboundRequest(body=b'{"State": "OPEN", "ImpactedEntities": {ImpactedEntities}}')
    assert "not valid JSON" in str(bad_payload(INTEGRATION, request))
