"""Pingdom: state change webhooks (uptime and transaction checks), JSON posted without authentication.

- Dedup key: ``check_id`` (a check has one state at a time, its name can be edited).
- States: uptime checks DOWN → ALERT, UP → RESOLVE; transaction checks FAILING → ALERT, SUCCESS → RESOLVE.
  Other states give no event. Pingdom sends only state changes and has no acknowledge.
- Priority: ``importance_level`` HIGH → HIGH, LOW → LOW (absent → HIGH).
- The integration's "Test" button sends a DOWN body whose ``long_description`` reads "This is a test message
  triggered by a user in My Pingdom" (``description`` "test", empty probes): a test, never a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import compact, details, ident, links, obj, text

ORIGIN = "pingdom"
TEST_TEXT = "this is a test message triggered by a user in my pingdom"
STATES = {"DOWN": EventType.ALERT, "FAILING": EventType.ALERT, "UP": EventType.RESOLVE, "SUCCESS": EventType.RESOLVE}
REPORT_URL = "https://my.pingdom.com/app/reports/uptime#check={check_id}"


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    check_id = ident(body.get("check_id"))
    if check_id is None:
        raise BadPayload("not a Pingdom webhook body: 'check_id' is missing", field="check_id")
    state = text(body.get("current_state"))
    if state is None:
        raise BadPayload("not a Pingdom webhook body: 'current_state' is missing", field="current_state")
    if _is_test(body):
        return Parsed(test=True)
    event_type = STATES.get(state.upper())
    if event_type is None:
        return Parsed()
    name = text(body.get("check_name")) or f"Pingdom check {check_id}"
    description = text(body.get("description"))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=check_id,
        summary=f"{name} is {state.upper()}: {description}" if description else f"{name} is {state.upper()}",
        details=details(text(body.get("long_description")), text(body.get("custom_message"))),
        priority=_priority(body) if event_type is EventType.ALERT else None,
        links=_links(body, check_id, name),
        labels=_labels(body),
        custom_details=_custom_details(body),
        origin=ORIGIN,
        client="Pingdom",
    )])


def _is_test(body: Mapping[str, Any]) -> bool:
    if TEST_TEXT in (text(body.get("long_description")) or "").lower():
        return True
    empty_probes = body.get("first_probe") == {} and body.get("second_probe") == {}
    return empty_probes and (text(body.get("description")) or "").lower() == "test"


def _priority(body: Mapping[str, Any]) -> Priority:
    return Priority.LOW if (text(body.get("importance_level")) or "").upper() == "LOW" else Priority.HIGH


def _links(body: Mapping[str, Any], check_id: str, name: str) -> list[dict[str, str]]:
    report = REPORT_URL.format(check_id=check_id) if (text(body.get("check_type")) or "").upper() != "TRANSACTION" \
        else None
    return links((report, "Pingdom report"), (obj(body.get("check_params")).get("full_url"), name))


def _labels(body: Mapping[str, Any]) -> dict[str, str]:
    tags = body.get("tags")
    labels = {tag.strip(): "" for tag in tags if isinstance(tag, str) and tag.strip()} if isinstance(tags, list) else {}
    if check_type := text(body.get("check_type")):
        labels["checkType"] = check_type
    return labels


def _custom_details(body: Mapping[str, Any]) -> dict[str, Any]:
    params = obj(body.get("check_params"))
    return compact({
        "checkType": text(body.get("check_type")),
        "previousState": text(body.get("previous_state")),
        "stateChangedAt": text(body.get("state_changed_utc_time")),
        "hostname": text(params.get("hostname")),
        "port": params.get("port"),
        "probes": [found for probe in (body.get("first_probe"), body.get("second_probe"))
                   if (found := text(obj(probe).get("location")))],
    })


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><path d="M3 12h4l2-6 4 12 2-6h6"/></svg>'
)

INTEGRATION = Integration(
    type="PINGDOM",
    name="Pingdom",
    parse=parse,
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "In My Pingdom open Integrations → Integrations → Add integration, Type 'Webhook'.",
        "Name it, URL: {url}, tick 'Active' and save. Pingdom posts JSON; nothing else to set.",
        "Open each uptime or transaction check, tick the new integration under 'Connect integrations' and save.",
        "Press 'Test' on the integration: it is recorded as a test and pages nobody. DOWN/FAILING pages with the "
        "check's importance level (HIGH or LOW), UP/SUCCESS resolves.",
    ),
)
