"""The worker: handlers, retries with backoff, giving up visibly, leases, and the loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.engine.conftest import LEASE, Jobs
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.engine.worker import Worker, backoff


class Flaky:
    """A handler that fails its first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, ctx: JobContext) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"flaky failure {self.calls}")


def test_claim_leases_jobs_to_the_worker(jobs: Jobs, worker: Worker, clock: FrozenClock,
                                         registry: JobRegistry) -> None:
    registry.declare("test.noop")
    job_id = jobs.add("test.noop")
    assert worker.claim() == [job_id]
    job = jobs.get(job_id)
    assert job.status == JobStatus.RUNNING
    assert job.lease_owner == "worker-1"
    assert job.lease_expires_at == clock.now() + LEASE
    assert job.attempts == 1
    assert worker.claim() == [], "a leased job is not claimed again while the lease holds"


def test_claim_takes_at_most_a_batch(jobs: Jobs, make_worker: Callable[..., Worker], registry: JobRegistry) -> None:
    registry.declare("test.noop")
    ids = [jobs.add("test.noop") for _ in range(5)]
    first, second = make_worker("a", batch_size=3), make_worker("b", batch_size=3)
    assert first.claim() == ids[:3]
    assert second.claim() == ids[3:]
    assert second.run_until_idle() == 0
    assert [first.run_job(i) for i in ids[:3]] == [True] * 3
    assert [second.run_job(i) for i in ids[3:]] == [True] * 2
    assert {job.status for job in jobs.all()} == {JobStatus.DONE}


def test_failing_handler_puts_the_job_back_with_backoff(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry
) -> None:
    handler = Flaky(failures=2)
    registry.register("test.flaky", handler)
    job_id = jobs.add("test.flaky", {"n": 1})

    assert worker.run_until_idle() == 1
    job = jobs.get(job_id)
    assert job.status == JobStatus.PENDING
    assert job.attempts == 1
    assert job.run_at == clock.now() + backoff(1)
    assert job.last_error == "RuntimeError: flaky failure 1"
    assert (job.lease_owner, job.lease_expires_at, job.finished_at) == (None, None, None)

    clock.advance(backoff(1) - timedelta(microseconds=1))
    assert worker.run_until_idle() == 0, "not retried before the backoff has passed"
    clock.advance(timedelta(microseconds=1))
    assert worker.run_until_idle() == 1
    job = jobs.get(job_id)
    assert (job.status, job.attempts, job.run_at) == (JobStatus.PENDING, 2, clock.now() + backoff(2))
    assert job.last_error == "RuntimeError: flaky failure 2"

    clock.advance(backoff(2))
    assert worker.run_until_idle() == 1
    job = jobs.get(job_id)
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.DONE, 3, clock.now())
    assert handler.calls == 3


def test_job_fails_for_good_after_max_attempts_and_is_never_run_again(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry
) -> None:
    handler = Flaky(failures=1_000)
    registry.register("test.flaky", handler)
    job_id = jobs.add("test.flaky", max_attempts=3)

    jobs.drain(worker)
    job = jobs.get(job_id)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 3
    assert handler.calls == 3
    assert job.last_error == "RuntimeError: flaky failure 3"
    assert job.finished_at is not None
    assert (job.lease_owner, job.lease_expires_at) == (None, None)

    clock.advance(timedelta(days=30))
    assert worker.run_until_idle() == 0
    assert handler.calls == 3
    assert jobs.get(job_id).status == JobStatus.FAILED


def test_long_error_messages_are_truncated(jobs: Jobs, worker: Worker, registry: JobRegistry) -> None:
    def verbose(_ctx: JobContext) -> None:
        raise ValueError("x" * 10_000)

    registry.register("test.verbose", verbose)
    job_id = jobs.add("test.verbose")
    worker.run_until_idle()
    error = jobs.get(job_id).last_error
    assert error is not None and error.startswith("ValueError: xxx") and len(error) == 4000


