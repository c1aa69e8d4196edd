"""Sentry integration platform webhooks: issue alerts, metric alerts, issue changes, installation.

Keys: ``issue:<issue id>`` for issue alerts and issue changes (resolving the issue in Sentry resolves the
tocsin alert), ``metric_alert:<incident id>`` for metric alerts (stable across warning → critical →
resolved). Installing or uninstalling the integration is recorded as a test. With ``clientSecret`` in the
integration settings, ``Sentry-Hook-Signature`` (hex HMAC-SHA256 of the raw body) must match, else 401.

An issue alert rule's "Send Test Notification" fires the action for a sample event (a real issue of the
project) under a rule whose id is -1 (Sentry's TEST_NOTIFICATION_ID). Sentry names that id in
``data.issue_alert.id`` when the integration has alert rule settings, and the rule's name in
``triggered_rule``, which is empty when the rule is not named yet (and always in older Sentry releases,
whose test rule had no label). Either is a test. A test of a named rule of an integration without alert rule
settings carries no marker and is taken as an alert. Metric alerts have no test notification.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Comment, Event
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import first_text, links, obj, required_object, text

ISSUE_ACTIONS = {"created": EventType.ALERT, "unresolved": EventType.ALERT, "resolved": EventType.RESOLVE,
                 "archived": EventType.RESOLVE, "ignored": EventType.RESOLVE, "assigned": EventType.COMMENT}
METRIC_ACTIONS = {"critical": (EventType.ALERT, Priority.HIGH), "warning": (EventType.ALERT, Priority.LOW),
                  "resolved": (EventType.RESOLVE, None)}
NO_EVENT_RESOURCES = frozenset({"error", "comment", "seer", "preprod_artifact"})
HIGH_LEVELS = frozenset({"fatal", "error"})
TEST_RULE_ID = "-1"


def verify_signature(request: InboundRequest, secret: str) -> None:
    signature = (request.header("sentry-hook-signature") or "").strip().lower()
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(signature, expected):
        raise Problem(401, "the Sentry-Hook-Signature header does not match the body and the client secret set "
                           "for this alert source", slug="bad-signature")


def _level_priority(level: Any) -> Priority:
    return Priority.HIGH if (text(level) or "error").lower() in HIGH_LEVELS else Priority.LOW


def _resource(request: InboundRequest, data: Mapping[str, Any]) -> str:
    named = (request.header("sentry-hook-resource") or "").strip().lower()
    if named:
        return named
    for resource, marker in (("metric_alert", "metric_alert"), ("event_alert", "event"), ("issue", "issue"),
                             ("installation", "installation")):
        if marker in data:
            return resource
    raise BadPayload("not a Sentry webhook: no Sentry-Hook-Resource header and no known resource in 'data'",
                     field="data")


def event_alert(body: Mapping[str, Any], data: Mapping[str, Any]) -> Parsed:
    event = required_object(data, "event", "Sentry event_alert")
    issue_id = first_text(event.get("issue_id"), event.get("group_id"))
    if issue_id is None:
        raise BadPayload("Sentry event_alert: data.event.issue_id is missing", field="data.event.issue_id")
    rule = text(data.get("triggered_rule"))
    if rule is None or text(obj(data.get("issue_alert")).get("id")) == TEST_RULE_ID:
        return Parsed(test=True, note=f"Sentry alert rule test notification ({rule or 'rule not named yet'}, "
                                      f"issue {issue_id})")
    details = "\n".join(filter(None, [f"Alert rule: {rule}" if rule else None, text(event.get("culprit"))]))
    return Parsed(events=[Event(
        event_type=EventType.ALERT,
        alert_key=f"issue:{issue_id}",
        summary=first_text(event.get("title"), event.get("message")) or f"Sentry issue {issue_id}",
        details=details or None,
        priority=_level_priority(event.get("level")),
        links=links((event.get("web_url"), "Sentry event")),
        labels={k: v for k, v in (("level", text(event.get("level"))), ("release", text(event.get("release"))))
                if v},
        custom_details={"eventId": event["event_id"]} if text(event.get("event_id")) else {},
        origin="sentry",
    )])


def issue(body: Mapping[str, Any], data: Mapping[str, Any]) -> Parsed:
    action = text(body.get("action")) or ""
    if action not in ISSUE_ACTIONS:
        return Parsed(note=f"Sentry issue action {action!r} is not an alert change")
    found = required_object(data, "issue", "Sentry issue")
    issue_id = text(found.get("id"))
    if issue_id is None:
        raise BadPayload("Sentry issue: data.issue.id is missing", field="data.issue.id")
    actor = text(obj(body.get("actor")).get("name"))
    comments = []
    if ISSUE_ACTIONS[action] is EventType.COMMENT:
        assignee = text(obj(found.get("assignedTo")).get("name")) or "someone"
        comments = [Comment(content=f"Assigned to {assignee} in Sentry", creator=actor)]
    return Parsed(events=[Event(
        event_type=ISSUE_ACTIONS[action],
        alert_key=f"issue:{issue_id}",
        summary=text(found.get("title")) or f"Sentry issue {issue_id}",
        priority=_level_priority(found.get("level")),
        links=links((found.get("web_url"), "Sentry issue")),
        comments=comments,
        custom_details={"shortId": found["shortId"]} if text(found.get("shortId")) else {},
        origin="sentry",
    )])


def metric_alert(body: Mapping[str, Any], data: Mapping[str, Any]) -> Parsed:
    action = text(body.get("action")) or ""
    if action not in METRIC_ACTIONS:
        raise BadPayload("Sentry metric_alert: action must be critical, warning or resolved", field="action")
    incident = required_object(data, "metric_alert", "Sentry metric_alert")
    incident_id = text(incident.get("id"))
    if incident_id is None:
        raise BadPayload("Sentry metric_alert: data.metric_alert.id is missing", field="data.metric_alert.id")
    event_type, priority = METRIC_ACTIONS[action]
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=f"metric_alert:{incident_id}",
        summary=first_text(data.get("description_title"), incident.get("title"))
        or f"Sentry metric alert {incident_id}",
        details=text(data.get("description_text")),
        priority=priority,
        links=links((data.get("web_url"), "Sentry metric alert")),
        origin="sentry",
    )])


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    secret = settings.get("clientSecret")
    if isinstance(secret, str) and secret:
        verify_signature(request, secret)
    body = request.json_object()
    data = required_object(body, "data", "Sentry")
    resource = _resource(request, data)
    if resource == "installation":
        return Parsed(test=True, note=f"Sentry integration installation {text(body.get('action')) or 'event'}")
    if resource in NO_EVENT_RESOURCES:
        return Parsed(note=f"Sentry '{resource}' webhooks carry no alert")
    handlers = {"event_alert": event_alert, "issue": issue, "metric_alert": metric_alert}
    if resource not in handlers:
        raise BadPayload(f"unknown Sentry-Hook-Resource {resource!r}", field="Sentry-Hook-Resource")
    return handlers[resource](body, data)


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - {"clientSecret"}
    if unknown:
        raise Problem(400, f"unknown Sentry setting(s) {sorted(unknown)}; the only one is 'clientSecret'",
                      field="integrationSettings")
    secret = settings.get("clientSecret")
    if secret is None:
        return {}
    if not isinstance(secret, str) or not 16 <= len(secret) <= 256 or not secret.isprintable():
        raise Problem(400, "integrationSettings.clientSecret must be the integration's Client Secret "
                           "(16 to 256 printable characters)", field="integrationSettings.clientSecret")
    return {"clientSecret": secret}


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#362d59"/>'
    '<path d="M12 4 4 18h4a6 6 0 0 1 6-6l-2-3a9 9 0 0 0-7 9m7-14 8 14h-4a9 9 0 0 0-4-7" fill="none" stroke="#fff" '
    'stroke-width="1.6"/></svg>'
)

INTEGRATION = Integration(
    type="SENTRY",
    name="Sentry",
    parse=parse,
    validate_settings=validate,
    secret_settings=("clientSecret",),
    category="error tracking",
    logo_svg=LOGO,
    setup_steps=(
        "In Sentry open Settings → Developer Settings → Custom Integrations → Create New Integration → "
        "Internal Integration.",
        "Webhook URL: {url}. Turn on 'Alert Rule Action'; optionally subscribe to the 'issue' resource so that "
        "resolving an issue in Sentry resolves the tocsin alert.",
        "Copy the integration's Client Secret into this alert source's integrationSettings.clientSecret: "
        "requests are then verified (Sentry-Hook-Signature) and forged ones refused.",
        "Pick the integration as the action of issue alert rules and of metric alert triggers (critical → HIGH, "
        "warning → LOW, resolved resolves).",
        "An issue alert rule's 'Send Test Notification' is recorded as a test and pages nobody when the rule is "
        "not named yet or the integration has alert rule settings; otherwise it opens an alert for Sentry's "
        "sample issue (resolve it by hand).",
    ),
)
