"""Azure Monitor: an action group's webhook action with the common alert schema turned on.

Alert key: ``data.essentials.alertId``, the resource id of the alert instance, the same in its Fired and
Resolved notifications (not the rule: one rule raises one alert per resource and dimension combination).
monitorCondition Fired → ALERT, Resolved → RESOLVE. Priority from severity: Sev0, Sev1 → HIGH; Sev2, Sev3,
Sev4 → LOW. Azure has no acknowledge notification and marks no test: "Test action group" posts sample alerts.
A body without ``schemaId`` = azureMonitorCommonAlertSchema is refused with a message saying to turn the common
schema on.
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
    texts,
)

VENDOR = "Azure Monitor common alert schema"
SCHEMA = "azureMonitorCommonAlertSchema"
CONDITIONS = {"fired": EventType.ALERT, "resolved": EventType.RESOLVE}
PRIORITIES = {"sev0": Priority.HIGH, "sev1": Priority.HIGH, "sev2": Priority.LOW, "sev3": Priority.LOW,
              "sev4": Priority.LOW}
SEVERITIES = {"sev0": Severity.CRITICAL, "sev1": Severity.ERROR, "sev2": Severity.WARNING, "sev3": Severity.INFO,
              "sev4": Severity.INFO}
LINK_FIELDS = (("linkToFilteredSearchResultsUI", "Filtered search results"), ("linkToSearchResultsUI",
                                                                               "Search results"))


def criterion_text(criterion: Mapping[str, Any]) -> str | None:
    subject = first_text(criterion.get("metricName"), criterion.get("searchQuery"))
    if subject is None:
        return None
    condition = " ".join(filter(None, (text(criterion.get("timeAggregation")), subject,
                                       text(criterion.get("operator")), text(criterion.get("threshold")))))
    value = text(criterion.get("metricValue"))
    return f"{condition}: {value}" if value is not None else condition


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    schema = text(body.get("schemaId"))
    if schema != SCHEMA:
        raise BadPayload(f"schemaId is {schema!r}, not {SCHEMA!r}: turn on 'Enable the common alert schema' for this "
                         "webhook in the action group", field="schemaId")
    data = required_object(body, "data", VENDOR)
    essentials = required_object(data, "essentials", VENDOR, field="data.essentials")
    alert_id = required_text(essentials, "alertId", VENDOR, field="data.essentials.alertId")
    rule = required_text(essentials, "alertRule", VENDOR, field="data.essentials.alertRule")
    condition = required_text(essentials, "monitorCondition", VENDOR, field="data.essentials.monitorCondition")
    event_type = CONDITIONS.get(condition.lower())
    if event_type is None:
        raise BadPayload(f"data.essentials.monitorCondition must be Fired or Resolved, not {condition!r}",
                         field="data.essentials.monitorCondition")
    severity = (text(essentials.get("severity")) or "").lower()
    description = text(essentials.get("description"))
    context = obj(data.get("alertContext"))
    criteria = objects(obj(context.get("condition")).get("allOf"))
    resources = texts(essentials.get("configurationItems"))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=alert_key(alert_id),
        summary=summary(f"{rule}: {description}" if description else rule),
        details=details(
            "\n".join(filter(None, (criterion_text(c) for c in criteria))),
            f"Resources: {', '.join(resources)}" if resources else None,
        ),
        priority=PRIORITIES.get(severity),
        severity=SEVERITIES.get(severity),
        links=links(
            (essentials.get("investigationLink"), "Investigate in Azure"),
            *((c.get(name), label) for c in criteria for name, label in LINK_FIELDS),
        ),
        labels=labels([
            ("severity", essentials.get("severity")), ("signalType", essentials.get("signalType")),
            ("monitoringService", essentials.get("monitoringService")),
            ("resourceGroup", essentials.get("targetResourceGroup")),
            ("resourceType", essentials.get("targetResourceType")), ("resource", ", ".join(resources)),
            *obj(data.get("customProperties")).items(),
        ]),
        custom_details=compact({
            "alertRuleId": first_text(essentials.get("alertRuleID"), essentials.get("alertRuleId")),
            "targets": texts(essentials.get("alertTargetIDs")),
            "firedDateTime": text(essentials.get("firedDateTime")),
            "resolvedDateTime": text(essentials.get("resolvedDateTime")),
            "alertContext": context,
        }),
        origin="azure_monitor",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M9.5 3h5L8 21H2zm6 5L22 21H9l6.5-2.5L12 13z"/></svg>'
)

INTEGRATION = Integration(
    type="AZURE_MONITOR",
    name="Azure Monitor",
    parse=parse,
    setup_steps=(
        "Monitor → Alerts → Action groups: create or edit an action group; under Actions add the action type "
        "Webhook with the URI {url} and set 'Enable the common alert schema' to Yes (ARM/Bicep: webhookReceivers[]"
        ".useCommonAlertSchema = true).",
        "Attach the action group to the alert rules that should page. For log search rules turn on 'Automatically "
        "resolve alerts', or no resolution is ever sent.",
        "'Test action group' posts sample alerts that carry no test marker and would page: put the tocsin alert "
        "source in maintenance while you try it.",
    ),
    logo_svg=LOGO,
    category="cloud",
)
