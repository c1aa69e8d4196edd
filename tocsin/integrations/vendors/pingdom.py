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

ORIGIN = "pingdom"
TEST_TEXT = "this is a test message triggered by a user in my pingdom"
STATES = {"DOWN": EventType.ALERT, "FAILING": EventType.ALERT, "UP": EventType.RESOLVE, "SUCCESS": EventType.RESOLVE}
REPORT_URL = "https://my.pingdom.com/app/reports/uptime#check={check_id}"


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    check_id = _id(body.get("check_id"))
    if check_id is None:
        raise BadPayload("not a Pingdom webhook body: 'check_id' is missing", field="check_id")
    state = _text(body.get("current_state"))
    if state is None:
        raise BadPayload("not a Pingdom webhook body: 'current_state' is missing", field="current_state")
    if _is_test(body):
        return Parsed(test=True)
    event_type = STATES.get(state.upper())
    if event_type is None:
        return Parsed()
    name = _text(body.get("check_name")) or f"Pingdom check {check_id}"
    description = _text(body.get("description"))
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=check_id,
        summary=f"{name} is {state.upper()}: {description}" if description else f"{name} is {state.upper()}",
        details="\n\n".join(filter(None, [_text(body.get("long_description")), _text(body.get("custom_message"))]))
        or None,
        priority=_priority(body) if event_type is EventType.ALERT else None,
        links=_links(body, check_id, name),
        labels=_labels(body),
        custom_details=_custom_details(body),
        origin=ORIGIN,
        client="Pingdom",
    )])


def _is_test(body: Mapping[str, Any]) -> bool:
    if TEST_TEXT in (_text(body.get("long_description")) or "").lower():
        return True
    empty_probes = body.get("first_probe") == {} and body.get("second_probe") == {}
    return empty_probes and (_text(body.get("description")) or "").lower() == "test"


def _priority(body: Mapping[str, Any]) -> Priority:
    return Priority.LOW if (_text(body.get("importance_level")) or "").upper() == "LOW" else Priority.HIGH


def _links(body: Mapping[str, Any], check_id: str, name: str) -> list[dict[str, str]]:
    links = []
    if (_text(body.get("check_type")) or "").upper() != "TRANSACTION":
        links.append({"href": REPORT_URL.format(check_id=check_id), "text": "Pingdom report"})
    params = body.get("check_params")
    url = _text(params.get("full_url")) if isinstance(params, dict) else None
    if url and url.startswith(("http://", "https://")):
        links.append({"href": url, "text": name})
    return links


def _labels(body: Mapping[str, Any]) -> dict[str, str]:
    tags = body.get("tags")
    labels = {tag.strip(): "" for tag in tags if isinstance(tag, str) and tag.strip()} if isinstance(tags, list) else {}
    if check_type := _text(body.get("check_type")):
        labels["checkType"] = check_type
    return labels


def _custom_details(body: Mapping[str, Any]) -> dict[str, Any]:
    params = body.get("check_params")
    details: dict[str, Any] = {
        "checkType": _text(body.get("check_type")),
        "previousState": _text(body.get("previous_state")),
        "stateChangedAt": _text(body.get("state_changed_utc_time")),
        "hostname": _text(params.get("hostname")) if isinstance(params, dict) else None,
        "port": params.get("port") if isinstance(params, dict) else None,
        "probes": [_text(p.get("location")) for p in (body.get("first_probe"), body.get("second_probe"))
                   if isinstance(p, dict) and _text(p.get("location"))] or None,
    }
    return {k: v for k, v in details.items() if v is not None}


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


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
