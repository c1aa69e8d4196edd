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
from tocsin.integrations.vendors.healthchecks import INTEGRATION, TEMPLATE, parse

VENDOR = "healthchecks"


def test_template_filled_in_as_healthchecks_does_is_the_fixture_shape() -> None:
    filled = (TEMPLATE.replace("$CODE", "5f3b2c1a-8e7d-4a6b-9c0d-1e2f3a4b5c6d")
              .replace("$NAME_JSON", json.dumps('Invoice "EU"')).replace("$SLUG", "inv").replace("$STATUS", "down")
              .replace("$TAGS", "billing eu").replace("$NOW", "2026-08-20T06:00:31+00:00"))
    assert set(json.loads(filled)) == set(load_json(VENDOR, "down.json"))
    event = parse(InboundRequest(body=filled.encode()), {}).events[0]
    assert event.summary == 'Invoice "EU" is down'


def test_tags_links_and_check_json() -> None:
    event = parse(request_for(VENDOR, "down_with_check_json.json"), {"baseUrl": "https://healthchecks.io"}).events[0]
    assert event.origin == "healthchecks"
    assert event.labels == {"prod": "", "db": ""}
    assert event.details == "pg_dump of the orders database to S3"
    assert event.links == [{"href": "https://healthchecks.io/checks/5f3b2c1a-8e7d-4a6b-9c0d-1e2f3a4b5c6d/details/",
                            "text": "Healthchecks"}]
    assert event.custom_details["schedule"] == "15 3 * * *"
    assert not any(key.endswith("_url") for key in event.custom_details)
    assert "hc-ping.com" not in json.dumps(event.record())


def test_no_content_type_is_still_json() -> None:
    request = InboundRequest(body=request_for(VENDOR, "up.json").body, headers={})
    assert parse(request, {}).events[0].event_type.value == "RESOLVE"


@pytest.mark.parametrize(("body", "words"), [
    (b'{"check_id": "x", "name": "Invoice "EU" cron", "status": "down"}', ["not valid JSON"]),
    (b'"down"', ["JSON object"]),
    ({"name": "Backup", "status": "down"}, ["check_id"]),
    ({"check_id": "$CODE", "name": "Backup", "status": "down"}, ["check_id"]),
    ({"check_id": "5f3b", "name": "Backup"}, ["status", "down", "up"]),
    ({"check_id": "5f3b", "name": "Backup", "status": "grace"}, ["status"]),
    ({"check_id": "x" * 300, "name": "Backup", "status": "down"}, ["check_id", "longer"]),
    ({"monitorID": "1", "alertType": "1"}, ["Healthchecks", "check_id"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw), *words)


def test_settings() -> None:
    assert INTEGRATION.validate_settings({}) == {}
    assert INTEGRATION.validate_settings({"baseUrl": "https://hc.example.com/"}) == {"baseUrl": "https://hc.example.com"}
    for bad in ({"baseUrl": "ftp://x"}, {"baseUrl": None, "x": 1}):
        with pytest.raises(Problem) as caught:
            INTEGRATION.validate_settings(bad)
        assert caught.value.status == 400


def test_body_with_json_content_type_header() -> None:
    parsed = parse(json_request(load_json(VENDOR, "down.json")), {})
    assert parsed.events[0].alert_key == "5f3b2c1a-8e7d-4a6b-9c0d-1e2f3a4b5c6d"
