"""The final schedule: overrides over the layers, later layers over earlier ones, and who is on call."""

from __future__ import annotations

from datetime import datetime, timedelta

from tocsin.schedules.definitions import OnCallAnswer, Override, ScheduleDefinition, Shift, Window
from tocsin.schedules.rotation import intersect, layer_shifts

OVERRIDE = "override"
# How far the on-call answer looks back (since when) and ahead (until when, who is next).
ON_CALL_HORIZON = timedelta(days=92)


def override_shifts(overrides: tuple[Override, ...], window: Window) -> list[Shift]:
    shifts = []
    for o in sorted(overrides, key=lambda o: o.start):
        lo, hi = max(o.start, window.start), min(o.end, window.end)
        if lo < hi:
            shifts.append(Shift(o.user_id, lo, hi, OVERRIDE, o.id))
    return shifts


def final_shifts(definition: ScheduleDefinition, window: Window) -> list[Shift]:
    """Who is on call when inside the window: contiguous pieces of one user from one source are merged.

    Paints from the top: overrides first, then each layer from the highest down fills only the gaps
    left by those above it.
    """
    painted = override_shifts(definition.overrides, window)
    for layer in reversed(definition.layers):
        below = layer_shifts(layer, definition.timezone, window)
        if not below:
            continue
        if painted:
            below = intersect(below, _gaps(painted, window))
            painted = sorted(painted + below, key=lambda s: s.start)
        else:
            painted = below
    return _merged(painted)


def _gaps(shifts: list[Shift], window: Window) -> list[tuple[datetime, datetime]]:
    gaps = []
    cursor = window.start
    for shift in shifts:
        if shift.start > cursor:
            gaps.append((cursor, shift.start))
        cursor = max(cursor, shift.end)
    if cursor < window.end:
        gaps.append((cursor, window.end))
    return gaps


def _merged(shifts: list[Shift]) -> list[Shift]:
    result: list[Shift] = []
    for shift in shifts:
        last = result[-1] if result else None
        if (
            last is not None
            and last.end == shift.start
            and (last.user_id, last.source, last.override_id) == (shift.user_id, shift.source, shift.override_id)
        ):
            result[-1] = Shift(last.user_id, last.start, shift.end, last.source, last.override_id)
        else:
            result.append(shift)
    return result


def on_call_at(definition: ScheduleDefinition, at: datetime) -> Shift | None:
    """The final shift piece covering `at`, or None when nobody is on call."""
    shifts = final_shifts(definition, Window(at, at + timedelta(microseconds=1)))
    return shifts[0] if shifts else None


def on_call_answer(definition: ScheduleDefinition, at: datetime, horizon: timedelta = ON_CALL_HORIZON) -> OnCallAnswer:
    """Who is on call at `at`, since when and until when (across sources), and who comes next.

    Looks a couple of days around `at` first and widens the window only while the answer reaches
    its edge, up to `horizon` each way.
    """
    reach = min(timedelta(days=2), horizon)
    while True:
        window = Window(at - reach, at + reach)
        answer = answer_within(final_shifts(definition, window), at)
        reaches_edge = (
            (answer.since == window.start)
            or (answer.until == window.end)
            or (answer.next_start is None)
        )
        if not reaches_edge or reach >= horizon:
            return answer
        reach = min(reach * 4, horizon)


def answer_within(shifts: list[Shift], at: datetime) -> OnCallAnswer:
    current = next((i for i, s in enumerate(shifts) if s.start <= at < s.end), None)
    if current is None:
        upcoming = next((s for s in shifts if s.start > at), None)
        return OnCallAnswer(
            user_id=None,
            next_user_id=upcoming.user_id if upcoming else None,
            next_start=upcoming.start if upcoming else None,
        )
    user = shifts[current].user_id
    first = last = current
    while first > 0 and shifts[first - 1].user_id == user and shifts[first - 1].end == shifts[first].start:
        first -= 1
    while last + 1 < len(shifts) and shifts[last + 1].user_id == user and shifts[last + 1].start == shifts[last].end:
        last += 1
    following = shifts[last + 1] if last + 1 < len(shifts) else None
    return OnCallAnswer(
        user_id=user,
        since=shifts[first].start,
        until=shifts[last].end,
        source=shifts[current].source,
        next_user_id=following.user_id if following else None,
        next_start=following.start if following else None,
        shifts=shifts[first : last + 1],
    )
