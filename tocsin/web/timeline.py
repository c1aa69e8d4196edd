"""A week of shifts laid out for the schedule page: one row per day in the reader's zone, each shift a
block on a 24-hour bar in quarter hours (CSS grid columns; the page's CSP allows no inline styles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.schedules.definitions import Shift
from tocsin.web.times import local_midnight

QUARTERS = 96
PALETTE = 8


@dataclass(frozen=True)
class Block:
    user_id: int
    start: datetime  # the part of the shift on this day
    end: datetime
    first: int  # quarter hour it starts in, 0-95
    last: int  # quarter hour it ends at, 1-96


@dataclass(frozen=True)
class DayRow:
    day: date
    blocks: list[Block]


@dataclass(frozen=True)
class Track:
    key: str
    label: str
    kind: str  # final | overrides | layer
    rows: list[DayRow]

    @property
    def empty(self) -> bool:
        return not any(row.blocks for row in self.rows)


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(7)]


def _quarter(moment: datetime, day: date, tz: ZoneInfo, *, end: bool) -> int:
    local = moment.astimezone(tz)
    if local.date() > day:
        return QUARTERS
    minutes = local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
    return min(QUARTERS, -(-minutes // 15)) if end else minutes // 15


def joined(shifts: list[Shift]) -> list[Shift]:
    """One person's pieces that follow each other (two layers, a rotation handing over to the same person)
    drawn as one block."""
    result: list[Shift] = []
    for shift in sorted(shifts, key=lambda s: s.start):
        last = result[-1] if result else None
        if last is not None and last.user_id == shift.user_id and last.end == shift.start:
            result[-1] = Shift(last.user_id, last.start, shift.end, last.source, last.override_id)
        else:
            result.append(shift)
    return result


def rows(shifts: list[Shift], days: list[date], tz: ZoneInfo) -> list[DayRow]:
    result = []
    shifts = joined(shifts)
    for day in days:
        lo, hi = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
        blocks = []
        for shift in shifts:
            start, end = max(shift.start, lo), min(shift.end, hi)
            if start >= end:
                continue
            first = _quarter(start, day, tz, end=False)
            last = max(first + 1, _quarter(end, day, tz, end=True))
            blocks.append(Block(shift.user_id, start, end, first, min(last, QUARTERS)))
        result.append(DayRow(day, blocks))
    return result


def colours(*shift_lists: list[Shift]) -> dict[int, int]:
    """A palette slot per person, in order of first appearance, so one person has one colour on the page."""
    slots: dict[int, int] = {}
    for shifts in shift_lists:
        for shift in shifts:
            slots.setdefault(shift.user_id, len(slots) % PALETTE)
    return slots
