"""Routes that take events from monitoring tools: ilert format and PagerDuty Events API v2.

Bodies are parsed here rather than by FastAPI so that any content type is accepted (many tools send
JSON as text/plain) and so that /v2/enqueue can answer errors exactly as PagerDuty does.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from tocsin.alerts.events import Event
from tocsin.alerts.ingest import IngestResult, ingest, source_for_key
from tocsin.alerts.wire import EventAccepted, IlertEvent, PagerDutyAccepted, PagerDutyEvent, PagerDutyInvalid
from tocsin.deps import DbSession, State
from tocsin.errors import Problem, register_error_renderer
from tocsin.openapi_bodies import json_body

router = APIRouter(tags=["events"])

M = TypeVar("M", bound=BaseModel)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


# Read in the event loop; the handlers themselves are sync and run in the thread pool.
RawBody = Annotated[bytes, Depends(_raw_body)]


def _parse(body: bytes, model: type[M]) -> M:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise Problem(400, f"body is not valid JSON: {exc}", field="body") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        first = errors[0]
        raise Problem(400, f"{first['field']}: {first['message']}", field=first["field"], errors=errors) from None


def _ingest(session: DbSession, state: State, integration_key: str, event: Event) -> IngestResult:
    source = source_for_key(session, integration_key)
    state.event_limiter.check(f"alert-source:{source.id}", "events for this integration key")
    result = ingest(session, state.clock, source, event)
    session.commit()  # durable before the 2xx is sent
    return result


def _accepted(result: IngestResult) -> JSONResponse:
    body = EventAccepted(alert_key=result.alert_key, outcome=result.outcome.value, reason=result.reason)
    return JSONResponse(body.model_dump(by_alias=True, exclude_none=True), status_code=202)


_ILERT_DOC = json_body(IlertEvent, description="An ilert-format event; any content type is read as JSON")
_ILERT_RESPONSES: dict[int | str, dict[str, Any]] = {202: {"model": EventAccepted, "description": "Event stored"}}


@router.post("/api/events", status_code=202, openapi_extra=_ILERT_DOC, responses=_ILERT_RESPONSES)
def post_event(body: RawBody, session: DbSession, state: State) -> Response:
    """Send an event (ilert format) with the integration key in the body."""
    event = _parse(body, IlertEvent)
    if not event.integration_key:
        raise Problem(400, "integrationKey is required (or use /api/events/{integrationKey})", field="integrationKey")
    return _accepted(_ingest(session, state, event.integration_key, event.to_event()))


@router.post(
    "/api/events/{integration_key}", status_code=202, openapi_extra=_ILERT_DOC, responses=_ILERT_RESPONSES
)
def post_event_with_key(integration_key: str, body: RawBody, session: DbSession, state: State) -> Response:
    """Send an event (ilert format) with the integration key in the path."""
    event = _parse(body, IlertEvent)
    if event.integration_key and event.integration_key.strip() != integration_key.strip():
        raise Problem(400, "integrationKey in the body differs from the one in the path", field="integrationKey")
    return _accepted(_ingest(session, state, integration_key, event.to_event()))


# --- PagerDuty ------------------------------------------------------------------------------

PD_PATHS = ("/v2/enqueue", "/api/v2/enqueue")


def _pagerduty_error(request: Request, status: int, detail: str, errors: list[str]) -> Response:
    body = PagerDutyInvalid(message=detail if status != 400 else "Event object is invalid", errors=errors or [detail])
    if status >= 500:
        body.status = "error"
    return JSONResponse(body.model_dump(), status_code=status)


for _path in PD_PATHS:
    register_error_renderer(_path, _pagerduty_error)

_PD_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": PagerDutyAccepted, "description": "Event processed"},
    400: {"model": PagerDutyInvalid, "description": "Invalid event"},
}


def _enqueue(body: RawBody, session: DbSession, state: State) -> Response:
    event = _parse(body, PagerDutyEvent)
    result = _ingest(session, state, event.routing_key, event.to_event())
    return JSONResponse(PagerDutyAccepted(dedup_key=result.alert_key).model_dump(), status_code=202)


for _path in PD_PATHS:
    router.add_api_route(
        _path,
        _enqueue,
        methods=["POST"],
        status_code=202,
        summary="Send an event (PagerDuty Events API v2)",
        description="Wire-compatible with PagerDuty's `/v2/enqueue`: point a PagerDuty client here.",
        openapi_extra=json_body(PagerDutyEvent),
        responses=_PD_RESPONSES,
        operation_id="pagerduty_enqueue" + ("_api" if _path.startswith("/api") else ""),
    )
