"""Healthchecks.io (hosted or self-hosted): the "Webhook" integration with the JSON body from the setup steps.

Healthchecks sends exactly the body the user configures, with ``$CODE``, ``$NAME_JSON``, ``$STATUS`` … filled
in, and no Content-Type unless one is configured, so the body is read as JSON whatever the header says.

- Dedup key: ``check_id`` (``$CODE``, the check's UUID: the same on down and up; names and slugs can change).
- States: ``status`` "down" → ALERT, "up" → RESOLVE. Healthchecks has no acknowledge.
- Priority: HIGH (Healthchecks has no severity; use the alert source's priority rule for LOW).
- "Send test notification" flips a made-up check named "TEST" with an empty slug and no tags: a test. (A real
  check named TEST without a slug would be taken for the test too.)
- An optional ``"check": $JSON`` in the body adds the check's description and schedule; its ``*_url`` fields
  (the ping URL lets anyone ping the check) are dropped.
- Settings: optional ``baseUrl`` (``https://healthchecks.io`` or a self-hosted address) adds a link to the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import MAX_KEY_LENGTH, Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import base_url_setting, compact, link, obj, split_tags, text

ORIGIN = "healthchecks"
STATES = {"down": EventType.ALERT, "up": EventType.RESOLVE}
TEMPLATE = ('{"check_id": "$CODE", "name": $NAME_JSON, "slug": "$SLUG", "status": "$STATUS", "tags": "$TAGS", '
            '"timestamp": "$NOW"}')
CHECK_FIELDS = ("desc", "kind", "schedule", "tz", "timeout", "grace", "last_ping", "n_pings", "started")


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    check_id = text(body.get("check_id"))
    if check_id is None or check_id.startswith("$"):
        raise BadPayload("not the Healthchecks webhook body from the setup steps: 'check_id' ($CODE) is missing",
                         field="check_id")
    if len(check_id) > MAX_KEY_LENGTH:
        raise BadPayload(f"Healthchecks 'check_id' is longer than {MAX_KEY_LENGTH} characters", field="check_id")
    status = (text(body.get("status")) or "").lower()
    if status not in STATES:
        raise BadPayload("Healthchecks 'status' ($STATUS) must be 'down' or 'up'", field="status")
    name = text(body.get("name"))
    if name == "TEST" and not text(body.get("slug")) and not text(body.get("tags")):
        return Parsed(test=True)
    name = name or check_id
    check = obj(body.get("check"))
    return Parsed(events=[Event(
        event_type=STATES[status],
        alert_key=check_id,
        summary=f"{name} is {status}",
        details=text(check.get("desc")),
        priority=Priority.HIGH if status == "down" else None,
        links=_links(check_id, settings),
        labels={tag: "" for tag in split_tags(body.get("tags"), " ")},
        custom_details=_custom_details(body, check),
        origin=ORIGIN,
        client="Healthchecks.io",
    )])


def _links(check_id: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    base = settings.get("baseUrl")
    found = link(f"{base.rstrip('/')}/checks/{check_id}/details/", "Healthchecks") if isinstance(base, str) else None
    return [found] if found else []


def _custom_details(body: Mapping[str, Any], check: Mapping[str, Any]) -> dict[str, Any]:
    return compact({"slug": text(body.get("slug")), "flippedAt": text(body.get("timestamp")),
                    **{k: check.get(k) for k in CHECK_FIELDS}})


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    return base_url_setting(settings, "Healthchecks", "https://healthchecks.io")


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><path d="M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.5-7 10-7 10z"/>'
    '<path d="M8 11h2l1-2 2 4 1-2h2"/></svg>'
)

INTEGRATION = Integration(
    type="HEALTHCHECKS",
    name="Healthchecks.io",
    parse=parse,
    validate_settings=validate,
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "In Healthchecks open the project's Integrations → Webhook → Add Integration.",
        "Fill 'Execute when a check goes down' and '… goes up' the same way: method POST, URL {url}, "
        "request header 'Content-Type: application/json', request body:",
        TEMPLATE,
        "$NAME_JSON is already quoted: leave it without quotes. Self-hosted Healthchecks older than v3.3 has no "
        '$NAME_JSON: use "name": "$NAME" (a name with a double quote then breaks the JSON).',
        "Save and press 'Test': the made-up check 'TEST' is recorded as a test and pages nobody. Down pages, up "
        "resolves.",
        "Optional: set integrationSettings.baseUrl (https://healthchecks.io or your own) to link alerts to the check.",
    ),
)
