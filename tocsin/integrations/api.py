"""Routes: inbound requests from monitoring tools (/api/integrations), the catalog, and what arrived.

Bodies are read raw: each adapter knows its vendor's format (JSON whatever the Content-Type, forms,
query strings) and signatures are computed over the exact bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from tocsin.alerts.models import EventOutcome, InboundEvent
from tocsin.deps import CurrentUser, DbSession, State
from tocsin.errors import Problem, register_error_renderer
from tocsin.integrations import catalog, service
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors import pagerduty_v1
from tocsin.pagination import Cursor, Limit, decode_cursor, encode_cursor
from tocsin.schemas import ApiModel, Page, PathId

router = APIRouter(tags=["integrations"])

KEY_HEADER = "X-Tocsin-Integration-Key"
MAX_KEY_LENGTH = 200


class EventResult(ApiModel):
    event_type: str
    alert_key: str
    outcome: str = Field(description="CREATED, APPENDED, APPLIED or IGNORED")
    reason: str | None = None


class IntegrationAccepted(ApiModel):
    status: Literal["accepted"] = "accepted"
    test: bool = Field(description="A test or set-up notification: recorded, no alert")
    note: str | None = None
    events: list[EventResult]


class CatalogEntryOut(ApiModel):
    type: str = Field(description="The alert source's integrationType")
    name: str
    category: str
    logo_svg: str | None = Field(description="A small inline SVG, or null")
    url: str = Field(description="What to paste into the tool: a URL, or for EMAIL the address mail goes to; "
                                 "keyPlaceholder stands for the key")
    key_placeholder: str = Field(description="{integrationKey} (the alert source's key, answered as "
                                             "integrationUrl / integrationEmail when the source is created or its "
                                             "key rotated) or {pingKey} for HEARTBEAT (each monitor's pingUrl)")
    setup_steps: list[str]


class InboundEventOut(ApiModel):
    id: int
    received_at: datetime
    event_type: str = Field(description="ALERT, ACCEPT, RESOLVE, COMMENT, or TEST for a test notification")
    alert_key: str
    outcome: str = Field(description="CREATED, APPENDED, APPLIED, IGNORED or TEST")
    reason: str | None
    alert_id: int | None
    body: dict[str, Any]

    @classmethod
    def of(cls, row: InboundEvent) -> InboundEventOut:
        return cls(id=row.id, received_at=row.received_at, event_type=row.event_type, alert_key=row.alert_key,
                   outcome=row.outcome, reason=row.reason, alert_id=row.alert_id, body=row.body)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]
KeyQuery = Annotated[str | None, Query(max_length=MAX_KEY_LENGTH, description="The integration key")]
KeyHeader = Annotated[str | None, Header(alias=KEY_HEADER, max_length=MAX_KEY_LENGTH)]

_ANY_BODY: dict[str, Any] = {"requestBody": {
    "required": False,
    "description": "The tool's own request body (JSON whatever the Content-Type, form or empty), as it sends it",
    "content": {"application/json": {"schema": {}}, "application/x-www-form-urlencoded": {"schema": {}}},
}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Answered in the vendor's own shape (PagerDuty Events API v1)",
          "content": {"application/json": {"schema": {"type": "object"}}}},
    202: {"model": IntegrationAccepted, "description": "Stored: every event ingested, or the test recorded"},
}


def inbound_request(request: Request, body: bytes) -> InboundRequest:
    return InboundRequest(body=body, headers={k.lower(): v for k, v in request.headers.items()},
                          query=dict(request.query_params), method=request.method, raw_query=request.url.query)


def _answer(received: service.Received) -> Response:
    parsed = received.parsed
    if parsed.response is not None:
        return JSONResponse(parsed.response, status_code=parsed.status_code)
    body = IntegrationAccepted(
        test=parsed.test,
        note=parsed.note,
        events=[EventResult(event_type=event.event_type.value, alert_key=result.alert_key,
                            outcome=result.outcome.value, reason=result.reason)
                for event, result in zip(parsed.events, received.results, strict=False)],
    )
    return JSONResponse(body.model_dump(by_alias=True), status_code=202)


def _key(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    raise Problem(400, f"no integration key: put it in the path (/api/integrations/<key>), the query (?key=<key>) "
                       f"or the {KEY_HEADER} header", field="integrationKey")


@router.post("/api/integrations/{integration_key}", status_code=202, openapi_extra=_ANY_BODY, responses=_RESPONSES)
def receive_with_key(integration_key: Annotated[str, Path(max_length=MAX_KEY_LENGTH)], request: Request,
                     body: RawBody, state: State) -> Response:
    """A monitoring tool's request in its own format; the alert source's integrationType picks the adapter."""
    return _answer(service.receive(state, _key(integration_key), inbound_request(request, body)))


@router.post("/api/integrations", status_code=202, openapi_extra=_ANY_BODY, responses=_RESPONSES)
def receive(request: Request, body: RawBody, state: State, x_tocsin_integration_key: KeyHeader = None,
            key: KeyQuery = None, integration_key: Annotated[str | None, Query(
                alias="integrationKey", max_length=MAX_KEY_LENGTH)] = None) -> Response:
    """The same, for tools that cannot put the key in the path: `?key=`, `?integrationKey=` or the
    `X-Tocsin-Integration-Key` header."""
    found = _key(x_tocsin_integration_key, key, integration_key)
    return _answer(service.receive(state, found, inbound_request(request, body)))


@router.get("/api/integrations", response_model=list[CatalogEntryOut])
def integration_catalog(user: CurrentUser, state: State) -> list[CatalogEntryOut]:
    """Every integration type: its name, logo, the URL (or email address) to paste into the tool and how to set
    it up."""
    entries = catalog.catalog(state.settings.base_url, state.settings.email_domain)
    return [CatalogEntryOut(type=e.type, name=e.name, category=e.category, logo_svg=e.logo_svg, url=e.url,
                            key_placeholder=e.key_placeholder, setup_steps=list(e.setup_steps)) for e in entries]


@router.get("/api/alert-sources/{source_id}/inbound-events", response_model=Page[InboundEventOut],
            tags=["alert sources"])
def list_inbound_events(source_id: PathId, session: DbSession, user: CurrentUser, limit: Limit = 50,
                        cursor: Cursor = None, outcome: EventOutcome | None = None) -> Page[InboundEventOut]:
    """What the source received, newest first: every stored event with its outcome, and test notifications
    (outcome TEST) — the place to check that a tool's test arrived."""
    rows, next_id = service.inbound_events(session, user, source_id, limit=limit, before_id=decode_cursor(cursor),
                                           outcome=outcome.value if outcome else None)
    return Page[InboundEventOut](items=[InboundEventOut.of(r) for r in rows], next_cursor=encode_cursor(next_id))


