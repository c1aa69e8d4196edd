"""Routes: /api/alert-sources and /api/alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tocsin.alerts import service, sources
from tocsin.alerts.models import AlertState, Priority
from tocsin.alerts.schemas import (
    AlertCount,
    AlertOut,
    AlertSourceIn,
    AlertSourceOut,
    AlertSourceUpdate,
    AssignIn,
    CommentIn,
    LogEntryOut,
)
from tocsin.deps import CurrentUser, DbSession, State
from tocsin.errors import Problem
from tocsin.pagination import Cursor, Limit, decode_cursor, encode_cursor
from tocsin.schemas import Page, PathId, QueryText, Timestamp

router = APIRouter(prefix="/api", tags=["alerts"])


# --- alert sources --------------------------------------------------------------------------


@router.get("/alert-sources", response_model=list[AlertSourceOut], tags=["alert sources"])
def list_alert_sources(session: DbSession, user: CurrentUser) -> list[AlertSourceOut]:
    return [AlertSourceOut.of(s) for s in sources.list_sources(session, user)]


@router.post("/alert-sources", status_code=201, response_model=AlertSourceOut, tags=["alert sources"])
def create_alert_source(body: AlertSourceIn, session: DbSession, user: CurrentUser, state: State) -> AlertSourceOut:
    source, key = sources.create_source(session, state.clock, user, body.changes(partial=False))
    return AlertSourceOut.of(source, key=key, base_url=state.settings.base_url,
                            email_domain=state.settings.email_domain)


@router.get("/alert-sources/{source_id}", response_model=AlertSourceOut, tags=["alert sources"])
def get_alert_source(source_id: PathId, session: DbSession, user: CurrentUser) -> AlertSourceOut:
    return AlertSourceOut.of(sources.get_visible_source(session, user, source_id))


@router.put("/alert-sources/{source_id}", response_model=AlertSourceOut, tags=["alert sources"])
def update_alert_source(
    source_id: PathId, body: AlertSourceUpdate, session: DbSession, user: CurrentUser, state: State
) -> AlertSourceOut:
    """Change an alert source. Fields left out keep their current value."""
    source = sources.get_visible_source(session, user, source_id)
    sources.update_source(session, state.clock, user, source, body.changes(partial=True))
    return AlertSourceOut.of(source)


@router.delete("/alert-sources/{source_id}", status_code=204, tags=["alert sources"])
def delete_alert_source(source_id: PathId, session: DbSession, user: CurrentUser) -> Response:
    """Delete an alert source with its alerts and their logs."""
    sources.delete_source(session, user, sources.get_visible_source(session, user, source_id))
    return Response(status_code=204)


@router.post("/alert-sources/{source_id}/rotate-key", response_model=AlertSourceOut, tags=["alert sources"])
def rotate_integration_key(source_id: PathId, session: DbSession, user: CurrentUser, state: State) -> AlertSourceOut:
    """Replace the integration key; the old one stops working at once. The new key is shown only here."""
    source = sources.get_visible_source(session, user, source_id)
    key = sources.rotate_key(session, state.clock, user, source)
    return AlertSourceOut.of(source, key=key, base_url=state.settings.base_url,
                            email_domain=state.settings.email_domain)


# --- alerts ---------------------------------------------------------------------------------


StatesQ = Annotated[str | None, Query(description="Comma list: PENDING,ACCEPTED,RESOLVED", max_length=100)]
SourceQ = Annotated[int | None, Query(alias="alertSource", ge=1, le=2**53)]
PriorityQ = Annotated[Priority | None, Query()]
AssignedQ = Annotated[str | None, Query(alias="assignedTo", description="'me' or a user id", max_length=20)]
AfterQ = Annotated[Timestamp | None, Query(alias="createdAfter")]
BeforeQ = Annotated[Timestamp | None, Query(alias="createdBefore")]
TextQ = Annotated[QueryText | None, Query(description="Words in the summary or details", max_length=200)]


def _states(states: str | None) -> tuple[str, ...]:
    if not states:
        return ()
    names = [s.strip().upper() for s in states.split(",") if s.strip()]
    unknown = [n for n in names if n not in AlertState.__members__]
    if unknown:
        detail = f"unknown state(s) {', '.join(unknown)}; use PENDING, ACCEPTED, RESOLVED"
        raise Problem(400, detail, field="states")
    return tuple(names)


def _assignee(user_id: int, assigned_to: str | None) -> int | None:
    if assigned_to is None:
        return None
    if assigned_to == "me":
        return user_id
    if assigned_to.isdigit() and len(assigned_to) < 16:
        return int(assigned_to)
    raise Problem(400, "assignedTo must be 'me' or a user id", field="assignedTo")


def alert_filter(
    user: CurrentUser,
    states: StatesQ = None,
    alert_source: SourceQ = None,
    priority: PriorityQ = None,
    assigned_to: AssignedQ = None,
    created_after: AfterQ = None,
    created_before: BeforeQ = None,
    text: TextQ = None,
) -> service.AlertFilter:
    """The query parameters shared by the alert list and the alert count."""
    return service.AlertFilter(
        states=_states(states),
        alert_source_id=alert_source,
        priority=priority.value if priority else None,
        assigned_to_id=_assignee(user.id, assigned_to),
        created_after=created_after,
        created_before=created_before,
        text=text.strip() or None if text else None,
    )


Filter = Annotated[service.AlertFilter, Depends(alert_filter)]


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    session: DbSession, user: CurrentUser, f: Filter, limit: Limit = 50, cursor: Cursor = None
) -> Page[AlertOut]:
    """Alerts the caller can see, newest first. Follow `nextCursor` for the next page."""
    rows, next_id = service.list_alerts(session, user, f, limit=limit, before_id=decode_cursor(cursor))
    return Page[AlertOut](items=[AlertOut.of(a) for a in rows], next_cursor=encode_cursor(next_id))


@router.get("/alerts/count", response_model=AlertCount)
def count_alerts(session: DbSession, user: CurrentUser, f: Filter) -> AlertCount:
    return AlertCount(count=service.count_alerts(session, user, f))


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: PathId, session: DbSession, user: CurrentUser) -> AlertOut:
    return AlertOut.of(service.get_visible_alert(session, user, alert_id))


@router.put("/alerts/{alert_id}/accept", response_model=AlertOut)
def accept_alert(alert_id: PathId, session: DbSession, user: CurrentUser, state: State) -> AlertOut:
    """Accept (acknowledge). Accepting an accepted alert is fine; a resolved one answers 409."""
    return AlertOut.of(service.accept(session, state.clock, user, alert_id))


@router.put("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(alert_id: PathId, session: DbSession, user: CurrentUser, state: State) -> AlertOut:
    """Resolve. Resolving a resolved alert is fine."""
    return AlertOut.of(service.resolve(session, state.clock, user, alert_id))


@router.put("/alerts/{alert_id}/assign", response_model=AlertOut)
def assign_alert(alert_id: PathId, body: AssignIn, session: DbSession, user: CurrentUser, state: State) -> AlertOut:
    return AlertOut.of(service.assign(session, state.clock, user, alert_id, body.user_id))


@router.post("/alerts/{alert_id}/comments", status_code=201, response_model=AlertOut)
def comment_alert(alert_id: PathId, body: CommentIn, session: DbSession, user: CurrentUser, state: State) -> AlertOut:
    return AlertOut.of(service.add_comment(session, state.clock, user, alert_id, body.content))


@router.get("/alerts/{alert_id}/log", response_model=list[LogEntryOut])
def get_alert_log(alert_id: PathId, session: DbSession, user: CurrentUser) -> list[LogEntryOut]:
    """Everything that happened to the alert, oldest first: events, state changes, comments, notifications."""
    alert = service.get_visible_alert(session, user, alert_id)
    return [LogEntryOut.of(e) for e in service.alert_log(session, alert)]
