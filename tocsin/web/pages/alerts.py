"""Alert list (filters, quick accept/resolve, live refresh) and alert detail (timeline and actions)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from fastapi import Form, Request, Response
from sqlalchemy.orm import Session

from tocsin.alerts import service
from tocsin.alerts.models import Alert
from tocsin.auth import service as auth
from tocsin.auth.models import User
from tocsin.deps import DbSession, State
from tocsin.escalation import actions as escalation
from tocsin.pagination import Cursor, decode_cursor, encode_cursor
from tocsin.schemas import PathId
from tocsin.web.layout import fragment, page
from tocsin.web.routing import is_htmx, redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

PAGE_SIZE = 50
Show = Literal["pending", "accepted", "all"]
SHOWN_STATES: dict[str, tuple[str, ...]] = {"pending": ("PENDING",), "accepted": ("ACCEPTED",), "all": ()}
View = Annotated[Literal["row", "detail"], Form()]
VERSION_HEADER = "X-List-Version"


def _filter(user: User, show: Show, mine: bool) -> service.AlertFilter:
    return service.AlertFilter(states=SHOWN_STATES[show], assigned_to_id=user.id if mine else None)


def _version(rows: list[Alert], next_id: int | None) -> str:
    """Changes when anything a row shows changes (ages are kept current in the browser)."""
    parts = [f"{a.id}:{a.state}:{a.assigned_to_id}:{a.event_count}:{a.escalation_level}" for a in rows]
    return hashlib.sha256(f"{'|'.join(parts)}|{next_id}".encode()).hexdigest()[:16]


def _list(session: Session, user: User, show: Show, mine: bool, cursor: str | None) -> dict[str, Any]:
    f = _filter(user, show, mine)
    rows, next_id = service.list_alerts(session, user, f, limit=PAGE_SIZE, before_id=decode_cursor(cursor))
    counts = {key: service.count_alerts(session, user, _filter(user, key, mine)) for key in ("pending", "accepted")}
    return {"alerts": rows, "next_cursor": encode_cursor(next_id), "version": _version(rows, next_id),
            "show": show, "mine": mine, "cursor": cursor, "counts": counts, "can_respond": auth.can_respond(user)}


@router.get("/alerts")
def alert_list(request: Request, session: DbSession, user: WebUser, show: Show = "pending", mine: bool = False,
               cursor: Cursor = None) -> Response:
    return page(request, session, user, "alerts/list.html", title="Alerts", active="alerts",
                **_list(session, user, show, mine, cursor))


@router.get("/alerts/rows")
def alert_rows(request: Request, session: DbSession, user: WebUser, show: Show = "pending", mine: bool = False,
               cursor: Cursor = None) -> Response:
    """The list itself, for live refresh: 204 when nothing changed since the version the page shows."""
    data = _list(session, user, show, mine, cursor)
    if request.headers.get(VERSION_HEADER) == data["version"]:
        return Response(status_code=204)
    return fragment(request, user, "alerts/_list.html", oob=True, **data)


def _detail_context(session: Session, user: User, alert: Alert) -> dict[str, Any]:
    log = service.alert_log(session, alert)
    last = log[-1].id if log else 0
    seen = f"{alert.state}:{alert.assigned_to_id}:{alert.event_count}:{alert.escalation_level}:{last}"
    return {"alert": alert, "log": log, "users": auth.list_users(session), "can_respond": auth.can_respond(user),
            "version": hashlib.sha256(seen.encode()).hexdigest()[:16]}


@router.get("/alerts/{alert_id}")
def alert_detail(request: Request, session: DbSession, user: WebUser, alert_id: PathId) -> Response:
    alert = service.get_visible_alert(session, user, alert_id)
    return page(request, session, user, "alerts/detail.html", title=f"Alert #{alert.id}", active="alerts",
                **_detail_context(session, user, alert))


@router.get("/alerts/{alert_id}/live")
def alert_live(request: Request, session: DbSession, user: WebUser, alert_id: PathId) -> Response:
    """The detail block, for live refresh: 204 when nothing changed since the version the page shows."""
    alert = service.get_visible_alert(session, user, alert_id)
    data = _detail_context(session, user, alert)
    if request.headers.get(VERSION_HEADER) == data["version"]:
        return Response(status_code=204)
    return fragment(request, user, "alerts/_detail.html", **data)


def _after_action(request: Request, session: Session, user: User, alert: Alert, view: str,
                  message: str) -> Response:
    if not is_htmx(request):
        return redirect(request, f"/alerts/{alert.id}" if view == "detail" else "/alerts")
    session.flush()
    headers = {"HX-Trigger": "tocsin:changed"}
    if view == "row":
        return fragment(request, user, "alerts/_row.html", alert=alert, can_respond=auth.can_respond(user),
                        flash=message, headers=headers)
    return fragment(request, user, "alerts/_detail.html", flash=message, headers=headers,
                    **_detail_context(session, user, alert))


@router.post("/alerts/{alert_id}/accept")
def accept(request: Request, session: DbSession, user: WebUser, state: State, alert_id: PathId,
           view: View = "detail") -> Response:
    alert = service.accept(session, state.clock, user, alert_id)
    return _after_action(request, session, user, alert, view, "Accepted. Escalation stopped.")


@router.post("/alerts/{alert_id}/resolve")
def resolve(request: Request, session: DbSession, user: WebUser, state: State, alert_id: PathId,
            view: View = "detail") -> Response:
    alert = service.resolve(session, state.clock, user, alert_id)
    return _after_action(request, session, user, alert, view, "Resolved.")


@router.post("/alerts/{alert_id}/assign")
def assign(request: Request, session: DbSession, user: WebUser, state: State, alert_id: PathId,
           user_id: Annotated[int, Form(ge=1, le=2**53)], view: View = "detail") -> Response:
    alert = service.assign(session, state.clock, user, alert_id, user_id)
    name = alert.assigned_to.name if alert.assigned_to else "nobody"
    return _after_action(request, session, user, alert, view, f"Assigned to {name}.")


@router.post("/alerts/{alert_id}/escalate")
def escalate(request: Request, session: DbSession, user: WebUser, state: State, alert_id: PathId,
             view: View = "detail") -> Response:
    alert = escalation.escalate(session, state.clock, user, alert_id)
    return _after_action(request, session, user, alert, view, "Escalated to the next level.")


@router.post("/alerts/{alert_id}/comment")
def comment(request: Request, session: DbSession, user: WebUser, state: State, alert_id: PathId,
            content: Annotated[str, Form(min_length=1, max_length=10_000, pattern=r"\S")],
            view: View = "detail") -> Response:
    alert = service.add_comment(session, state.clock, user, alert_id, content)
    return _after_action(request, session, user, alert, view, "Comment added.")



