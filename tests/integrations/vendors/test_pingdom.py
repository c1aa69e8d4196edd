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
from tocsin.integrations.vendors.pingdom import parse

VENDOR = "pingdom"


def test_down_carries_links_labels_and_details() -> None:
    event = parse(request_for(VENDOR, "down.json"), {}).events[0]
    assert event.origin == "pingdom"
    assert event.links == [
        {"href": "https://my.pingdom.com/app/reports/uptime#check=8433117", "text": "Pingdom report"},
        {"href": "https://shop.example.com/health", "text": "Shop API"},
    ]
    assert event.labels == {"prod": "", "shop": "", "checkType": "HTTP"}
    assert event.details == "HTTP Server Error 503 Service Unavailable"
    assert event.custom_details["probes"] == ["Strasbourg 5, France", "Athens, Greece"]


def test_transaction_has_custom_message_and_no_uptime_report_link() -> None:
    event = parse(request_for(VENDOR, "transaction_failing.json"), {}).events[0]
    assert event.links == []
    assert event.details is not None and event.details.endswith("Checkout broken - page the shop on-call")


def test_test_detected_by_empty_probes_even_without_the_text() -> None:
    body = load_json(VENDOR, "test.json")
    body["long_description"] = "Test"
    assert parse(json_request(body), {}).test


def test_unknown_state_gives_no_event() -> None:
    body = load_json(VENDOR, "down.json")
    body["current_state"] = "PAUSED"
    parsed = parse(json_request(body), {})
    assert parsed.events == [] and not parsed.test


@pytest.mark.parametrize(("body", "words"), [
    (b"check_id=1&current_state=DOWN", ["not valid JSON"]),
    (b"\"DOWN\"", ["JSON object"]),
    ({"current_state": "DOWN", "check_name": "x"}, ["check_id"]),
    ({"check_id": 1, "check_name": "x"}, ["current_state"]),
    ({"check_id": True, "current_state": "DOWN"}, ["check_id"]),
    ({"heartbeat": {"status": 0}, "msg": "x"}, ["Pingdom", "check_id"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)
