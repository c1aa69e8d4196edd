"""Shifts and on-call answers from stored schedules; overrides and "take on-call"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.service import can_respond
from tocsin.clock import Clock
from tocsin.errors import Problem, forbidden, not_found
from tocsin.schedules import service
from tocsin.schedules.compose import ON_CALL_HORIZON, final_shifts, on_call_answer, on_call_at
from tocsin.schedules.definitions import OnCallAnswer, Override, Shift, Window
from tocsin.schedules.models import Schedule, ScheduleOverride
from tocsin.schedules.overrides import plan_override
from tocsin.schedules.rotation import layer_shifts


def shifts(session: Session, schedule: Schedule, window: Window) -> list[Shift]:
    return final_shifts(service.definition(session, schedule, window), window)


@dataclass(frozen=True)
class LayerShifts:
    layer_id: int  # 0 for the explicit shifts of a STATIC schedule
    name: str
    shifts: list[Shift]  # the layer's own shifts, before later layers and overrides


@dataclass(frozen=True)
class LayeredShifts:
    final: list[Shift]
    layers: list[LayerShifts]


def layered_shifts(session: Session, schedule: Schedule, window: Window) -> LayeredShifts:
    """The final shifts in the window and, layer by layer, what each layer alone would say."""
    definition = service.definition(session, schedule, window)
    refs = [(layer.id, layer.name) for layer in schedule.layers] or [(0, "Shifts")]
    per_layer = [layer_shifts(layer, definition.timezone, window) for layer in definition.layers]
    return LayeredShifts(final_shifts(definition, window),
                         [LayerShifts(i, name, s) for (i, name), s in zip(refs, per_layer, strict=False)])


def answer(session: Session, schedule: Schedule, at: datetime) -> OnCallAnswer:
    window = Window(at - ON_CALL_HORIZON, at + ON_CALL_HORIZON)
    return on_call_answer(service.definition(session, schedule, window), at)


def answers(session: Session, schedules: list[Schedule], at: datetime) -> dict[int, OnCallAnswer]:
    window = Window(at - ON_CALL_HORIZON, at + ON_CALL_HORIZON)
    return {sid: on_call_answer(d, at) for sid, d in service.definitions(session, schedules, window).items()}


@dataclass(frozen=True)
class UserShift:
    schedule: Schedule
    shift: Shift


def user_shifts(session: Session, user_id: int, window: Window) -> list[UserShift]:
    """The user's final shifts in every schedule, in time order."""
    found: list[UserShift] = []
    schedules = service.schedules_of_user(session, user_id, window)
    for schedule_id, definition in service.definitions(session, schedules, window).items():
        schedule = next(s for s in schedules if s.id == schedule_id)
        found.extend(UserShift(schedule, s) for s in final_shifts(definition, window) if s.user_id == user_id)
    return sorted(found, key=lambda us: (us.shift.start, us.schedule.id))


def stretches(items: list[UserShift]) -> list[UserShift]:
    """Pieces of one schedule that follow each other without a gap (a layer shift, then an override) are
    one stretch on call, as a person sees it."""
    result: list[UserShift] = []
    for item in items:
        before = next((i for i in range(len(result) - 1, -1, -1) if result[i].schedule.id == item.schedule.id), None)
        if before is not None and result[before].shift.end == item.shift.start:
            joined = result[before].shift
            result[before] = UserShift(item.schedule, Shift(joined.user_id, joined.start, item.shift.end,
                                                             joined.source, joined.override_id))
        else:
            result.append(item)
    return result


class Directory:
    """What escalation asks schedules: does one exist, and who is on call in it at a moment."""

    def exists(self, session: Session, schedule_id: int) -> bool:
        return session.get(Schedule, schedule_id) is not None

    def on_call(self, session: Session, schedule_id: int, at: datetime) -> list[int]:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            return []
        shift = on_call_at(service.definition(session, schedule, Window(at, at + timedelta(seconds=1))), at)
        return [shift.user_id] if shift else []


# --- overrides ------------------------------------------------------------------------------


def require_can_override(session: Session, actor: User, schedule: Schedule) -> None:
    if actor.is_admin:
        return
    if not can_respond(actor):
        raise forbidden("your role may not change who is on call")
    if schedule.teams and not (schedule.team_ids & actor.team_ids):
        raise forbidden("only members of the schedule's teams may change who is on call")


@dataclass(frozen=True)
class OverrideResult:
    override: ScheduleOverride
    replaced: list[Shift]  # who was on call in that range before, piece by piece


def create_override(
    session: Session, clock: Clock, actor: User, schedule: Schedule, user_id: int, start: datetime, end: datetime
) -> OverrideResult:
    """Put `user_id` on call from start to end; older overrides in the range are trimmed, split or removed."""
    require_can_override(session, actor, schedule)
    service.check_range(start, end, what="override")
    if end <= clock.now():
        raise Problem(400, "the override is entirely in the past", slug="range-in-past", field="end")
    # What is past stays as it was: an override begun in the past covers the rest of its range.
    window = Window(max(start, clock.now()), end)
    service.allowed_on(session, schedule, user_id)
    return place_override(session, clock, schedule, user_id, window, created_by=actor.id)


def place_override(
    session: Session, clock: Clock, schedule: Schedule, user_id: int, window: Window, *, created_by: int | None
) -> OverrideResult:
    """Write an override whose permission and validity the caller has checked."""
    start, end = window.start, window.end
    replaced = shifts(session, schedule, window)
    existing = list(session.scalars(
        select(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule.id, service.overlapping(window))
    ))
    plan = plan_override([Override(o.id, o.user_id, o.start, o.end) for o in existing], start, end)
    by_id = {o.id: o for o in existing}
    for override_id in plan.delete:
        session.delete(by_id[override_id])
    for override_id, new_start, new_end in plan.resize:
        by_id[override_id].start, by_id[override_id].end = new_start, new_end
    now = clock.now()
    for source_id, part_start, part_end in plan.create:
        source = by_id[source_id]  # the right-hand part of an override split in two keeps its history
        session.add(ScheduleOverride(schedule_id=schedule.id, user_id=source.user_id, start=part_start, end=part_end,
                                     created_by_id=source.created_by_id, created_at=source.created_at))
    override = ScheduleOverride(schedule_id=schedule.id, user_id=user_id, start=start, end=end,
                                created_by_id=created_by, created_at=now)
    session.add(override)
    session.flush()
    return OverrideResult(override, replaced)


def list_overrides(session: Session, schedule: Schedule, window: Window) -> list[ScheduleOverride]:
    query = select(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule.id, service.overlapping(window))
    return list(session.scalars(query.order_by(ScheduleOverride.start)))


def get_override(session: Session, schedule: Schedule, override_id: int) -> ScheduleOverride:
    override = session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise not_found("override")
    return override


def delete_override(session: Session, actor: User, schedule: Schedule, override: ScheduleOverride) -> None:
    require_can_override(session, actor, schedule)
    session.delete(override)
    session.flush()


def take(
    session: Session, clock: Clock, actor: User, schedule: Schedule,
    start: datetime | None = None, end: datetime | None = None,
) -> OverrideResult:
    """The actor goes on call: from `start` (now) until `end` (the end of the current on-call stretch)."""
    start = start or clock.now()
    if end is None:
        current = answer(session, schedule, start)
        if current.user_id is None or current.until is None:
            raise Problem(409, "nobody is on call then, so there is no shift to take; give an end", slug="no-shift")
        if current.user_id == actor.id:
            raise Problem(409, "you are already on call then", slug="already-on-call")
        end = current.until
    return create_override(session, clock, actor, schedule, actor.id, start, end)