def test_error_messages_with_nul_bytes_are_stored(jobs: Jobs, worker: Worker, registry: JobRegistry) -> None:
    """PostgreSQL text cannot hold NUL; an error quoting untrusted input must still be recorded."""

    def nul(_ctx: JobContext) -> None:
        raise ValueError("bad\x00input")

    registry.register("test.nul", nul)
    job_id = jobs.add("test.nul")
    worker.run_until_idle()
    job = jobs.get(job_id)
    assert (job.status, job.last_error) == (JobStatus.PENDING, "ValueError: bad\\x00input")


def test_a_failing_handlers_writes_are_rolled_back(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry
) -> None:
    handler = Flaky(failures=1)

    def write_then_maybe_fail(ctx: JobContext) -> None:
        enqueue(ctx.session, ctx.clock, "test.child", {"from": ctx.job.id}, run_at=ctx.clock.now() + timedelta(days=1))
        ctx.session.flush()  # the write reached the database before the failure
        handler(ctx)

    registry.register("test.parent", write_then_maybe_fail)
    registry.declare("test.child")
    parent = jobs.add("test.parent")

    worker.run_until_idle()
    assert [job.id for job in jobs.all()] == [parent], "the child written before the failure is gone"
    assert jobs.get(parent).status == JobStatus.PENDING

    clock.advance(backoff(1))
    worker.run_until_idle()
    rows = jobs.all()
    assert [(job.kind, job.status) for job in rows] == [
        ("test.parent", JobStatus.DONE), ("test.child", JobStatus.PENDING),
    ]
    assert rows[1].payload == {"from": parent}


def test_all_handlers_of_a_kind_run_in_one_transaction(jobs: Jobs, worker: Worker, registry: JobRegistry) -> None:
    calls: list[str] = []

    def first(ctx: JobContext) -> None:
        calls.append("first")
        enqueue(ctx.session, ctx.clock, "test.child", run_at=ctx.clock.now() + timedelta(days=1))

    def second(_ctx: JobContext) -> None:
        calls.append("second")
        raise RuntimeError("second handler failed")

    registry.register("test.multi", first)
    registry.register("test.multi", second)
    registry.declare("test.child")
    job_id = jobs.add("test.multi")

    worker.run_until_idle()
    assert calls == ["first", "second"]
    assert [job.id for job in jobs.all()] == [job_id], "the first handler's write went with the failure"
    assert jobs.get(job_id).last_error == "RuntimeError: second handler failed"


def test_handler_sees_its_job_and_the_injected_clock(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry
) -> None:
    seen: list[tuple[int, str, int, object]] = []
    registry.register("test.look", lambda ctx: seen.append((ctx.job.id, ctx.job.kind, ctx.job.attempts, ctx.clock)))
    job_id = jobs.add("test.look")
    worker.run_until_idle()
    assert seen == [(job_id, "test.look", 1, clock)]


def test_unknown_kind_fails_visibly(jobs: Jobs, worker: Worker, registry: JobRegistry) -> None:
    registry.declare("test.other")
    job_id = jobs.add("test.typo")
    jobs.drain(worker)
    job = jobs.get(job_id)
    assert job.status == JobStatus.FAILED
    assert job.last_error is not None and "no handler" in job.last_error and "test.typo" in job.last_error
    assert job.attempts == job.max_attempts


def test_declared_kind_without_handlers_completes_as_a_no_op(jobs: Jobs, worker: Worker,
                                                             registry: JobRegistry) -> None:
    registry.declare("test.announced")
    job_id = jobs.add("test.announced", {"alertId": 1})
    assert worker.run_until_idle() == 1
    job = jobs.get(job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DONE, 1, None)


def test_run_until_idle_runs_jobs_that_handlers_enqueue_for_now(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry
) -> None:
    order: list[int] = []

    def countdown(ctx: JobContext) -> None:
        n = int(ctx.payload["n"])
        order.append(n)
        if n > 0:
            enqueue(ctx.session, ctx.clock, "test.countdown", {"n": n - 1})
        enqueue(ctx.session, ctx.clock, "test.later", run_at=ctx.clock.now() + timedelta(seconds=1))

    registry.register("test.countdown", countdown)
    registry.declare("test.later")
    jobs.add("test.countdown", {"n": 3})

    assert worker.run_until_idle() == 4
    assert order == [3, 2, 1, 0]
    statuses = [(job.kind, job.status) for job in jobs.all()]
    assert statuses.count(("test.countdown", JobStatus.DONE)) == 4
    assert statuses.count(("test.later", JobStatus.PENDING)) == 4, "future jobs wait for the clock"

    clock.advance(timedelta(seconds=1))
    assert worker.run_until_idle() == 4


