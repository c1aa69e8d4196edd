"""Grafana: the unified alerting webhook contact point, and the legacy (Grafana 10 and older) dashboard alert webhook.

Unified alerting has Alertmanager's shape: one event per entry of ``alerts``, keyed by its fingerprint. The
"Test" button sends a made-up alert whose group key is ``<integration>-<fingerprint>-<unix time>`` instead of
a label set: that is recorded as a test. Legacy alerts are keyed ``<orgId>-<ruleId>``; its test notification
names the rule "Test notification" in org 0. With a ``secret`` in the integration settings, the request must
carry Grafana's HMAC signature (``X-Grafana-Alerting-Signature``), else it is refused with 401.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import links, string_labels, text
from tocsin.integrations.vendors.alertmanager import alert_event, alerts_of

TEST_GROUP_KEY = re.compile(r"^[a-z_]+-[0-9a-f]+-\d+$")
LEGACY_STATES = {
    "alerting": (EventType.ALERT, Priority.HIGH),
    "no_data": (EventType.ALERT, Priority.LOW),
    "ok": (EventType.RESOLVE, None),
}


def verify_signature(request: InboundRequest, secret: str) -> None:
    signature = (request.header("x-grafana-alerting-signature") or "").strip().lower()
    timestamp = request.header("x-grafana-alerting-timestamp")
    signed = (timestamp.encode() + b":" + request.body) if timestamp else request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(signature, expected):
        raise Problem(401, "the X-Grafana-Alerting-Signature header does not match the body and the secret "
                           "set for this alert source", slug="bad-signature")


def parse_unified(body: Mapping[str, Any]) -> Parsed:
    alerts = alerts_of(body, "Grafana")
    if TEST_GROUP_KEY.match(text(body.get("groupKey")) or ""):
        title = (text(body.get('title')) or 'TestAlert').strip()
        return Parsed(test=True, note=f"Grafana contact point test ({title})")
    return Parsed(events=[alert_event(a, body, origin="grafana", vendor="Grafana") for a in alerts])


def parse_legacy(body: Mapping[str, Any]) -> Parsed:
    state = body.get("state")
    if state not in LEGACY_STATES:
        raise BadPayload("Grafana legacy alert: 'state' must be alerting, no_data or ok", field="state")
    rule_id = body.get("ruleId")
    if isinstance(rule_id, bool) or not isinstance(rule_id, int | str) or not str(rule_id).strip():
        raise BadPayload("Grafana legacy alert: 'ruleId' is missing", field="ruleId")
    if body.get("orgId") == 0 and body.get("ruleName") == "Test notification":
        return Parsed(test=True, note="Grafana legacy notification channel test")
    event_type, priority = LEGACY_STATES[state]
    matches = [m for m in body.get("evalMatches") or [] if isinstance(m, dict)]
    details = "\n".join(filter(None, [text(body.get("message")),
                                      *(f"{m.get('metric')}: {m.get('value')}" for m in matches)]))
    return Parsed(events=[_legacy_event(body, event_type, priority, details, matches, rule_id)])


def _legacy_event(body: Mapping[str, Any], event_type: EventType, priority: Priority | None, details: str,
                  matches: list[dict[str, Any]], rule_id: Any) -> Event:
    return Event(
        event_type=event_type,
        alert_key=f"{body.get('orgId', 1)}-{rule_id}",
        summary=text(body.get("ruleName")) or text(body.get("title")) or "Grafana alert",
        details=details or None,
        priority=priority,
        links=links((body.get("ruleUrl"), "Grafana")),
        images=[{"src": body["imageUrl"]}] if text(body.get("imageUrl")) else [],
        labels=string_labels(body.get("tags")),
        custom_details={"evalMatches": matches} if matches else {},
        origin="grafana",
    )


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    secret = settings.get("secret")
    if isinstance(secret, str) and secret:
        verify_signature(request, secret)
    body = request.json_object()
    if "alerts" in body:
        return parse_unified(body)
    if "ruleId" in body or "evalMatches" in body:
        return parse_legacy(body)
    raise BadPayload("not a Grafana webhook body: expected 'alerts' (unified alerting) or 'ruleId' (legacy alerting)",
                     field="body")


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - {"secret"}
    if unknown:
        raise Problem(400, f"unknown Grafana setting(s) {sorted(unknown)}; the only one is 'secret'",
                      field="integrationSettings")
    secret = settings.get("secret")
    if secret is None:
        return {}
    if not isinstance(secret, str) or not 8 <= len(secret) <= 256 or not secret.isprintable():
        raise Problem(400, "integrationSettings.secret must be printable text of 8 to 256 characters",
                      field="integrationSettings.secret")
    return {"secret": secret}


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="#f46800"/>'
    '<circle cx="12" cy="12" r="5" fill="none" stroke="#fff" stroke-width="2.5"/></svg>'
)

INTEGRATION = Integration(
    type="GRAFANA",
    name="Grafana",
    parse=parse,
    validate_settings=validate,
    secret_settings=("secret",),
    category="monitoring",
    logo_svg=LOGO,
    setup_steps=(
        "In Grafana open Alerting → Contact points → Add contact point and choose the integration 'Webhook'.",
        "URL: {url}, HTTP method POST. Leave Title, Message and Custom Payload empty.",
        "Optional: set an HMAC signature secret in Grafana and the same text as integrationSettings.secret here; "
        "unsigned or wrongly signed requests are then refused.",
        "Press 'Test': the test is recorded (see the alert source's inbound events) and pages nobody.",
        "Legacy dashboard alerting (Grafana 10 and older): add a notification channel of type webhook with the "
        "same URL.",
    ),
)
