"""Rotations on the wall clock: handoffs, DST days, restrictions, static layers, priority of layers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from tocsin.schedules.compose import final_shifts, on_call_answer, on_call_at
from tocsin.schedules.definitions import (
    Override,
    Restriction,
    RotationLayer,
    ScheduleDefinition,
    ShiftUnit,
    StaticLayer,
    Window,
)
from tocsin.schedules.rotation import layer_shifts

BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
A, B, C = 1, 2, 3


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def hours(shift: object) -> float:
    return shift.duration.total_seconds() / 3600  # type: ignore[attr-defined]


def test_daily_rotation_hands_over_at_the_handoff_time_in_turn() -> None:
    layer = RotationLayer(start=local(BERLIN, 2026, 1, 5, 9), users=(A, B, C))
    shifts = layer_shifts(layer, BERLIN, Window(local(BERLIN, 2026, 1, 5, 0), local(BERLIN, 2026, 1, 9, 0)))
    assert [(s.user_id, s.start.astimezone(BERLIN).hour) for s in shifts] == [(A, 9), (B, 9), (C, 9), (A, 9)]
    assert shifts[-1].end == local(BERLIN, 2026, 1, 9, 0)  # clipped to the window


def test_daily_shift_is_23_hours_on_spring_forward_and_25_on_fall_back_in_berlin() -> None:
    layer = RotationLayer(start=local(BERLIN, 2026, 3, 1, 9), users=(A, B))
    spring = layer_shifts(layer, BERLIN, Window(local(BERLIN, 2026, 3, 28, 9), local(BERLIN, 2026, 3, 30, 9)))
    assert [hours(s) for s in spring] == [23, 24]
    assert spring[0].end == utc(2026, 3, 29, 7)  # 09:00 CEST
    fall = layer_shifts(layer, BERLIN, Window(local(BERLIN, 2026, 10, 24, 9), local(BERLIN, 2026, 10, 26, 9)))
    assert [hours(s) for s in fall] == [25, 24]
    assert all(s.start.astimezone(BERLIN).time() == time(9) for s in spring + fall)


def test_handoff_at_0230_in_berlin_uses_the_offset_before_the_gap_and_the_first_of_the_repeats() -> None:
    layer = RotationLayer(start=local(BERLIN, 2026, 3, 20, 2, 30), users=(A, B))
    spring = layer_shifts(layer, BERLIN, Window(utc(2026, 3, 28, 0), utc(2026, 3, 31, 0)))
    starts = [s.start for s in spring]
    # 02:30 does not exist on 29 March: read with +01:00, it is 01:30 UTC (03:30 CEST).
    assert utc(2026, 3, 29, 1, 30) in starts
    assert utc(2026, 3, 30, 0, 30) in starts  # 02:30 CEST on the next day
    fall = layer_shifts(layer, BERLIN, Window(utc(2026, 10, 24, 0), utc(2026, 10, 27, 0)))
    starts = [s.start for s in fall]
    # 02:30 happens twice on 25 October: the first one (CEST, 00:30 UTC) is the handoff.
    assert utc(2026, 10, 25, 0, 30) in starts
    assert utc(2026, 10, 26, 1, 30) in starts
    lengths = {s.start: hours(s) for s in fall if s.start.day in (24, 25) and s.start != fall[0].start}
    assert lengths[utc(2026, 10, 25, 0, 30)] == 25


def test_handoff_at_0230_in_chicago_across_both_changes() -> None:
    layer = RotationLayer(start=local(CHICAGO, 2026, 3, 1, 2, 30), users=(A, B, C))
    spring = layer_shifts(layer, CHICAGO, Window(utc(2026, 3, 7, 12), utc(2026, 3, 10, 12)))
    starts = [s.start for s in spring]
    assert utc(2026, 3, 8, 8, 30) in starts  # 02:30 CST offset read in the gap = 03:30 CDT
    assert utc(2026, 3, 9, 7, 30) in starts  # 02:30 CDT
    fall = layer_shifts(layer, CHICAGO, Window(utc(2026, 10, 31, 7, 30), utc(2026, 11, 2, 8, 30)))
    assert [(s.start, hours(s)) for s in fall] == [(utc(2026, 10, 31, 7, 30), 25), (utc(2026, 11, 1, 8, 30), 24)]


def test_weekly_rotation_across_a_year_keeps_monday_0900_local() -> None:
    layer = RotationLayer(start=local(BERLIN, 2026, 1, 5, 9), users=(A, B, C), unit=ShiftUnit.WEEKS)
    shifts = layer_shifts(layer, BERLIN, Window(local(BERLIN, 2026, 1, 5, 9), local(BERLIN, 2027, 1, 4, 9)))
    assert len(shifts) == 52
    assert all(s.start.astimezone(BERLIN).weekday() == 0 and s.start.astimezone(BERLIN).hour == 9 for s in shifts)
    assert [s.user_id for s in shifts[:4]] == [A, B, C, A]
    assert sorted({hours(s) for s in shifts}) == [167, 168, 169]
    assert all(a.end == b.start for a, b in itertools.pairwise(shifts))


def test_hourly_shifts_follow_the_wall_clock() -> None:
    layer = RotationLayer(start=local(BERLIN, 2026, 3, 28, 8), users=(A, B), unit=ShiftUnit.HOURS, length=12)
    shifts = layer_shifts(layer, BERLIN, Window(local(BERLIN, 2026, 3, 28, 20), local(BERLIN, 2026, 3, 29, 20)))
    assert [(s.user_id, hours(s)) for s in shifts] == [(B, 11), (A, 12)]


def test_layer_end_and_start_bound_the_rotation() -> None:
    layer = RotationLayer(start=utc(2026, 3, 2), end=utc(2026, 3, 4, 12), users=(A, B))
    shifts = layer_shifts(layer, UTC_ZONE, Window(utc(2026, 3, 1), utc(2026, 3, 10)))
    assert [(s.user_id, s.start, s.end) for s in shifts] == [
        (A, utc(2026, 3, 2), utc(2026, 3, 3)),
        (B, utc(2026, 3, 3), utc(2026, 3, 4)),
        (A, utc(2026, 3, 4), utc(2026, 3, 4, 12)),
    ]


UTC_ZONE = ZoneInfo("UTC")


def test_restrictions_keep_only_nights_and_weekends() -> None:
    nights = Restriction(frozenset(range(5)), time(18), time(8))
    weekend = Restriction(frozenset({5, 6}), time(0), time(0))
    layer = RotationLayer(start=local(BERLIN, 2026, 3, 2, 9), users=(A, B), unit=ShiftUnit.WEEKS,
                          restrictions=(nights, weekend))
    shifts = layer_shifts(layer, BERLIN, Window(local(BERLIN, 2026, 3, 2, 9), local(BERLIN, 2026, 3, 10, 9)))
    wall = [(s.start.astimezone(BERLIN).strftime("%a %H:%M"), s.end.astimezone(BERLIN).strftime("%a %H:%M"))
            for s in shifts]
    assert wall == [
        ("Mon 18:00", "Tue 08:00"), ("Tue 18:00", "Wed 08:00"), ("Wed 18:00", "Thu 08:00"),
        ("Thu 18:00", "Fri 08:00"), ("Fri 18:00", "Mon 00:00"), ("Mon 18:00", "Tue 08:00"),
    ]
    # Sunday night is not a weekday night: the weekend window ends at Monday 00:00.
    assert [s.user_id for s in shifts] == [A, A, A, A, A, B]


def test_static_layer_and_priority_of_layers_and_overrides() -> None:
    base = RotationLayer(start=utc(2026, 3, 2), users=(A,), key="base")
    extra = StaticLayer(shifts=((B, utc(2026, 3, 2, 10), utc(2026, 3, 2, 12)),), key="extra")
    override = Override(id=7, user_id=C, start=utc(2026, 3, 2, 11), end=utc(2026, 3, 2, 13))
    definition = ScheduleDefinition(UTC_ZONE, (base, extra), (override,))
    shifts = final_shifts(definition, Window(utc(2026, 3, 2, 9), utc(2026, 3, 2, 15)))
    assert [(s.user_id, s.start.hour, s.end.hour, s.source) for s in shifts] == [
        (A, 9, 10, "base"), (B, 10, 11, "extra"), (C, 11, 13, "override"), (A, 13, 15, "base"),
    ]
    assert shifts[2].override_id == 7
    assert on_call_at(definition, utc(2026, 3, 2, 12)).user_id == C  # type: ignore[union-attr]


def test_on_call_answer_says_since_until_and_who_is_next() -> None:
    layer = RotationLayer(start=utc(2026, 3, 2, 9), users=(A, B))
    override = Override(id=1, user_id=A, start=utc(2026, 3, 3, 9), end=utc(2026, 3, 3, 12))
    answer = on_call_answer(ScheduleDefinition(UTC_ZONE, (layer,), (override,)), utc(2026, 3, 2, 20))
    # A's own shift runs into the override of A: one continuous stretch until 12:00 the next day.
    assert (answer.user_id, answer.since, answer.until) == (A, utc(2026, 3, 2, 9), utc(2026, 3, 3, 12))
    assert (answer.next_user_id, answer.next_start) == (B, utc(2026, 3, 3, 12))
    nobody = on_call_answer(ScheduleDefinition(UTC_ZONE, (layer,)), utc(2026, 3, 1))
    assert nobody.user_id is None and nobody.next_user_id == A and nobody.next_start == utc(2026, 3, 2, 9)


def test_a_schedule_without_layers_has_nobody() -> None:
    definition = ScheduleDefinition(BERLIN, ())
    assert final_shifts(definition, Window(utc(2026, 1, 1), utc(2027, 1, 1))) == []
    assert on_call_at(definition, utc(2026, 6, 1)) is None
