"""Site24x7: a Webhooks third-party integration (or IT-automation "Invoke URL") with "Send Incident Parameters".

Site24x7 sends its incident parameters as one JSON object ("Post as JSON") or form-encoded; both are read.

- Dedup key: ``MONITOR_ID`` (one incident per monitor); ``MONITOR_DASHBOARD_LINK`` (which holds the id) when a
  body has no id, then ``MONITORNAME``. ``MONITOR_ID`` is an 18-digit number, read as an exact integer.
- States: ``STATUS`` DOWN / CRITICAL → ALERT, TROUBLE → ALERT, UP → RESOLVE; other statuses (maintenance,
  suspended, …) give no event. Site24x7 has no acknowledge.
- Priority: DOWN and CRITICAL → HIGH, TROUBLE → LOW (a later DOWN for the same monitor is appended to the open
  alert).
- A request without incident parameters (an empty body, or only custom parameters, as the IT-automation "Test"
  sends) is a test; a body with incident parameters but no ``STATUS`` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import MAX_KEY_LENGTH, Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import ident, links, text

ORIGIN = "site24x7"
STATES = {
    "DOWN": (EventType.ALERT, Priority.HIGH),
    "CRITICAL": (EventType.ALERT, Priority.HIGH),
    "TROUBLE": (EventType.ALERT, Priority.LOW),
    "UP": (EventType.RESOLVE, None),
}
# Incident parameters: a body with any of them but no STATUS is a broken Site24x7 request, not a test.
INCIDENT_FIELDS = ("MONITOR_ID", "MONITORNAME", "MONITOR_DASHBOARD_LINK", "MONITORURL", "MONITORTYPE",
                   "INCIDENT_REASON", "INCIDENT_TIME", "INCIDENT_TIME_ISO", "RCA_LINK", "FAILED_LOCATIONS",
                   "MONITOR_GROUPNAME")
CUSTOM_FIELDS = ("MONITORTYPE", "MONITOR_GROUPNAME", "FAILED_LOCATIONS", "INCIDENT_TIME_ISO", "OUTAGE_TIME_UNIX_FORMAT",
                 "POLLFREQUENCY", "MONITORURL")


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = _body(request)
    status = text(body.get("STATUS"))
    if status is None:
        if not any(text(body.get(name)) for name in INCIDENT_FIELDS):
            return Parsed(test=True)
        raise BadPayload("Site24x7 body without 'STATUS': tick 'Send Incident Parameters' in the webhook settings",
                         field="STATUS")
    state = STATES.get(status.upper())
    key = _key(body)
    if state is None:
        return Parsed()
    event_type, priority = state
    name = text(body.get("MONITORNAME")) or text(body.get("MONITORURL")) or key
    reason = text(body.get("INCIDENT_REASON"))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=key,
        summary=f"{name} is {status.upper()}: {reason}" if reason else f"{name} is {status.upper()}",
        details=reason,
        priority=priority,
        links=_links(body, name),
        labels=_labels(body.get("TAGS")),
        custom_details={k: v for k in CUSTOM_FIELDS if (v := text(body.get(k))) is not None},
        origin=ORIGIN,
        client="Site24x7",
    )])


def _body(request: InboundRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(request.form())
    return request.json_object()


def _key(body: Mapping[str, Any]) -> str:
    for value in (ident(body.get("MONITOR_ID")), body.get("MONITOR_DASHBOARD_LINK"), body.get("MONITORNAME")):
        found = text(value)
        if found and len(found.lower()) <= MAX_KEY_LENGTH:
            return found
    raise BadPayload("Site24x7 body names no monitor: 'MONITOR_ID', 'MONITOR_DASHBOARD_LINK' and 'MONITORNAME' "
                     "are all missing", field="MONITOR_ID")


def _links(body: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    return links((body.get("MONITOR_DASHBOARD_LINK"), "Site24x7"), (body.get("RCA_LINK"), "Root cause analysis"),
                 (body.get("MONITORURL"), name))


def _labels(tags: Any) -> dict[str, str]:
    """TAGS come as a list of "key:value" strings or as one comma-separated string."""
    items = tags if isinstance(tags, list) else tags.split(",") if isinstance(tags, str) else []
    labels: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        name, _, value = item.strip().partition(":")
        labels[name.strip()] = value.strip()
    return labels


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/></svg>'
)

INTEGRATION = Integration(
    type="SITE24X7",
    name="Site24x7",
    parse=parse,
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "In Site24x7 open Admin → Third-Party Integrations → Add Third-Party Integration → Webhooks "
        "(or Admin → IT Automation → Add Automation, type 'Invoke URL').",
        "Hook URL: {url}, HTTP Method POST; tick 'Send Incident Parameters' and 'Post as JSON'.",
        "Alert on Down, Trouble and Critical (Up is sent when the monitor recovers) and select the monitors or "
        "monitor groups, then save.",
        "Down and Critical page (HIGH), Trouble opens a LOW alert, Up resolves. A test without incident "
        "parameters is recorded as a test.",
    ),
)
