"""Host and service notifications of the Nagios family (Nagios Core, Icinga 2, Checkmk).

All three name a notification by the Nagios macros: NOTIFICATIONTYPE, HOSTNAME, SERVICEDESC, HOSTSTATE,
SERVICESTATE, the outputs and the acknowledgement's author and comment. The alert key is
``HOSTNAME!SERVICEDESC`` for a service and ``HOSTNAME`` for a host: "!" may not appear in object names,
and it is how these tools write a service's full name. Problem ids are no key: Nagios resets them to 0 in the
recovery.

PROBLEM → ALERT, RECOVERY → RESOLVE, ACKNOWLEDGEMENT → ACCEPT; CUSTOM (the "send custom notification"
command, the usual way to try a notification out) is a test; FLAPPING*, DOWNTIME* and ALERTHANDLER notifications
carry no state change and produce no event. Priority is LOW for WARNING and UNKNOWN, HIGH otherwise
(CRITICAL, DOWN, UNREACHABLE; a recovery keeps HIGH).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.integrations.base import BadPayload, InboundRequest, Parsed
from tocsin.integrations.vendor_values import alert_key, comment, details, summary, text

TYPES = {"PROBLEM": EventType.ALERT, "RECOVERY": EventType.RESOLVE, "ACKNOWLEDGEMENT": EventType.ACCEPT}
WITHOUT_EVENT = ("FLAPPING", "DOWNTIME", "ALERTHANDLER")
TEST_TYPE = "CUSTOM"
LOW_STATES = frozenset({"WARNING", "UNKNOWN"})
SEVERITIES = {
    "CRITICAL": Severity.CRITICAL,
    "DOWN": Severity.CRITICAL,
    "UNREACHABLE": Severity.CRITICAL,
    "WARNING": Severity.WARNING,
    "UNKNOWN": Severity.WARNING,
}


@dataclass(frozen=True)
class Extras:
    """What one tool adds to the common mapping."""

    links: list[dict[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    custom_details: dict[str, Any] = field(default_factory=dict)


def field_text(fields: Mapping[str, Any], name: str) -> str | None:
    return text(fields.get(name))


def _required(fields: Mapping[str, Any], name: str, vendor: str) -> str:
    value = field_text(fields, name)
    if value is None:
        raise BadPayload(f"not a {vendor} notification: {name} is missing or empty", field=name)
    return value


def _output(fields: Mapping[str, Any], short: str, long: str) -> str | None:
    # Long outputs come with their line breaks written as the two characters "\n".
    long_text = (field_text(fields, long) or "").replace("\\n", "\n")
    return details(field_text(fields, short), long_text)


def form_fields(request: InboundRequest, vendor: str) -> dict[str, str]:
    """The macros of a form-encoded notification; a JSON body is named as the mistake it is."""
    body = request.text()
    if request.content_type == "application/json" or body.lstrip().startswith(("{", "[")):
        raise BadPayload(f"a {vendor} notification is form-encoded (NOTIFICATIONTYPE=...&HOSTNAME=...), "
                         "not JSON: post the macros with curl --data-urlencode", field="body")
    return request.form()


def notification_type(fields: Mapping[str, Any], vendor: str) -> str:
    return _required(fields, "NOTIFICATIONTYPE", vendor).upper()


def parse_notification(
    fields: Mapping[str, Any],
    *,
    vendor: str,
    origin: str,
    is_service: bool,
    service_display_field: str = "SERVICEDESC",
    extras: Extras | None = None,
) -> Parsed:
    """The events of one host or service notification given as its macros (``fields``)."""
    kind = notification_type(fields, vendor)
    host = _required(fields, "HOSTNAME", vendor)
    if kind == TEST_TYPE:
        return Parsed(test=True)
    if kind.startswith(WITHOUT_EVENT):
        return Parsed()
    event_type = TYPES.get(kind)
    if event_type is None:
        known = ", ".join([*TYPES, TEST_TYPE, "FLAPPING*", "DOWNTIME*"])
        raise BadPayload(f"NOTIFICATIONTYPE {kind!r} is not one of {vendor}'s notification types ({known})",
                         field="NOTIFICATIONTYPE")

    extras = extras or Extras()
    if is_service:
        service = _required(fields, "SERVICEDESC", vendor)
        state = _required(fields, "SERVICESTATE", vendor).upper()
        shown = field_text(fields, service_display_field) or service
        key = alert_key(f"{host}!{service}")
        title = f"{shown} on {host} is {state}"
        output = _output(fields, "SERVICEOUTPUT", "LONGSERVICEOUTPUT")
        labels = {"host": host, "service": service}
    else:
        state = _required(fields, "HOSTSTATE", vendor).upper()
        key = alert_key(host)
        title = f"Host {host} is {state}"
        output = _output(fields, "HOSTOUTPUT", "LONGHOSTOUTPUT")
        labels = {"host": host}

    author = field_text(fields, "NOTIFICATIONAUTHORALIAS") or field_text(fields, "NOTIFICATIONAUTHOR")
    note = field_text(fields, "NOTIFICATIONCOMMENT")
    acknowledgement = None
    if event_type is EventType.ACCEPT and (author or note):
        acknowledgement = f"Acknowledged by {author or 'unknown'}" + (f": {note}" if note else "")

    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=key,
        summary=summary(title),
        details=details(acknowledgement, output),
        priority=Priority.LOW if state in LOW_STATES else Priority.HIGH,
        severity=SEVERITIES.get(state),
        links=extras.links,
        labels={**labels, **extras.labels},
        comments=comment(note, author) if event_type is EventType.ACCEPT else [],
        custom_details={"notificationType": kind, "state": state, **extras.custom_details},
        origin=origin,
    )])
