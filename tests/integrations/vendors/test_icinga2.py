from __future__ import annotations

import pytest

from tocsin.alerts.models import EventType
from tocsin.integrations.vendors.icinga2 import INTEGRATION

from ._support_batch1 import (
    bad_payload,
    fixture_request,
    form_request,
    json_request,
)


def test_key_uses_the_service_name_and_summary_its_display_name() -> None:
    [event] = INTEGRATION.parse(fixture_request("icinga2", "service-problem.txt"), {}).events
    assert event.alert_key == "web-01!disk /var"
    assert event.summary == "Disk /var on web-01 is CRITICAL"
    assert event.labels == {"host": "web-01", "service": "disk /var"}
    assert event.details == "DISK CRITICAL - free space: /var 812 MiB (4% inode=87%);"


def test_recovery_and_acknowledgement_find_the_problem() -> None:
    keys = {INTEGRATION.parse(fixture_request("icinga2", name), {}).events[0].alert_key
            for name in ("host-problem.txt", "host-acknowledgement.txt", "host-recovery.txt")}
    assert keys == {"app-02"}


def test_acknowledgement_details() -> None:
    [event] = INTEGRATION.parse(fixture_request("icinga2", "host-acknowledgement.txt"), {}).events
    assert event.event_type is EventType.ACCEPT
    assert event.details is not None
    assert event.details.startswith("Acknowledged by mnowak: Hypervisor maintenance overran")


def test_service_without_display_name_shows_its_name() -> None:
    body = "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=db&HOSTSTATE=UP&SERVICEDESC=pgsql&SERVICESTATE=UNKNOWN&SERVICEOUTPUT=x"
    [event] = INTEGRATION.parse(form_request(body), {}).events
    assert event.summary == "pgsql on db is UNKNOWN"
    assert event.priority is not None and event.priority.value == "LOW"


@pytest.mark.parametrize(("body", "says"), [
    ("type=PROBLEM&host=web-01", "NOTIFICATIONTYPE is missing"),
    ("NOTIFICATIONTYPE=PROBLEM&HOSTSTATE=DOWN", "HOSTNAME is missing"),
    ("NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web-01&HOSTSTATE=", "HOSTSTATE is missing"),
    ("NOTIFICATIONTYPE=UNKNOWNTYPE&HOSTNAME=web-01&HOSTSTATE=UP",
     "'UNKNOWNTYPE' is not one of Icinga 2's notification types"),
])
def test_malformed_bodies(body: str, says: str) -> None:
    assert says in str(bad_payload(INTEGRATION, form_request(body)))


def test_json_is_not_a_notification() -> None:
    assert "form-encoded" in str(bad_payload(INTEGRATION, json_request({"NOTIFICATIONTYPE": "PROBLEM"})))
