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
from tocsin.integrations.vendors.site24x7 import parse

VENDOR = "site24x7"


def test_monitor_id_above_2_53_is_exact() -> None:
    raw = (request_for(VENDOR, "down.json").body.replace(b"214895000000043017", b"214895000000043019"))
    assert parse(InboundRequest(body=raw), {}).events[0].alert_key == "214895000000043019"


def test_down_carries_links_tags_and_details() -> None:
    event = parse(request_for(VENDOR, "down.json"), {}).events[0]
    assert event.origin == "site24x7"
    assert [link["text"] for link in event.links] == ["Site24x7", "Root cause analysis", "Shop API"]
    assert event.labels == {"env": "prod", "team": "shop"}
    assert event.custom_details["FAILED_LOCATIONS"] == "Frankfurt-DE,Amsterdam-NL,London-UK"
    assert event.custom_details["INCIDENT_TIME_ISO"] == "2025-06-03T11:14:07+0200"


def test_form_tags_are_a_comma_string() -> None:
    assert parse(request_for(VENDOR, "down_form.txt"), {}).events[0].labels == {"env": "prod", "team": "shop"}


def test_custom_parameters_only_is_a_test() -> None:
    assert parse(json_request({"token_type": "x"}), {}).test


def test_other_status_gives_no_event() -> None:
    body = load_json(VENDOR, "down.json")
    body["STATUS"] = "MAINTENANCE"
    parsed = parse(json_request(body), {})
    assert parsed.events == [] and not parsed.test


@pytest.mark.parametrize(("body", "words"), [
    (b"STATUS: DOWN", ["not valid JSON"]),
    (b"[{\"STATUS\": \"DOWN\"}]", ["JSON object"]),
    ({"MONITORNAME": "Shop API", "INCIDENT_REASON": "x"}, ["STATUS", "Send Incident Parameters"]),
    ({"STATUS": "DOWN", "INCIDENT_REASON": "x"}, ["MONITOR_ID", "MONITORNAME"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)
