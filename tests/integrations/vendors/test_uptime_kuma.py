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
from tocsin.integrations.vendors.uptime_kuma import INTEGRATION, parse

VENDOR = "uptime_kuma"


def test_down_carries_details_links_and_tags() -> None:
    event = parse(request_for(VENDOR, "down_keyword.json"), {"baseUrl": "https://kuma.example.com"}).events[0]
    assert event.origin == "uptime_kuma"
    assert event.links == [
        {"href": "https://kuma.example.com/dashboard/12", "text": "Uptime Kuma"},
        {"href": "https://shop.example.com/checkout", "text": "Checkout page"},
    ]
    assert event.labels == {"env": "prod", "payments": ""}
    assert event.details is not None and "keyword is not in" in event.details
    assert "Shop / Checkout page (keyword)" in event.details
    assert event.custom_details["ping"] == 231


def test_get_request_reads_the_query() -> None:
    request = request_for(VENDOR, "down_get.txt", method="GET")
    assert [e.alert_key for e in parse(request, {}).events] == ["7"]


def test_pending_and_maintenance_give_no_event() -> None:
    body = load_json(VENDOR, "down.json")
    for status in (2, 3):
        body["heartbeat"]["status"] = status
        parsed = parse(json_request(body), {})
        assert parsed.events == [] and not parsed.test


def test_other_notice_without_monitor_is_a_low_alert() -> None:
    parsed = parse(json_request({"heartbeat": None, "monitor": None, "msg": "Something odd"}), {})
    assert [(e.alert_key, e.priority and e.priority.value) for e in parsed.events] == [("notice:Something odd", "LOW")]


def test_long_expiry_text_gives_a_key_that_fits() -> None:
    msg = f"[{'x' * 400}] server certificate example.com will expire in 3 days"
    key = parse(json_request({"heartbeat": None, "monitor": None, "msg": msg}), {}).events[0].alert_key
    assert key is not None and len(key) <= 255 and key.startswith("cert:[xxx")
    again = parse(json_request({"heartbeat": None, "monitor": None, "msg": msg.replace("3 days", "1 day")}), {})
    assert again.events[0].alert_key == key


@pytest.mark.parametrize(("body", "words"), [
    (b"not json", ["not valid JSON"]),
    (b"[1, 2]", ["JSON object"]),
    ({"monitor": {"id": 1}, "heartbeat": {"status": 0}}, ["msg"]),
    ({"msg": "x", "heartbeat": "down", "monitor": None}, ["heartbeat", "object"]),
    ({"msg": "x", "heartbeat": {"status": "down"}, "monitor": {"id": 3}}, ["heartbeat.status"]),
    ({"msg": "x", "heartbeat": {"status": 0}, "monitor": {"name": "a"}}, ["monitor.id"]),
    ({"msg": "x", "heartbeat": None, "monitor": {"id": 3}}, ["heartbeat"]),
    ({"check_id": 1, "current_state": "DOWN"}, ["msg"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)


def test_form_data_without_the_data_field() -> None:
    boundary = "XyZ"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\n{{}}\r\n--{boundary}--\r\n'.encode()
    request = InboundRequest(body=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert_bad(parse, request, "data")


def test_form_data_field_that_is_not_json() -> None:
    boundary = "XyZ"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\nhello\r\n--{boundary}--\r\n'.encode()
    request = InboundRequest(body=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert_bad(parse, request, "'data'", "JSON")


def test_settings() -> None:
    assert INTEGRATION.validate_settings({}) == {}
    assert INTEGRATION.validate_settings({"baseUrl": "https://kuma.example.com/"}) == {
        "baseUrl": "https://kuma.example.com"}
    for bad in ({"baseUrl": "kuma.example.com"}, {"baseUrl": 3}, {"token": "x"}):
        with pytest.raises(Problem) as caught:
            INTEGRATION.validate_settings(bad)
        assert caught.value.status == 400
