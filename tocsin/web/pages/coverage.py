"""Coverage requests: the list (received / sent), asking for cover in two steps (my shifts, then whom),
and the request with accept, decline and cancel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.coverage import service
from tocsin.coverage.models import CoverageRequest, CoverageState
from tocsin.coverage.schemas import People
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.pagination import Cursor, decode_cursor, encode_cursor
from tocsin.schedules import oncall
from tocsin.schedules.definitions import Window
from tocsin.schedules.models import Schedule
from tocsin.schemas import PathId
from tocsin.timezones import zone
from tocsin.web import forms, nav, times
from tocsin.web.layout import fragment, page
from tocsin.web.routing import is_htmx, redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

PAGE_SIZE = 50
RECENT = timedelta(hours=24)
PICK_LOOKAHEAD = timedelta(days=35)
Box = Literal["received", "sent"]


# --- list -----------------------------------------------------------------------------------


@router.get("/coverage-requests")
def request_list(request: Request, session: DbSession, state: State, user: WebUser, box: Box = "received",
                 all: bool = False, cursor: Cursor = None) -> Response:
    now = state.clock.now()
    query = service.ListQuery(direction=box, states=list(CoverageState) if all else None,
                              changed_after=None if all else now - RECENT, before_id=decode_cursor(cursor),
                              limit=PAGE_SIZE)
    found = service.list_requests(session, state.clock, user, query)
    received, sent = service.counts(session, state.clock, user)
    people = People(session, found)
    return page(request, session, user, "coverage/list.html", title="Coverage requests", active="coverage",
                requests=[people.out(r, now) for r in found], box=box, all=all, cursor=cursor,
                counts={"received": received, "sent": sent},
                next_cursor=encode_cursor(found[-1].id) if len(found) == PAGE_SIZE else None)


# --- ask for cover --------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    schedule: Schedule
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return f"{self.schedule.id}-{int(self.start.timestamp())}-{int(self.end.timestamp())}"


def _decode(session: Session, key: str) -> Range | None:
    parts = key.split("-")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 16 for p in parts):
        return None
    schedule = session.get(Schedule, int(parts[0]))
    if schedule is None:
        return None
    start, end = (datetime.fromtimestamp(int(p), UTC) for p in parts[1:])
    return Range(schedule, start, end)


def _my_shifts(session: Session, user: User, now: datetime) -> list[Range]:
    window = Window(now - timedelta(days=1), now + PICK_LOOKAHEAD)
    items = oncall.stretches(oncall.user_shifts(session, user.id, window))
    return [Range(i.schedule, i.shift.start, i.shift.end) for i in items if i.shift.end > now]


def _containing(shifts: list[Range], part: Range) -> Range | None:
    return next((s for s in shifts if s.schedule.id == part.schedule.id and part.start < s.end
                 and s.start < part.end), None)


@dataclass
class Draft:
    picked: list[str] = field(default_factory=list)  # keys of my shifts
    bounds: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (from, to) as typed
    ranges: list[Range] = field(default_factory=list)  # what step 2 asks for
    to: str = ""  # user:<id> | team:<id> | other
    other: str = ""
    message: str = ""


def _step1(request: Request, session: Session, state: State, user: User, draft: Draft, *, error: str | None = None,
           status: int = 200) -> Response:
    tz = zone(user.timezone)
    shifts = _my_shifts(session, user, state.clock.now())
    whole = {item.key: (times.field_value(item.start, tz), times.field_value(item.end, tz)) for item in shifts}
    for key, bounds in whole.items():
        draft.bounds.setdefault(key, bounds)
    narrowed = {key for key, bounds in whole.items() if draft.bounds[key] != bounds}
    return page(request, session, user, "coverage/new.html", title="Ask for cover", active="coverage",
                step=1, shifts=shifts, draft=draft, narrowed=narrowed, error=error, status=status)


@dataclass(frozen=True)
class Choice:
    user: User
    hours: float | None  # on call in the last 30 days (suggestions only)


def _choices(session: Session, state: State, user: User, ranges: list[Range]) -> tuple[list[Choice], list[User]]:
    """Suggested colleagues (free for every range, least on call first), and everyone else allowed."""
    suggested: dict[int, Choice] | None = None
    for item in ranges:
        found = service.suggestions(session, state.clock, user, item.schedule, Window(item.start, item.end))
        here = {s.user.id: Choice(s.user, s.on_call_hours) for s in found}
        suggested = here if suggested is None else {uid: c for uid, c in suggested.items() if uid in here}
    picks = list((suggested or {}).values())
    allowed = service.possible_receivers(session, user, [r.schedule.id for r in ranges])
    return picks, [u for u in allowed if u.id not in (suggested or {})]


def _receiver(session: Session, draft: Draft) -> User | None:
    kind, _, raw = draft.to.partition(":")
    user_id = draft.other if draft.to == "other" else raw if kind == "user" else ""
    return session.get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 16 else None


def _step2(request: Request, session: Session, state: State, user: User, draft: Draft, *, error: str | None = None,
           status: int = 200) -> Response:
    suggestions, others = _choices(session, state, user, draft.ranges)
    if not draft.to:
        draft.to = f"user:{suggestions[0].user.id}" if suggestions else "other" if others else ""
    return page(request, session, user, "coverage/new.html", title="Ask for cover", active="coverage", step=2,
                draft=draft, suggestions=suggestions, others=others, error=error, status=status,
                teams=service.possible_teams(session, user), receiver=_receiver(session, draft))


def _read(session: Session, form: forms.FormData) -> Draft:
    draft = Draft(picked=forms.texts(form, "pick"), to=forms.text(form, "to"), other=forms.text(form, "other"),
                  message=forms.text(form, "message"))
    for key in draft.picked:
        draft.bounds[key] = (forms.text(form, f"from-{key}"), forms.text(form, f"to-{key}"))
    draft.ranges = [r for r in (_decode(session, key) for key in forms.texts(form, "range")) if r is not None]
    return draft


def _narrowed(session: Session, user: User, draft: Draft) -> list[Range]:
    """The picked shifts with the times typed for them (in the reader's zone)."""
    if not draft.picked:
        raise Problem(400, "pick at least one of your shifts", field="pick")
    tz, ranges = zone(user.timezone), []
    for index, key in enumerate(draft.picked, start=1):
        shift = _decode(session, key)
        if shift is None:
            raise Problem(400, f"shift {index} is not one of your shifts", field="pick")
        lo, hi = draft.bounds.get(key, ("", ""))
        start = times.parse_field(lo, tz, f"Shift {index}, from") if lo else shift.start
        end = times.parse_field(hi, tz, f"Shift {index}, until") if hi else shift.end
        if end <= start:
            raise Problem(400, f"Shift {index}: the end must be after the start", field=f"to-{key}")
        if start < shift.start or end > shift.end:
            inside = times.span(shift.start, shift.end, tz, start)
            raise Problem(400, f"Shift {index}: pick a time inside the shift ({inside})", field=f"from-{key}")
        ranges.append(Range(shift.schedule, start, end))
    return ranges


@router.get("/coverage-requests/new")
def new_request(request: Request, session: DbSession, state: State, user: WebUser, pick: str | None = None) -> Response:
    wanted = _decode(session, pick) if pick else None
    found = _containing(_my_shifts(session, user, state.clock.now()), wanted) if wanted else None
    return _step1(request, session, state, user, Draft(picked=[found.key] if found else []))


@router.post("/coverage-requests/new")
def new_request_step(request: Request, session: DbSession, state: State, user: WebUser, form: forms.Form) -> Response:
    draft = _read(session, form)
    op = forms.text(form, "op")
    if op == "back":
        tz, mine = zone(user.timezone), _my_shifts(session, user, state.clock.now())
        for part in draft.ranges:
            whole = _containing(mine, part)
            if whole is not None:
                draft.picked.append(whole.key)
                draft.bounds[whole.key] = (times.field_value(part.start, tz), times.field_value(part.end, tz))
        return _step1(request, session, state, user, draft)
    if op == "next":
        try:
            draft.ranges = _narrowed(session, user, draft)
        except Problem as problem:
            return _step1(request, session, state, user, draft, error=problem.detail, status=problem.status)
        return _step2(request, session, state, user, draft)
    kind, _, raw = draft.to.partition(":")
    receiver = _receiver(session, draft)
    new = service.NewRequest(
        shifts=[service.ShiftRange(r.schedule.id, r.start, r.end) for r in draft.ranges],
        receiver_id=receiver.id if receiver else None,
        receiver_team_id=int(raw) if kind == "team" and raw.isdigit() and len(raw) < 16 else None,
        message=draft.message or None,
    )
    try:
        if new.receiver_id is None and new.receiver_team_id is None:
            raise Problem(400, "pick a colleague or a team to ask", field="to")
        created = service.create(session, state.clock, user, new)
    except Problem as problem:
        session.rollback()
        return _step2(request, session, state, user, draft, error=problem.detail, status=problem.status)
    return redirect(request, f"/coverage-requests/{created.id}")


@router.get("/coverage-requests/new/times")
def new_request_times(request: Request, session: DbSession, user: WebUser) -> Response:
    """The time zone box for the receiver picked so far (step 2 refreshes it when the choice changes)."""
    draft = _read(session, forms.FormData([(k, v) for k, v in request.query_params.multi_items()]))
    return fragment(request, user, "coverage/_times.html", draft=draft, receiver=_receiver(session, draft))


# --- one request ----------------------------------------------------------------------------


def _detail(session: Session, state: State, user: User, item: CoverageRequest) -> dict[str, Any]:
    now = state.clock.now()
    out = People(session, [item]).out(item, now)
    events = service.history(session, item)
    ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    live = item.state == CoverageState.PENDING.value and not service.is_expired(item, now)
    mine = service.recipient(item, user)
    sender_side = user.is_admin or user.id in (item.sender_id, item.created_by_id)
    other = out.receiver if user.id == item.sender_id else out.sender
    return {"item": out, "history": events, "actors": actors, "other": other,
            "can_answer": live and mine is not None and mine.state == CoverageState.PENDING.value,
            "can_cancel": live and sender_side, "my_answer": mine}


def _detail_response(request: Request, session: Session, state: State, user: User, item: CoverageRequest, *,
                     flash: str | None = None, error: str | None = None, status: int = 200) -> Response:
    data = _detail(session, state, user, item)
    if is_htmx(request):
        return fragment(request, user, "coverage/_detail.html", flash=flash, error=error, status=status,
                        headers={"HX-Trigger": "tocsin:changed"},
                        nav_update=nav.build(session, state.clock, user, "coverage"), **data)
    return page(request, session, user, "coverage/detail.html", title=f"Coverage request #{item.id}",
                active="coverage", flash=flash, error=error, status=status, **data)


@router.get("/coverage-requests/{request_id}")
def request_detail(request: Request, session: DbSession, state: State, user: WebUser, request_id: PathId) -> Response:
    item = service.get_visible(session, user, request_id)
    return page(request, session, user, "coverage/detail.html", title=f"Coverage request #{item.id}",
                active="coverage", flash=None, error=None, **_detail(session, state, user, item))


def _act(request: Request, session: Session, state: State, user: User, request_id: int, verb: str,
         comment: str | None = None) -> Response:
    item = service.get_visible(session, user, request_id, for_update=True)
    try:
        if verb == "accept":
            service.accept(session, state.clock, user, item)
            done = "Accepted: you are on call for these shifts now."
        elif verb == "decline":
            service.decline(session, state.clock, user, item, comment)
            done = "Declined. The sender has been told."
        else:
            service.cancel(session, state.clock, user, item)
            done = "Cancelled. The receivers have been told."
    except Problem as problem:
        session.rollback()
        item = service.get_visible(session, user, request_id)
        return _detail_response(request, session, state, user, item, error=problem.detail, status=problem.status)
    if not is_htmx(request):
        return redirect(request, f"/coverage-requests/{item.id}")
    session.flush()
    return _detail_response(request, session, state, user, item, flash=done)


@router.post("/coverage-requests/{request_id}/accept")
def accept(request: Request, session: DbSession, state: State, user: WebUser, request_id: PathId) -> Response:
    return _act(request, session, state, user, request_id, "accept")


@router.post("/coverage-requests/{request_id}/decline")
def decline(request: Request, session: DbSession, state: State, user: WebUser, request_id: PathId,
            form: forms.Form) -> Response:
    comment = forms.text(form, "comment")
    if len(comment) > service.MAX_MESSAGE:
        raise Problem(400, f"Comment: at most {service.MAX_MESSAGE} characters", field="comment")
    return _act(request, session, state, user, request_id, "decline", comment or None)


@router.post("/coverage-requests/{request_id}/cancel")
def cancel(request: Request, session: DbSession, state: State, user: WebUser, request_id: PathId) -> Response:
    return _act(request, session, state, user, request_id, "cancel")
