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
from tocsin.integrations.vendors.splunk import parse

VENDOR = "splunk"


def test_raw_event_result() -> None:
    event = parse(request_for(VENDOR, "alert_raw_event_result.json"), {}).events[0]
    assert event.origin == "splunk"
    assert event.details is not None and event.details.startswith("May 14 10:36:41 bastion-01 sudo:")
    assert event.labels == {"host": "bastion-01", "source": "/var/log/secure", "sourcetype": "linux_secure",
                            "index": "os"}
    assert event.links[0]["text"] == "Splunk results"
    result = event.custom_details["result"]
    assert "_raw" in result and "_time" in result and "_si" not in result and "_confstr" not in result
    assert event.custom_details["sid"].startswith("rt_scheduler__")


def test_stats_result_rendered_as_fields() -> None:
    event = parse(request_for(VENDOR, "alert_stats_result.json"), {}).events[0]
    assert event.details == "host: web-03\nstatus: 503\ncount: 212"


def test_result_may_be_missing() -> None:
    body = load_json(VENDOR, "alert_stats_result.json")
    del body["result"]
    assert parse(json_request(body), {}).events[0].summary == "Checkout 5xx spike"


def test_long_search_name_gives_a_key_that_fits() -> None:
    body = load_json(VENDOR, "alert_stats_result.json")
    body["search_name"] = "s" * 500
    key = parse(json_request(body), {}).events[0].alert_key
    assert key is not None and len(key) <= 255


@pytest.mark.parametrize(("body", "words"), [
    (b"sid=1", ["not valid JSON"]),
    (b"[]", ["JSON object"]),
    ({"search_name": "x", "result": {}}, ["sid"]),
    ({"sid": "abc", "result": ["a"]}, ["result", "object"]),
    ({"check_id": 1, "current_state": "DOWN"}, ["Splunk", "sid"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)
