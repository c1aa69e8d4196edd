"""Prometheus Alertmanager webhook receiver (payload version 4): one event per entry of ``alerts``.

The alert key is the alert's ``fingerprint`` (Alertmanager's hash of its label set: the same in firing,
resolved and repeated sends). An alert without one (an older or hand-made sender) is keyed by a stable hash
of its labels, ``labels:<16 hex>``, so that it still pairs with its resolution. The group key names a
notification group, not an alert: it is kept in the details only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import (
    first_text,
    links,
    priority_from_word,
    severity_from_word,
    stable_hash,
    string_labels,
    text,
)

STATES = {"firing": EventType.ALERT, "resolved": EventType.RESOLVE}


def alert_key(alert: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    return text(alert.get("fingerprint")) or f"labels:{stable_hash(labels)}"


def summary_of(labels: Mapping[str, str], annotations: Mapping[str, str], fallback: str) -> str:
    name = labels.get("alertname")
    named = f"{name} on {labels['instance']}" if name and labels.get("instance") else name
    return first_text(annotations.get("summary"), named, annotations.get("description")) or fallback


def alerts_of(body: Mapping[str, Any], vendor: str) -> list[dict[str, Any]]:
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise BadPayload(f"not a {vendor} webhook body: 'alerts' must be a list", field="alerts")
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise BadPayload(f"alerts[{index}] must be an object", field=f"alerts[{index}]")
        if alert.get("status") not in STATES:
            raise BadPayload(f"alerts[{index}].status must be 'firing' or 'resolved'", field=f"alerts[{index}].status")
        if alert.get("labels") is not None and not isinstance(alert.get("labels"), dict):
            raise BadPayload(f"alerts[{index}].labels must be an object", field=f"alerts[{index}].labels")
    return alerts


def alert_event(alert: Mapping[str, Any], body: Mapping[str, Any], *, origin: str, vendor: str) -> Event:
    """One event for one entry of an Alertmanager-shaped ``alerts`` list (Grafana uses the same shape)."""
    labels = string_labels(alert.get("labels"))
    annotations = string_labels(alert.get("annotations"))
    custom: dict[str, Any] = {"annotations": annotations} if annotations else {}
    for name in ("startsAt", "endsAt", "values", "valueString"):
        if alert.get(name) not in (None, "", {}):
            custom[name] = alert[name]
    for name in ("groupKey", "receiver"):
        if text(body.get(name)):
            custom[name] = body[name]
    return Event(
        event_type=STATES[alert["status"]],
        alert_key=alert_key(alert, labels),
        summary=summary_of(labels, annotations, f"{vendor} alert"),
        details=annotations.get("description"),
        priority=priority_from_word(labels.get("severity")),
        severity=severity_from_word(labels.get("severity")),
        links=links(
            (alert.get("generatorURL"), "Source"), (annotations.get("runbook_url"), "Runbook"),
            (alert.get("dashboardURL"), "Dashboard"), (alert.get("panelURL"), "Panel"),
            (alert.get("silenceURL"), "Silence"), (body.get("externalURL"), vendor),
        ),
        images=[{"src": alert["imageURL"]}] if text(alert.get("imageURL")) else [],
        labels=labels,
        custom_details=custom,
        origin=origin,
    )


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    alerts = alerts_of(body, "Alertmanager")
    events = [alert_event(a, body, origin="alertmanager", vendor="Alertmanager") for a in alerts]
    return Parsed(events=events)


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="#e6522c"/>'
    '<path d="M7 16h10v2H7zm1-2 1-6 3 3 3-3 1 6z" fill="#fff"/></svg>'
)

INTEGRATION = Integration(
    type="PROMETHEUS",
    name="Prometheus Alertmanager",
    parse=parse,
    category="monitoring",
    logo_svg=LOGO,
    setup_steps=(
        "In alertmanager.yml add a receiver with a webhook: "
        "webhook_configs: [{url: '{url}', send_resolved: true}] and route alerts to it.",
        "Leave max_alerts at 0 and set no custom payload template: tocsin reads Alertmanager's own format.",
        "Each alert of a batch becomes its own tocsin alert, keyed by its fingerprint; resolved alerts resolve it.",
        "The label 'severity' sets the priority: critical, high or page → HIGH; warning, info or other → LOW; "
        "without it the alert source's priority rule decides.",
    ),
)
