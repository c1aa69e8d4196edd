"""Opsgenie-compatible Alert API: create, close, acknowledge and add notes, as Opsgenie's clients send them.

Authenticated by ``Authorization: GenieKey <integration key>`` (any alert source's key). Answers like
Opsgenie: 202 ``{"result": "Request will be processed", "took": …, "requestId": …}``; errors as
``{"message", "took", "requestId"}`` (with ``errors`` per field for 422): 400 unreadable JSON, 401 missing or
unknown key, 403 disabled source, 404 unknown alert id, 422 invalid fields. Unlike Opsgenie the work is done
before the answer: a 202 means the alert change is committed.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tocsin.alerts.events import Event
from tocsin.alerts.ingest import DisabledAlertSource, UnknownIntegrationKey
from tocsin.alerts.models import EventType
from tocsin.deps import State
from tocsin.errors import Problem, register_error_renderer
from tocsin.integrations import service
from tocsin.integrations.vendors.opsgenie import (
    INTEGRATION,
    AlertAction,
    CreateAlert,
    action_events,
    create_event,
    read,
)
from tocsin.openapi_bodies import json_body

router = APIRouter(tags=["opsgenie"])
PREFIX = "/v2/alerts"
IDENTIFIER_TYPES = ("id", "alias", "tiny")


class OpsgenieAccepted(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    result: str = "Request will be processed"
    took: float
    request_id: str = Field(alias="requestId")


class OpsgenieError(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    message: str
    took: float
    request_id: str = Field(alias="requestId")
    errors: dict[str, str] | None = None


def _begin(request: Request) -> str:
    request.state.opsgenie_started = time.perf_counter()
    request.state.opsgenie_request_id = str(uuid.uuid4())
    return str(request.state.opsgenie_request_id)


def _took(request: Request) -> float:
    started = getattr(request.state, "opsgenie_started", None)
    return round(time.perf_counter() - started, 3) if started is not None else 0.0


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "opsgenie_request_id", None) or uuid.uuid4())


def _render_error(request: Request, status: int, detail: str, errors: list[str]) -> Response:
    request_id = _request_id(request)
    body = OpsgenieError(message=detail, took=_took(request), request_id=request_id)
    if errors:
        body.errors = {}
        for error in errors:
            field, sep, message = error.partition(": ")
            body.errors[field if sep else "body"] = message if sep else error
    return JSONResponse(body.model_dump(by_alias=True, exclude_none=True), status_code=status,
                        headers={"X-Request-ID": request_id})


register_error_renderer(PREFIX, _render_error, prefix=True)


def _accepted(request: Request) -> Response:
    request_id = _request_id(request)
    body = OpsgenieAccepted(took=_took(request), request_id=request_id)
    return JSONResponse(body.model_dump(by_alias=True), status_code=202, headers={"X-Request-ID": request_id})


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RequestId = Annotated[str, Depends(_begin)]
RawBody = Annotated[bytes, Depends(_raw_body)]
Authorization = Annotated[str | None, Header(max_length=300, description="GenieKey <integration key>")]


def _source(state: State, authorization: str | None) -> service.SourceSnapshot:
    scheme, _, key = (authorization or "").strip().partition(" ")
    if scheme.lower() != "geniekey" or not key.strip():
        raise Problem(401, "Could not authenticate: send 'Authorization: GenieKey <integration key>'")
    try:
        return service.find_source(state, key.strip())
    except UnknownIntegrationKey:
        raise Problem(401, "Could not authenticate: the key is not an integration key of this server") from None
    except DisabledAlertSource:
        raise Problem(403, "The alert source of this key is disabled") from None


def _json(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "Could not parse request body: it is not valid JSON") from None


def _object(body: bytes) -> dict[str, Any]:
    data = _json(body)
    if not isinstance(data, dict):
        raise Problem(400, "Could not parse request body: expected a JSON object")
    return data


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpsgenieError, "description": what}
    for status, what in ((400, "Unreadable JSON"), (401, "Missing or unknown GenieKey"), (403, "Disabled source"),
                         (404, "No such alert"), (422, "Invalid fields"))
}
_RESPONSES: dict[int | str, dict[str, Any]] = {202: {"model": OpsgenieAccepted, "description": "Done"}, **_ERRORS}


@router.post(PREFIX, status_code=202, responses=_RESPONSES, openapi_extra=json_body(CreateAlert))
def create_alert(request: Request, _request_id: RequestId, body: RawBody, state: State,
                 authorization: Authorization = None) -> Response:
    """Create an alert (Opsgenie Alert API); an open alert with the same alias absorbs it."""
    source = _source(state, authorization)
    event = service.prepare(create_event(read(CreateAlert, _object(body))), INTEGRATION)
    service.store(state, source.id, [event])
    return _accepted(request)


def _key(state: State, source_id: int, identifier: str, identifier_type: str) -> str:
    if identifier_type not in IDENTIFIER_TYPES:
        raise Problem(422, f"identifierType must be one of {', '.join(IDENTIFIER_TYPES)}", field="identifierType",
                      errors=[{"field": "identifierType", "message": "should be one of id, alias, tiny"}])
    if identifier_type == "alias":
        return identifier
    if not identifier.isdigit() or len(identifier) > 15:
        raise Problem(404, f"Alert with id [{identifier}] does not exist")
    try:
        return service.alert_key_of(state, source_id, int(identifier))
    except Problem:
        raise Problem(404, f"Alert with id [{identifier}] does not exist") from None


Identifier = Annotated[str, Path(min_length=1, max_length=512)]
IdentifierType = Annotated[str, Query(alias="identifierType", max_length=20,
                                      description="id (a tocsin alert id, the default), alias, or tiny (as id)")]
_ACTION_BODY: dict[str, Any] = {"requestBody": {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "properties": {"user": {"type": "string"}, "source": {"type": "string"},
                                                "note": {"type": "string"}}}}}}}


def _act(event_type: EventType, request: Request, body: bytes, state: State, authorization: str | None,
         identifier: str, identifier_type: str) -> Response:
    source = _source(state, authorization)
    action = read(AlertAction, _object(body))
    if event_type is EventType.COMMENT and not (action.note or "").strip():
        raise Problem(422, "note: Note can not be empty.", field="note",
                      errors=[{"field": "note", "message": "Note can not be empty."}])
    key = _key(state, source.id, identifier, identifier_type)
    events: list[Event] = [service.prepare(e, INTEGRATION) for e in action_events(event_type, key, action)]
    service.store(state, source.id, events)
    return _accepted(request)


@router.post(PREFIX + "/{identifier}/close", status_code=202, responses=_RESPONSES, openapi_extra=_ACTION_BODY)
def close_alert(request: Request, _request_id: RequestId, identifier: Identifier, body: RawBody, state: State,
                authorization: Authorization = None, identifier_type: IdentifierType = "id") -> Response:
    """Close (resolve) an alert; a note is added as a comment first."""
    return _act(EventType.RESOLVE, request, body, state, authorization, identifier, identifier_type)


@router.post(PREFIX + "/{identifier}/acknowledge", status_code=202, responses=_RESPONSES, openapi_extra=_ACTION_BODY)
def acknowledge_alert(request: Request, _request_id: RequestId, identifier: Identifier, body: RawBody, state: State,
                      authorization: Authorization = None, identifier_type: IdentifierType = "id") -> Response:
    """Acknowledge (accept) an alert; a note is added as a comment first."""
    return _act(EventType.ACCEPT, request, body, state, authorization, identifier, identifier_type)


@router.post(PREFIX + "/{identifier}/notes", status_code=202, responses=_RESPONSES, openapi_extra=_ACTION_BODY)
def add_note(request: Request, _request_id: RequestId, identifier: Identifier, body: RawBody, state: State,
             authorization: Authorization = None, identifier_type: IdentifierType = "id") -> Response:
    """Add a note (a comment) to an alert."""
    return _act(EventType.COMMENT, request, body, state, authorization, identifier, identifier_type)
