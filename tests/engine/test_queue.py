"""Enqueueing: due times, dedup keys, and purging finished jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.conftest import Jobs
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import JobStatus
from tocsin.engine.queue import DEFAULT_MAX_ATTEMPTS, enqueue, purge_finished
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.engine.worker import Worker


@pytest.fixture(autouse=True)
def _kinds(registry: JobRegistry) -> list[dict[str, object]]:
    seen: list[dict[str, object]] = []
    registry.register("test.record", lambda ctx: seen.append(dict(ctx.payload)))
    registry.declare("test.noop")
    return seen


def test_enqueue_and_run_marks_done_with_finished_at(
    jobs: Jobs, worker: Worker, clock: FrozenClock, _kinds: list[dict[str, object]]
) -> None:
    job_id = jobs.add("test.record", {"n": 1})
    queued = jobs.get(job_id)
    assert queued.status == JobStatus.PENDING
    assert queued.run_at == clock.now()
    assert queued.created_at == clock.now()
    assert queued.attempts == 0
    assert queued.max_attempts == DEFAULT_MAX_ATTEMPTS

    clock.advance(timedelta(seconds=3))
    assert worker.run_until_idle() == 1

    done = jobs.get(job_id)
    assert done.status == JobStatus.DONE
    assert done.finished_at == clock.now()
    assert done.attempts == 1
    assert done.last_error is None
    assert (done.lease_owner, done.lease_expires_at) == (None, None)
    assert _kinds == [{"n": 1}]
    assert worker.run_until_idle() == 0, "a finished job is not claimed again"


def test_enqueue_without_payload_gives_empty_payload(jobs: Jobs) -> None:
    assert jobs.get(jobs.add("test.noop")).payload == {}


def test_future_run_at_is_not_claimed_until_the_clock_reaches_it(
    jobs: Jobs, worker: Worker, clock: FrozenClock, _kinds: list[dict[str, object]]
) -> None:
    due = clock.now() + timedelta(minutes=10)
    job_id = jobs.add("test.record", {"n": 1}, run_at=due)

    assert worker.run_until_idle() == 0
    clock.advance(timedelta(minutes=10) - timedelta(microseconds=1))
    assert worker.run_until_idle() == 0
    assert jobs.get(job_id).status == JobStatus.PENDING
    assert _kinds == []

    clock.advance(timedelta(microseconds=1))  # exactly run_at: due
    assert worker.run_until_idle() == 1
    assert jobs.get(job_id).status == JobStatus.DONE


def test_due_jobs_run_in_run_at_order(jobs: Jobs, worker: Worker, clock: FrozenClock,
                                      _kinds: list[dict[str, object]]) -> None:
    for n, minutes in ((1, 30), (2, 10), (3, 20)):
        jobs.add("test.record", {"n": n}, run_at=clock.now() + timedelta(minutes=minutes))
    clock.advance(timedelta(hours=1))
    assert worker.run_until_idle() == 3
    assert [seen["n"] for seen in _kinds] == [2, 3, 1]


def test_naive_run_at_is_refused(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.session(write=True) as session:
        enqueue(session, clock, "test.noop", run_at=clock.now().replace(tzinfo=None))


def test_max_attempts_must_be_positive(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(ValueError, match="max_attempts"), db.session(write=True) as session:
        enqueue(session, clock, "test.noop", max_attempts=0)


def test_second_enqueue_with_the_same_dedup_key_is_dropped(jobs: Jobs, clock: FrozenClock) -> None:
    first = jobs.add("test.record", {"n": 1}, dedup_key="k", run_at=clock.now() + timedelta(minutes=5))
    assert jobs.offer("test.record", {"n": 2}, dedup_key="k", run_at=clock.now() + timedelta(minutes=9)) is None

    [job] = jobs.all()
    assert job.id == first
    assert job.payload == {"n": 1}
    assert job.run_at == clock.now() + timedelta(minutes=5)


def test_different_dedup_keys_do_not_collide(jobs: Jobs) -> None:
    assert jobs.add("test.noop", dedup_key="a") != jobs.add("test.noop", dedup_key="b")
    jobs.add("test.noop")
    jobs.add("test.noop")  # no key: never deduplicated
    assert len(jobs.all()) == 4


def test_replace_moves_run_at_and_payload_of_the_waiting_job(jobs: Jobs, clock: FrozenClock) -> None:
    first = jobs.add("test.record", {"n": 1}, dedup_key="k", run_at=clock.now() + timedelta(minutes=5))
    later = clock.now() + timedelta(minutes=30)
    assert jobs.offer("test.record", {"n": 2}, dedup_key="k", run_at=later, replace=True) == first

    [job] = jobs.all()
    assert job.payload == {"n": 2}
    assert job.run_at == later
    assert job.dedup_key == "k"
    assert job.status == JobStatus.PENDING


def test_replaced_timer_fires_at_the_new_time_only(
    jobs: Jobs, worker: Worker, clock: FrozenClock, _kinds: list[dict[str, object]]
) -> None:
    jobs.add("test.record", {"n": 1}, dedup_key="k", run_at=clock.now() + timedelta(minutes=5))
    jobs.add("test.record", {"n": 2}, dedup_key="k", run_at=clock.now() + timedelta(minutes=30), replace=True)
    clock.advance(timedelta(minutes=5))
    assert worker.run_until_idle() == 0
    clock.advance(timedelta(minutes=25))
    assert worker.run_until_idle() == 1
    assert _kinds == [{"n": 2}]


def test_a_claimed_job_frees_its_dedup_key(jobs: Jobs, worker: Worker, clock: FrozenClock) -> None:
    first = jobs.add("test.record", {"n": 1}, dedup_key="k")
    assert worker.claim() == [first]
    assert jobs.get(first).dedup_key is None

    # New work under the key is a new job; a replace does not reach into the started one.
    second = jobs.add("test.record", {"n": 2}, dedup_key="k", run_at=clock.now() + timedelta(hours=1), replace=True)
    assert second != first
    started = jobs.get(first)
    assert (started.status, started.payload, started.run_at) == (JobStatus.RUNNING, {"n": 1}, clock.now())
    assert jobs.get(second).dedup_key == "k"


def test_dedup_key_stays_free_after_the_job_finished(jobs: Jobs, worker: Worker) -> None:
    first = jobs.add("test.noop", dedup_key="k")
    worker.run_until_idle()
    assert jobs.add("test.noop", dedup_key="k") != first
    assert jobs.get(first).status == JobStatus.DONE


def test_enqueue_rolls_back_with_the_callers_transaction(db: Database, clock: FrozenClock, jobs: Jobs) -> None:
    with pytest.raises(RuntimeError), db.session(write=True) as session:
        enqueue(session, clock, "test.noop", dedup_key="k")
        raise RuntimeError("the caller's work failed")
    assert jobs.all() == []
    assert jobs.offer("test.noop", dedup_key="k") is not None


def test_purge_deletes_only_done_jobs_older_than_the_cutoff(
    db: Database, jobs: Jobs, worker: Worker, clock: FrozenClock, registry: JobRegistry
) -> None:
    def boom(_ctx: JobContext) -> None:
        raise RuntimeError("boom")

    registry.register("test.boom", boom)
    old_done = jobs.add("test.noop")
    old_failed = jobs.add("test.boom", max_attempts=1)
    worker.run_until_idle()
    clock.advance(timedelta(days=10))
    recent_done = jobs.add("test.noop")
    worker.run_until_idle()
    waiting = jobs.add("test.noop", run_at=clock.now() + timedelta(days=60))
    clock.advance(timedelta(days=2))

    with db.session(write=True) as session:
        assert purge_finished(session, clock, older_than=timedelta(days=12)) == 0
    with db.session(write=True) as session:
        assert purge_finished(session, clock, older_than=timedelta(days=7)) == 1

    remaining = {job.id: job.status for job in jobs.all()}
    assert remaining == {old_failed: JobStatus.FAILED, recent_done: JobStatus.DONE, waiting: JobStatus.PENDING}
    assert old_done not in remaining
