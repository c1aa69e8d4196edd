from __future__ import annotations

import json

import pytest

from tests.integrations.vendors._support_batch2 import (
    assert_bad,
    json_request,
    load_json,
    request_for,
)
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.graylog import parse

VENDOR = "graylog"


def test_grouped_event_carries_backlog_fields_and_labels() -> None:
    event = parse(request_for(VENDOR, "event_grouped_backlog.json"), {}).events[0]
    assert event.origin == "graylog"
    assert event.details is not None
    assert event.details.startswith("More than 20 failed SSH logins per host in 5 minutes")
    assert "source: bastion-01" in event.details
    assert "- Failed password for root from 203.0.113.57 port 52160 ssh2" in event.details
    assert event.labels == {"source": "bastion-01"}
    assert [m["id"] for m in event.custom_details["backlog"]] == [
        "3a9c1e70-5ecd-11f1-a3c1-0242ac120004", "3b1f5d20-5ecd-11f1-a3c1-0242ac120004"]
    assert event.custom_details["timerangeStart"] == "2026-08-20T09:25:00.000Z"


def test_unkeyed_event_labels_come_from_its_fields() -> None:
    event = parse(request_for(VENDOR, "event.json"), {}).events[0]
    assert event.labels == {"service": "payment-gw", "level": "ERROR", "source": "payment-gw-02"}


def test_each_event_of_a_definition_folds_into_one_key() -> None:
    first = load_json(VENDOR, "event.json")
    second = load_json(VENDOR, "event.json")
    second["event"]["id"] = "01J5ZK9999999999999999999"
    keys = {parse(json_request(body), {}).events[0].alert_key for body in (first, second)}
    assert keys == {"66c4a1f2e3b5d70012ab34cd"}


def test_null_key_is_unkeyed_and_critical_priority_is_high() -> None:
    body = load_json(VENDOR, "event.json")
    body["event"]["key"] = None
    body["event"]["priority"] = 4
    event = parse(json_request(body), {}).events[0]
    assert (event.alert_key, event.priority and event.priority.value) == ("66c4a1f2e3b5d70012ab34cd", "HIGH")


def test_long_key_value_fits() -> None:
    body = load_json(VENDOR, "event_grouped_backlog.json")
    body["event"]["key"] = "k" * 600
    key = parse(json_request(body), {}).events[0].alert_key
    assert key is not None and len(key) <= 255


@pytest.mark.parametrize(("body", "words"), [
    (b"<xml/>", ["not valid JSON"]),
    (b"null", ["JSON object"]),
    ({"event_definition_id": "abc", "backlog": []}, ["event"]),
    ({"event_definition_id": "abc", "event": "boom"}, ["event", "object"]),
    ({"event": {"message": "x"}}, ["event_definition_id"]),
    ({"event_definition_id": "abc", "event": {"priority": 3}}, ["event.message"]),
    ({"check_id": 1, "current_state": "DOWN"}, ["Graylog", "event"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)
