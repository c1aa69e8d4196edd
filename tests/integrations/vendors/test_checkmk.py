from __future__ import annotations

import json

import pytest

from tocsin.alerts.models import EventType, Severity
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.checkmk import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_json,
    fixture_request,
    json_request,
)

SITE = "https://cmk.example.com/mysite"


def test_service_problem_details_labels_and_no_secret() -> None:
    [event] = INTEGRATION.parse(fixture_request("checkmk", "service-problem.json"), {}).events
    assert event.details == "Used: 96.12% - 38.45 GiB of 40.00 GiB (warn/crit at 80.00%/90.00% used)(!!)"
    assert event.severity is Severity.CRITICAL
    assert event.labels == {"host": "db-01", "service": "Filesystem /var", "site": "mysite"}
    assert event.links == []  # the context names no Checkmk URL
    assert "ik_cmk_4f8a2c" not in json.dumps(event.record())


def test_links_from_the_second_parameter() -> None:
    context = fixture_json("checkmk", "service-problem.json") | {"PARAMETER_2": SITE + "/"}
    [event] = INTEGRATION.parse(json_request(context), {}).events
    assert event.links == [
        {"href": SITE + "/check_mk/index.py?start_url=view.py%3Fview_name%3Dservice%26host%3Ddb-01%26service%3D"
                 "Filesystem%20%2Fvar%26site%3Dmysite", "text": "Service in Checkmk"},
        {"href": SITE + "/check_mk/index.py?start_url=view.py%3Fview_name%3Dhoststatus%26host%3Ddb-01%26site%3Dmysite",
         "text": "Host in Checkmk"},
    ]


def test_links_from_checkmk_url_prefix_parameters() -> None:
    context = fixture_json("checkmk", "host-problem.json") | {"PARAMETER_URL_PREFIX_AUTOMATIC": "https"}
    [event] = INTEGRATION.parse(json_request(context), {}).events
    assert [link["href"].split("?")[0] for link in event.links] == ["https://cmk-01/mysite/check_mk/index.py"]


def test_host_and_service_labels_from_label_variables() -> None:
    context = fixture_json("checkmk", "service-problem.json") | {
        "HOSTLABEL_cmk/os_family": "linux", "SERVICELABEL_team": "dba"}
    [event] = INTEGRATION.parse(json_request(context), {}).events
    assert event.labels["cmk/os_family"] == "linux"
    assert event.labels["team"] == "dba"


def test_acknowledgement_uses_the_author_alias() -> None:
    [event] = INTEGRATION.parse(fixture_request("checkmk", "service-acknowledgement.json"), {}).events
    assert event.event_type is EventType.ACCEPT
    assert event.details is not None
    assert event.details.startswith("Acknowledged by Anna Kowalski: Cleaning up old WAL archives")


@pytest.mark.parametrize("kind", ["DOWNTIMESTART", "FLAPPINGSTART", "ALERTHANDLER (OK)"])
def test_no_event_for_downtime_flapping_and_alert_handlers(kind: str) -> None:
    context = fixture_json("checkmk", "service-problem.json") | {"NOTIFICATIONTYPE": kind}
    parsed = INTEGRATION.parse(json_request(context), {})
    assert parsed.events == [] and not parsed.test


@pytest.mark.parametrize(("change", "says"), [
    ({"WHAT": None}, "WHAT must be HOST or SERVICE"),
    ({"WHAT": "CONTACT"}, "WHAT must be HOST or SERVICE"),
    ({"NOTIFICATIONTYPE": ""}, "NOTIFICATIONTYPE is missing"),
    ({"HOSTNAME": None}, "HOSTNAME is missing"),
    ({"SERVICEDESC": ""}, "SERVICEDESC is missing"),
    ({"SERVICESTATE": None}, "SERVICESTATE is missing"),
])
def test_missing_fields(change: dict[str, object], says: str) -> None:
    context = fixture_json("checkmk", "service-problem.json") | change
    assert says in str(bad_payload(INTEGRATION, json_request(context)))


@pytest.mark.parametrize(("body", "says"), [
    (b"NOTIFY_WHAT=HOST", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"alerts": []}', "WHAT must be HOST or SERVICE"),
])
def test_not_a_context(body: bytes, says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, InboundRequest(body=body)))
