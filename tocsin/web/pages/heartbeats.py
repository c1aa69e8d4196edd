"""Heartbeat monitors: the list with each one's state, create (the ping URL is shown once), pause and resume."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tocsin.alerts import sources
from tocsin.alerts.models import AlertSource
from tocsin.auth import service as auth
from tocsin.auth.models import User
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.heartbeats import service
from tocsin.heartbeats.models import HeartbeatStatus
from tocsin.heartbeats.schemas import HeartbeatIn, HeartbeatOut
from tocsin.schemas import PathId
from tocsin.web import forms
from tocsin.web.layout import page
from tocsin.web.routing import redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
LABELS = {"name": "Name", "interval": "Expect a ping every", "gracePeriod": "Grace", "alertSource": "Alert source",
          "summary": "Alert summary"}


@dataclass
class HeartbeatDraft:
    name: str = ""
    every: str = "5"
    unit: str = "minutes"
    grace: str = "1"
    source: str = ""
    summary: str = ""

    @classmethod
    def read(cls, form: forms.FormData) -> HeartbeatDraft:
        return cls(forms.text(form, "name"), forms.text(form, "every"), forms.text(form, "unit"),
                   forms.text(form, "grace"), forms.text(form, "source"), forms.text(form, "summary"))

    def body(self) -> HeartbeatIn:
        def number(text: str, label: str) -> int:
            if not text.isdigit() or len(text) > 9:
                raise Problem(400, f"{label}: give a whole number", field=label)
            return int(text)

        if self.unit not in UNITS:
            raise Problem(400, "Expect a ping every: pick minutes, hours or days", field="unit")
        data = {"name": self.name, "interval": number(self.every, "Expect a ping every") * UNITS[self.unit],
                "gracePeriod": number(self.grace or "0", "Grace") * 60,
                "alertSource": {"id": self.source} if self.source else None, "summary": self.summary or None}
        return forms.parse(HeartbeatIn, data, LABELS)


def _manageable(user: User, found: list[AlertSource]) -> list[AlertSource]:
    result = []
    for source in found:
        try:
            sources.require_can_manage(user, source)
        except Problem:
            continue
        result.append(source)
    return result


def _page(request: Request, session: Session, state: State, user: User, *, draft: HeartbeatDraft | None = None,
          error: str | None = None, status: int = 200, created: HeartbeatOut | None = None) -> Response:
    now = state.clock.now()
    monitors = [HeartbeatOut.of(m, now) for m in service.list_monitors(session, user)]
    targets = _manageable(user, sources.list_sources(session, user)) if auth.can_configure(user) else []
    if draft is None:
        draft = HeartbeatDraft(source=str(targets[0].id) if targets else "")
    return page(request, session, user, "heartbeats/index.html", title="Heartbeat monitors", active="heartbeats",
                monitors=monitors, targets=targets, draft=draft, error=error, status=status, created=created,
                readable=service.readable, units=list(UNITS))


@router.get("/heartbeats")
def heartbeat_list(request: Request, session: DbSession, state: State, user: WebUser) -> Response:
    return _page(request, session, state, user)


@router.post("/heartbeats")
def heartbeat_create(request: Request, session: DbSession, state: State, user: WebUser, form: forms.Form) -> Response:
    draft = HeartbeatDraft.read(form)
    try:
        monitor, key = service.create_monitor(session, state.clock, user, draft.body().changes(partial=False))
    except Problem as problem:
        session.rollback()
        return _page(request, session, state, user, draft=draft, error=problem.detail, status=problem.status)
    created = HeartbeatOut.of(monitor, state.clock.now(), key=key, base_url=state.settings.base_url)
    return _page(request, session, state, user, created=created)


def _set_status(request: Request, session: Session, state: State, user: User, monitor_id: int,
                status: HeartbeatStatus) -> Response:
    monitor = service.get_visible_monitor(session, user, monitor_id)
    service.update_monitor(session, state.clock, user, monitor, {"status": status.value})
    return redirect(request, f"/heartbeats#heartbeat-{monitor.id}")


@router.post("/heartbeats/{monitor_id}/pause")
def heartbeat_pause(request: Request, session: DbSession, state: State, user: WebUser, monitor_id: PathId) -> Response:
    return _set_status(request, session, state, user, monitor_id, HeartbeatStatus.PAUSED)


@router.post("/heartbeats/{monitor_id}/resume")
def heartbeat_resume(request: Request, session: DbSession, state: State, user: WebUser,
                     monitor_id: PathId) -> Response:
    return _set_status(request, session, state, user, monitor_id, HeartbeatStatus.ACTIVE)


@router.post("/heartbeats/{monitor_id}/delete")
def heartbeat_delete(request: Request, session: DbSession, user: WebUser, monitor_id: PathId) -> Response:
    service.delete_monitor(session, user, service.get_visible_monitor(session, user, monitor_id))
    return redirect(request, "/heartbeats")
