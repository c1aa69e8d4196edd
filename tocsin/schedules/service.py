"""Schedules in the database: who may see and change them, and their definitions for the pure core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, not_, or_, select, true
from sqlalchemy.orm import Session

from tocsin.auth.models import Role, TeamMember, User
from tocsin.auth.service import can_configure, can_respond, owner_teams
from tocsin.clock import Clock
from tocsin.errors import Problem, forbidden, not_found
from tocsin.schedules.definitions import (
    WEEKDAYS,
    Layer,
    Override,
    Restriction,
    RotationLayer,
    ScheduleDefinition,
    ShiftUnit,
    StaticLayer,
    Window,
)
from tocsin.schedules.models import (
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
    ScheduleType,
    StaticShift,
    schedule_teams,
)
from tocsin.timezones import zone

MAX_RANGE = timedelta(days=366)


# --- visibility and permissions -------------------------------------------------------------


def visible_schedules(user: User) -> ColumnElement[bool]:
    """Admins see every schedule; others those of their teams and those that belong to no team."""
    if user.is_admin:
        return true()
    link = schedule_teams.c
    has_team = exists().where(link.schedule_id == Schedule.id)
    mine = exists().where(link.schedule_id == Schedule.id, link.team_id.in_(user.team_ids or {-1}))
    return or_(not_(has_team), mine)


def can_see(user: User, schedule: Schedule) -> bool:
    return user.is_admin or not schedule.teams or bool(schedule.team_ids & user.team_ids)


def get_visible_schedule(session: Session, user: User, schedule_id: int, *, for_update: bool = False) -> Schedule:
    schedule = session.get(Schedule, schedule_id, with_for_update=for_update or None)
    if schedule is None or not can_see(user, schedule):
        raise not_found("schedule")
    return schedule


def list_schedules(session: Session, user: User) -> list[Schedule]:
    return list(session.scalars(select(Schedule).where(visible_schedules(user)).order_by(Schedule.name, Schedule.id)))


def require_can_manage(user: User, schedule: Schedule) -> None:
    if user.is_admin:
        return
    if not can_configure(user):
        raise forbidden("your role may not change schedules")
    if not schedule.teams or not (schedule.team_ids & user.team_ids):
        raise forbidden("only admins and members of the schedule's teams may change it")


def may_be_on_call(schedule: Schedule, user: User) -> bool:
    """Responders (not read-only stakeholders) in the schedule's teams; in a schedule of no team, anyone."""
    return can_respond(user) and (not schedule.teams or bool(schedule.team_ids & user.team_ids))


def allowed_on(session: Session, schedule: Schedule, user_id: int) -> User:
    """The user, if they may be on call in the schedule (see may_be_on_call); 400 saying why not."""
    user = session.get(User, user_id)
    if user is None:
        raise Problem(400, f"user {user_id} does not exist", slug="unknown-user", field="user")
    if not can_respond(user):
        raise Problem(400, f"{user.name} has read-only access and cannot be on call", slug="read-only-user",
                      field="user")
    if not may_be_on_call(schedule, user):
        names = ", ".join(sorted(t.name for t in schedule.teams))
        raise Problem(400, f"{user.name} is not a member of the schedule's team(s) ({names})",
                      slug="user-not-in-team", field="user")
    return user


def allowed_users(session: Session, schedule: Schedule) -> list[User]:
    """Everyone `allowed_on` accepts for the schedule, by name."""
    query = select(User).where(User.role != Role.STAKEHOLDER.value).order_by(User.name, User.id)
    if schedule.teams:
        members = select(TeamMember.user_id).where(TeamMember.team_id.in_(schedule.team_ids))
        query = query.where(User.id.in_(members))
    return list(session.scalars(query))


def check_range(start: datetime, end: datetime, *, what: str = "range") -> Window:
    if end <= start:
        raise Problem(400, f"the {what} must end after it starts", slug="invalid-range", field="end")
    if end - start > MAX_RANGE:
        raise Problem(400, f"the {what} is longer than one year", slug="range-too-long", field="end")
    return Window(start, end)


# --- definitions ----------------------------------------------------------------------------


@dataclass
class LayerSpec:
    name: str
    start: datetime
    user_ids: list[int]
    unit: ShiftUnit = ShiftUnit.DAYS
    length: int = 1
    end: datetime | None = None
    restrictions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ScheduleSpec:
    name: str
    timezone: str
    type: ScheduleType = ScheduleType.RECURRING
    description: str | None = None
    team_ids: list[int] = field(default_factory=list)
    layers: list[LayerSpec] = field(default_factory=list)
    shifts: list[tuple[int, datetime, datetime]] = field(default_factory=list)


def restriction_of(doc: dict[str, Any]) -> Restriction:
    return Restriction(
        weekdays=frozenset(WEEKDAYS.index(day) for day in doc["weekdays"]),
        start=time.fromisoformat(doc["start"]),
        end=time.fromisoformat(doc["end"]),
    )


def _layer(layer: ScheduleLayer) -> RotationLayer:
    return RotationLayer(
        start=layer.start,
        end=layer.end,
        users=tuple(m.user_id for m in layer.members),
        unit=ShiftUnit(layer.shift_unit),
        length=layer.shift_length,
        restrictions=tuple(restriction_of(r) for r in layer.restrictions),
        key=f"layer:{layer.id}",
    )


