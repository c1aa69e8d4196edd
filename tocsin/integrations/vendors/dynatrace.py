"""Dynatrace: problem notifications through a "Custom integration" webhook with the payload from the setup steps.

Alert key: ``PID``, the problem's system id, the same in the OPEN and RESOLVED notifications (``ProblemID`` is only
the display number and goes into the details). State RESOLVED → RESOLVE; OPEN (and any other state, e.g. a merge
notification) → ALERT. "Send test notification" fills the placeholders with fixed values (PID 99999, title
"Dynatrace problem notification test run"): a test. Priority from ProblemSeverity: AVAILABILITY, ERROR,
CUSTOM_ALERT → HIGH; PERFORMANCE, RESOURCE_CONTENTION and anything else → LOW. Dynatrace sends no acknowledgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.integrations.base import InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import (
    alert_key,
    compact,
    details,
    first_text,
    labels,
    links,
    objects,
    required_text,
    split_tags,
    summary,
    tag_pairs,
    text,
)

VENDOR = "Dynatrace problem notification"
TEST_PID = "99999"
TEST_TITLE = "Dynatrace problem notification test run"
HIGH_SEVERITIES = frozenset({"AVAILABILITY", "ERROR", "CUSTOM_ALERT"})
SEVERITIES = {"AVAILABILITY": Severity.CRITICAL, "ERROR": Severity.ERROR, "CUSTOM_ALERT": Severity.ERROR,
              "PERFORMANCE": Severity.WARNING, "RESOURCE_CONTENTION": Severity.WARNING, "INFO": Severity.INFO}
PAYLOAD = (
    '{"State": "{State}", "ProblemID": "{ProblemID}", "PID": "{PID}", "ProblemTitle": "{ProblemTitle}", '
    '"ProblemSeverity": "{ProblemSeverity}", "ProblemImpact": "{ProblemImpact}", "ProblemURL": "{ProblemURL}", '
    '"ImpactedEntity": "{ImpactedEntity}", "ImpactedEntities": {ImpactedEntities}, "Tags": "{Tags}"}'
)


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    pid = required_text(body, "PID", VENDOR)
    title = required_text(body, "ProblemTitle", VENDOR)
    if pid == TEST_PID or title == TEST_TITLE:
        return Parsed(test=True)
    state = required_text(body, "State", VENDOR).upper()
    severity = (text(body.get("ProblemSeverity")) or "").upper()
    entities = objects(body.get("ImpactedEntities"))
    entity_names = [name for entity in entities if (name := text(entity.get("name")))]
    impacted = text(body.get("ImpactedEntity")) or ", ".join(entity_names) or None
    number, impact = text(body.get("ProblemID")), text(body.get("ProblemImpact"))
    tags = split_tags(body.get("Tags"))
    headline = " ".join(filter(None, (
        f"Problem {number}" if number else "Problem",
        f"({impact.lower()} impact)" if impact else None,
        f"on {impacted}" if impacted else None,
    )))
    return Parsed(events=[Event(
        event_type=EventType.RESOLVE if state in ("RESOLVED", "CLOSED") else EventType.ALERT,
        alert_key=alert_key(pid),
        summary=summary(title),
        details=details(headline, text(body.get("ProblemDetailsText"))),
        priority=(Priority.HIGH if severity in HIGH_SEVERITIES else Priority.LOW) if severity else None,
        severity=SEVERITIES.get(severity),
        links=links((first_text(body.get("ProblemURL"), body.get("Problem URL")), "Problem in Dynatrace")),
        labels=labels([("impact", impact), ("severity", severity), *tag_pairs(tags)]),
        custom_details=compact({
            "state": state,
            "problemId": number,
            "impactedEntities": [compact({"type": text(e.get("type")), "name": text(e.get("name")),
                                          "entity": text(e.get("entity"))}) for e in entities],
            "tags": tags,
        }),
        origin="dynatrace",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M3 3h11l-3 3H6v12l-3 3zm18 18H10l3-3h5V6l3-3z"/></svg>'
)

INTEGRATION = Integration(
    type="DYNATRACE",
    name="Dynatrace",
    parse=parse,
    setup_steps=(
        "Settings → Integration → Problem notifications → Add notification → Custom integration. Webhook URL: {url}. "
        "Do not add a Content-Type header (Dynatrace then stops checking and escaping the JSON).",
        "Turn on 'Call webhook if problem is closed' (otherwise tocsin never hears of the resolution) and choose "
        "the alerting profile whose problems should page.",
        "Custom payload (ImpactedEntities stays unquoted, it is JSON): " + PAYLOAD,
        "'Send test notification' is recorded as a test without paging anyone.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
