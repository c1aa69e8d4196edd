"""Graylog (3.1 and later): an event notification of type "HTTP Notification", JSON with a fixed shape.

- Graylog events are points in time: every notification → ALERT. Graylog sends no recovery and no acknowledge;
  resolve in tocsin (or with the alert source's auto-resolution).
- Dedup key: ``event_definition_id``, plus ``:<event.key>`` when the definition groups by key fields (one alert
  per key value). ``event.id`` is unique per event, so it would defeat deduplication.
- Priority: ``event.priority`` 3 (high) or more → HIGH; 1 (low) and 2 (normal) → LOW.
- "Execute Test Notification" sends ``event_definition_type`` "test-dummy-v1" (its event "notification-test-v1"):
  a test, never a page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import compact, details, fit_key, obj, text

ORIGIN = "graylog"
TEST_TYPES = frozenset({"test-dummy-v1", "notification-test-v1"})
HIGH_FROM = 3
MAX_BACKLOG = 10


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    event = body.get("event")
    if not isinstance(event, dict):
        raise BadPayload("not a Graylog event notification: 'event' is missing or not an object", field="event")
    types = {text(body.get("event_definition_type")), text(event.get("event_definition_type"))}
    if types & TEST_TYPES:
        return Parsed(test=True)
    definition_id = text(body.get("event_definition_id")) or text(event.get("event_definition_id"))
    if definition_id is None:
        raise BadPayload("not a Graylog event notification: 'event_definition_id' is missing",
                         field="event_definition_id")
    title = text(body.get("event_definition_title"))
    message = text(event.get("message")) or title
    if message is None:
        raise BadPayload("Graylog event has neither 'event.message' nor 'event_definition_title'",
                         field="event.message")
    event_key = text(event.get("key"))
    return Parsed(events=[Event(
        event_type=EventType.ALERT,
        alert_key=fit_key(f"{definition_id}:{event_key}" if event_key else definition_id),
        summary=f"{message} ({event_key})" if event_key else message,
        details=_details(body, event),
        priority=_priority(event.get("priority")),
        labels=_labels(event),
        custom_details=_custom_details(body, event),
        origin=ORIGIN,
        client="Graylog",
    )])


def _priority(value: Any) -> Priority:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= HIGH_FROM:
        return Priority.HIGH
    return Priority.LOW


def _details(body: Mapping[str, Any], event: Mapping[str, Any]) -> str | None:
    fields = {**obj(event.get("group_by_fields")), **obj(event.get("fields"))}
    messages = [m for message in _backlog(body) if (m := text(message.get("message")))]
    return details(text(body.get("event_definition_description")),
                   "\n".join(f"{k}: {_render(v)}" for k, v in fields.items()),
                   "Messages:\n" + "\n".join(f"- {m}" for m in messages) if messages else None)


def _labels(event: Mapping[str, Any]) -> dict[str, str]:
    labels = {str(k): _render(v) for k, v in {**obj(event.get("fields")),
                                               **obj(event.get("group_by_fields"))}.items()
              if isinstance(v, str | int | float) and not isinstance(v, bool)}
    if source := text(event.get("source")):
        labels.setdefault("source", source)
    return labels


def _custom_details(body: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    return compact({
        "eventId": text(event.get("id")),
        "eventDefinitionTitle": text(body.get("event_definition_title")),
        "eventDefinitionType": text(body.get("event_definition_type")),
        "timestamp": text(event.get("timestamp")),
        "timerangeStart": text(event.get("timerange_start")),
        "timerangeEnd": text(event.get("timerange_end")),
        "originContext": text(event.get("origin_context")),
        "sourceStreams": event.get("source_streams"),
        "backlog": [{k: m.get(k) for k in ("timestamp", "source", "message", "index", "id") if m.get(k) is not None}
                    for m in _backlog(body)],
    })


def _backlog(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    backlog = body.get("backlog")
    return [m for m in backlog if isinstance(m, dict)][:MAX_BACKLOG] if isinstance(backlog, list) else []


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><path d="M4 6h16M4 10h10M4 14h16M4 18h7"/></svg>'
)

INTEGRATION = Integration(
    type="GRAYLOG",
    name="Graylog",
    parse=parse,
    logo_svg=LOGO,
    category="log management",
    setup_steps=(
        "In Graylog open Alerts → Notifications → Create Notification, type 'HTTP Notification' (not the "
        "'Custom HTTP Notification', whose body is a template).",
        "URL: {url}. If Graylog's URL allow list is enabled, add this URL to it (System → Configurations).",
        "Press 'Execute Test Notification': it is recorded as a test and pages nobody. Save.",
        "Add the notification to each event definition (step 'Notifications'); set 'Message Backlog' above 0 to "
        "get sample messages in the alert.",
        "Every Graylog event opens or adds to an alert (priority high → HIGH, normal/low → LOW). Graylog sends no "
        "recovery: resolve in tocsin or set auto-resolution on this alert source.",
    ),
)
