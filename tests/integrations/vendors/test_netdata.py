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
from tocsin.integrations.vendors.netdata import AGENT_SENDER, INTEGRATION, parse

VENDOR = "netdata"


def test_cloud_alert_labels_links_and_rooms() -> None:
    event = parse(request_for(VENDOR, "cloud_critical.json"), {}).events[0]
    assert event.origin == "netdata"
    assert event.links == [{"href": "https://app.netdata.cloud/spaces/acme-prod/rooms/all-nodes/alerts/10min_cpu_usage",
                            "text": "Netdata Cloud"}]
    assert event.labels == {"class": "Utilization", "family": "cpu", "context": "system.cpu", "room:All nodes": "",
                            "room:Web": ""}
    assert event.details is not None and event.details.startswith("Average CPU utilization")


def test_old_spellings_give_the_same_key_links_and_rooms() -> None:
    event = parse(request_for(VENDOR, "cloud_warning_old_names.json"), {}).events[0]
    assert event.links[0]["text"] == "Netdata Cloud"
    assert {"room:All nodes", "room:Web"} <= set(event.labels)


def test_agent_transitions_share_a_key() -> None:
    keys = {parse(request_for(VENDOR, name), {}).events[0].alert_key
            for name in ("agent_warning.json", "agent_critical.json", "agent_clear.json")}
    assert keys == {"web-01:1724163921"}


def test_agent_sender_posts_what_the_adapter_reads() -> None:
    keys = set(json.loads(json.dumps(load_json(VENDOR, "agent_critical.json"))))
    for key in keys:
        assert f'"{key}":' in AGENT_SENDER
    assert any("{url}" in step for step in INTEGRATION.setup_steps)


@pytest.mark.parametrize(("status", "events"), [("UNDEFINED", 0), ("UNINITIALIZED", 0), ("REMOVED", 1)])
def test_agent_other_statuses(status: str, events: int) -> None:
    body = load_json(VENDOR, "agent_clear.json")
    body["status"] = status
    assert len(parse(json_request(body), {}).events) == events


def test_cloud_info_severity_gives_no_event() -> None:
    body = load_json(VENDOR, "cloud_clear.json")
    body["severity"] = "info"
    assert parse(json_request(body), {}).events == []


@pytest.mark.parametrize(("body", "words"), [
    (b"CRITICAL", ["not valid JSON"]),
    (b"[]", ["JSON object"]),
    ({"message": "hello"}, ["Netdata", "alert", "token"]),
    ({"alert": "cpu", "chart": "system.cpu", "message": "x"}, ["severity"]),
    ({"host": "db-02", "status": {"text": "unreachable"}}, ["status.reachable"]),
    ({"source": "netdata-agent", "host": "web-01", "status": "CRITICAL"}, ["alarm_id"]),
    ({"source": "netdata-agent", "host": "web-01", "alarm_id": "7"}, ["status"]),
    ({"monitorID": "1", "alertType": "1"}, ["Netdata"]),
])
def test_malformed(body: object, words: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert_bad(parse, InboundRequest(body=raw, headers={"content-type": "application/json"}), *words)
