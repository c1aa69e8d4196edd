"""API shapes for schedules, shifts, on-call answers, overrides and calendar feeds."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from tocsin.alerts.schemas import IdRef, Name, NamedRef
from tocsin.schedules.compose import OVERRIDE
from tocsin.schedules.definitions import WEEKDAYS, OnCallAnswer, Shift, ShiftUnit
from tocsin.schedules.models import Schedule, ScheduleLayer, ScheduleOverride, ScheduleType
from tocsin.schedules.service import LayerSpec, ScheduleSpec
from tocsin.schemas import ApiInput, ApiModel, OnCallTime, UserRef
from tocsin.timezones import require_timezone

MAX_LAYERS = 10
MAX_LAYER_USERS = 100
MAX_STATIC_SHIFTS = 1000
MAX_SHIFT_LENGTH = {ShiftUnit.HOURS: 24 * 366, ShiftUnit.DAYS: 366, ShiftUnit.WEEKS: 53}

Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
TimeZoneName = Annotated[str, Field(max_length=64, examples=["Europe/Berlin"]), AfterValidator(require_timezone)]


def _wall_time(value: str) -> str:
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day like 18:00") from None
    if parsed.tzinfo is not None or parsed.second or parsed.microsecond:
        raise ValueError(f"{value!r}: give hours and minutes only, in the schedule's zone (e.g. 18:00)")
    return parsed.strftime("%H:%M")


WallTime = Annotated[str, Field(max_length=8, examples=["18:00"]), AfterValidator(_wall_time)]


class RestrictionIo(ApiInput):
    """On call only from `start` to `end` on each listed weekday; an end at or before the start is the next day."""

    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    start: WallTime
    end: WallTime

    def doc(self) -> dict[str, Any]:
        days = sorted(set(self.weekdays), key=WEEKDAYS.index)
        return {"weekdays": days, "start": self.start, "end": self.end}


class LayerIn(ApiInput):
    name: Name | None = None
    start: OnCallTime = Field(description="First handoff; its wall-clock time in the zone is the handoff time")
    end: OnCallTime | None = None
    users: list[IdRef] = Field(min_length=1, max_length=MAX_LAYER_USERS, description="The rotation, in order")
    shift_unit: ShiftUnit = ShiftUnit.DAYS
    shift_length: int = Field(default=1, ge=1, description="Shift length in shiftUnit (e.g. 1 WEEKS)")
    restrictions: list[RestrictionIo] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _length(self) -> LayerIn:
        limit = MAX_SHIFT_LENGTH[self.shift_unit]
        if self.shift_length > limit:
            raise ValueError(f"shiftLength is at most {limit} {self.shift_unit.value}")
        return self


class StaticShiftIn(ApiInput):
    user: IdRef
    start: OnCallTime
    end: OnCallTime


class ScheduleIn(ApiInput):
    name: Name
    description: str | None = Field(default=None, max_length=2000)
    timezone: TimeZoneName
    type: ScheduleType = ScheduleType.RECURRING
    teams: list[IdRef] = Field(default_factory=list, max_length=50)
    layers: list[LayerIn] = Field(default_factory=list, max_length=MAX_LAYERS,
                                  description="Lowest priority first: a later layer wins where it has someone")
    shifts: list[StaticShiftIn] = Field(default_factory=list, max_length=MAX_STATIC_SHIFTS,
                                        description="The explicit shifts of a STATIC schedule")

    def spec(self) -> ScheduleSpec:
        return ScheduleSpec(
            name=self.name.strip(),
            timezone=self.timezone,
            type=self.type,
            description=self.description,
            team_ids=[t.id for t in self.teams],
            layers=[
                LayerSpec(
                    name=(layer.name or f"Layer {i + 1}").strip(), start=layer.start, end=layer.end,
                    user_ids=[u.id for u in layer.users], unit=layer.shift_unit, length=layer.shift_length,
                    restrictions=[r.doc() for r in layer.restrictions],
                )
                for i, layer in enumerate(self.layers)
            ],
            shifts=[(s.user.id, s.start, s.end) for s in self.shifts],
        )


class UserTz(ApiModel):
    id: int
    name: str
    timezone: str


class RestrictionOut(ApiModel):
    weekdays: list[str]
    start: str
    end: str


class LayerOut(ApiModel):
    id: int
    name: str
    start: datetime
    end: datetime | None
    users: list[UserRef]
    shift_unit: ShiftUnit
    shift_length: int
    restrictions: list[RestrictionOut]

    @classmethod
    def of(cls, layer: ScheduleLayer, names: dict[int, str]) -> LayerOut:
        return cls(
            id=layer.id, name=layer.name, start=layer.start, end=layer.end,
            users=[UserRef(id=m.user_id, name=names.get(m.user_id, "")) for m in layer.members],
            shift_unit=ShiftUnit(layer.shift_unit), shift_length=layer.shift_length,
            restrictions=[RestrictionOut(**r) for r in layer.restrictions],
        )


class StaticShiftOut(ApiModel):
    user: UserRef
    start: datetime
    end: datetime


class ScheduleOut(ApiModel):
    id: int
    name: str
    description: str | None
    timezone: str
    type: ScheduleType
    teams: list[NamedRef]
    layers: list[LayerOut]
    shifts: list[StaticShiftOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, schedule: Schedule, names: dict[int, str]) -> ScheduleOut:
        return cls(
            id=schedule.id, name=schedule.name, description=schedule.description, timezone=schedule.timezone,
            type=ScheduleType(schedule.type), teams=[NamedRef(id=t.id, name=t.name) for t in schedule.teams],
            layers=[LayerOut.of(layer, names) for layer in schedule.layers],
            shifts=[StaticShiftOut(user=UserRef(id=s.user_id, name=names.get(s.user_id, "")), start=s.start, end=s.end)
                    for s in schedule.static_shifts],
            created_at=schedule.created_at, updated_at=schedule.updated_at,
        )


class ShiftSource(ApiModel):
    type: Literal["LAYER", "STATIC", "OVERRIDE"]
    layer_id: int | None = None
    layer_name: str | None = None
    override_id: int | None = None


def shift_source(shift: Shift, layer_names: dict[int, str]) -> ShiftSource:
    if shift.source == OVERRIDE:
        return ShiftSource(type="OVERRIDE", override_id=shift.override_id)
    if shift.source.startswith("layer:"):
        layer_id = int(shift.source.removeprefix("layer:"))
        return ShiftSource(type="LAYER", layer_id=layer_id, layer_name=layer_names.get(layer_id))
    return ShiftSource(type="STATIC")


class ShiftOut(ApiModel):
    user: UserRef
    start: datetime
    end: datetime
    source: ShiftSource

    @classmethod
    def of(cls, shift: Shift, names: dict[int, str], layer_names: dict[int, str]) -> ShiftOut:
        return cls(user=UserRef(id=shift.user_id, name=names.get(shift.user_id, "")), start=shift.start,
                   end=shift.end, source=shift_source(shift, layer_names))


class LayerShiftsOut(ApiModel):
    layer: NamedRef
    shifts: list[ShiftOut]


class ShiftsOut(ApiModel):
    schedule: NamedRef
    from_: datetime = Field(alias="from")
    until: datetime
    shifts: list[ShiftOut] = Field(description="Final shifts: who is paged, and from which layer or override")
    layers: list[LayerShiftsOut] | None = Field(default=None, description="Each layer's own shifts (includeLayers)")


class NextUp(ApiModel):
    user: UserRef
    start: datetime


class OnCallOut(ApiModel):
    schedule: NamedRef
    at: datetime
    user: UserTz | None = Field(description="Who is on call at `at`; null when nobody is")
    since: datetime | None
    until: datetime | None
    source: ShiftSource | None
    next: NextUp | None

    @classmethod
    def of(cls, schedule: Schedule, at: datetime, answer: OnCallAnswer, users: dict[int, tuple[str, str]],
           layer_names: dict[int, str]) -> OnCallOut:
        def tz_user(user_id: int) -> UserTz:
            name, timezone = users.get(user_id, ("", "UTC"))
            return UserTz(id=user_id, name=name, timezone=timezone)

        current = next((s for s in answer.shifts if s.start <= at < s.end), None)
        following = None
        if answer.next_user_id is not None and answer.next_start is not None:
            following = NextUp(user=UserRef(id=answer.next_user_id, name=users.get(answer.next_user_id, ("", ""))[0]),
                               start=answer.next_start)
        return cls(
            schedule=NamedRef(id=schedule.id, name=schedule.name), at=at,
            user=tz_user(answer.user_id) if answer.user_id is not None else None,
            since=answer.since, until=answer.until,
            source=shift_source(current, layer_names) if current else None, next=following,
        )


class OverrideIn(ApiInput):
    user: IdRef
    start: OnCallTime
    end: OnCallTime


class OverrideOut(ApiModel):
    id: int
    user: UserRef
    start: datetime
    end: datetime
    created_by: int | None
    created_at: datetime

    @classmethod
    def of(cls, override: ScheduleOverride) -> OverrideOut:
        return cls(id=override.id, user=UserRef(id=override.user.id, name=override.user.name), start=override.start,
                   end=override.end, created_by=override.created_by_id, created_at=override.created_at)


class OverrideCreated(ApiModel):
    override: OverrideOut
    replaced: list[ShiftOut] = Field(description="Who was on call in that range before, piece by piece")


class TakeIn(ApiInput):
    start: OnCallTime | None = Field(default=None, description="Default: now")
    end: OnCallTime | None = Field(default=None, description="Default: the end of the current on-call shift")


class MyShiftOut(ApiModel):
    schedule: NamedRef
    start: datetime
    end: datetime
    source: ShiftSource


class PolicyLevelOnCall(ApiModel):
    level: int
    users: list[UserRef]


class PolicyOnCall(ApiModel):
    policy: NamedRef
    levels: list[PolicyLevelOnCall]


class OnCallEverywhere(ApiModel):
    at: datetime
    schedules: list[OnCallOut]
    escalation_policies: list[PolicyOnCall]


class CalendarFeedIn(ApiInput):
    schedule: IdRef | None = Field(default=None, description="A schedule's feed; omit for a feed of your own shifts")


class CalendarFeedOut(ApiModel):
    id: int
    schedule: NamedRef | None
    token_hint: str
    created_at: datetime
    last_used_at: datetime | None
    url: str | None = Field(default=None, description="The secret feed URL: only in the answer to create")


class ShiftReminderIo(ApiInput):
    minutes_before: int | None = Field(
        default=None, ge=1, le=7 * 24 * 60, description="Remind this long before each shift; null turns it off"
    )

    @field_validator("minutes_before", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("minutesBefore is a number of minutes")
        return value