def test_run_until_idle_refuses_to_spin_on_a_job_that_always_reschedules_itself(
    jobs: Jobs, worker: Worker, registry: JobRegistry
) -> None:
    def again(ctx: JobContext) -> None:
        enqueue(ctx.session, ctx.clock, "test.again")

    registry.register("test.again", again)
    jobs.add("test.again")
    with pytest.raises(RuntimeError, match="rescheduling itself"):
        worker.run_until_idle(max_rounds=5)


# --- leases --------------------------------------------------------------------------------------


def test_expired_lease_lets_another_worker_take_over_and_the_first_one_backs_off(
    jobs: Jobs, make_worker: Callable[..., Worker], clock: FrozenClock, registry: JobRegistry
) -> None:
    runs: list[str] = []
    registry.register("test.work", lambda ctx: runs.append(str(ctx.job.lease_owner)))
    a, b = make_worker("worker-a"), make_worker("worker-b")
    job_id = jobs.add("test.work")

    assert a.claim() == [job_id]
    clock.advance(LEASE)
    assert b.claim() == [], "the lease still holds at its last instant"
    clock.advance(timedelta(seconds=1))
    assert b.claim() == [job_id]
    taken = jobs.get(job_id)
    assert (taken.lease_owner, taken.attempts) == ("worker-b", 2)
    assert taken.last_error == "lease of worker worker-a expired"

    assert b.run_job(job_id) is True
    done = jobs.get(job_id)
    assert a.run_job(job_id) is False
    after = jobs.get(job_id)
    assert runs == ["worker-b"]
    assert (after.status, after.attempts, after.finished_at, after.lease_owner) == (
        JobStatus.DONE, 2, done.finished_at, None,
    )


def test_worker_that_lost_its_lease_leaves_the_new_owners_job_alone(
    jobs: Jobs, make_worker: Callable[..., Worker], clock: FrozenClock, registry: JobRegistry
) -> None:
    runs: list[str] = []
    registry.register("test.work", lambda ctx: runs.append("ran"))
    a, b = make_worker("worker-a"), make_worker("worker-b")
    job_id = jobs.add("test.work")
    a.claim()
    clock.advance(LEASE + timedelta(seconds=1))
    b.claim()
    before = jobs.get(job_id)

    assert a.run_job(job_id) is False  # b holds it now and has not run it yet
    after = jobs.get(job_id)
    assert runs == []
    assert (after.status, after.lease_owner, after.lease_expires_at, after.attempts) == (
        before.status, "worker-b", before.lease_expires_at, before.attempts,
    )
    assert b.run_job(job_id) is True
    assert runs == ["ran"]


def test_a_worker_that_lost_its_lease_does_not_record_a_failure(
    jobs: Jobs, make_worker: Callable[..., Worker], clock: FrozenClock, registry: JobRegistry
) -> None:
    """The old owner's handler failed after the job was taken over: the new owner's job is untouched."""
    registry.declare("test.work")
    a, b = make_worker("worker-a"), make_worker("worker-b")
    job_id = jobs.add("test.work")
    a.claim()
    clock.advance(LEASE + timedelta(seconds=1))
    b.claim()
    before = jobs.get(job_id)
    a._record_failure(job_id, RuntimeError("too late"))
    after = jobs.get(job_id)
    assert (after.status, after.lease_owner, after.run_at, after.attempts, after.last_error) == (
        JobStatus.RUNNING, "worker-b", before.run_at, before.attempts, before.last_error,
    )


