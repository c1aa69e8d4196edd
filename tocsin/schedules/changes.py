"""Changing who is on call as a person does it (API and web app alike): the override itself, then the
shift reminders of everyone whose shifts moved are planned again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.schedules import oncall, reminders
from tocsin.schedules.definitions import Window
from tocsin.schedules.models import Schedule, ScheduleOverride


def _replan(session: Session, clock: Clock, result: oncall.OverrideResult) -> None:
    reminders.plan(session, clock, {result.override.user_id} | {s.user_id for s in result.replaced})


def add_override(session: Session, clock: Clock, actor: User, schedule: Schedule, user_id: int, start: datetime,
                 end: datetime) -> oncall.OverrideResult:
    result = oncall.create_override(session, clock, actor, schedule, user_id, start, end)
    _replan(session, clock, result)
    return result


def remove_override(session: Session, clock: Clock, actor: User, schedule: Schedule,
                    override: ScheduleOverride) -> None:
    window = Window(override.start, override.end)
    oncall.delete_override(session, actor, schedule, override)
    affected = {override.user_id} | {s.user_id for s in oncall.shifts(session, schedule, window)}
    reminders.plan(session, clock, affected)


def take(session: Session, clock: Clock, actor: User, schedule: Schedule, start: datetime | None = None,
         end: datetime | None = None) -> oncall.OverrideResult:
    result = oncall.take(session, clock, actor, schedule, start, end)
    _replan(session, clock, result)
    return result


def hand_over(session: Session, clock: Clock, schedule: Schedule, user_id: int, window: Window, *,
              created_by: int | None) -> oncall.OverrideResult:
    """An override someone agreed to (a coverage request): no permission check, reminders re-planned."""
    result = oncall.place_override(session, clock, schedule, user_id, window, created_by=created_by)
    _replan(session, clock, result)
    return result
