from __future__ import annotations

from typing import Any

import pytest

from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.zabbix import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def problem(**changes: Any) -> dict[str, Any]:
    return fixture_json("zabbix", "problem.json") | changes


def test_problem_links_labels_and_details() -> None:
    [event] = INTEGRATION.parse(fixture_request("zabbix", "problem.json"), {}).events
    assert event.links == [
        {"href": "https://zabbix.example.com/tr_events.php?triggerid=23847&eventid=1204477",
         "text": "Problem in Zabbix"},
        {"href": "https://wiki.example.com/runbooks/postgresql-service-down", "text": "Trigger URL"},
    ]
    assert event.labels == {"host": "db-01", "class": "database", "component": "postgresql",
                            "scope": "availability", "service": "orders"}
    assert event.severity is Severity.ERROR
    assert event.details is not None and event.details.startswith("Problem started at 09:12:45 on 2025.03.14")
    assert event.custom_details["hostIp"] == "10.20.30.41"
    assert "updateActions" not in event.custom_details


def test_acknowledge_carries_the_message_and_who() -> None:
    [event] = INTEGRATION.parse(fixture_request("zabbix", "acknowledge.json"), {}).events
    assert event.event_type is EventType.ACCEPT
    assert event.details == "Failover not needed, restarting postgresql on db-01."
    assert [(c.content, c.creator) for c in event.comments] == [
        ("Failover not needed, restarting postgresql on db-01.", "Anna Kowalski (akowalski)")]


def test_comment_is_a_comment_event() -> None:
    [event] = INTEGRATION.parse(fixture_request("zabbix", "comment.json"), {}).events
    assert [(c.content, c.creator) for c in event.comments] == [
        ("DBA on call is checking replication lag first.", "Marek Nowak (mnowak)")]


@pytest.mark.parametrize(("nseverity", "priority"), [
    ("0", Priority.LOW), ("1", Priority.LOW), ("2", Priority.LOW), ("3", Priority.LOW),
    ("4", Priority.HIGH), ("5", Priority.HIGH), ("{EVENT.NSEVERITY}", None),
])
def test_priority_from_numeric_severity(nseverity: str, priority: Priority | None) -> None:
    [event] = INTEGRATION.parse(json_request(problem(**{"EVENT.NSEVERITY": nseverity})), {}).events
    assert event.priority is priority


@pytest.mark.parametrize("action", ["closed", "changed severity from High to Disaster", "suppressed indefinitely",
                                    "unacknowledged and changed severity from High to Average"])
def test_updates_without_acknowledge_or_comment_make_no_event(action: str) -> None:
    body = problem(**{"EVENT.UPDATE.STATUS": "1", "EVENT.UPDATE.ACTION": action, "EVENT.UPDATE.MESSAGE": ""})
    parsed = INTEGRATION.parse(json_request(body), {})
    assert parsed.events == [] and not parsed.test


def test_acknowledged_among_several_actions() -> None:
    body = problem(**{"EVENT.UPDATE.STATUS": "1", "EVENT.UPDATE.ACTION": "commented, acknowledged and closed"})
    [event] = INTEGRATION.parse(json_request(body), {}).events
    assert event.event_type is EventType.ACCEPT


@pytest.mark.parametrize("source", ["1", "2", "3", "4"])
def test_non_trigger_events_make_no_event(source: str) -> None:
    parsed = INTEGRATION.parse(json_request(problem(**{"EVENT.SOURCE": source})), {})
    assert parsed.events == [] and not parsed.test


def test_typed_test_values_are_a_test() -> None:
    assert INTEGRATION.parse(json_request(problem(**{"EVENT.ID": "test"})), {}).test


def test_without_tagsjson_labels_come_from_tags() -> None:
    [event] = INTEGRATION.parse(json_request(problem(**{"EVENT.TAGSJSON": "{EVENT.TAGSJSON}"})), {}).events
    assert event.labels["component"] == "postgresql"


@pytest.mark.parametrize(("body", "says"), [
    ({"alerts": []}, "'EVENT.ID' is missing"),
    (problem(**{"EVENT.VALUE": "{EVENT.VALUE}"}), "EVENT.VALUE must be '0' (recovery) or '1' (problem)"),
    (problem(**{"EVENT.NAME": "", "TRIGGER.NAME": "", "ALERT.SUBJECT": ""}), "'EVENT.NAME' is missing"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


@pytest.mark.parametrize(("body", "says"), [(b"EVENT.ID=1", "not valid JSON"), (b'"1204477"', "must be a JSON object")])
def test_not_json_objects(body: bytes, says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, InboundRequest(body=body)))
