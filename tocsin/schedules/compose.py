"""The final schedule: overrides over the layers, later layers over earlier ones, and who is on call."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from tocsin.schedules.definitions import OnCallAnswer, Override, ScheduleDefinition, Shift, Window
from tocsin.schedules.rotation import layer_shifts

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
    """Who is on call when inside the window: contiguous pieces of one user from one source are merged."""
    tracks = [layer_shifts(layer, definition.timezone, window) for layer in definition.layers]
    tracks.append(override_shifts(definition.overrides, window))
    boundaries = sorted({t for track in tracks for s in track for t in (s.start, s.end)})
    cursors = [0] * len(tracks)
    result: list[Shift] = []
    for lo, hi in pairwise(boundaries):
        winner: Shift | None = None
        for index in range(len(tracks) - 1, -1, -1):
            track = tracks[index]
            while cursors[index] < len(track) and track[cursors[index]].end <= lo:
                cursors[index] += 1
            if cursors[index] < len(track) and track[cursors[index]].start <= lo:
                winner = track[cursors[index]]
                break
        if winner is None:
            continue
        last = result[-1] if result else None
        if (
            last is not None
            and last.end == lo
            and (last.user_id, last.source, last.override_id) == (winner.user_id, winner.source, winner.override_id)
        ):
            result[-1] = Shift(last.user_id, last.start, hi, last.source, last.override_id)
        else:
            result.append(Shift(winner.user_id, lo, hi, winner.source, winner.override_id))
    return result


def on_call_at(definition: ScheduleDefinition, at: datetime) -> Shift | None:
    """The final shift piece covering `at`, or None when nobody is on call."""
    shifts = final_shifts(definition, Window(at, at + timedelta(microseconds=1)))
    return shifts[0] if shifts else None


def on_call_answer(definition: ScheduleDefinition, at: datetime, horizon: timedelta = ON_CALL_HORIZON) -> OnCallAnswer:
    """Who is on call at `at`, since when and until when (across sources), and who comes next."""
    shifts = final_shifts(definition, Window(at - horizon, at + horizon))
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
