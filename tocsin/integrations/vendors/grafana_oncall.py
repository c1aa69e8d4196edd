"""Grafana OnCall outgoing webhook with "Forward All": one OnCall alert group is one tocsin alert.

Keyed by ``alert_group.id``. "alert group created", "escalation", "unresolve" and "unacknowledge" raise the
alert, "acknowledge" accepts it, "resolve" resolves it; "silence", "unsilence" and "personal notification"
have no equivalent here and are answered without an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import links, obj, required_object, text

EVENT_TYPES = {
    "alert group created": EventType.ALERT,
    "escalation": EventType.ALERT,
    "unresolve": EventType.ALERT,
    "unacknowledge": EventType.ALERT,
    "acknowledge": EventType.ACCEPT,
    "resolve": EventType.RESOLVE,
}
NO_EVENT = frozenset({"silence", "unsilence", "personal notification"})
LOW_SEVERITIES = frozenset({"warning", "info", "low"})


def group_labels(value: Any) -> dict[str, str]:
    """Labels as a plain map, or OnCall's list of ``{key: {name}, value: {name}}`` (labels feature off)."""
    if isinstance(value, dict):
        return {str(k): v for k, raw in value.items() if (v := text(raw)) is not None}
    labels: dict[str, str] = {}
    for item in value if isinstance(value, list) else []:
        key, val = text(obj(obj(item).get("key")).get("name")), text(obj(obj(item).get("value")).get("name"))
        if key and val is not None:
            labels[key] = val
    return labels


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    kind = text(required_object(body, "event", "Grafana OnCall").get("type"))
    group = required_object(body, "alert_group", "Grafana OnCall")
    if kind is None:
        raise BadPayload("Grafana OnCall body: 'event.type' is missing", field="event.type")
    if kind in NO_EVENT:
        return Parsed()
    if kind not in EVENT_TYPES:
        known = ", ".join(sorted([*EVENT_TYPES, *NO_EVENT]))
        raise BadPayload(f"Grafana OnCall body: unknown event.type {kind!r}; known: {known}", field="event.type")
    group_id = text(group.get("id")) or text(body.get("alert_group_id"))
    if group_id is None:
        raise BadPayload("Grafana OnCall body: 'alert_group.id' is missing", field="alert_group.id")
    labels = group_labels(group.get("labels"))
    severity = labels.get("severity", "").lower()
    user = obj(body.get("user"))
    custom: dict[str, Any] = {"alertPayload": body["alert_payload"]} if isinstance(body.get("alert_payload"), dict) \
        else {}
    if text(user.get("username")):
        custom["user"] = user["username"]
    return Parsed(events=[Event(
        event_type=EVENT_TYPES[kind],
        alert_key=group_id,
        summary=text(group.get("title")) or f"Grafana OnCall alert group {group_id}",
        priority=Priority.LOW if severity in LOW_SEVERITIES else Priority.HIGH,
        links=links((obj(group.get("permalinks")).get("web"), "Grafana OnCall")),
        labels=labels,
        custom_details=custom,
        origin="grafana-oncall",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="#f46800"/>'
    '<path d="M8 9a4 4 0 0 1 8 0v4l1.5 2h-11L8 13z" fill="#fff"/></svg>'
)

INTEGRATION = Integration(
    type="GRAFANA_ONCALL",
    name="Grafana OnCall",
    parse=parse,
    category="incident management",
    logo_svg=LOGO,
    setup_steps=(
        "In Grafana OnCall open Outgoing Webhooks → Create, choose Advanced.",
        "Trigger 'Alert Group Created', HTTP method POST, URL {url}, 'Forward All' on, Data empty.",
        "Create a second, identical webhook with trigger 'Status Change' so that acknowledge and resolve follow.",
        "Each OnCall alert group becomes one tocsin alert; severity label warning, info or low → LOW, else HIGH.",
    ),
)
