from __future__ import annotations

import pytest

from tocsin.alerts.models import EventType, Severity
from tocsin.integrations.vendors.nagios import INTEGRATION

from ._support_batch1 import bad_payload, fixture_request, form_request


def test_problem_carries_output_severity_and_host_labels() -> None:
    [event] = INTEGRATION.parse(fixture_request("nagios", "service-problem.txt"), {}).events
    assert event.details == "DISK CRITICAL - free space: /var 812 MB (4.1% inode=87%);"
    assert event.severity is Severity.CRITICAL
    assert event.labels == {"host": "web-01", "service": "Disk /var"}
    assert event.custom_details["HOSTADDRESS"] == "10.20.30.11"


def test_acknowledgement_names_author_and_comment() -> None:
    [event] = INTEGRATION.parse(fixture_request("nagios", "service-acknowledgement.txt"), {}).events
    assert event.event_type is EventType.ACCEPT
    assert event.details is not None
    assert event.details.startswith("Acknowledged by jdoe: Cleaning up rotated logs, ETA 15 min")
    assert [(c.content, c.creator) for c in event.comments] == [("Cleaning up rotated logs, ETA 15 min", "jdoe")]


def test_recovery_finds_the_problem() -> None:
    problem = INTEGRATION.parse(fixture_request("nagios", "host-problem.txt"), {}).events[0]
    recovery = INTEGRATION.parse(fixture_request("nagios", "host-recovery.txt"), {}).events[0]
    assert problem.alert_key == recovery.alert_key == "app-02"


def test_plus_encoded_spaces_and_long_output_lines() -> None:
    body = ("NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web-01&HOSTSTATE=UP&SERVICEDESC=HTTP+check&SERVICESTATE=WARNING"
            "&SERVICEOUTPUT=slow&LONGSERVICEOUTPUT=line+one%5Cnline+two")
    [event] = INTEGRATION.parse(form_request(body), {}).events
    assert event.alert_key == "web-01!HTTP check"
    assert event.details == "slow\n\nline one\nline two"


@pytest.mark.parametrize("kind", ["FLAPPINGSTART", "FLAPPINGSTOP", "DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMECANCELLED"])
def test_flapping_and_downtime_make_no_event(kind: str) -> None:
    parsed = INTEGRATION.parse(form_request(f"NOTIFICATIONTYPE={kind}&HOSTNAME=web-01&HOSTSTATE=UP"), {})
    assert parsed.events == [] and not parsed.test


@pytest.mark.parametrize(("body", "says"), [
    ('{"NOTIFICATIONTYPE": "PROBLEM"}', "form-encoded"),
    ("hello=world", "NOTIFICATIONTYPE is missing"),
    ("", "NOTIFICATIONTYPE is missing"),
    ("NOTIFICATIONTYPE=PROBLEM&HOSTSTATE=DOWN", "HOSTNAME is missing"),
    ("NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web-01", "HOSTSTATE is missing"),
    ("NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web-01&SERVICEDESC=Disk", "SERVICESTATE is missing"),
    ("NOTIFICATIONTYPE=EXPLODED&HOSTNAME=web-01&HOSTSTATE=DOWN",
     "'EXPLODED' is not one of Nagios's notification types"),
])
def test_malformed_bodies(body: str, says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, form_request(body)))


def test_invalid_utf8_is_refused() -> None:
    from tocsin.integrations.base import InboundRequest

    assert "UTF-8" in str(bad_payload(INTEGRATION, InboundRequest(body=b"NOTIFICATIONTYPE=\xff")))
