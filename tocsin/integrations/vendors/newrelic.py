"""New Relic: a workflow's webhook destination, with the payload template from the setup steps (or New Relic's
default template, whose names ``id``, ``title``, ``issueUrl`` and ``trigger`` are read as aliases).

Alert key: ``issueId``, the issue's UUID, the same in every notification about the issue.
state CLOSED → RESOLVE. An acknowledgement keeps the state ACTIVATED and arrives with triggerEvent USER_ACTION:
with ``isAcknowledged`` true (or absent, as in the default template) → ACCEPT; a state ACKNOWLEDGED → ACCEPT.
Everything else of an open issue (CREATED, ACTIVATED, PRIORITY_CHANGED, INCIDENT_ADDED, ...) → ALERT, which folds
into the open alert. Priority: CRITICAL, HIGH → HIGH; MEDIUM, LOW → LOW.
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
    summary,
    text,
    texts,
)

VENDOR = "New Relic workflow"
OPEN_STATES = frozenset({"CREATED", "ACTIVATED"})
PRIORITIES = {"CRITICAL": Priority.HIGH, "HIGH": Priority.HIGH, "MEDIUM": Priority.LOW, "LOW": Priority.LOW}
SEVERITIES = {"CRITICAL": Severity.CRITICAL, "HIGH": Severity.ERROR, "MEDIUM": Severity.WARNING, "LOW": Severity.INFO}
TEMPLATE = (
    '{"issueId": {{ json issueId }}, "issueTitle": {{ json issueTitle }}, "state": {{ json state }}, '
    '"priority": {{ json priority }}, "issuePageUrl": {{ json issuePageUrl }}, '
    '"triggerEvent": {{ json triggerEvent }}, '
    '"isAcknowledged": {{ json isAcknowledged }}, "createdAt": {{ createdAt }}, "updatedAt": {{ updatedAt }}, '
    '"impactedEntities": {{ json entitiesData.names }}, "alertPolicyNames": {{ json accumulations.policyName }}, '
    '"alertConditionNames": {{ json accumulations.conditionName }}, "totalIncidents": {{ json totalIncidents }}, '
    '"workflowName": {{ json workflowName }}}'
)


def event_type_of(state: str, trigger: str | None, acknowledged: Any) -> EventType:
    if state == "CLOSED":
        return EventType.RESOLVE
    if state == "ACKNOWLEDGED":
        return EventType.ACCEPT
    if state not in OPEN_STATES:
        raise BadPayload(f"'state' {state!r} is not a New Relic issue state (CREATED, ACTIVATED, CLOSED)",
                         field="state")
    if trigger == "USER_ACTION" and acknowledged in (True, "true", None):
        return EventType.ACCEPT
    return EventType.ALERT


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    issue = first_text(body.get("issueId"), body.get("id"))
    if issue is None:
        raise BadPayload(f"not a {VENDOR} body: 'issueId' is missing or empty", field="issueId")
    state = text(body.get("state"))
    if state is None:
        raise BadPayload(f"not a {VENDOR} body: 'state' is missing or empty", field="state")
    trigger = first_text(body.get("triggerEvent"), body.get("trigger"))
    event_type = event_type_of(state.upper(), trigger.upper() if trigger else None, body.get("isAcknowledged"))
    priority = (text(body.get("priority")) or "").upper()
    entities, policies = texts(body.get("impactedEntities")), texts(body.get("alertPolicyNames"))
    conditions = texts(body.get("alertConditionNames"))
    facts = (("Entities", entities), ("Policies", policies), ("Conditions", conditions))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=alert_key(issue),
        summary=summary(first_text(body.get("issueTitle"), body.get("title")) or f"New Relic issue {issue}"),
        details=details("\n".join(f"{name}: {', '.join(values)}" for name, values in facts if values)),
        priority=PRIORITIES.get(priority),
        severity=SEVERITIES.get(priority),
        links=links((first_text(body.get("issuePageUrl"), body.get("issueUrl")), "Issue in New Relic")),
        labels=labels([("entity", ", ".join(entities)), ("policy", ", ".join(policies)),
                       ("condition", ", ".join(conditions))]),
        custom_details=compact({
            "state": state,
            "priority": priority or None,
            "triggerEvent": trigger,
            "totalIncidents": body.get("totalIncidents"),
            "workflow": text(body.get("workflowName")),
        }),
        origin="newrelic",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M12 2l9 5v10l-9 5-9-5V7zm0 5l-4.5 2.5v5L12 17l4.5-2.5v-5z"/></svg>'
)

INTEGRATION = Integration(
    type="NEWRELIC",
    name="New Relic",
    parse=parse,
    setup_steps=(
        "Alerts → Destinations → Webhook: add a destination with the endpoint URL {url} (no authorization needed: "
        "the key is in the URL).",
        "Alerts → Workflows: in the workflow whose issues should page add Notify → Webhook with that destination; "
        "under 'Notify when' enable Activated, Acknowledged, Closed and Priority changed.",
        "Replace the payload template with: " + TEMPLATE,
    ),
    logo_svg=LOGO,
    category="monitoring",
)
