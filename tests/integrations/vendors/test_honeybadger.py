from __future__ import annotations

import json

import pytest

from tests.integrations.vendors._support_batch2 import (
    assert_bad,
    json_request,
    load_json,
    request_for,
)
from tocsin.errors import Problem
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.honeybadger import INTEGRATION, parse

VENDOR = "honeybadger"
TOKEN = "hb-webhook-token-1234"


def test_occurred_carries_links_trace_and_no_process_environment() -> None:
    event = parse(request_for(VENDOR, "occurred.json"), {}).events[0]
    assert event.origin == "honeybadger"
    assert [link["text"] for link in event.links] == ["Honeybadger fault", "Occurrence"]
    assert event.labels == {"environment": "production", "component": "orders", "action": "show",
                            "project": "Storefront"}
    assert event.details is not None
    assert "Request: https://shop.acme.example/orders/58812" in event.details
    assert "[PROJECT_ROOT]/app/controllers/orders_controller.rb:27 in show" in event.details
    recorded = json.dumps(event.record())
    assert "HTTP_USER_AGENT" not in recorded and "REMOTE_ADDR" not in recorded


def test_assignment_and_comment_become_comments() -> None:
    assigned = parse(request_for(VENDOR, "assigned.json"), {}).events[0]
    assert [(c.content, c.creator) for c in assigned.comments] == [
        ("Assigned to Priya Natarajan in Honeybadger", "Sam Okafor")]
    commented = parse(request_for(VENDOR, "commented.json"), {}).events[0]
    assert [(c.content, c.creator) for c in commented.comments] == [
        ("Rolled back the order service, watching it.", "Sam Okafor")]


def test_bulk_comment_reaches_every_fault() -> None:
    body = load_json(VENDOR, "commented.json")
    del body["fault"]
    body["fault_ids"] = ["108234567", "108234568"]
    keys = [e.alert_key for e in parse(json_request(body), {}).events]
    assert keys == ["fault:108234567", "fault:108234568"]


def test_site_down_details() -> None:
    event = parse(request_for(VENDOR, "site_down.json"), {}).events[0]
    assert event.details == "Expected 2xx status code -- got 502"
    assert event.links[0]["href"].endswith("/sites/3c9e1f0a-7b2d-4e6f-9a8c-1d2e3f4a5b6c")


def test_token_is_checked_when_set() -> None:
    body = request_for(VENDOR, "occurred.json").body
    good = InboundRequest(body=body, headers={"honeybadger-token": TOKEN})
    assert parse(good, {"token": TOKEN}).events
    bearer = InboundRequest(body=body, headers={"authorization": f"Bearer {TOKEN}"})
    assert parse(bearer, {"token": TOKEN}).events
    for headers in ({}, {"honeybadger-token": "wrong-token-value"}, {"authorization": TOKEN}):
        with pytest.raises(Problem) as caught:
            parse(InboundRequest(body=body, headers=headers), {"token": TOKEN})
        assert caught.value.status == 401
        assert "Honeybadger-Token" in caught.value.detail


def test_settings() -> None:
    assert INTEGRATION.validate_settings({}) == {}
    assert INTEGRATION.validate_settings({"token": TOKEN}) == {"token": TOKEN}
    for bad in ({"token": "short"}, {"token": 12345678}, {"token": f" {TOKEN}"}, {"secret": TOKEN}):
        with pytest.raises(Problem) as caught:
            INTEGRATION.validate_settings(bad)
        assert caught.value.status == 400


@pytest.mark.parametrize(("body", "words"), [
    (b"event=occurred", ["not valid JSON"]),
    (b"[]", ["JSON object"]),
    ({"message": "[x] boom"}, ["event"]),
    ({"event": "occurred", "message": "x"}, ["fault"]),
    ({"event": "resolved", "fault": {"klass": "E"}}, ["fault.id"]),
    ({"event": "down", "site": {"name": "web"}}, ["site.id"]),
    ({"event": "check_in_missing", "check_in": {"name": "job"}}, ["check_in.id"]),
    ({"monitorID": "1", "alertType": "1"}, ["Honeybadger", "event"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)


def test_a_numeric_site_id_keys_like_its_text() -> None:
    body = load_json(VENDOR, "site_down.json")
    text_key = parse(json_request(body), {}).events[0].alert_key
    body["site"]["id"] = 4242
    assert parse(json_request(body), {}).events[0].alert_key == "site:4242"
    assert text_key is not None and text_key.startswith("site:")
