"""Kibana alerting rules through a Webhook connector (body from the setup steps), and Elastic Watcher webhooks.

Kibana (``"source": "kibana"``): alert key ``<ruleId>:<alertId>``, alert.id being the alert instance (the group
value such as a host, or a fixed id like "query matched" for ungrouped rules; ``alertUuid`` changes on each
re-activation and is no key). actionGroup ``recovered`` → RESOLVE; any other group → ALERT, priority HIGH.
The connector's Test tab posts the body as typed, placeholders unrendered: a ``ruleId`` that is empty or still
holds "{{" marks a test.
Watcher (``"source": "watcher"``): key ``watcher:<ruleId>`` (the watch id), ALERT HIGH on each run whose condition
holds; Watcher sends no recovery, so the alert is resolved by hand (or by the source's auto-resolution).
Neither sends an acknowledgement.
"""

from __future__ import annotations

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
    required_text,
    split_tags,
    summary,
    tag_pairs,
    text,
)

VENDOR = "Kibana webhook connector"
RECOVERED = "recovered"
BODY = (
    '{"source":"kibana","ruleId":"{{rule.id}}","ruleName":"{{rule.name}}","ruleUrl":"{{rule.url}}",'
    '"ruleTags":"{{rule.tags}}","spaceId":"{{rule.spaceId}}","alertId":"{{alert.id}}","alertUuid":"{{alert.uuid}}",'
    '"actionGroup":"{{alert.actionGroup}}","actionGroupName":"{{alert.actionGroupName}}",'
    '"flapping":"{{alert.flapping}}","message":"{{context.message}}","date":"{{date}}",'
    '"kibanaBaseUrl":"{{kibanaBaseUrl}}"}'
)
WATCHER_BODY = (
    '{"source":"watcher","ruleId":"{{ctx.watch_id}}","ruleName":"{{ctx.watch_id}}","alertId":"{{ctx.watch_id}}",'
    '"actionGroup":"watcher","message":"Watch {{ctx.watch_id}} condition met","date":"{{ctx.execution_time}}"}'
)


def unrendered(value: str | None) -> bool:
    return value is None or "{{" in value


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    if "ruleId" not in body:
        raise BadPayload(f"not a {VENDOR} body: 'ruleId' is missing (use the body from the setup steps)",
                         field="ruleId")
    rule_id = text(body.get("ruleId"))
    if rule_id is None or unrendered(rule_id):
        return Parsed(test=True)
    source = (text(body.get("source")) or "kibana").lower()
    rule_name = text(body.get("ruleName")) or rule_id
    message = text(body.get("message"))
    tags = split_tags(body.get("ruleTags"))
    if source == "watcher":
        return Parsed(events=[Event(
            event_type=EventType.ALERT,
            alert_key=alert_key("watcher", rule_id),
            summary=summary(rule_name),
            details=details(message),
            priority=Priority.HIGH,
            labels=labels([("watch", rule_id)]),
            custom_details=compact({"executedAt": text(body.get("date"))}),
            origin="kibana",
        )])
    if source != "kibana":
        raise BadPayload(f"'source' must be 'kibana' or 'watcher', not {source!r}", field="source")
    instance = required_text(body, "alertId", VENDOR)
    group = required_text(body, "actionGroup", VENDOR)
    if unrendered(instance) or unrendered(group):
        return Parsed(test=True)
    return Parsed(events=[Event(
        event_type=EventType.RESOLVE if group.lower() == RECOVERED else EventType.ALERT,
        alert_key=alert_key(rule_id, instance),
        summary=summary(f"{rule_name}: {instance}"),
        details=details(message),
        priority=Priority.HIGH,
        links=links((body.get("ruleUrl"), "Rule in Kibana")),
        labels=labels([("space", text(body.get("spaceId"))), *tag_pairs(tags)]),
        custom_details=compact({
            "actionGroup": text(body.get("actionGroupName")) or group,
            "alertUuid": text(body.get("alertUuid")),
            "flapping": text(body.get("flapping")) == "true",
            "tags": tags,
            "date": text(body.get("date")),
        }),
        origin="kibana",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M4 2h16L4 20zM4 22l7-9a9 9 0 0 1 9 9z"/></svg>'
)

INTEGRATION = Integration(
    type="KIBANA",
    name="Kibana / Elastic",
    parse=parse,
    setup_steps=(
        "Stack Management → Connectors → Create connector → Webhook: method POST, URL {url}, authentication none, "
        "add the HTTP header Content-Type: application/json.",
        "In each rule add this connector twice with action frequency 'For each alert, on status changes': once on "
        "the rule's active action group (e.g. 'Threshold met', 'Query matched') and once on 'Recovered'. Body for "
        "both: " + BODY,
        "Set server.publicBaseUrl in kibana.yml for links back to the rule. The connector's Test tab posts the "
        "body unrendered: tocsin records it as a test without paging anyone.",
        "Elastic Watcher: add a webhook action (method post, the same URL and header) with the body " + WATCHER_BODY
        + ". Watcher sends no recovery: resolve those alerts in tocsin or set the source's auto-resolution.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
