from __future__ import annotations

from typing import Any

import pytest

from tocsin.alerts.models import EventType
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.kibana import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def active(**changes: Any) -> dict[str, Any]:
    return fixture_json("kibana", "active.json") | changes


def test_active_alert_details_links_and_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("kibana", "active.json"), {}).events
    assert event.details is not None and event.details.startswith("alert 'prod web CPU' is active for group 'web-01'")
    assert event.links == [{"href": "https://kibana.example.com/app/management/insightsAndAlerting/triggersActions/"
                                    "rule/3f7c2a90-5e1b-11f1-9c4d-8b2e6a1f0c37", "text": "Rule in Kibana"}]
    assert event.labels == {"space": "default"}
    assert event.custom_details["tags"] == ["prod", "web"]
    assert event.custom_details["flapping"] is False


def test_recovery_finds_the_alert_although_its_uuid_changes() -> None:
    first = INTEGRATION.parse(json_request(active(alertUuid="a")), {}).events[0]
    recovered = INTEGRATION.parse(json_request(active(alertUuid="b", actionGroup="recovered")), {}).events[0]
    assert recovered.event_type is EventType.RESOLVE
    assert first.alert_key == recovered.alert_key


def test_rule_url_empty_without_public_base_url() -> None:
    assert INTEGRATION.parse(json_request(active(ruleUrl="")), {}).events[0].links == []


def test_empty_rule_id_is_a_test() -> None:
    assert INTEGRATION.parse(json_request(active(ruleId="")), {}).test


def test_long_group_values_still_fit_the_key() -> None:
    [event] = INTEGRATION.parse(json_request(active(alertId="x" * 400)), {}).events
    again = INTEGRATION.parse(json_request(active(alertId="x" * 400, actionGroup="recovered")), {}).events[0]
    assert event.alert_key is not None and len(event.alert_key) <= 255
    assert event.alert_key == again.alert_key


@pytest.mark.parametrize(("body", "says"), [
    ({"ruleName": "x", "alertId": "y"}, "'ruleId' is missing"),
    (active(alertId=""), "'alertId' is missing"),
    (active(actionGroup=None), "'actionGroup' is missing"),
    (active(source="logstash"), "'source' must be 'kibana' or 'watcher'"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_placeholders_outside_quotes_are_not_json() -> None:
    request = InboundRequest(body=b'{"ruleId": {{rule.id}}}', headers={"content-type": "application/json"})
    assert "not valid JSON" in str(bad_payload(INTEGRATION, request))
