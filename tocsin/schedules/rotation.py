"""One layer's shifts inside a window: rotation handoffs on the wall clock, then restrictions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.schedules.definitions import Layer, Restriction, RotationLayer, Shift, ShiftUnit, Window

Interval = tuple[datetime, datetime]

_UNIT = {ShiftUnit.HOURS: timedelta(hours=1), ShiftUnit.DAYS: timedelta(days=1), ShiftUnit.WEEKS: timedelta(weeks=1)}


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in `zone` as UTC; gaps and repeats read with the earlier offset (RFC 5545)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def utc_to_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def layer_shifts(layer: Layer, zone: ZoneInfo, window: Window) -> list[Shift]:
    """The layer's shifts clipped to the window, in order, never overlapping."""
    if isinstance(layer, RotationLayer):
        shifts = _rotation(layer, zone, window)
        if layer.restrictions and shifts:
            allowed = restriction_intervals(layer.restrictions, zone, shifts[0].start, shifts[-1].end)
            shifts = intersect(shifts, allowed)
        return shifts
    shifts = []
    for user_id, start, end in sorted(layer.shifts, key=lambda s: s[1]):
        lo, hi = max(start, window.start), min(end, window.end)
        if lo < hi:
            shifts.append(Shift(user_id, lo, hi, layer.key))
    return shifts


def _rotation(layer: RotationLayer, zone: ZoneInfo, window: Window) -> list[Shift]:
    lo = max(window.start, layer.start)
    hi = min(window.end, layer.end) if layer.end else window.end
    if lo >= hi or not layer.users:
        return []
    anchor = utc_to_wall(layer.start, zone)
    step = _UNIT[layer.unit] * layer.length

    def handoff(k: int) -> datetime:
        return layer.start if k == 0 else wall_to_utc(anchor + step * k, zone)

    k = max(0, (utc_to_wall(lo, zone) - anchor) // step)
    while k > 0 and handoff(k) > lo:
        k -= 1
    while handoff(k + 1) <= lo:
        k += 1
    shifts: list[Shift] = []
    start = handoff(k)
    while start < hi:
        end = handoff(k + 1)
        piece_start, piece_end = max(start, lo), min(end, hi)
        if piece_start < piece_end:
            shifts.append(Shift(layer.users[k % len(layer.users)], piece_start, piece_end, layer.key))
        k += 1
        start = end
    return shifts


def restriction_intervals(
    restrictions: Iterable[Restriction], zone: ZoneInfo, start: datetime, end: datetime
) -> list[Interval]:
    """The instants between `start` and `end` that fall in any restriction window, merged and sorted."""
    first_day = utc_to_wall(start, zone).date() - timedelta(days=1)
    last_day = utc_to_wall(end, zone).date()
    raw: list[Interval] = []
    day = first_day
    while day <= last_day:
        for rule in restrictions:
            if day.weekday() not in rule.weekdays:
                continue
            begins = datetime.combine(day, rule.start)
            ends = datetime.combine(day if rule.end > rule.start else day + timedelta(days=1), rule.end)
            lo, hi = max(wall_to_utc(begins, zone), start), min(wall_to_utc(ends, zone), end)
            if lo < hi:
                raw.append((lo, hi))
        day += timedelta(days=1)
    raw.sort()
    merged: list[Interval] = []
    for lo, hi in raw:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def intersect(shifts: list[Shift], allowed: list[Interval]) -> list[Shift]:
    """The parts of the (ordered, non-overlapping) shifts inside the (ordered, disjoint) intervals."""
    result: list[Shift] = []
    i = 0
    for shift in shifts:
        while i < len(allowed) and allowed[i][1] <= shift.start:
            i += 1
        j = i
        while j < len(allowed) and allowed[j][0] < shift.end:
            lo, hi = max(shift.start, allowed[j][0]), min(shift.end, allowed[j][1])
            if lo < hi:
                result.append(Shift(shift.user_id, lo, hi, shift.source))
            j += 1
    return result
