from __future__ import annotations

from typing import Any

import pytest

from tocsin.alerts.models import Priority, Severity
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.rollbar import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)


def test_new_item_details_links_and_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("rollbar", "new_item.json"), {}).events
    assert event.details == (
        "Item #142\nEnvironment: production\nOccurrences: 1\nServer: checkout-api-7d9f8b-x2k4q\n\n"
        "KeyError: 'customer_id'\n"
        "  at charge_customer (/srv/checkout/app/services/billing.py:142)\n"
        "  at create_order (/srv/checkout/app/views/orders.py:88)"
    )
    assert event.links == [
        {"href": "https://rollbar.com/item/uuid/?uuid=3f0a9c1e-6b2d-4f7a-9e8c-1d2b3a4c5e6f", "text": "Item in Rollbar"},
        {"href": "https://rollbar.com/occurrence/uuid/?uuid=3f0a9c1e-6b2d-4f7a-9e8c-1d2b3a4c5e6f",
         "text": "Occurrence in Rollbar"},
    ]
    assert event.labels == {"environment": "production", "level": "error", "project": "583921"}
    assert event.severity is Severity.ERROR


def test_occurrence_uses_its_own_occurrence() -> None:
    [event] = INTEGRATION.parse(fixture_request("rollbar", "occurrence.json"), {}).events
    assert event.details is not None and "Server: checkout-api-7d9f8b-m8p2z" in event.details


def test_velocity_and_repeat_name_their_trigger() -> None:
    [velocity] = INTEGRATION.parse(fixture_request("rollbar", "item_velocity.json"), {}).events
    assert velocity.details is not None and "More than 10 occurrences in 5 minutes" in velocity.details
    [repeat] = INTEGRATION.parse(fixture_request("rollbar", "exp_repeat_item.json"), {}).events
    assert repeat.details is not None and "Reached 100 occurrences" in repeat.details


def test_message_items_show_the_message() -> None:
    [event] = INTEGRATION.parse(fixture_request("rollbar", "new_item_warning.json"), {}).events
    assert event.details is not None and event.details.endswith("Payment provider responded slowly (2.8 s)")


@pytest.mark.parametrize(("level", "priority"), [
    (50, Priority.HIGH), (40, Priority.HIGH), (30, Priority.LOW), (20, Priority.LOW), (10, Priority.LOW),
    ("critical", Priority.HIGH), ("warning", Priority.LOW),
])
def test_priority_from_level(level: Any, priority: Priority) -> None:
    body = fixture_json("rollbar", "new_item.json")
    body["data"]["item"]["level"] = level
    [event] = INTEGRATION.parse(json_request(body), {}).events
    assert event.priority is priority


def test_unknown_notification_kinds_make_no_event() -> None:
    body = fixture_json("rollbar", "new_item.json") | {"event_name": "item_assigned"}
    parsed = INTEGRATION.parse(json_request(body), {})
    assert parsed.events == [] and not parsed.test


@pytest.mark.parametrize(("body", "says"), [
    ({"data": {}}, "'event_name' is missing"),
    ({"event_name": "new_item"}, "'data' must be an object"),
    ({"event_name": "new_item", "data": {"deploy": {}}}, "'data.item' must be an object"),
    ({"event_name": "new_item", "data": {"item": {"title": "x"}}}, "'data.item.id' is missing"),
    ({"event_name": "new_item", "data": {"item": {"id": 5, "title": " "}}}, "'data.item.title' is missing"),
])
def test_malformed_bodies(body: dict[str, Any], says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, json_request(body)))


def test_xml_rules_are_refused_with_415() -> None:
    request = InboundRequest(body=b"<?xml version='1.0'?><event_name>new_item</event_name>")
    error = bad_payload(INTEGRATION, request, status=415)
    assert str(error) == "this rule posts XML: set the Rollbar rule's format to JSON"


def test_not_json() -> None:
    assert "not valid JSON" in str(bad_payload(INTEGRATION, InboundRequest(body=b"event_name=new_item")))
