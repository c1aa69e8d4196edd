"""Adapter rules the vendor fixtures do not show: fallbacks, alternative shapes, tests and no-event requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integrations.helpers import case
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations import registry
from tocsin.integrations.base import InboundRequest, Integration, Parsed
from tocsin.integrations.source_settings import MASK, public, validated


def integration(integration_type: str) -> Integration:
    found = registry.get(integration_type)
    assert found is not None
    return found


def parse(integration_type: str, body: Any, settings: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> Parsed:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return integration(integration_type).parse(InboundRequest(body=raw, headers=headers or {}), settings or {})


def test_alertmanager_without_fingerprint_keys_by_a_stable_hash_of_the_labels() -> None:
    first = {"status": "firing", "labels": {"alertname": "Down", "instance": "a", "job": "x"}}
    reordered = {"status": "resolved", "labels": {"job": "x", "instance": "a", "alertname": "Down"}}
    other = {"status": "firing", "labels": {"alertname": "Down", "instance": "b", "job": "x"}}
    events = parse("PROMETHEUS", {"alerts": [first, reordered, other]}).events
    assert events[0].alert_key == events[1].alert_key != events[2].alert_key
    assert (events[0].alert_key or "").startswith("labels:")
    assert events[0].summary == "Down on a" and events[0].priority is None  # no severity: the source decides
    assert [e.event_type for e in events] == [EventType.ALERT, EventType.RESOLVE, EventType.ALERT]


def test_alertmanager_unknown_severity_is_low() -> None:
    alert = {"status": "firing", "labels": {"alertname": "X", "severity": "sev-unknown"}}
    assert parse("PROMETHEUS", {"alerts": [alert]}).events[0].priority is Priority.LOW


def test_grafana_oncall_labels_as_a_list_and_silence_without_event() -> None:
    body = json.loads(case("grafana-oncall", "alert-group-created.json").body)
    body["alert_group"]["labels"] = [{"key": {"id": "k", "name": "severity"}, "value": {"id": "v", "name": "warning"}}]
    [event] = parse("GRAFANA_ONCALL", body).events
    assert event.labels == {"severity": "warning"} and event.priority is Priority.LOW
    body["event"]["type"] = "silence"
    assert parse("GRAFANA_ONCALL", body) == Parsed()


def test_sentry_installation_is_a_test_and_assignment_a_comment() -> None:
    installed = parse("SENTRY", {"action": "created", "data": {"installation": {"uuid": "u"}}},
                      headers={"sentry-hook-resource": "installation"})
    assert installed.test and installed.note == "Sentry integration installation created"
    issue = json.loads(case("sentry", "issue_resolved.json").body)
    issue["action"] = "assigned"
    issue["data"]["issue"]["assignedTo"] = {"type": "user", "name": "Dana Reyes"}
    [event] = parse("SENTRY", issue, headers={"sentry-hook-resource": "issue"}).events
    assert event.event_type is EventType.COMMENT
    assert [c.content for c in event.comments] == ["Assigned to Dana Reyes in Sentry"]
    assert parse("SENTRY", {"action": "created", "data": {"comment": "x"}},
                 headers={"sentry-hook-resource": "comment"}).events == []


def test_sentry_test_notification_is_recorded_with_its_rule() -> None:
    found = case("sentry", "event_alert_test_notification.json")
    parsed = integration("SENTRY").parse(found.request(), {})
    assert parsed.test and parsed.events == []
    assert parsed.note == ("Sentry alert rule test notification (Page on-call for new front-end errors, "
                           "issue 1117540176)")
    unnamed = integration("SENTRY").parse(case("sentry", "event_alert_test_unnamed_rule.json").request(), {})
    assert unnamed.test and unnamed.note is not None and "not named yet" in unnamed.note


def test_sentry_resource_is_found_in_the_body_without_the_header() -> None:
    body = json.loads(case("sentry", "metric_alert_critical.json").body)
    [event] = parse("SENTRY", body).events
    assert event.alert_key == "metric_alert:4821"


def test_generic_json_match_ignore_and_constants() -> None:
    mapping = {"match": [{"path": "kind", "in": ["alarm"]}], "summary": "{host}: {text}", "alertKey": "{host}",
               "state": {"path": "level", "map": {"OK": "RESOLVE", "noise": "IGNORE"}},
               "priority": {"value": "LOW"}, "labels": {"host": "{host}", "empty": "{missing}"}}
    settings = validated("GENERIC_JSON", mapping)
    assert parse("GENERIC_JSON", {"kind": "ping"}, settings).events == []
    assert parse("GENERIC_JSON", {"kind": "alarm", "level": "noise"}, settings).events == []
    [alert] = parse("GENERIC_JSON", {"kind": "alarm", "host": "db1", "text": "down", "level": "crit"}, settings).events
    assert (alert.event_type, alert.summary, alert.priority) == (EventType.ALERT, "db1: down", Priority.LOW)
    assert alert.labels == {"host": "db1"}
    [ok] = parse("GENERIC_JSON", {"kind": "alarm", "host": "db1", "level": "ok"}, settings).events  # any case
    assert ok.event_type is EventType.RESOLVE
    with pytest.raises(Problem, match="not valid JSON"):
        parse("GENERIC_JSON", b'{"name": "Water "leak""}', settings)


def test_goalert_json_field_names_in_any_case() -> None:
    [event] = parse("GOALERT", {"Summary": "Disk\nfull", "Dedup": "d"},
                    headers={"content-type": "application/json"}).events
    assert (event.summary, event.alert_key) == ("Disk full", "d")


def test_secret_settings_are_masked_and_kept() -> None:
    stored = validated("SENTRY", {"clientSecret": "s" * 32})
    assert public("SENTRY", stored) == {"clientSecret": MASK}
    assert validated("SENTRY", {"clientSecret": MASK}, stored) == stored
    with pytest.raises(Problem, match="clientSecret"):
        validated("SENTRY", {"clientSecret": "short"})
    with pytest.raises(Problem, match="takes no integrationSettings"):
        validated("PROMETHEUS", {"x": 1})
    with pytest.raises(Problem, match="must be an object"):
        validated("PROMETHEUS", ["x"])
