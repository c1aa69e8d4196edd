"""Routes: /api/coverage-requests (create, list, count, suggestions, read, accept, decline, cancel, history)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from tocsin.auth.models import User
from tocsin.coverage import service
from tocsin.coverage.models import CoverageRequest, CoverageState
from tocsin.coverage.schemas import (
    CoverageCount,
    CoverageRequestIn,
    CoverageRequestOut,
    DeclineIn,
    HistoryEntry,
    People,
    Person,
    SuggestionOut,
)
from tocsin.deps import CurrentUser, DbSession, State
from tocsin.errors import Problem
from tocsin.pagination import Cursor, Limit, decode_cursor, encode_cursor
from tocsin.schedules import service as schedules
from tocsin.schemas import OnCallTime, Page, PathId, QueryText, Timestamp
from tocsin.timezones import zone

router = APIRouter(prefix="/api/coverage-requests")
TAG: list[str | Enum] = ["coverage requests"]


def _out(session: DbSession, state: State, request: CoverageRequest) -> CoverageRequestOut:
    return People(session, [request]).out(request, state.clock.now())


def _states(text: str | None) -> list[CoverageState] | None:
    if text is None:
        return None
    states = []
    for part in filter(None, (p.strip().upper() for p in text.split(","))):
        try:
            states.append(CoverageState(part))
        except ValueError:
            known = ", ".join(s.value for s in CoverageState)
            raise Problem(400, f"unknown state {part!r}; use {known}", field="states") from None
    return states


@router.post("", status_code=201, response_model=CoverageRequestOut, tags=TAG)
def create_request(body: CoverageRequestIn, session: DbSession, user: CurrentUser, state: State) -> CoverageRequestOut:
    """Ask a colleague (or a team) to take some of your on-call shifts; they are told at once."""
    return _out(session, state, service.create(session, state.clock, user, body.new()))


@router.get("", response_model=Page[CoverageRequestOut], tags=TAG)
def list_requests(
    session: DbSession, user: CurrentUser, state: State,
    direction: Literal["received", "sent"] | None = Query(default=None, description="Default: both"),
    states: QueryText | None = Query(default=None, max_length=100, description="Comma list, e.g. PENDING,ACCEPTED"),
    created_after: Timestamp | None = Query(default=None, alias="createdAfter",
                                            description="Created since then (any state), plus all pending"),
    changed_after: Timestamp | None = Query(default=None, alias="changedAfter",
                                            description="State changed since then, plus all pending"),
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[CoverageRequestOut]:
    """Requests I sent or received, newest first. Without filters: pending ones that have not expired."""
    query = service.ListQuery(direction=direction, states=_states(states), created_after=created_after,
                              changed_after=changed_after, before_id=decode_cursor(cursor), limit=limit)
    found = service.list_requests(session, state.clock, user, query)
    people = People(session, found)
    now = state.clock.now()
    return Page(items=[people.out(r, now) for r in found],
                next_cursor=encode_cursor(found[-1].id) if len(found) == limit else None)


@router.get("/count", response_model=CoverageCount, tags=TAG)
def count_requests(session: DbSession, user: CurrentUser, state: State) -> CoverageCount:
    """Pending, not expired requests waiting for me, and mine waiting for others (the badge)."""
    received, sent = service.counts(session, state.clock, user)
    return CoverageCount(pending_received=received, pending_sent=sent)


@router.get("/suggestions", response_model=list[SuggestionOut], tags=TAG)
def suggest(
    session: DbSession, user: CurrentUser, state: State,
    schedule_id: int = Query(alias="scheduleId", ge=1, le=2**53),
    start: OnCallTime = Query(), end: OnCallTime = Query(),
) -> list[SuggestionOut]:
    """Colleagues who may be on call in the schedule and are free then, least on call in the last 30 days first."""
    schedule = schedules.get_visible_schedule(session, user, schedule_id)
    window = schedules.check_range(start, end)

    def local(moment: datetime, person: User) -> str:
        return moment.astimezone(zone(person.timezone)).isoformat()

    return [
        SuggestionOut(user=Person(id=s.user.id, name=s.user.name, timezone=s.user.timezone),
                      on_call_hours_last_30_days=round(s.on_call_hours, 2),
                      local_start=local(window.start, s.user), local_end=local(window.end, s.user))
        for s in service.suggestions(session, state.clock, user, schedule, window)
    ]


@router.get("/{request_id}", response_model=CoverageRequestOut, tags=TAG)
def get_request(request_id: PathId, session: DbSession, user: CurrentUser, state: State) -> CoverageRequestOut:
    return _out(session, state, service.get_visible(session, user, request_id))


@router.put("/{request_id}/accept", response_model=CoverageRequestOut, tags=TAG)
def accept_request(request_id: PathId, session: DbSession, user: CurrentUser, state: State) -> CoverageRequestOut:
    """Take the shifts: overrides for me on every range, in one transaction. Accepting twice changes nothing."""
    request = service.get_visible(session, user, request_id, for_update=True)
    return _out(session, state, service.accept(session, state.clock, user, request))


@router.put("/{request_id}/decline", response_model=CoverageRequestOut, tags=TAG)
def decline_request(request_id: PathId, session: DbSession, user: CurrentUser, state: State,
                    body: DeclineIn | None = None) -> CoverageRequestOut:
    request = service.get_visible(session, user, request_id, for_update=True)
    service.decline(session, state.clock, user, request, body.decline_comment if body else None)
    return _out(session, state, request)


@router.put("/{request_id}/cancel", response_model=CoverageRequestOut, tags=TAG)
def cancel_request(request_id: PathId, session: DbSession, user: CurrentUser, state: State) -> CoverageRequestOut:
    """Withdraw a pending request (the sender, or an admin). An accepted request cannot be cancelled."""
    request = service.get_visible(session, user, request_id, for_update=True)
    service.cancel(session, state.clock, user, request)
    return _out(session, state, request)


@router.get("/{request_id}/history", response_model=list[HistoryEntry], tags=TAG)
def request_history(request_id: PathId, session: DbSession, user: CurrentUser) -> list[HistoryEntry]:
    """Who did what, when: created, reminders, accepted, declined, cancelled."""
    request = service.get_visible(session, user, request_id)
    events = service.history(session, request)
    ids = {e.actor_id for e in events if e.actor_id}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [HistoryEntry.of(e, people) for e in events]