def _layers(schedule: Schedule) -> tuple[Layer, ...]:
    if schedule.type == ScheduleType.STATIC.value:
        return (StaticLayer(tuple((s.user_id, s.start, s.end) for s in schedule.static_shifts), key="static"),)
    return tuple(_layer(layer) for layer in schedule.layers)


def overlapping(window: Window) -> ColumnElement[bool]:
    return (ScheduleOverride.end > window.start) & (ScheduleOverride.start < window.end)


def definitions(session: Session, schedules: Sequence[Schedule], window: Window) -> dict[int, ScheduleDefinition]:
    """Each schedule's definition with the overrides that touch the window (one query for all)."""
    overrides: dict[int, list[Override]] = defaultdict(list)
    if schedules:
        ids = [s.id for s in schedules]
        query = select(ScheduleOverride.id, ScheduleOverride.schedule_id, ScheduleOverride.user_id,
                       ScheduleOverride.start, ScheduleOverride.end)
        for row in session.execute(query.where(ScheduleOverride.schedule_id.in_(ids), overlapping(window))):
            overrides[row.schedule_id].append(Override(row.id, row.user_id, row.start, row.end))
    return {
        s.id: ScheduleDefinition(zone(s.timezone), _layers(s), tuple(overrides[s.id]))
        for s in schedules
    }


def definition(session: Session, schedule: Schedule, window: Window) -> ScheduleDefinition:
    return definitions(session, [schedule], window)[schedule.id]


# --- create, change, delete -----------------------------------------------------------------


def _apply(session: Session, user: User, schedule: Schedule, spec: ScheduleSpec) -> None:
    schedule.name = spec.name
    schedule.description = spec.description
    schedule.timezone = spec.timezone
    schedule.type = spec.type.value
    schedule.teams = owner_teams(session, user, spec.team_ids, "the schedule")
    schedule.layers = []
    schedule.static_shifts = []
    session.flush()
    if spec.type is ScheduleType.STATIC:
        if spec.layers:
            raise Problem(400, "a STATIC schedule has shifts, not layers", field="layers")
        ordered = sorted(spec.shifts, key=lambda s: s[1])
        for index, (user_id, start, end) in enumerate(ordered):
            check_range(start, end, what=f"shift {index + 1}")
            allowed_on(session, schedule, user_id)
            if index and start < ordered[index - 1][2]:
                raise Problem(400, f"shifts overlap at {start.isoformat()}; a static schedule has one person at a time",
                              field="shifts")
            schedule.static_shifts.append(StaticShift(user_id=user_id, start=start, end=end))
        return
    if spec.shifts:
        raise Problem(400, "a RECURRING schedule has layers, not shifts", field="shifts")
    for position, layer in enumerate(spec.layers):
        if layer.end is not None and layer.end <= layer.start:
            raise Problem(400, f"layer {position + 1} ({layer.name}) must end after it starts", field="layers")
        for user_id in layer.user_ids:
            allowed_on(session, schedule, user_id)
        row = ScheduleLayer(position=position, name=layer.name, start=layer.start, end=layer.end,
                            shift_unit=layer.unit.value, shift_length=layer.length, restrictions=layer.restrictions)
        row.members = [ScheduleLayerMember(position=i, user_id=uid) for i, uid in enumerate(layer.user_ids)]
        schedule.layers.append(row)


def create_schedule(session: Session, clock: Clock, user: User, spec: ScheduleSpec) -> Schedule:
    if not can_configure(user):
        raise forbidden("your role may not create schedules")
    now = clock.now()
    schedule = Schedule(created_at=now, updated_at=now)
    session.add(schedule)
    _apply(session, user, schedule, spec)
    session.flush()
    return schedule


def update_schedule(session: Session, clock: Clock, user: User, schedule: Schedule, spec: ScheduleSpec) -> None:
    require_can_manage(user, schedule)
    _apply(session, user, schedule, spec)
    schedule.updated_at = clock.now()
    session.flush()


def delete_schedule(session: Session, user: User, schedule: Schedule) -> None:
    require_can_manage(user, schedule)
    session.delete(schedule)
    session.flush()


def people_of(schedule: Schedule) -> set[int]:
    """Everyone the layers or explicit shifts can put on call."""
    ids = {m.user_id for layer in schedule.layers for m in layer.members}
    return ids | {s.user_id for s in schedule.static_shifts}


def schedules_of_user(session: Session, user_id: int, window: Window) -> list[Schedule]:
    """Schedules in which the user may be on call during the window (a layer, a shift or an override)."""
    in_layer = select(ScheduleLayer.schedule_id).join(ScheduleLayerMember).where(ScheduleLayerMember.user_id == user_id)
    in_static = select(StaticShift.schedule_id).where(StaticShift.user_id == user_id)
    in_override = select(ScheduleOverride.schedule_id).where(ScheduleOverride.user_id == user_id, overlapping(window))
    query = select(Schedule).where(Schedule.id.in_(in_layer.union(in_static, in_override))).order_by(Schedule.id)
    return list(session.scalars(query))
