"""Routes: /api/schedules (+ shifts, on-call, overrides, take, iCal), my shifts, on-call overview, feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.schemas import NamedRef
from tocsin.auth.models import User
from tocsin.deps import CurrentUser, DbSession, State
from tocsin.schedules import changes, ical, oncall, overview, reminders, service
from tocsin.schedules.definitions import OnCallAnswer, Window
from tocsin.schedules.models import CalendarFeed, Schedule, ScheduleOverride
from tocsin.schedules.schemas import (
    CalendarFeedIn,
    CalendarFeedOut,
    LayerShiftsOut,
    MyShiftOut,
    OnCallEverywhere,
    OnCallOut,
    OverrideCreated,
    OverrideIn,
    OverrideOut,
    PolicyLevelOnCall,
    PolicyOnCall,
    ScheduleIn,
    ScheduleOut,
    ShiftOut,
    ShiftReminderIo,
    ShiftsOut,
    TakeIn,
    shift_source,
)
from tocsin.schemas import OnCallTime, PathId, QueryText, UserRef

router = APIRouter(prefix="/api")
TAG: list[str | Enum] = ["schedules"]
DEFAULT_SPAN = timedelta(days=7)
FEED_PAST, FEED_FUTURE = timedelta(days=30), timedelta(days=180)
ICAL = "text/calendar; charset=utf-8"


def _users(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name, User.timezone).where(User.id.in_(wanted)))
    return {row.id: (row.name, row.timezone) for row in rows}


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return {uid: name for uid, (name, _tz) in _users(session, ids).items()}


def _layer_names(schedule: Schedule) -> dict[int, str]:
    return {layer.id: layer.name for layer in schedule.layers}


def _schedule_out(session: Session, schedule: Schedule) -> ScheduleOut:
    return ScheduleOut.of(schedule, _names(session, service.people_of(schedule)))


def _window(state: State, start: datetime | None, until: datetime | None) -> Window:
    start = start or state.clock.now()
    return service.check_range(start, until or start + DEFAULT_SPAN)


# --- schedules ------------------------------------------------------------------------------


@router.get("/schedules", response_model=list[ScheduleOut], tags=TAG)
def list_schedules(session: DbSession, user: CurrentUser) -> list[ScheduleOut]:
    schedules = service.list_schedules(session, user)
    names = _names(session, {uid for s in schedules for uid in service.people_of(s)})  # one query for all
    return [ScheduleOut.of(s, names) for s in schedules]


@router.post("/schedules", status_code=201, response_model=ScheduleOut, tags=TAG)
def create_schedule(body: ScheduleIn, session: DbSession, user: CurrentUser, state: State) -> ScheduleOut:
    schedule = service.create_schedule(session, state.clock, user, body.spec())
    reminders.plan(session, state.clock, service.people_of(schedule))
    return _schedule_out(session, schedule)


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut, tags=TAG)
def get_schedule(schedule_id: PathId, session: DbSession, user: CurrentUser) -> ScheduleOut:
    return _schedule_out(session, service.get_visible_schedule(session, user, schedule_id))


@router.put("/schedules/{schedule_id}", response_model=ScheduleOut, tags=TAG)
def update_schedule(schedule_id: PathId, body: ScheduleIn, session: DbSession, user: CurrentUser,
                    state: State) -> ScheduleOut:
    """Replace the schedule's definition (name, zone, teams, layers or shifts). Overrides stay."""
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    before = service.people_of(schedule)
    service.update_schedule(session, state.clock, user, schedule, body.spec())
    reminders.plan(session, state.clock, before | service.people_of(schedule))
    return _schedule_out(session, schedule)


@router.delete("/schedules/{schedule_id}", status_code=204, tags=TAG)
def delete_schedule(schedule_id: PathId, session: DbSession, user: CurrentUser, state: State) -> Response:
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    people = service.people_of(schedule)
    service.delete_schedule(session, user, schedule)
    reminders.plan(session, state.clock, people)
    return Response(status_code=204)


# --- shifts and who is on call --------------------------------------------------------------


@router.get("/schedules/{schedule_id}/shifts", response_model=ShiftsOut, tags=TAG)
def get_shifts(
    schedule_id: PathId, session: DbSession, user: CurrentUser, state: State,
    start: OnCallTime | None = Query(default=None, alias="from", description="Default: now"),
    until: OnCallTime | None = Query(default=None, description="Default: 7 days after `from`; at most one year"),
    include_layers: bool = Query(default=False, alias="includeLayers", description="Also each layer's own shifts"),
) -> ShiftsOut:
    """Final shifts in the range, each with the layer or override it comes from."""
    schedule = service.get_visible_schedule(session, user, schedule_id)
    window = _window(state, start, until)
    if include_layers:
        found = oncall.layered_shifts(session, schedule, window)
        final, per_layer = found.final, found.layers
    else:
        final, per_layer = oncall.shifts(session, schedule, window), []
    names = _names(session, {s.user_id for s in final} | {s.user_id for ls in per_layer for s in ls.shifts})
    layer_names = _layer_names(schedule)
    layers = [LayerShiftsOut(layer=NamedRef(id=ls.layer_id, name=ls.name),
                             shifts=[ShiftOut.of(s, names, layer_names) for s in ls.shifts])
              for ls in per_layer] if include_layers else None
    return ShiftsOut(schedule=NamedRef(id=schedule.id, name=schedule.name), from_=window.start, until=window.end,
                     shifts=[ShiftOut.of(s, names, layer_names) for s in final], layers=layers)


