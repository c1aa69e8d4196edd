"""Netdata: the Netdata Cloud "Webhook" integration, and the Agent's custom notification sender (setup steps).

Netdata Cloud sends three shapes: alert notifications (``alert`` + ``severity``; older docs ``alarm``),
reachability notifications (``host`` + ``status.reachable``) and the "Test" payload (``token``, no alert).
The Agent's ``custom_sender()`` from the setup steps posts ``source: "netdata-agent"`` with the alarm variables.

- Dedup keys: Cloud alerts ``<space>/<chart>/<alert>`` (the Cloud body names no node: the same alert on two
  nodes of a space folds into one alert); reachability ``reachability/<host>``; Agent ``<host>:<alarm_id>``
  (``alarm_id`` is stable per alarm on a host; ``event_id`` and ``unique_id`` change per transition).
- States and priority: Cloud ``severity`` critical → ALERT HIGH, warning → ALERT LOW, clear → RESOLVE;
  reachability ``reachable`` false → ALERT HIGH, true → RESOLVE; Agent ``status`` CRITICAL → ALERT HIGH,
  WARNING → ALERT LOW, CLEAR and REMOVED → RESOLVE, other statuses → no event. Netdata has no acknowledge.
- The Cloud "Test" is a test. Netdata Cloud then asks for the ``token`` of that test payload: the test's note
  carries it, so it shows in the answer and in the test recorded among the alert source's inbound events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import fit_key, ident, links, text

ORIGIN = "netdata"
CLOUD_SEVERITIES = {
    "critical": (EventType.ALERT, Priority.HIGH),
    "warning": (EventType.ALERT, Priority.LOW),
    "clear": (EventType.RESOLVE, None),
}
AGENT_STATUSES = {
    "CRITICAL": (EventType.ALERT, Priority.HIGH),
    "WARNING": (EventType.ALERT, Priority.LOW),
    "CLEAR": (EventType.RESOLVE, None),
    "REMOVED": (EventType.RESOLVE, None),
}
AGENT_SENDER = (
    'custom_sender() { local b c; b=$(printf \'{"source":"netdata-agent","host":"%s","alarm_id":"%s",'
    '"event_id":"%s","unique_id":"%s","when":%s,"name":"%s","chart":"%s","family":"%s","status":"%s",'
    '"old_status":"%s","value_string":"%s","info":"%s","goto_url":"%s"}\' "${host}" "${alarm_id}" "${event_id}" '
    '"${unique_id}" "${when}" "${name}" "${chart}" "${family}" "${status}" "${old_status}" "${value_string}" '
    '"${info//\\"/\\\\\\"}" "${goto_url}"); c=$(docurl -X POST -H "Content-Type: application/json" -d "${b}" '
    '"{url}"); [ "${c:0:1}" = "2" ] && sent=$((sent + 1)); }'
)


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    if text(body.get("source")) == "netdata-agent" or "alarm_id" in body:
        return _agent(body)
    alert = text(body.get("alert")) or text(body.get("alarm"))
    if alert is not None:
        return _cloud_alert(body, alert)
    if isinstance(body.get("status"), dict) and "host" in body:
        return Parsed(events=[_reachability(body)])
    token = text(body.get("token"))
    if token:
        return Parsed(test=True, note=f"Netdata Cloud test notification; paste this verification token into "
                                      f"Netdata Cloud: {token}")
    raise BadPayload("not a Netdata notification: expected 'alert' (Cloud alert), 'host' and 'status' (Cloud "
                     "reachability), 'token' (Cloud test) or 'alarm_id' (Agent custom sender)", field="body")


def _cloud_alert(body: Mapping[str, Any], alert: str) -> Parsed:
    severity = (text(body.get("severity")) or "").lower()
    if not severity:
        raise BadPayload("Netdata Cloud alert without 'severity'", field="severity")
    state = CLOUD_SEVERITIES.get(severity)
    if state is None:
        return Parsed()
    chart = text(body.get("chart")) or text(body.get("context")) or "-"
    space = text(body.get("space")) or "-"
    rooms = body.get("Rooms") if isinstance(body.get("Rooms"), dict) else body.get("rooms")
    labels = {k: v for k in ("class", "family", "context") if (v := text(body.get(k)))}
    labels.update({f"room:{name}": "" for name in _room_names(rooms)})
    event_type, priority = state
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=fit_key(f"{space}/{chart}/{alert}"),
        summary=text(body.get("message")) or f"{alert} on {chart} is {severity}",
        details=text(body.get("info")),
        priority=priority,
        links=links((body.get("alert_url") or body.get("alarm_url"), "Netdata Cloud")),
        labels=labels,
        custom_details={k: v for k in ("date", "duration", "additional_active_critical_alerts",
                                       "additional_active_warning_alerts", "space", "chart")
                        if (v := body.get(k)) is not None},
        origin=ORIGIN,
        client="Netdata Cloud",
    )])


def _room_names(rooms: Any) -> list[str]:
    # Documented only as "object with list of Rooms names and urls": a name → URL map, or a list of objects.
    if isinstance(rooms, dict):
        return [str(name) for name in rooms]
    if isinstance(rooms, list):
        return [name for room in rooms if isinstance(room, dict) and (name := text(room.get("name")))]
    return []


def _reachability(body: Mapping[str, Any]) -> Event:
    host = text(body.get("host"))
    reachable = body["status"].get("reachable")
    if host is None or not isinstance(reachable, bool):
        raise BadPayload("Netdata reachability notification needs 'host' and a true/false 'status.reachable'",
                         field="status.reachable")
    return Event(
        event_type=EventType.RESOLVE if reachable else EventType.ALERT,
        alert_key=fit_key(f"reachability/{host}"),
        summary=text(body.get("message")) or f"{host} is {'reachable' if reachable else 'unreachable'}",
        priority=None if reachable else Priority.HIGH,
        links=links((body.get("url"), "Netdata Cloud")),
        labels={"host": host},
        origin=ORIGIN,
        client="Netdata Cloud",
    )


def _agent(body: Mapping[str, Any]) -> Parsed:
    host, alarm_id = text(body.get("host")), ident(body.get("alarm_id"))
    if host is None or alarm_id is None:
        raise BadPayload("Netdata Agent notification needs 'host' and 'alarm_id' (use the custom_sender from the "
                         "setup steps)", field="alarm_id")
    status = (text(body.get("status")) or "").upper()
    if not status:
        raise BadPayload("Netdata Agent notification without 'status'", field="status")
    state = AGENT_STATUSES.get(status)
    if state is None:
        return Parsed()
    name = text(body.get("name")) or alarm_id
    chart = text(body.get("chart"))
    value = text(body.get("value_string"))
    subject = f"{host}: {name} ({chart})" if chart else f"{host}: {name}"
    event_type, priority = state
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=fit_key(f"{host}:{alarm_id}"),
        summary=f"{subject} is {status}: {value}" if value else f"{subject} is {status}",
        details=text(body.get("info")),
        priority=priority,
        links=links((body.get("goto_url"), "Netdata")),
        labels={k: v for k in ("host", "chart", "family") if (v := text(body.get(k)))},
        custom_details={k: v for k in ("old_status", "when", "event_id", "unique_id", "value_string")
                        if (v := body.get(k)) not in (None, "")},
        origin=ORIGIN,
        client="Netdata Agent",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><path d="M4 20V10M10 20V4M16 20v-8M22 20H2"/></svg>'
)

INTEGRATION = Integration(
    type="NETDATA",
    name="Netdata",
    parse=parse,
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "Netdata Cloud (paid plan): Space settings → Alerts & Notifications → Add configuration → Webhook. "
        "Webhook URL: {url}, authentication none; choose the rooms and notification types.",
        "Press 'Test', then open this alert source's inbound events: the recorded test says the verification "
        "token; paste it into the Verification field in Netdata Cloud and save.",
        "Critical pages (HIGH), warning opens a LOW alert, clear resolves; an unreachable node pages until it is "
        "reachable again.",
        "Netdata Agent without Cloud: run 'sudo ./edit-config health_alarm_notify.conf', set SEND_CUSTOM=\"YES\" "
        "and DEFAULT_RECIPIENT_CUSTOM=\"tocsin\", and replace custom_sender() with:",
        AGENT_SENDER,
    ),
)
