from __future__ import annotations

from typing import Any

import pytest

from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.newrelic import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def activated(**changes: Any) -> dict[str, Any]:
    return fixture_json("newrelic", "activated.json") | changes


def test_activated_links_labels_and_details() -> None:
    [event] = INTEGRATION.parse(fixture_request("newrelic", "activated.json"), {}).events
    assert event.links == [{"href": "https://radar-api.service.newrelic.com/accounts/3791245/issues/"
                                    "0f4e9a3c-7b21-4d8e-a6f5-2c9b1e7d3a48?notifier=WEBHOOK",
                            "text": "Issue in New Relic"}]
    assert event.labels == {"entity": "checkout-api", "policy": "Checkout golden signals",
                            "condition": "Checkout error rate"}
    assert event.details == ("Entities: checkout-api\nPolicies: Checkout golden signals\n"
                             "Conditions: Checkout error rate")


def test_updates_of_an_acknowledged_issue_are_alerts_again() -> None:
    body = activated(triggerEvent="PRIORITY_CHANGED", isAcknowledged=True)
    assert INTEGRATION.parse(json_request(body), {}).events[0].event_type is EventType.ALERT


def test_user_action_without_acknowledgement_is_an_alert() -> None:
    body = activated(triggerEvent="USER_ACTION", isAcknowledged=False)
    assert INTEGRATION.parse(json_request(body), {}).events[0].event_type is EventType.ALERT


@pytest.mark.parametrize(("state", "event_type"), [
    ("CREATED", EventType.ALERT), ("activated", EventType.ALERT), ("ACKNOWLEDGED", EventType.ACCEPT),
    ("CLOSED", EventType.RESOLVE),
])
def test_states(state: str, event_type: EventType) -> None:
    assert INTEGRATION.parse(json_request(activated(state=state)), {}).events[0].event_type is event_type


@pytest.mark.parametrize(("priority", "expected"), [
    ("CRITICAL", Priority.HIGH), ("HIGH", Priority.HIGH), ("MEDIUM", Priority.LOW), ("LOW", Priority.LOW),
    (None, None),
])
def test_priorities(priority: str | None, expected: Priority | None) -> None:
    assert INTEGRATION.parse(json_request(activated(priority=priority)), {}).events[0].priority is expected


@pytest.mark.parametrize(("body", "says"), [
    ({"state": "ACTIVATED", "issueTitle": "x"}, "'issueId' is missing"),
    ({"issueId": "0f4e9a3c", "issueTitle": "x"}, "'state' is missing"),
    ({"issueId": "0f4e9a3c", "state": "EXPLODED"}, "'state' 'EXPLODED' is not a New Relic issue state"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_not_json() -> None:
    assert "not valid JSON" in str(bad_payload(INTEGRATION, InboundRequest(body=b"{issueId: 1}")))
