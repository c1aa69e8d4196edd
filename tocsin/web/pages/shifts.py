"""My shifts (by day, in my zone) and the schedule page: a week of layers, overrides and final shifts,
with overrides to add and remove."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.schedules import changes, oncall, service
from tocsin.schedules.compose import override_shifts
from tocsin.schedules.definitions import Override, Window
from tocsin.schedules.models import Schedule
from tocsin.schemas import PathId
from tocsin.timezones import zone
from tocsin.web import forms, timeline, times
from tocsin.web.layout import page
from tocsin.web.pages.oncall import can_override, names
from tocsin.web.routing import redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

DEFAULT_WEEKS, MAX_WEEKS = 4, 26
Weeks = Annotated[int, Query(ge=1, le=MAX_WEEKS)]


def shift_key(schedule_id: int, start: datetime, end: datetime) -> str:
    """Names one of my shifts in links to the coverage form."""
    return f"{schedule_id}-{int(start.timestamp())}-{int(end.timestamp())}"


@dataclass(frozen=True)
class Day:
    day: date
    items: list[oncall.UserShift]


def by_day(items: list[oncall.UserShift], tz_name: str) -> list[Day]:
    tz = zone(tz_name)
    grouped: dict[date, list[oncall.UserShift]] = defaultdict(list)
    for item in items:
        grouped[item.shift.start.astimezone(tz).date()].append(item)
    return [Day(day, grouped[day]) for day in sorted(grouped)]


@router.get("/shifts")
def my_shifts(request: Request, session: DbSession, state: State, user: WebUser,
              weeks: Weeks = DEFAULT_WEEKS) -> Response:
    now = state.clock.now()
    window = Window(now - timedelta(days=1), now + timedelta(weeks=weeks))
    items = [i for i in oncall.stretches(oncall.user_shifts(session, user.id, window)) if i.shift.end > now]
    today = now.astimezone(zone(user.timezone)).date()
    total = sum(((i.shift.end - max(i.shift.start, now)) for i in items), timedelta())
    return page(request, session, user, "schedules/my_shifts.html", title="My shifts", active="shifts",
                days=by_day(items, user.timezone), today=today, weeks=weeks, max_weeks=MAX_WEEKS,
                hours=round(total.total_seconds() / 3600), schedules=service.list_schedules(session, user),
                day_name=times.day_name, shift_key=shift_key, week_of=lambda d: times.week_start(d).isoformat())


@dataclass
class OverrideDraft:
    user: str = ""
    start: str = ""
    end: str = ""


def _week(value: date | None, user: User, now: datetime) -> date:
    return times.week_start(value or now.astimezone(zone(user.timezone)).date())


def _schedule_page(request: Request, session: Session, state: State, user: User, schedule: Schedule, monday: date,
                   *, draft: OverrideDraft | None = None, error: str | None = None, status: int = 200) -> Response:
    tz, now = zone(user.timezone), state.clock.now()
    days = timeline.week_days(monday)
    window = Window(times.local_midnight(days[0], tz), times.local_midnight(days[-1] + timedelta(days=1), tz))
    found = oncall.layered_shifts(session, schedule, window)
    overrides = oncall.list_overrides(session, schedule, window)
    override_pieces = override_shifts(tuple(Override(o.id, o.user_id, o.start, o.end) for o in overrides), window)
    tracks = [timeline.Track("final", "Final schedule", "final", timeline.rows(found.final, days, tz)),
              timeline.Track("overrides", "Overrides", "overrides", timeline.rows(override_pieces, days, tz))]
    tracks += [timeline.Track(f"layer-{ls.layer_id}", ls.name, "layer", timeline.rows(ls.shifts, days, tz))
               for ls in reversed(found.layers)]  # the layer that wins first, as they are painted
    colour = timeline.colours(found.final, override_pieces, *(ls.shifts for ls in found.layers))
    people = names(session, [*colour, *(o.created_by_id for o in overrides)])
    editable = can_override(session, user, schedule)
    if draft is None:
        start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        draft = OverrideDraft(str(user.id), times.field_value(start, tz),
                              times.field_value(start + timedelta(hours=8), tz))
    final_days = [timeline.DayRow(row.day, row.blocks) for row in tracks[0].rows if row.blocks]
    return page(request, session, user, "schedules/view.html", title=schedule.name, active="shifts", status=status,
                schedule=schedule, monday=monday, days=days, tracks=tracks, colour=colour, people=people,
                overrides=overrides, editable=editable, draft=draft, error=error, final_days=final_days,
                allowed=service.allowed_users(session, schedule) if editable else [],
                this_week=_week(None, user, now), today=now.astimezone(tz).date(), day_name=times.day_name,
                short_day=times.short_day, week_title=times.week_title(monday), prev_week=monday - timedelta(days=7),
                next_week=monday + timedelta(days=7))


@router.get("/schedules/{schedule_id}")
def schedule_view(request: Request, session: DbSession, state: State, user: WebUser, schedule_id: PathId,
                  week: date | None = None) -> Response:
    schedule = service.get_visible_schedule(session, user, schedule_id)
    return _schedule_page(request, session, state, user, schedule, _week(week, user, state.clock.now()))


@router.post("/schedules/{schedule_id}/overrides")
def add_override(request: Request, session: DbSession, state: State, user: WebUser, schedule_id: PathId,
                 form: forms.Form) -> Response:
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    draft = OverrideDraft(forms.text(form, "user"), forms.text(form, "start"), forms.text(form, "end"))
    tz = zone(user.timezone)
    monday = _week(None, user, state.clock.now())
    try:
        if not draft.user.isdigit() or len(draft.user) > 15:
            raise Problem(400, "Who: pick a person", field="user")
        start = times.parse_field(draft.start, tz, "From")
        end = times.parse_field(draft.end, tz, "Until")
        monday = times.week_start(start.astimezone(tz).date())
        changes.add_override(session, state.clock, user, schedule, int(draft.user), start, end)
    except Problem as problem:
        session.rollback()
        schedule = service.get_visible_schedule(session, user, schedule_id)
        return _schedule_page(request, session, state, user, schedule, monday, draft=draft, error=problem.detail,
                              status=problem.status)
    return redirect(request, f"/schedules/{schedule.id}?week={monday.isoformat()}#overrides")


def _shown_week(form: forms.FormData, fallback: datetime, user: User) -> date:
    """The week the page showed (to go back to it), else the one `fallback` falls in."""
    try:
        return times.week_start(date.fromisoformat(forms.text(form, "week")))
    except ValueError:
        return times.week_start(fallback.astimezone(zone(user.timezone)).date())


@router.post("/schedules/{schedule_id}/overrides/{override_id}/delete")
def remove_override(request: Request, session: DbSession, state: State, user: WebUser, schedule_id: PathId,
                    override_id: PathId, form: forms.Form) -> Response:
    schedule = service.get_visible_schedule(session, user, schedule_id, for_update=True)
    override = oncall.get_override(session, schedule, override_id)
    monday = _shown_week(form, override.start, user)
    changes.remove_override(session, state.clock, user, schedule, override)
    return redirect(request, f"/schedules/{schedule.id}?week={monday.isoformat()}#overrides")
