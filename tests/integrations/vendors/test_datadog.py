from __future__ import annotations

from typing import Any

import pytest

from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.datadog import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def triggered(**changes: Any) -> dict[str, Any]:
    return fixture_json("datadog", "triggered.json") | changes


def test_warn_triggered_and_recovered_share_one_key() -> None:
    keys = {INTEGRATION.parse(fixture_request("datadog", name), {}).events[0].alert_key
            for name in ("warn.json", "triggered.json", "recovered.json")}
    assert keys == {"c1f6b1e6f0b6a6ce2d5b4f9a8e7d3c21"}


def test_triggered_details_links_and_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("datadog", "triggered.json"), {}).events
    assert event.links == [{"href": "https://app.datadoghq.com/event/event?id=7761903412539282451",
                            "text": "Event in Datadog"}]
    assert event.labels == {"env": "production", "host": "db-replica-2", "role": "db-replica", "service": "mysql"}
    assert event.custom_details["tags"][2] == "monitor"
    assert event.details is not None
    assert event.details.startswith("Replica db-replica-2 is far behind the primary.")
    assert event.details.endswith("Host: db-replica-2")


def test_default_payload_reads_the_title_and_strips_the_fences() -> None:
    [event] = INTEGRATION.parse(fixture_request("datadog", "default_payload_triggered.json"), {}).events
    assert event.details is not None and event.details.startswith("Replica db-replica-2 is far behind")
    assert "%%%" not in event.details
    assert event.images == [{
        "src": "https://p.datadoghq.com/snapshot/view/dd-snapshots-prod/org_718293/2025-05-14/"
               "3be6d9318e32a0b89b518edce4c91e4012229fb5.png",
        "href": "https://app.datadoghq.com/monitors/48213377?from_ts=1747217700000&to_ts=1747218900000"
                "&event_id=7761903412539282451&link_source=monitor_notif",
        "alt": "Metric Graph",
    }]


def test_snapshot_variable_becomes_an_image() -> None:
    body = triggered(snapshot="https://p.datadoghq.com/snapshot/view/dd-snapshots-prod/org_718293/x.png")
    [event] = INTEGRATION.parse(json_request(body), {}).events
    assert event.images == [{"src": "https://p.datadoghq.com/snapshot/view/dd-snapshots-prod/org_718293/x.png",
                             "alt": "Monitor graph"}]


@pytest.mark.parametrize(("transition", "event_type", "priority"), [
    ("Re-Triggered", EventType.ALERT, Priority.HIGH),
    ("Renotify", EventType.ALERT, Priority.HIGH),
    ("Re-Warn", EventType.ALERT, Priority.LOW),
    ("Re-No Data", EventType.ALERT, Priority.LOW),
    ("Recovered", EventType.RESOLVE, Priority.HIGH),
])
def test_transitions(transition: str, event_type: EventType, priority: Priority) -> None:
    [event] = INTEGRATION.parse(json_request(triggered(alert_transition=transition)), {}).events
    assert (event.event_type, event.priority) == (event_type, priority)


@pytest.mark.parametrize(("monitor_priority", "priority"), [
    ("P1", Priority.HIGH), ("P2", Priority.HIGH), ("", Priority.HIGH), ("P3", Priority.LOW), ("P5", Priority.LOW),
])
def test_priority_from_the_monitor_priority(monitor_priority: str, priority: Priority) -> None:
    body = triggered(alert_priority=monitor_priority, title="[Triggered on {host:a}] Lag")
    assert INTEGRATION.parse(json_request(body), {}).events[0].priority is priority


def test_other_transitions_make_no_event() -> None:
    parsed = INTEGRATION.parse(json_request(triggered(alert_transition="Null")), {})
    assert parsed.events == [] and not parsed.test


def test_without_aggregation_key_the_monitor_and_scope_are_the_key() -> None:
    [event] = INTEGRATION.parse(json_request(triggered(aggreg_key="")), {}).events
    assert event.alert_key == "48213377:host:db-replica-2"


@pytest.mark.parametrize(("body", "says"), [
    ({"alert_transition": "Triggered"}, "'title' is missing"),
    ({"title": "Replication lag is high"}, "'alert_transition' is missing"),
    ({"title": "Lag", "alert_transition": "Triggered"}, "'aggreg_key' is missing"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_form_encoded_payload_is_refused() -> None:
    request = InboundRequest(body=b"title=x&alert_transition=Triggered",
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert "'Encode as form'" in str(bad_payload(INTEGRATION, request, status=415))


def test_not_json() -> None:
    assert "not valid JSON" in str(bad_payload(INTEGRATION, InboundRequest(body=b"title=x")))
