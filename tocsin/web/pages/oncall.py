"""On-call home: am I on call, my next shift, who is on call in every schedule and escalation policy I
can see, and "take on-call"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.coverage import service as coverage
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.schedules import changes, oncall, overview, service
from tocsin.schedules.definitions import Window
from tocsin.schedules.models import Schedule
from tocsin.schemas import PathId
from tocsin.web.layout import page
from tocsin.web.routing import redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

NEXT_SHIFT_LOOKAHEAD = timedelta(days=35)


def names(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def can_override(session: Session, user: User, schedule: Schedule) -> bool:
    try:
        oncall.require_can_override(session, user, schedule)
    except Problem:
        return False
    return True


def _page(request: Request, session: Session, state: State, user: User, *, error: str | None = None,
          status: int = 200, taken: int | None = None) -> Response:
    now = state.clock.now()
    found = overview.on_call_overview(session, user, now)
    upcoming = oncall.stretches(oncall.user_shifts(session, user.id, Window(now - timedelta(days=1),
                                                                              now + NEXT_SHIFT_LOOKAHEAD)))
    current = [item for item in upcoming if item.shift.start <= now < item.shift.end]
    following = next((item for item in upcoming if item.shift.start > now), None)
    people = names(session, [s.answer.user_id for s in found.schedules] + [s.answer.next_user_id
                                                                          for s in found.schedules])
    takeable = {s.schedule.id for s in found.schedules
                if s.answer.user_id not in (None, user.id) and s.answer.until is not None
                and can_override(session, user, s.schedule)}
    waiting, _sent = coverage.counts(session, state.clock, user)
    return page(request, session, user, "oncall/index.html", title="On call", active="oncall", status=status,
                waiting=waiting, overview=found, current=current, following=following, people=people, takeable=takeable,
                error=error, taken=taken)


@router.get("/on-call")
def on_call(request: Request, session: DbSession, state: State, user: WebUser, taken: int | None = None) -> Response:
    return _page(request, session, state, user, taken=taken)


@router.post("/schedules/{schedule_id}/take")
def take(request: Request, session: DbSession, state: State, user: WebUser, schedule_id: PathId) -> Response:
    """Go on call from now until the end of the current on-call stretch (as POST /api/schedules/{id}/take)."""
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    try:
        changes.take(session, state.clock, user, schedule)
    except Problem as problem:
        session.rollback()
        return _page(request, session, state, user, error=problem.detail, status=problem.status)
    return redirect(request, f"/on-call?taken={schedule.id}")
