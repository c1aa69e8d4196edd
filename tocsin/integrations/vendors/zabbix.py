"""Zabbix: a webhook media type whose script posts its macro parameters as one flat JSON object of strings.

Alert key: EVENT.ID, the problem event's id; recovery and update notifications carry the same id.
- EVENT.UPDATE.STATUS "1" (an update operation): EVENT.UPDATE.ACTION names the actions ("acknowledged",
  "commented", "changed severity from High to Disaster", "closed", ...; joined with ", " and " and ").
  With "acknowledged" → ACCEPT (the update message in details and as a comment); with only "commented" →
  COMMENT; anything else (unacknowledged, severity change, a manual close, which also sends a recovery) → no event.
- Otherwise EVENT.VALUE "1" → ALERT, "0" → RESOLVE.
- EVENT.SOURCE other than "0" (discovery, autoregistration, internal, service events) → no event.
- The media type's "Test" form posts the parameters as typed, by default the unresolved macros: an EVENT.ID that
  is not a number marks a test.
Priority from EVENT.NSEVERITY: 4 High, 5 Disaster → HIGH; 0 Not classified, 1 Information, 2 Warning,
3 Average → LOW. Macros that do not apply arrive unresolved ("{EVENT.RECOVERY.DATE}") and count as absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import (
    alert_key,
    comment,
    compact,
    details,
    labels,
    links,
    objects,
    split_tags,
    summary,
    tag_pairs,
    text,
)

VENDOR = "Zabbix webhook"
UNRESOLVED = re.compile(r"^\{\$?[A-Z0-9_.]+\}$")
ACTION_SEPARATOR = re.compile(r",\s*|\s+and\s+")
PRIORITIES = {"0": Priority.LOW, "1": Priority.LOW, "2": Priority.LOW, "3": Priority.LOW,
              "4": Priority.HIGH, "5": Priority.HIGH}
SEVERITIES = {"0": Severity.INFO, "1": Severity.INFO, "2": Severity.WARNING, "3": Severity.WARNING,
              "4": Severity.ERROR, "5": Severity.CRITICAL}
PARAMETERS = ("ALERT.MESSAGE", "ALERT.SUBJECT", "EVENT.ACK.STATUS", "EVENT.DATE", "EVENT.ID", "EVENT.NAME",
              "EVENT.NSEVERITY", "EVENT.OPDATA", "EVENT.RECOVERY.DATE", "EVENT.RECOVERY.TIME", "EVENT.RECOVERY.VALUE",
              "EVENT.SEVERITY", "EVENT.SOURCE", "EVENT.TAGS", "EVENT.TAGSJSON", "EVENT.TIME", "EVENT.UPDATE.ACTION",
              "EVENT.UPDATE.DATE", "EVENT.UPDATE.MESSAGE", "EVENT.UPDATE.STATUS", "EVENT.UPDATE.TIME", "EVENT.VALUE",
              "HOST.HOST", "HOST.IP", "HOST.NAME", "ITEM.ID1", "ITEM.NAME1", "TRIGGER.DESCRIPTION", "TRIGGER.ID",
              "TRIGGER.NAME", "TRIGGER.SEVERITY", "TRIGGER.STATUS", "TRIGGER.URL", "TRIGGER.VALUE", "USER.FULLNAME")
SCRIPT = (
    "var params = JSON.parse(value), url = params.URL, req = new HttpRequest(); delete params.URL; "
    "req.addHeader('Content-Type: application/json'); var resp = req.post(url, JSON.stringify(params)); "
    "if (req.getStatus() < 200 || req.getStatus() > 299) { throw 'tocsin answered ' + req.getStatus() + ': ' + resp; } "
    "return 'OK';"
)


def macro(params: Mapping[str, Any], name: str) -> str | None:
    value = text(params.get(name))
    return None if value is None or UNRESOLVED.match(value) else value


def update_actions(params: Mapping[str, Any]) -> set[str]:
    found = macro(params, "EVENT.UPDATE.ACTION") or ""
    return {part.strip().lower() for part in ACTION_SEPARATOR.split(found) if part.strip()}


def event_labels(params: Mapping[str, Any]) -> dict[str, str]:
    pairs: list[tuple[Any, Any]] = []
    tags_json = macro(params, "EVENT.TAGSJSON")
    try:
        tags = json.loads(tags_json) if tags_json else None
    except ValueError:
        tags = None
    if isinstance(tags, list):
        pairs = [(tag.get("tag"), tag.get("value")) for tag in objects(tags)]
    else:
        pairs = list(tag_pairs(split_tags(macro(params, "EVENT.TAGS"))))
    return labels([("host", macro(params, "HOST.HOST")), *pairs])


def event_links(params: Mapping[str, Any], event_id: str) -> list[dict[str, str]]:
    frontend, trigger = macro(params, "ZABBIX.URL"), macro(params, "TRIGGER.ID")
    problem = None
    if frontend and trigger:
        problem = f"{frontend.rstrip('/')}/tr_events.php?triggerid={trigger}&eventid={event_id}"
    return links((problem, "Problem in Zabbix"), (macro(params, "TRIGGER.URL"), "Trigger URL"))


def event_type_of(params: Mapping[str, Any]) -> EventType | None:
    if macro(params, "EVENT.UPDATE.STATUS") == "1":
        actions = update_actions(params)
        if "acknowledged" in actions:
            return EventType.ACCEPT
        if "commented" in actions:
            return EventType.COMMENT
        return None
    value = macro(params, "EVENT.VALUE")
    if value == "1":
        return EventType.ALERT
    if value == "0":
        return EventType.RESOLVE
    raise BadPayload(f"EVENT.VALUE must be '0' (recovery) or '1' (problem), not {value!r}", field="EVENT.VALUE")


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    params = request.json_object()
    if "EVENT.ID" not in params:
        raise BadPayload(f"not a {VENDOR} body: 'EVENT.ID' is missing (the media type must post the EVENT.ID "
                         "parameter = {EVENT.ID})", field="EVENT.ID")
    event_id = macro(params, "EVENT.ID")
    if event_id is None or not event_id.isdigit():
        return Parsed(test=True)
    if (macro(params, "EVENT.SOURCE") or "0") != "0":
        return Parsed()
    name = macro(params, "EVENT.NAME") or macro(params, "TRIGGER.NAME") or macro(params, "ALERT.SUBJECT")
    if name is None:
        raise BadPayload(f"not a {VENDOR} body: 'EVENT.NAME' is missing or empty", field="EVENT.NAME")
    event_type = event_type_of(params)
    if event_type is None:
        return Parsed()

    user, message = macro(params, "USER.FULLNAME"), macro(params, "EVENT.UPDATE.MESSAGE")
    if event_type is EventType.COMMENT and not message:
        return Parsed()
    nseverity = macro(params, "EVENT.NSEVERITY")
    is_update = event_type in (EventType.ACCEPT, EventType.COMMENT)
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=alert_key(event_id),
        summary=summary(name),
        details=details(message) if is_update else details(macro(params, "ALERT.MESSAGE")),
        priority=PRIORITIES.get(nseverity or ""),
        severity=SEVERITIES.get(nseverity or ""),
        links=event_links(params, event_id),
        labels=event_labels(params),
        comments=comment(message, user) if is_update else [],
        custom_details=compact({
            "host": macro(params, "HOST.NAME"),
            "hostIp": macro(params, "HOST.IP"),
            "severity": macro(params, "EVENT.SEVERITY"),
            "operationalData": macro(params, "EVENT.OPDATA"),
            "triggerDescription": macro(params, "TRIGGER.DESCRIPTION"),
            "item": macro(params, "ITEM.NAME1"),
            "started": " ".join(filter(None, (macro(params, "EVENT.DATE"), macro(params, "EVENT.TIME")))),
            "updateActions": macro(params, "EVENT.UPDATE.ACTION") if is_update else None,
        }),
        origin="zabbix",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M5 4h14v3L9.5 17H19v3H5v-3l9.5-10H5z"/></svg>'
)

INTEGRATION = Integration(
    type="ZABBIX",
    name="Zabbix",
    parse=parse,
    setup_steps=(
        "Alerts → Media types → Create media type: type Webhook, name 'tocsin'. Parameters: URL = {ALERT.SENDTO}, "
        "ZABBIX.URL = {$ZABBIX.URL}, and one parameter per macro, named like the macro without braces and set to it: "
        + ", ".join(PARAMETERS) + " (e.g. EVENT.ID = {EVENT.ID}).",
        "Script: " + SCRIPT,
        "Message templates: add the default Problem, Problem recovery and Problem update templates. Set the global "
        "macro {$ZABBIX.URL} to your Zabbix frontend URL for links back to the problem.",
        "Users: add a user 'tocsin' with this media, Send to = {url}, and read access to the host groups that "
        "should page.",
        "Alerts → Actions → Trigger actions: send to the user 'tocsin' in Operations, Recovery operations and "
        "Update operations. The media type's Test button posts unresolved macros: tocsin records it as a test.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
