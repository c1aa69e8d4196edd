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
from tocsin.integrations.vendors.uptimerobot import INTEGRATION, TEMPLATE, parse

VENDOR = "uptimerobot"


def test_setup_template_is_the_json_uptimerobot_fills_in() -> None:
    assert set(json.loads(TEMPLATE)) == set(load_json(VENDOR, "up.json"))
    assert any(TEMPLATE in step for step in INTEGRATION.setup_steps)


def test_placeholders_are_absent_and_durations_read() -> None:
    down = parse(request_for(VENDOR, "down.json"), {}).events[0]
    assert "alertFriendlyDuration" not in down.custom_details
    assert "alertDurationSeconds" not in down.custom_details
    up = parse(request_for(VENDOR, "up.json"), {}).events[0]
    assert up.custom_details["alertDurationSeconds"] == 425
    assert up.links == [
        {"href": "https://dashboard.uptimerobot.com/monitors/784350743", "text": "UptimeRobot"},
        {"href": "https://shop.example.com/health", "text": "Shop API"},
    ]


def test_bare_host_is_not_a_link() -> None:
    event = parse(request_for(VENDOR, "down_host.json"), {}).events[0]
    assert [link["text"] for link in event.links] == ["UptimeRobot"]
    assert event.origin == "uptimerobot"


def test_unknown_alert_type_gives_no_event() -> None:
    body = load_json(VENDOR, "down.json")
    body["alertType"] = "9"
    parsed = parse(json_request(body), {})
    assert parsed.events == [] and not parsed.test


@pytest.mark.parametrize(("body", "words"), [
    (b'{"monitorID": "1", "monitorFriendlyName": "a "quoted" name"}', ["not valid JSON"]),
    (b"[]", ["JSON object"]),
    ({"monitorURL": "https://x", "alertType": "1"}, ["monitorID"]),
    ({"monitorID": "*monitorID*", "alertType": "1"}, ["monitorID"]),
    ({"monitorID": "12", "alertTypeFriendlyName": "Down"}, ["alertType"]),
    ({"monitorID": "12", "alertType": "Down"}, ["alertType", "number"]),
    ({"check_id": 12, "current_state": "DOWN"}, ["UptimeRobot", "monitorID"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)


def test_empty_request_names_the_missing_field() -> None:
    assert_bad(parse, InboundRequest(body=b""), "monitorID")


def test_form_without_the_fields() -> None:
    request = InboundRequest(body=b"hello=world", headers={"content-type": "application/x-www-form-urlencoded"})
    assert_bad(parse, request, "monitorID")
