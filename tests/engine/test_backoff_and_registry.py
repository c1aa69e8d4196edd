"""backoff() grows and is capped; the registry maps kinds to handlers and refuses unknown kinds."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from tocsin.engine.registry import JobContext, JobRegistry, UnknownJobKind
from tocsin.engine.worker import BACKOFF_BASE, BACKOFF_MAX, backoff


def test_backoff_starts_at_the_base_and_doubles() -> None:
    assert backoff(1) == BACKOFF_BASE == timedelta(seconds=5)
    assert [backoff(n).total_seconds() for n in range(1, 6)] == [5, 10, 20, 40, 80]


def test_backoff_never_shrinks_grows_until_the_cap_and_stays_there() -> None:
    delays = [backoff(n) for n in range(1, 500)]
    for earlier, later in pairwise(delays):
        assert earlier <= later
        assert later == BACKOFF_MAX or later == 2 * earlier
    assert all(delay <= BACKOFF_MAX for delay in delays)
    capped_from = delays.index(BACKOFF_MAX)
    assert capped_from > 0 and all(delay == BACKOFF_MAX for delay in delays[capped_from:])
    assert delays[capped_from - 1] * 2 >= BACKOFF_MAX > delays[capped_from - 1]


@pytest.mark.parametrize("attempts", [50, 1_000, 10**9])
def test_backoff_of_huge_attempt_counts_is_the_cap_not_an_overflow(attempts: int) -> None:
    assert backoff(attempts) == BACKOFF_MAX


@pytest.mark.parametrize("attempts", [0, -3])
def test_backoff_before_the_first_attempt_is_the_base(attempts: int) -> None:
    assert backoff(attempts) == BACKOFF_BASE


def _noop(_ctx: JobContext) -> None:
    return None


def _other(_ctx: JobContext) -> None:
    return None


def test_unknown_kind_is_an_error_naming_the_kind() -> None:
    registry = JobRegistry()
    with pytest.raises(UnknownJobKind, match=r"no handler .*'alert\.craeted'"):
        registry.handlers("alert.craeted")


def test_declared_kind_has_no_handlers_until_one_registers() -> None:
    registry = JobRegistry()
    registry.declare("alert.created")
    assert registry.handlers("alert.created") == []
    registry.register("alert.created", _noop)
    registry.declare("alert.created")  # declaring again keeps the subscribers
    registry.register("alert.created", _other)
    assert registry.handlers("alert.created") == [_noop, _other]


def test_handlers_returns_a_copy() -> None:
    registry = JobRegistry()
    registry.register("k", _noop)
    registry.handlers("k").append(_other)
    assert registry.handlers("k") == [_noop]


def test_kinds_are_listed_sorted() -> None:
    registry = JobRegistry()
    registry.register("b.kind", _noop)
    registry.declare("a.kind")
    assert registry.kinds() == ["a.kind", "b.kind"]
