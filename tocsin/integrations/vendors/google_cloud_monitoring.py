"""Google Cloud Monitoring: a webhook notification channel (incident schema version 1.2).

Alert key: ``incident.incident_id``, one incident per policy, condition and time series; the closing
notification repeats it. incident.state open → ALERT, closed → RESOLVE (compared case-insensitively).
The channel's "Test connection" posts ``"version": "test"``: a test. Priority from incident.severity:
Warning → LOW; Critical, Error, "no severity" or none → HIGH. Cloud Monitoring sends no acknowledgement.
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

VENDOR = "Google Cloud Monitoring webhook"
STATES = {"open": EventType.ALERT, "closed": EventType.RESOLVE}
SEVERITIES = {"critical": Severity.CRITICAL, "error": Severity.ERROR, "warning": Severity.WARNING}


def documentation(incident: Mapping[str, Any]) -> tuple[str | None, list[tuple[Any, str]]]:
    """The documentation text and its links (1.2 sends an object, older and test payloads a string)."""
    doc = incident.get("documentation")
    if isinstance(doc, dict):
        pairs = [(item.get("url"), text(item.get("displayName")) or "Documentation")
                 for item in objects(doc.get("links"))]
        return text(doc.get("content")), pairs
    return text(doc), []


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    incident = required_object(body, "incident", VENDOR)
    if text(body.get("version")) == "test":
        return Parsed(test=True)
    incident_id = required_text(incident, "incident_id", VENDOR, field="incident.incident_id")
    state = required_text(incident, "state", VENDOR, field="incident.state")
    event_type = STATES.get(state.lower())
    if event_type is None:
        raise BadPayload(f"incident.state must be 'open' or 'closed', not {state!r}", field="incident.state")
    severity = (text(incident.get("severity")) or "").lower()
    policy = text(incident.get("policy_name"))
    what = first_text(incident.get("summary"), incident.get("condition_name"))
    headline = f"{policy}: {what}" if policy and what else policy or what or f"Incident {incident_id}"
    content, doc_links = documentation(incident)
    observed, threshold = text(incident.get("observed_value")), text(incident.get("threshold_value"))
    resource = obj(incident.get("resource"))
    metric = obj(incident.get("metric"))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=alert_key(incident_id),
        summary=summary(headline),
        details=details(
            content,
            "\n".join(filter(None, (
                f"Condition: {text(incident.get('condition_name'))}" if text(incident.get("condition_name")) else None,
                f"Observed value: {observed}" if observed else None,
                f"Threshold: {threshold}" if threshold else None,
                f"Resource: {text(incident.get('resource_name'))}" if text(incident.get("resource_name")) else None,
            ))),
        ),
        priority=Priority.LOW if severity == "warning" else Priority.HIGH,
        severity=SEVERITIES.get(severity),
        links=links((incident.get("url"), "Incident in Google Cloud"), *doc_links),
        labels=labels([
            *obj(resource.get("labels")).items(), *obj(metric.get("labels")).items(),
            *obj(obj(incident.get("metadata")).get("user_labels")).items(),
            *obj(incident.get("policy_user_labels")).items(),
        ]),
        custom_details=compact({
            "project": text(incident.get("scoping_project_id")),
            "resourceType": text(resource.get("type")),
            "metricType": text(metric.get("type")),
            "severity": text(incident.get("severity")),
            "startedAt": incident.get("started_at"),
            "endedAt": incident.get("ended_at"),
        }),
        origin="google_cloud_monitoring",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M3 18h18v2H3zM5 16V9h3v7zm5.5 0V4h3v12zm5.5 0v-5h3v5z"/></svg>'
)

INTEGRATION = Integration(
    type="GOOGLE_CLOUD_MONITORING",
    name="Google Cloud Monitoring",
    parse=parse,
    setup_steps=(
        "Monitoring → Alerting → Edit notification channels → Webhooks → Add new: Endpoint URL {url}, display name "
        "'tocsin', basic authentication off (the key is in the URL).",
        "Click 'Test connection': tocsin records it as a test without paging anyone. Then save the channel.",
        "Add the channel to each alerting policy that should page and keep 'Notify on incident closure' on, "
        "otherwise no resolution ever arrives.",
    ),
    logo_svg=LOGO,
    category="cloud",
)
