"""Uptime Kuma: the "Webhook" notification type.

Uptime Kuma posts ``{heartbeat, monitor, msg}`` as JSON (the default "application/json" preset), as
multipart/form-data with the same JSON in the field ``data``, or, with method GET, as the query parameters
``msg``, ``heartbeat`` and ``monitor`` (JSON strings). All three are read; the "Custom Body" preset is not.

- Dedup key: ``monitor.id`` (``heartbeat.monitorID`` when the monitor is missing), stable across the down
  notification, its resends and the up notification.
- States: ``heartbeat.status`` 0 (DOWN) → ALERT, 1 (UP) → RESOLVE; 2 (PENDING) and 3 (MAINTENANCE) are
  not notified by Uptime Kuma and give no event. Uptime Kuma has no acknowledge.
- Priority: DOWN → HIGH; certificate and domain expiry warnings → LOW.
- Certificate and domain expiry warnings come with ``heartbeat`` and ``monitor`` null and only a text
  (``… will expire in 13 days``, older releases ``… will be expired in 13 days``); they are keyed on the text
  before "will expire", so the 21/14/7-day reminders fold into one alert.
- The "Test" button sends ``heartbeat`` and ``monitor`` null and ``msg`` = ``<notification name> Testing``:
  a test. Any other text without a monitor becomes a LOW alert keyed on the text.
- Settings: optional ``baseUrl`` (Uptime Kuma's address) adds a link to the monitor's page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import base_url_setting, compact, fit_key, ident, links, text

ORIGIN = "uptime_kuma"
DOWN, UP = 0, 1
EXPIRY = re.compile(r"^(?P<subject>.+?)\s+will\s+(?:be\s+expired|expire)\s+in\s+-?\d+\s+days?\b",
                    re.IGNORECASE | re.DOTALL)
MAX_RESPONSE = 1000


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = _body(request)
    msg = body.get("msg")
    if not isinstance(msg, str):
        raise BadPayload("not an Uptime Kuma webhook body: 'msg' is missing or not text", field="msg")
    heartbeat = _object_or_none(body, "heartbeat")
    monitor = _object_or_none(body, "monitor")
    if heartbeat is None and monitor is None:
        return _without_monitor(msg.strip())
    if heartbeat is None:
        raise BadPayload("Uptime Kuma body has a 'monitor' but no 'heartbeat'", field="heartbeat")
    return _state_change(msg.strip(), heartbeat, monitor or {}, settings)


def _body(request: InboundRequest) -> dict[str, Any]:
    if request.content_type == "multipart/form-data":
        return _json_field(_multipart_field(request, "data"), "data")
    if request.method.upper() == "GET" or (not request.body.strip() and "msg" in request.query):
        body: dict[str, Any] = {"msg": request.query.get("msg")}
        for name in ("heartbeat", "monitor"):
            raw = request.query.get(name)
            body[name] = _json_field(raw, name) if raw else None
        return body
    return request.json_object()


def _multipart_field(request: InboundRequest, name: str) -> str:
    head = f"Content-Type: {request.header('content-type')}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        raise BadPayload("multipart/form-data body without a readable boundary", field="body")
    for part in message.walk():
        if part is not message and _form_name(part) == name:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return InboundRequest(body=payload).text()
    raise BadPayload(f"multipart/form-data body has no field '{name}' (Uptime Kuma sends its JSON there)", field=name)


def _form_name(part: Message) -> str | None:
    value = part.get_param("name", header="content-disposition")
    return value if isinstance(value, str) else None


def _json_field(raw: str, name: str) -> dict[str, Any]:
    try:
        return InboundRequest(body=raw.encode()).json_object()
    except BadPayload as exc:
        raise BadPayload(f"'{name}': {exc.detail}", field=name) from None


def _object_or_none(body: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise BadPayload(f"Uptime Kuma body: '{name}' must be an object or null", field=name)


def _without_monitor(msg: str) -> Parsed:
    if not msg:
        raise BadPayload("Uptime Kuma body has no monitor, no heartbeat and an empty 'msg'", field="msg")
    if msg.endswith(" Testing") or msg == "Testing":
        return Parsed(test=True)
    expiry = EXPIRY.match(msg)
    if expiry:
        subject = expiry.group("subject").strip()
        prefix = "cert" if "certificate" in subject.lower() else "domain" if "domain" in subject.lower() else "expiry"
        key = f"{prefix}:{subject}"
    else:
        key = f"notice:{msg}"
    return Parsed(events=[Event(
        event_type=EventType.ALERT, alert_key=fit_key(key), summary=msg, priority=Priority.LOW, origin=ORIGIN,
        client="Uptime Kuma",
    )])


def _state_change(msg: str, heartbeat: dict[str, Any], monitor: dict[str, Any], settings: Mapping[str, Any]) -> Parsed:
    status = heartbeat.get("status")
    if isinstance(status, bool) or not isinstance(status, int):
        raise BadPayload("Uptime Kuma body: 'heartbeat.status' must be a number (0 down, 1 up)",
                         field="heartbeat.status")
    monitor_id = ident(monitor.get("id")) or ident(heartbeat.get("monitorID"))
    if monitor_id is None:
        raise BadPayload("Uptime Kuma body: 'monitor.id' (or 'heartbeat.monitorID') is missing", field="monitor.id")
    if status not in (DOWN, UP):
        return Parsed()
    name = text(monitor.get("name")) or f"monitor {monitor_id}"
    down = status == DOWN
    state = "Down" if down else "Up"
    return Parsed(events=[Event(
        event_type=EventType.ALERT if down else EventType.RESOLVE,
        alert_key=monitor_id,
        summary=msg or f"[{name}] [{state}] {text(heartbeat.get('msg')) or ''}".strip(),
        details=_details(heartbeat, monitor, name),
        priority=Priority.HIGH if down else None,
        links=_links(monitor, monitor_id, name, settings),
        labels=_labels(monitor),
        custom_details=_custom_details(heartbeat, monitor),
        origin=ORIGIN,
        client="Uptime Kuma",
    )])


def _details(heartbeat: Mapping[str, Any], monitor: Mapping[str, Any], name: str) -> str | None:
    target = _target(monitor)
    lines = [
        text(heartbeat.get("msg")),
        f"Monitor: {text(monitor.get('pathName')) or name} ({text(monitor.get('type')) or 'unknown type'})",
        f"Target: {target}" if target else None,
        text(monitor.get("description")),
    ]
    return "\n".join(line for line in lines if line)


def _url(monitor: Mapping[str, Any]) -> str | None:
    # Monitors that are not HTTP checks carry the form's placeholder "https://".
    url = text(monitor.get("url"))
    return url if url not in ("https://", "http://") else None


def _target(monitor: Mapping[str, Any]) -> str | None:
    if url := _url(monitor):
        return url
    host = text(monitor.get("hostname"))
    port = ident(monitor.get("port"))
    return f"{host}:{port}" if host and port else host


def _links(monitor: Mapping[str, Any], monitor_id: str, name: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    base = settings.get("baseUrl")
    page = f"{base.rstrip('/')}/dashboard/{monitor_id}" if isinstance(base, str) and base else None
    return links((page, "Uptime Kuma"), (_url(monitor), name))


def _labels(monitor: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    tags = monitor.get("tags")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and (tag_name := text(tag.get("name"))):
            labels[tag_name] = text(tag.get("value")) or ""
    return labels


def _custom_details(heartbeat: Mapping[str, Any], monitor: Mapping[str, Any]) -> dict[str, Any]:
    response = text(heartbeat.get("response"))
    return compact({
        "monitorType": monitor.get("type"),
        "time": heartbeat.get("time"),
        "timezone": heartbeat.get("timezone"),
        "ping": heartbeat.get("ping"),
        "retries": heartbeat.get("retries"),
        "lastDownTime": heartbeat.get("lastDownTime"),
        "response": response[:MAX_RESPONSE] if response else None,
    })


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    return base_url_setting(settings, "Uptime Kuma", "https://status.example.com")


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><circle cx="12" cy="12" r="10"/><path d="M5 12h3l2-4 4 8 2-4h3"/></svg>'
)

INTEGRATION = Integration(
    type="UPTIME_KUMA",
    name="Uptime Kuma",
    parse=parse,
    validate_settings=validate,
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "In Uptime Kuma open Settings → Notifications → Setup Notification and choose Notification Type 'Webhook'.",
        "Post URL: {url}. Request Body: 'Preset - application/json' (the form-data preset works too; "
        "'Custom Body' does not).",
        "Tick the monitors that should page (or 'Default enabled' / 'Apply on all existing monitors') and save.",
        "Press 'Test': it is recorded as a test and pages nobody. Down pages, Up resolves; certificate and domain "
        "expiry warnings open a LOW alert.",
        "Optional: set integrationSettings.baseUrl to Uptime Kuma's address to link alerts to the monitor's page.",
    ),
)