def _people_of(answers: Iterable[OnCallAnswer]) -> set[int]:
    return {uid for a in answers for uid in (a.user_id, a.next_user_id) if uid is not None}


def _on_call_out(session: Session, schedule: Schedule, at: datetime, answer: OnCallAnswer,
                 users: dict[int, tuple[str, str]] | None = None) -> OnCallOut:
    users = users if users is not None else _users(session, _people_of([answer]))
    return OnCallOut.of(schedule, at, answer, users, _layer_names(schedule))


@router.get("/schedules/{schedule_id}/on-call", response_model=OnCallOut, tags=TAG)
def get_on_call(
    schedule_id: PathId, session: DbSession, user: CurrentUser, state: State,
    at: OnCallTime | None = Query(default=None, description="Default: now"),
) -> OnCallOut:
    """Who is on call at `at`, since when and until when, and who is next."""
    schedule = service.get_visible_schedule(session, user, schedule_id)
    moment = at or state.clock.now()
    return _on_call_out(session, schedule, moment, oncall.answer(session, schedule, moment))


@router.get("/users/me/shifts", response_model=list[MyShiftOut], tags=TAG)
def my_shifts(
    session: DbSession, user: CurrentUser, state: State,
    start: OnCallTime | None = Query(default=None, alias="from", description="Default: now"),
    until: OnCallTime | None = Query(default=None, description="Default: 7 days after `from`; at most one year"),
) -> list[MyShiftOut]:
    """My final shifts in every schedule, in time order."""
    window = _window(state, start, until)
    return [
        MyShiftOut(schedule=NamedRef(id=item.schedule.id, name=item.schedule.name), start=item.shift.start,
                   end=item.shift.end, source=shift_source(item.shift, _layer_names(item.schedule)))
        for item in oncall.user_shifts(session, user.id, window)
    ]


@router.get("/on-call", response_model=OnCallEverywhere, tags=TAG)
def on_call_everywhere(
    session: DbSession, user: CurrentUser, state: State,
    at: OnCallTime | None = Query(default=None, description="Default: now"),
) -> OnCallEverywhere:
    """Who is on call at `at` in every schedule, and who each level of every escalation policy would page."""
    moment = at or state.clock.now()
    found = overview.on_call_overview(session, user, moment)
    policies = [PolicyOnCall(policy=NamedRef(id=p.policy.id, name=p.policy.name),
                             levels=[PolicyLevelOnCall(level=lv.level, users=[UserRef(id=u.id, name=u.name)
                                                                              for u in lv.users])
                                     for lv in p.levels])
                for p in found.policies]
    users = _users(session, _people_of(s.answer for s in found.schedules))  # one query for every schedule
    return OnCallEverywhere(
        at=moment,
        schedules=[_on_call_out(session, s.schedule, moment, s.answer, users) for s in found.schedules],
        escalation_policies=policies,
    )


# --- overrides and take on-call -------------------------------------------------------------


def _created(session: Session, schedule: Schedule, result: oncall.OverrideResult) -> OverrideCreated:
    names = _names(session, {s.user_id for s in result.replaced})
    layer_names = _layer_names(schedule)
    return OverrideCreated(override=OverrideOut.of(result.override),
                           replaced=[ShiftOut.of(s, names, layer_names) for s in result.replaced])


@router.post("/schedules/{schedule_id}/overrides", status_code=201, response_model=OverrideCreated, tags=TAG)
def create_override(schedule_id: PathId, body: OverrideIn, session: DbSession, user: CurrentUser,
                    state: State) -> OverrideCreated:
    """Put a user on call for a range. Overrides it overlaps are trimmed, split or removed; the answer says
    who was on call there before."""
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    result = changes.add_override(session, state.clock, user, schedule, body.user.id, body.start, body.end)
    return _created(session, schedule, result)


@router.get("/schedules/{schedule_id}/overrides", response_model=list[OverrideOut], tags=TAG)
def list_overrides(
    schedule_id: PathId, session: DbSession, user: CurrentUser, state: State,
    start: OnCallTime | None = Query(default=None, alias="from", description="Default: now"),
    until: OnCallTime | None = Query(default=None, description="Default: one year after `from`"),
) -> list[OverrideOut]:
    schedule = service.get_visible_schedule(session, user, schedule_id)
    begin = start or state.clock.now()
    window = service.check_range(begin, until or begin + service.MAX_RANGE)
    return [OverrideOut.of(o) for o in oncall.list_overrides(session, schedule, window)]


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", status_code=204, tags=TAG)
def delete_override(schedule_id: PathId, override_id: PathId, session: DbSession, user: CurrentUser,
                    state: State) -> Response:
    """Remove an override: the computed shifts apply again in its range."""
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    override: ScheduleOverride = oncall.get_override(session, schedule, override_id)
    changes.remove_override(session, state.clock, user, schedule, override)
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/take", status_code=201, response_model=OverrideCreated, tags=TAG)
def take_on_call(schedule_id: PathId, session: DbSession, user: CurrentUser, state: State,
                 body: TakeIn | None = None) -> OverrideCreated:
    """Go on call myself: from `start` (now) until `end` (the end of the current shift)."""
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    body = body or TakeIn()
    result = changes.take(session, state.clock, user, schedule, body.start, body.end)
    return _created(session, schedule, result)


