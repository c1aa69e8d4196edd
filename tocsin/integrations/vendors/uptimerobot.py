"""UptimeRobot: the "Webhook" alert contact / integration.

UptimeRobot fills its ``*variable*`` placeholders into what the user configures and sends it as a JSON
body ("Send as JSON", the template in the setup steps), as POST parameters (form-encoded) or as query
string values; all three carry the same names and are read here. A variable that does not apply
arrives as its placeholder text (``*alertFriendlyDuration*`` on a Down) and is treated as absent.

- Dedup key: ``monitorID`` (names and URLs can be edited); SSL expiry reminders ``<monitorID>-ssl``.
- States: ``alertType`` 1 (down) → ALERT, 2 (up) → RESOLVE, 3 (SSL expiry) → ALERT; other types give no
  event. UptimeRobot has no acknowledge and no distinct test body.
- Priority: down → HIGH, SSL expiry → LOW.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import links, text

ORIGIN = "uptimerobot"
FIELDS = ("monitorID", "monitorURL", "monitorFriendlyName", "alertType", "alertTypeFriendlyName", "alertDetails",
          "alertDuration", "alertFriendlyDuration", "alertDateTime", "sslExpiryDate", "sslExpiryDaysLeft")
# An unreplaced variable: "*monitorID*", or "$monitorID" in the newer editor.
PLACEHOLDER = re.compile(r"^(?:\*[A-Za-z]+\*|\$[A-Za-z]+)$")
DOWN, UP, SSL_EXPIRY = "1", "2", "3"
DASHBOARD_URL = "https://dashboard.uptimerobot.com/monitors/{monitor_id}"
TEMPLATE = (
    '{"monitorID":"*monitorID*","monitorURL":"*monitorURL*","monitorFriendlyName":"*monitorFriendlyName*",'
    '"alertType":"*alertType*","alertTypeFriendlyName":"*alertTypeFriendlyName*","alertDetails":"*alertDetails*",'
    '"alertDuration":"*alertDuration*","alertFriendlyDuration":"*alertFriendlyDuration*",'
    '"alertDateTime":"*alertDateTime*"}'
)


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    values = _values(request)
    monitor_id = values.get("monitorID")
    if monitor_id is None:
        raise BadPayload("not an UptimeRobot webhook: 'monitorID' is missing (use the POST value from the set-up "
                         "steps)", field="monitorID")
    alert_type = values.get("alertType")
    if alert_type is None:
        raise BadPayload("not an UptimeRobot webhook: 'alertType' is missing", field="alertType")
    if not alert_type.isdigit():
        raise BadPayload(f"UptimeRobot 'alertType' must be a number (1 down, 2 up, 3 SSL expiry), not {alert_type!r}",
                         field="alertType")
    if alert_type not in (DOWN, UP, SSL_EXPIRY):
        return Parsed()
    name = values.get("monitorFriendlyName") or values.get("monitorURL") or f"monitor {monitor_id}"
    state = values.get("alertTypeFriendlyName") or {DOWN: "Down", UP: "Up", SSL_EXPIRY: "SSL expiring"}[alert_type]
    reason = values.get("alertDetails")
    return Parsed(events=[Event(
        event_type=EventType.RESOLVE if alert_type == UP else EventType.ALERT,
        alert_key=f"{monitor_id}-ssl" if alert_type == SSL_EXPIRY else monitor_id,
        summary=f"{name} is {state}: {reason}" if reason else f"{name} is {state}",
        details=reason,
        priority={DOWN: Priority.HIGH, SSL_EXPIRY: Priority.LOW}.get(alert_type),
        links=_links(values, monitor_id, name),
        custom_details=_custom_details(values),
        origin=ORIGIN,
        client="UptimeRobot",
    )])


def _values(request: InboundRequest) -> dict[str, str]:
    """The UptimeRobot variables from the body (JSON or form) or, when the body is empty, the query string."""
    if request.body.strip():
        raw: Mapping[str, Any] = request.form() if request.content_type == "application/x-www-form-urlencoded" \
            else request.json_object()
    else:
        raw = request.query
    values: dict[str, str] = {}
    for name in FIELDS:
        value = raw.get(name)
        found = text(value) if not isinstance(value, bool) else None
        if found is not None and not PLACEHOLDER.match(found):
            values[name] = found
    return values


def _links(values: Mapping[str, str], monitor_id: str, name: str) -> list[dict[str, str]]:
    dashboard = DASHBOARD_URL.format(monitor_id=monitor_id) if monitor_id.isdigit() else None
    return links((dashboard, "UptimeRobot"), (values.get("monitorURL"), name))


def _custom_details(values: Mapping[str, str]) -> dict[str, Any]:
    details: dict[str, Any] = {k: v for k, v in values.items()
                               if k in ("monitorURL", "alertDateTime", "alertFriendlyDuration", "sslExpiryDate",
                                        "sslExpiryDaysLeft")}
    duration = values.get("alertDuration")
    if duration and duration.isdigit():
        details["alertDurationSeconds"] = int(duration)
    return details


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><rect x="4" y="6" width="16" height="13" rx="3"/><path d="M12 2v4M9 12h.01M15 12h.01"/></svg>'
)

INTEGRATION = Integration(
    type="UPTIMEROBOT",
    name="UptimeRobot",
    parse=parse,
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "In UptimeRobot open Integrations (Alert Contacts in the classic dashboard) → Add → Webhook.",
        "URL to notify: {url}. Method POST, tick 'Send as JSON (application/json)'.",
        "POST value (JSON): " + TEMPLATE,
        "Enable notifications for Up and Down events (and SSL expiry if wanted), then attach the webhook to "
        "the monitors that should page.",
        "Down pages (HIGH), Up resolves, SSL expiry opens a LOW alert. Query-string and POST-parameter "
        "delivery with the same variable names work too.",
    ),
)
