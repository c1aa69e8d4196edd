"""Properties of the schedule computation for any layers, restrictions, overrides and window."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocsin.schedules.compose import ON_CALL_HORIZON, OVERRIDE, answer_within, final_shifts, on_call_answer
from tocsin.schedules.definitions import (
    Override,
    Restriction,
    RotationLayer,
    ScheduleDefinition,
    Shift,
    ShiftUnit,
    Window,
)
from tocsin.schedules.rotation import layer_shifts, wall_to_utc

ZONES = [ZoneInfo(name) for name in ("Europe/Berlin", "America/Chicago", "UTC", "Australia/Lord_Howe")]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 60 * 24 * 400  # instants fall in 2026 and early 2027, across every DST change


def instants() -> st.SearchStrategy[datetime]:
    return st.integers(0, SPAN_MINUTES).map(lambda m: EPOCH + timedelta(minutes=m))


restrictions = st.builds(
    Restriction,
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    start=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    end=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
)


@st.composite
def layers(draw: st.DrawFn, key: str) -> RotationLayer:
    start = draw(instants())
    end = draw(st.none() | st.integers(60, 60 * 24 * 120).map(lambda m: start + timedelta(minutes=m)))
    unit = draw(st.sampled_from(ShiftUnit))
    length = draw(st.integers(1, 36 if unit is ShiftUnit.HOURS else 3))
    users = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    rules = tuple(draw(st.lists(restrictions, max_size=2)))
    return RotationLayer(start=start, end=end, users=users, unit=unit, length=length, restrictions=rules, key=key)


@st.composite
def schedules(draw: st.DrawFn) -> ScheduleDefinition:
    zone = draw(st.sampled_from(ZONES))
    count = draw(st.integers(0, 3))
    drawn = tuple(draw(layers(f"layer-{i}")) for i in range(count))
    points = sorted(set(draw(st.lists(instants(), max_size=8))))
    overrides = tuple(
        Override(id=i, user_id=draw(st.integers(1, 5)), start=points[i], end=points[i + 1])
        for i in range(0, len(points) - 1, 2)
    )
    return ScheduleDefinition(zone, drawn, overrides)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(instants())
    return Window(start, start + timedelta(minutes=draw(st.integers(0, 60 * 24 * 60))))


def allowed_at(rules: tuple[Restriction, ...], zone: ZoneInfo, at: datetime) -> bool:
    """Whether a restriction window contains `at`: checked one instant at a time, independently."""
    if not rules:
        return True
    day = at.astimezone(zone).date()
    for offset in (0, 1):
        d = day - timedelta(days=offset)
        for rule in rules:
            if d.weekday() not in rule.weekdays:
                continue
            begins = wall_to_utc(datetime.combine(d, rule.start), zone)
            ends_day = d if rule.end > rule.start else d + timedelta(days=1)
            if begins <= at < wall_to_utc(datetime.combine(ends_day, rule.end), zone):
                return True
    return False


def covering(shifts: list[Shift], at: datetime) -> Shift | None:
    return next((s for s in shifts if s.start <= at < s.end), None)


def assert_ordered_without_overlap(shifts: list[Shift], window: Window) -> None:
    for shift in shifts:
        assert window.start <= shift.start < shift.end <= window.end
    for before, after in itertools.pairwise(shifts):
        assert before.end <= after.start


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(schedules(), windows(), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_layers_never_overlap_and_cover_exactly_their_restricted_windows(
    definition: ScheduleDefinition, window: Window, samples: list[int]
) -> None:
    span = (window.end - window.start) or timedelta(microseconds=1)
    probes = [window.start + span * (n / 10**6) for n in samples]
    for layer in definition.layers:
        assert isinstance(layer, RotationLayer)
        shifts = layer_shifts(layer, definition.timezone, window)
        assert_ordered_without_overlap(shifts, window)
        for at in probes:
            if not window.start <= at < window.end:
                continue
            active = layer.start <= at and (layer.end is None or at < layer.end)
            expected = active and allowed_at(layer.restrictions, definition.timezone, at)
            assert (covering(shifts, at) is not None) == expected, at


@PROPERTY
@given(schedules(), windows(), st.lists(st.integers(0, 10**6), max_size=12))
def test_final_shifts_take_the_override_then_the_highest_layer(
    definition: ScheduleDefinition, window: Window, samples: list[int]
) -> None:
    final = final_shifts(definition, window)
    assert_ordered_without_overlap(final, window)
    span = window.end - window.start
    for n in samples:
        at = window.start + span * (n / 10**6)
        if at >= window.end:
            continue
        expected: tuple[int, str] | None = None
        for layer in definition.layers:
            hit = covering(layer_shifts(layer, definition.timezone, window), at)
            if hit is not None:
                expected = (hit.user_id, hit.source)
        override = next((o for o in definition.overrides if o.start <= at < o.end), None)
        if override is not None:
            expected = (override.user_id, OVERRIDE)
        got = covering(final, at)
        assert ((got.user_id, got.source) if got else None) == expected


def merged(shifts: list[Shift]) -> list[Shift]:
    result: list[Shift] = []
    for s in shifts:
        last = result[-1] if result else None
        if last and last.end == s.start and (last.user_id, last.source, last.override_id) == (
            s.user_id, s.source, s.override_id
        ):
            result[-1] = Shift(last.user_id, last.start, s.end, last.source, last.override_id)
        else:
            result.append(s)
    return result


@PROPERTY
@given(schedules(), windows(), st.integers(0, 10**6))
def test_splitting_a_window_gives_the_same_shifts_as_the_whole(
    definition: ScheduleDefinition, window: Window, cut: int
) -> None:
    middle = window.start + (window.end - window.start) * (cut / 10**6)
    whole = final_shifts(definition, window)
    first, second = Window(window.start, middle), Window(middle, window.end)
    halves = final_shifts(definition, first) + final_shifts(definition, second)
    assert merged(halves) == whole


@PROPERTY
@given(schedules(), instants())
def test_the_on_call_answer_is_the_one_a_full_horizon_gives(definition: ScheduleDefinition, at: datetime) -> None:
    window = Window(at - ON_CALL_HORIZON, at + ON_CALL_HORIZON)
    expected = answer_within(final_shifts(definition, window), at)
    got = on_call_answer(definition, at)
    assert (got.user_id, got.since, got.until, got.next_user_id, got.next_start) == (
        expected.user_id, expected.since, expected.until, expected.next_user_id, expected.next_start)