# --- calendar feeds -------------------------------------------------------------------------


def _feed_out(session: Session, feed: CalendarFeed, state: State, token: str | None = None) -> CalendarFeedOut:
    schedule = session.get(Schedule, feed.schedule_id) if feed.schedule_id else None
    url = ical.feed_url(state.settings.base_url, feed, token) if token is not None else None
    return CalendarFeedOut(id=feed.id, schedule=NamedRef(id=schedule.id, name=schedule.name) if schedule else None,
                           token_hint=feed.token_hint, created_at=feed.created_at, last_used_at=feed.last_used_at,
                           url=url)


@router.post("/calendar-feeds", status_code=201, response_model=CalendarFeedOut, tags=TAG)
def create_feed(body: CalendarFeedIn, session: DbSession, user: CurrentUser, state: State) -> CalendarFeedOut:
    """A secret iCal URL for a schedule or for my shifts; the token is shown only now."""
    schedule = service.get_visible_schedule(session, user, body.schedule.id) if body.schedule else None
    feed, token = ical.create_feed(session, state.clock, user, schedule)
    return _feed_out(session, feed, state, token)


@router.get("/calendar-feeds", response_model=list[CalendarFeedOut], tags=TAG)
def list_feeds(session: DbSession, user: CurrentUser, state: State) -> list[CalendarFeedOut]:
    return [_feed_out(session, f, state) for f in ical.list_feeds(session, user)]


@router.delete("/calendar-feeds/{feed_id}", status_code=204, tags=TAG)
def revoke_feed(feed_id: PathId, session: DbSession, user: CurrentUser) -> Response:
    ical.revoke_feed(session, user, feed_id)
    return Response(status_code=204)


def _feed_window(state: State) -> Window:
    now = state.clock.now()
    return Window(now - FEED_PAST, now + FEED_FUTURE)


@router.get("/schedules/{schedule_id}/ical", tags=TAG, response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}})
def schedule_calendar(schedule_id: PathId, session: DbSession, state: State,
                      token: QueryText = Query(max_length=200, description="The feed's secret token")) -> Response:
    """The schedule's final shifts (30 days back, 180 ahead) as iCalendar; authenticated by the feed token."""
    _feed, owner = ical.feed_for_token(session, state.clock, token, schedule_id=schedule_id)
    schedule = service.get_visible_schedule(session, owner, schedule_id)
    shifts = oncall.shifts(session, schedule, _feed_window(state))
    names = _names(session, {s.user_id for s in shifts})
    events = [ical.CalendarEvent(uid=f"schedule{schedule.id}-{s.start:%Y%m%dT%H%M%SZ}-user{s.user_id}@tocsin",
                                 start=s.start, end=s.end, summary=f"{names.get(s.user_id, '?')} on call",
                                 description=f"{schedule.name}") for s in shifts]
    return Response(ical.calendar(schedule.name, events, state.clock.now()), media_type=ICAL)


@router.get("/users/me/shifts/ical", tags=TAG, response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}})
def my_calendar(session: DbSession, state: State,
                token: QueryText = Query(max_length=200, description="The feed's secret token")) -> Response:
    """My final shifts in every schedule as iCalendar; authenticated by the feed token."""
    _feed, owner = ical.feed_for_token(session, state.clock, token, schedule_id=None)
    items = oncall.user_shifts(session, owner.id, _feed_window(state))
    events = [ical.CalendarEvent(uid=f"user{owner.id}-schedule{i.schedule.id}-{i.shift.start:%Y%m%dT%H%M%SZ}@tocsin",
                                 start=i.shift.start, end=i.shift.end, summary=f"On call: {i.schedule.name}")
              for i in items]
    return Response(ical.calendar(f"{owner.name}: on call", events, state.clock.now()), media_type=ICAL)


# --- reminders ------------------------------------------------------------------------------


@router.get("/users/me/shift-reminder", response_model=ShiftReminderIo, tags=TAG)
def get_shift_reminder(session: DbSession, user: CurrentUser) -> ShiftReminderIo:
    return ShiftReminderIo(minutes_before=reminders.get_reminder(session, user.id))


@router.put("/users/me/shift-reminder", response_model=ShiftReminderIo, tags=TAG)
def put_shift_reminder(body: ShiftReminderIo, session: DbSession, user: CurrentUser, state: State) -> ShiftReminderIo:
    """Be reminded `minutesBefore` each of my shifts starts (by push, else email); null turns it off."""
    reminders.set_reminder(session, state.clock, user, body.minutes_before)
    return body
