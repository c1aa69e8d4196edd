"""PagerDuty Events API v1 (``create_event.json``): trigger, acknowledge, resolve, keyed by ``incident_key``.

Answers like PagerDuty: 200 ``{"status": "success", "message": "Event processed", "incident_key": …}``; a
trigger without ``incident_key`` gets a generated one (32 hex) in that answer. ``service_key`` in the body is
ignored at /api/integrations/{integrationKey} (the path authenticates) and is the integration key at the
PagerDuty-shaped alias ``POST /generic/2010-04-15/create_event.json``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import MAX_SUMMARY_LENGTH, Event
from tocsin.alerts.models import EventType
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import link, obj, objects, text

EVENT_TYPES = {"trigger": EventType.ALERT, "acknowledge": EventType.ACCEPT, "resolve": EventType.RESOLVE}
PATH = "/generic/2010-04-15/create_event.json"


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    kind = body.get("event_type")
    if kind not in EVENT_TYPES:
        raise BadPayload("event_type is invalid (must be one of: trigger acknowledge resolve)", field="event_type")
    key = text(body.get("incident_key"))
    description = text(body.get("description"))
    if kind == "trigger" and description is None:
        raise BadPayload("description is required for trigger", field="description")
    if description is not None and len(description) > MAX_SUMMARY_LENGTH:
        raise BadPayload(f"description must be at most {MAX_SUMMARY_LENGTH} characters", field="description")
    if key is None:
        if kind != "trigger":
            raise BadPayload(f"incident_key is required for {kind}", field="incident_key")
        key = uuid.uuid4().hex
    event_links: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for context in objects(body.get("contexts")):
        if context.get("type") == "link" and (found := link(context.get("href"), text(context.get("text")) or "Link")):
            event_links.append(found)
        elif context.get("type") == "image" and text(context.get("src")):
            image = {"src": context["src"]} | {k: context[k] for k in ("href", "alt") if text(context.get(k))}
            images.append(image)
    client = text(body.get("client"))
    if (client_link := link(body.get("client_url"), client or "Client")) is not None:
        event_links.insert(0, client_link)
    details = body.get("details")
    custom = obj(details) if isinstance(details, dict) else ({"details": details} if details is not None else {})
    event = Event(
        event_type=EVENT_TYPES[kind],
        alert_key=key,
        summary=description,
        links=event_links if kind == "trigger" else [],
        images=images if kind == "trigger" else [],
        custom_details=custom,
        origin="pagerduty-v1",
        client=client,
        client_url=text(body.get("client_url")),
    )
    answer = {"status": "success", "message": "Event processed", "incident_key": key}
    return Parsed(events=[event], response=answer, status_code=200)


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#06ac38"/>'
    '<path d="M8 5h5a4 4 0 0 1 0 8h-2v6H8zm3 3v2h2a1 1 0 0 0 0-2z" fill="#fff"/></svg>'
)

INTEGRATION = Integration(
    type="PAGERDUTY_V1",
    name="PagerDuty Events API v1",
    parse=parse,
    category="compatibility",
    logo_svg=LOGO,
    setup_steps=(
        "Tools that let you set the URL: point them at {url} (any service_key in the body is ignored there).",
        "Tools that only let you change the host: use your tocsin address as the host, so that they post to "
        f"{PATH}, and put the integration key in service_key.",
        "trigger opens an alert keyed by incident_key (generated and answered back when missing); acknowledge "
        "accepts and resolve resolves it. Events for unknown keys are accepted and change nothing.",
    ),
)
