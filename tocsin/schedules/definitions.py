"""The pure shapes of a schedule: layers (rotations or explicit shifts), restrictions, overrides, shifts.

All instants are timezone-aware UTC datetimes. Wall-clock values (handoff times, restriction
windows) are read in the schedule's zone; a wall time that does not exist (spring forward) or exists
twice (fall back) is read as RFC 5545 says: with the UTC offset in force before the transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ShiftUnit(StrEnum):
    HOURS = "HOURS"
    DAYS = "DAYS"
    WEEKS = "WEEKS"


WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class Restriction:
    """On call only inside these windows: on each listed weekday from `start` to `end` (wall clock).

    An `end` at or before `start` runs into the next day, so 18:00-08:00 is an evening-to-morning
    window and 00:00-00:00 a whole day.
    """

    weekdays: frozenset[int]  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True)
class RotationLayer:
    """Users take turns: users[0] from `start` for one shift length, then users[1], and so on.

    `start` fixes the handoff: its wall-clock time (and weekday, for weekly shifts) in the schedule's
    zone is when every later shift begins, whatever the UTC offset is then.
    """

    start: datetime
    users: tuple[int, ...]
    unit: ShiftUnit = ShiftUnit.DAYS
    length: int = 1
    end: datetime | None = None
    restrictions: tuple[Restriction, ...] = ()
    key: str = "layer"  # names the layer in computed shifts


@dataclass(frozen=True)
class StaticLayer:
    """A list of explicit shifts (user, start, end) instead of a rotation."""

    shifts: tuple[tuple[int, datetime, datetime], ...]
    key: str = "static"


Layer = RotationLayer | StaticLayer


@dataclass(frozen=True)
class Override:
    id: int
    user_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ScheduleDefinition:
    timezone: ZoneInfo
    layers: tuple[Layer, ...]  # lowest priority first: a later layer wins where it has someone
    overrides: tuple[Override, ...] = ()  # never overlapping; they win over every layer


@dataclass(frozen=True)
class Shift:
    """One person on call from `start` to `end`; `source` is a layer key or "override"."""

    user_id: int
    start: datetime
    end: datetime
    source: str
    override_id: int | None = None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a window cannot end before it starts")


@dataclass
class OnCallAnswer:
    user_id: int | None
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    next_user_id: int | None = None
    next_start: datetime | None = None
    shifts: list[Shift] = field(default_factory=list)