def test_a_job_whose_worker_keeps_dying_fails_for_good(
    jobs: Jobs, make_worker: Callable[..., Worker], clock: FrozenClock, registry: JobRegistry
) -> None:
    runs: list[str] = []
    registry.register("test.work", lambda ctx: runs.append("ran"))
    job_id = jobs.add("test.work", max_attempts=2)
    for n in range(2):  # two workers claim it and die without finishing
        assert make_worker(f"doomed-{n}").claim() == [job_id]
        clock.advance(LEASE + timedelta(seconds=1))

    survivor = make_worker("survivor")
    assert survivor.run_until_idle() == 1
    job = jobs.get(job_id)
    assert runs == []
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.last_error == "lease of worker doomed-1 expired"
    assert job.finished_at == clock.now()


def test_run_job_of_an_unclaimed_or_missing_job_does_nothing(jobs: Jobs, worker: Worker,
                                                             registry: JobRegistry) -> None:
    registry.declare("test.noop")
    job_id = jobs.add("test.noop")
    assert worker.run_job(job_id) is False
    assert worker.run_job(job_id + 1000) is False
    assert jobs.get(job_id).status == JobStatus.PENDING


def test_a_broken_failure_record_does_not_escape_run_job(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If even recording the failure fails, the job stays leased and is retried after the lease."""
    registry.register("test.flaky", Flaky(failures=1))
    job_id = jobs.add("test.flaky")

    def broken(_job_id: int, _exc: Exception) -> None:
        raise ConnectionError("database went away")

    monkeypatch.setattr(worker, "_record_failure", broken)
    assert worker.run_until_idle() == 1
    assert jobs.get(job_id).status == JobStatus.RUNNING
    monkeypatch.undo()

    clock.advance(LEASE + timedelta(seconds=1))
    assert worker.run_until_idle() == 1
    assert (jobs.get(job_id).status, jobs.get(job_id).attempts) == (JobStatus.DONE, 2)


# --- the loop ------------------------------------------------------------------------------------


def test_run_forever_runs_woken_jobs_and_stops_on_the_stop_event(
    jobs: Jobs, worker: Worker, registry: JobRegistry, db: Database
) -> None:
    ran = threading.Event()
    registry.register("test.signal", lambda ctx: ran.set())
    stop, wake = threading.Event(), threading.Event()
    # A poll interval far longer than the test: only the wake event can make the worker look again.
    thread = threading.Thread(target=worker.run_forever, args=(stop, wake, 3600.0), daemon=True)
    thread.start()

    job_id = jobs.add("test.signal")
    wake.set()
    assert ran.wait(timeout=10), "the woken worker ran the job"

    stop.set()
    wake.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert jobs.get(job_id).status == JobStatus.DONE


def test_run_forever_returns_at_once_when_already_stopped(jobs: Jobs, worker: Worker, registry: JobRegistry) -> None:
    registry.declare("test.noop")
    job_id = jobs.add("test.noop")
    stop, wake = threading.Event(), threading.Event()
    stop.set()
    worker.run_forever(stop, wake, 3600.0)
    assert jobs.get(job_id).status == JobStatus.PENDING


def test_run_forever_survives_a_failing_claim(
    worker: Worker, registry: JobRegistry, jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop error (say the database is briefly unreachable) is logged; the loop carries on."""
    registry.declare("test.noop")
    stop, wake = threading.Event(), threading.Event()
    calls: list[int] = []
    real_claim = worker.claim

    def claim() -> list[int]:
        calls.append(1)
        if len(calls) == 1:
            wake.set()  # look again straight away rather than after the poll interval
            raise ConnectionError("database unreachable")
        ids = real_claim()
        if not ids:
            stop.set()
        return ids

    monkeypatch.setattr(worker, "claim", claim)
    job_id = jobs.add("test.noop")
    worker.run_forever(stop, wake, 3600.0)  # in this thread: claim() sets stop once the queue is empty
    assert jobs.get(job_id).status == JobStatus.DONE
    assert len(calls) == 3


def test_jobs_table_has_no_leftovers_after_a_clean_run(
    jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry, db: Database
) -> None:
    registry.register("test.flaky", Flaky(failures=2))
    for _ in range(3):
        jobs.add("test.flaky", max_attempts=5)
    jobs.drain(worker)
    with db.session() as session:
        statuses = set(session.scalars(select(Job.status)))
        leases = set(session.scalars(select(Job.lease_owner)))
    assert statuses == {JobStatus.DONE}
    assert leases == {None}
