"""Rollbar: project webhook notifications, ``{"event_name": ..., "data": {"item": {...}, ...}}``.

Alert key: ``rollbar:<data.item.id>``, Rollbar's global item id, the same through occurrences, resolution and
reactivation (``item.counter``, the per-project number shown as #142, goes into the details).
new_item, occurrence, exp_repeat_item (10^nth occurrence), item_velocity (high occurrence rate),
reactivated_item and reopened_item → ALERT (repeats fold into the open alert); resolved_item → RESOLVE;
deploy → no event; "test" (Send Test Notification) → test. Rollbar has no acknowledge notification.
Priority from item.level: 50 critical, 40 error → HIGH; 30 warning, 20 info, 10 debug → LOW.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import (
    alert_key,
    compact,
    details,
    first_text,
    labels,
    links,
    obj,
    objects,
    required_object,
    required_text,
    summary,
    text,
)

VENDOR = "Rollbar webhook"
ALERTING = frozenset({"new_item", "occurrence", "exp_repeat_item", "item_velocity", "reactivated_item",
                      "reopened_item"})
RESOLVING = frozenset({"resolved_item"})
WITHOUT_EVENT = frozenset({"deploy"})
LEVELS = {"50": "critical", "40": "error", "30": "warning", "20": "info", "10": "debug"}
PRIORITIES = {"critical": Priority.HIGH, "error": Priority.HIGH, "warning": Priority.LOW, "info": Priority.LOW,
              "debug": Priority.LOW}
SEVERITIES = {"critical": Severity.CRITICAL, "error": Severity.ERROR, "warning": Severity.WARNING,
              "info": Severity.INFO, "debug": Severity.INFO}
SHOWN_FRAMES = 10


def level_name(value: Any) -> str | None:
    """The item's level as a word; Rollbar sends it as a number in items, as a word in occurrences."""
    found = text(value)
    return LEVELS.get(found, found.lower()) if found else None


def occurrence_text(occurrence: Mapping[str, Any]) -> str | None:
    body = obj(occurrence.get("body"))
    trace = obj(body.get("trace")) or next(iter(objects(body.get("trace_chain"))), {})
    if trace:
        exception = obj(trace.get("exception"))
        lines = [": ".join(filter(None, (text(exception.get("class")), text(exception.get("message")))))]
        frames = objects(trace.get("frames"))
        for frame in reversed(frames[-SHOWN_FRAMES:]):
            where = f"{text(frame.get('filename')) or '?'}:{text(frame.get('lineno')) or '?'}"
            lines.append(f"  at {text(frame.get('method')) or '?'} ({where})")
        return "\n".join(line for line in lines if line)
    return first_text(obj(body.get("message")).get("body"), obj(body.get("crash_report")).get("raw"))


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    if request.text().lstrip().startswith("<"):
        raise BadPayload("this rule posts XML: set the Rollbar rule's format to JSON", field="body", status=415)
    body = request.json_object()
    name = required_text(body, "event_name", VENDOR)
    data = required_object(body, "data", VENDOR)
    if name == "test":
        return Parsed(test=True)
    if name in WITHOUT_EVENT:
        return Parsed()
    item = required_object(data, "item", VENDOR, field="data.item")
    item_id = required_text(item, "id", VENDOR, field="data.item.id")
    title = required_text(item, "title", VENDOR, field="data.item.title")
    if name in ALERTING:
        event_type = EventType.ALERT
    elif name in RESOLVING:
        event_type = EventType.RESOLVE
    else:
        # A notification kind added after this adapter: nothing to page on, and a 4xx would only make Rollbar retry.
        return Parsed()

    occurrence = obj(data.get("occurrence")) or obj(item.get("last_occurrence"))
    level = level_name(item.get("level")) or level_name(occurrence.get("level"))
    environment = text(item.get("environment"))
    counter = text(item.get("counter"))
    server = obj(occurrence.get("server"))
    uuid = text(occurrence.get("uuid"))
    trigger = obj(data.get("trigger"))
    facts = [
        f"Item #{counter}" if counter else None,
        f"Environment: {environment}" if environment else None,
        f"Occurrences: {text(item.get('total_occurrences'))}" if text(item.get("total_occurrences")) else None,
        f"Reached {text(data.get('occurrences'))} occurrences" if text(data.get("occurrences")) else None,
        (f"More than {text(trigger.get('threshold'))} occurrences in {text(trigger.get('window_size_description'))}"
         if trigger else None),
        f"Server: {text(server.get('host'))}" if text(server.get("host")) else None,
    ]
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=alert_key("rollbar", item_id),
        summary=summary(title),
        details=details("\n".join(fact for fact in facts if fact), occurrence_text(occurrence)),
        priority=PRIORITIES.get(level or ""),
        severity=SEVERITIES.get(level or ""),
        links=links(
            (f"https://rollbar.com/item/uuid/?uuid={uuid}" if uuid else None, "Item in Rollbar"),
            (f"https://rollbar.com/occurrence/uuid/?uuid={uuid}" if uuid else None, "Occurrence in Rollbar"),
        ),
        labels=labels([("environment", environment), ("level", level), ("project", text(item.get("project_id")))]),
        custom_details=compact({
            "event": name,
            "counter": item.get("counter"),
            "totalOccurrences": item.get("total_occurrences"),
            "language": text(occurrence.get("language")),
            "framework": text(occurrence.get("framework")),
            "resolvedInVersion": text(item.get("resolved_in_version")),
            "trigger": trigger,
        }),
        origin="rollbar",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M4 4h9a5 5 0 0 1 1.6 9.74L19 20h-3.6l-4-6H7v6H4zm3 3v4h6a2 2 0 0 0 0-4z"/></svg>'
)

INTEGRATION = Integration(
    type="ROLLBAR",
    name="Rollbar",
    parse=parse,
    setup_steps=(
        "In the Rollbar project open Settings → Notifications → Webhook, enter {url} as the URL and enable the "
        "integration.",
        "Add rules for New Item, 10^nth Occurrence, High Occurrence Rate, Item Reactivated, Item Reopened and Item "
        "Resolved (Every Occurrence works too, but is noisy); keep the rules' format JSON and add filters (e.g. "
        "environment, level) as you need.",
        "Click 'Send Test Notification': tocsin records it as a test without paging anyone.",
    ),
    logo_svg=LOGO,
    category="error tracking",
)