# --- PagerDuty Events API v1, at PagerDuty's own path ----------------------------------------


def _pagerduty_v1_error(request: Request, status: int, detail: str, errors: list[str]) -> Response:
    body = {"status": "invalid event" if status == 400 else "error",
            "message": "Event object is invalid" if status == 400 else detail, "errors": errors or [detail]}
    return JSONResponse(body, status_code=status)


register_error_renderer(pagerduty_v1.PATH, _pagerduty_v1_error)


@router.post(pagerduty_v1.PATH, status_code=200, openapi_extra=_ANY_BODY, tags=["events"], responses={
    200: {"description": "Event processed", "content": {"application/json": {"schema": {"type": "object"}}}},
    400: {"description": "Invalid event", "content": {"application/json": {"schema": {"type": "object"}}}},
})
def pagerduty_v1_create_event(request: Request, body: RawBody, state: State) -> Response:
    """PagerDuty Events API v1 with the integration key as `service_key`, for tools that only let you
    change PagerDuty's host."""
    parsed = inbound_request(request, body)
    service_key = parsed.json_object().get("service_key")
    if not isinstance(service_key, str) or not service_key.strip():
        raise Problem(400, "service_key is required (the alert source's integration key)", field="service_key")
    return _answer(service.receive_as(state, service_key, parsed, pagerduty_v1.INTEGRATION))
