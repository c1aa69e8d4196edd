"""Datadog: the Webhooks integration, with the custom JSON payload from the setup steps (or Datadog's default).

Alert key: ``aggreg_key`` ($AGGREG_KEY: one monitor and group, the same for its Warn, Triggered, No Data and
Recovered notifications); without it ``<alert_id>:<alert_scope>``. The default payload (saved without a custom
one) names neither: it is keyed by the title without its status, ``{scope} <monitor name>``.
State from ``alert_transition`` (or, in the default payload, the title's "[Triggered on {scope}]"):
Triggered, Re-Triggered, Renotify → ALERT; Warn, Re-Warn, No Data, Re-No Data → ALERT with priority LOW;
Recovered → RESOLVE; other transitions → no event. A monitor's "Test Notifications" title carries "[TEST]": a test.
Priority otherwise from the monitor priority (``alert_priority`` or the title's "[Pn]"): P1, P2 or none → HIGH,
P3 to P5 → LOW. Datadog has no acknowledge notification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import (
    alert_key,
    compact,
    details,
    labels,
    links,
    obj,
    required_text,
    split_tags,
    summary,
    tag_pairs,
    text,
)

VENDOR = "Datadog webhook"
TITLE = re.compile(r"^(?:\[(?P<priority>P[1-5])\]\s*)?\[(?P<transition>[A-Za-z -]+?)(?: on (?P<scope>\{.*?\}))?\]"
                   r"\s*(?P<name>.*)$")
TEST_MARK = re.compile(r"\[TEST\]", re.IGNORECASE)
MARKDOWN_IMAGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<src>https://[^)\s]+)\)\]\((?P<href>https://[^)\s]+)\)")
ALERTING = frozenset({"triggered", "re-triggered", "renotify"})
WARNING = frozenset({"warn", "re-warn", "no data", "re-no data"})
RECOVERED = frozenset({"recovered"})
LOW_PRIORITIES = frozenset({"P3", "P4", "P5"})
PAYLOAD = (
    '{"id": "$ID", "title": "$EVENT_TITLE", "alert_transition": "$ALERT_TRANSITION", "alert_id": "$ALERT_ID", '
    '"aggreg_key": "$AGGREG_KEY", "alert_priority": "$ALERT_PRIORITY", "alert_scope": "$ALERT_SCOPE", '
    '"alert_query": "$ALERT_QUERY", "hostname": "$HOSTNAME", "tags": "$TAGS", "link": "$LINK", "date": "$DATE", '
    '"last_updated": "$LAST_UPDATED", "event_type": "$EVENT_TYPE", "text_only_msg": "$TEXT_ONLY_MSG", '
    '"snapshot": "$SNAPSHOT", "org": {"id": "$ORG_ID", "name": "$ORG_NAME"}}'
)


def default_body_text(body: Any) -> str | None:
    """The default payload's markdown body without Datadog's %%% fences."""
    found = text(body)
    return found.replace("%%%", "").strip() if found else None


def snapshots(body: Mapping[str, Any]) -> list[dict[str, str]]:
    """The monitor's graph: ``snapshot`` ($SNAPSHOT) or the image the default payload's markdown embeds."""
    found = [{"src": src, "alt": "Monitor graph"} for src in (text(body.get("snapshot")),)
             if src and src.startswith("https://")]
    for match in MARKDOWN_IMAGE.finditer(text(body.get("body")) or ""):
        found.append({"src": match["src"], "href": match["href"], "alt": match["alt"] or "Monitor graph"})
    return [image for image in found if len(image["src"]) <= 2048 and len(image.get("href", "")) <= 2048][:5]


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    if request.content_type == "application/x-www-form-urlencoded":
        raise BadPayload("the webhook is set to 'Encode as form': turn that off so that Datadog posts JSON",
                         field="body", status=415)
    body = request.json_object()
    title = required_text(body, "title", VENDOR)
    if TEST_MARK.search(title):
        return Parsed(test=True)
    match = TITLE.match(title)
    transition = text(body.get("alert_transition")) or (match["transition"] if match else None)
    if transition is None:
        raise BadPayload(f"not a {VENDOR} body: 'alert_transition' is missing and the title names no status "
                         "(add \"alert_transition\": \"$ALERT_TRANSITION\" to the payload)", field="alert_transition")
    state = transition.lower()
    if state in ALERTING or state in WARNING:
        event_type = EventType.ALERT
    elif state in RECOVERED:
        event_type = EventType.RESOLVE
    else:
        return Parsed()

    monitor_priority = (text(body.get("alert_priority")) or (match["priority"] if match else None) or "").upper()
    scope = text(body.get("alert_scope"))
    key = text(body.get("aggreg_key"))
    if key is None and text(body.get("alert_id")):
        key = alert_key(required_text(body, "alert_id", VENDOR), scope or "*")
    if key is None:
        if match is None:
            raise BadPayload(f"not a {VENDOR} body: 'aggreg_key' is missing (add \"aggreg_key\": \"$AGGREG_KEY\" "
                             "to the payload)", field="aggreg_key")
        key = " ".join(filter(None, (match["scope"], match["name"])))
    tags = split_tags(body.get("tags"))
    org = obj(body.get("org"))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=alert_key(key),
        summary=summary(title),
        details=details(text(body.get("text_only_msg")) or default_body_text(body.get("body")),
                        "\n".join(filter(None, (
                            f"Query: {text(body.get('alert_query'))}" if text(body.get("alert_query")) else None,
                            f"Host: {text(body.get('hostname'))}" if text(body.get("hostname")) else None,
                        )))),
        priority=Priority.LOW if state in WARNING or monitor_priority in LOW_PRIORITIES else Priority.HIGH,
        links=links((body.get("link"), "Event in Datadog")),
        images=snapshots(body),
        labels=labels(tag_pairs(tags)),
        custom_details=compact({
            "transition": transition,
            "monitorId": text(body.get("alert_id")),
            "monitorPriority": monitor_priority or None,
            "scope": scope,
            "eventType": text(body.get("event_type")),
            "tags": tags,
            "organization": text(org.get("name")),
        }),
        origin="datadog",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M6 4c3 0 5 2 6 4 1-2 3-4 6-4l-1 6 3 4-5 1-1 5-2-3-2 3-1-5-5-1 3-4z"/></svg>'
)

INTEGRATION = Integration(
    type="DATADOG",
    name="Datadog",
    parse=parse,
    setup_steps=(
        "Integrations → Webhooks → New: name 'tocsin', URL {url}, leave 'Encode as form' off.",
        "Payload: " + PAYLOAD,
        "Add @webhook-tocsin to the message of each monitor that should page (recoveries are sent to the same "
        "mention).",
        "Try it with the monitor's 'Test Notifications': the '[TEST]' title is recorded as a test without paging "
        "anyone.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
