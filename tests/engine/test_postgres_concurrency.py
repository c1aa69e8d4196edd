"""Several workers on one PostgreSQL: SKIP LOCKED hands each job to exactly one of them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.conftest import PG_URL
from tests.engine.conftest import LEASE, Jobs
from tocsin.clock import FrozenClock
from tocsin.engine.models import JobStatus
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.engine.worker import Worker

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="concurrent claiming needs PostgreSQL (FOR UPDATE SKIP LOCKED); SQLite has one writer"
)

JOBS = 200
TIMEOUT = 60


def _in_threads(targets: list[Callable[[], object]]) -> None:
    """Run the targets together (released at once by a barrier) and re-raise the first error."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
        assert not thread.is_alive(), "a worker thread hung"
    if errors:
        raise errors[0]


def test_two_workers_claiming_at_once_get_disjoint_sets_covering_every_job(
    jobs: Jobs, make_worker: Callable[..., Worker], registry: JobRegistry
) -> None:
    registry.declare("test.noop")
    all_ids = {jobs.add("test.noop") for _ in range(JOBS)}
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claim_all(name: str) -> Callable[[], None]:
        worker = make_worker(name, batch_size=7)

        def loop() -> None:
            while ids := worker.claim():
                claimed[name].extend(ids)

        return loop

    _in_threads([claim_all("a"), claim_all("b")])

    a, b = set(claimed["a"]), set(claimed["b"])
    assert len(a) == len(claimed["a"]) and len(b) == len(claimed["b"]), "no worker got a job twice"
    assert a.isdisjoint(b)
    assert a | b == all_ids
    owners = {job.id: job.lease_owner for job in jobs.all()}
    assert all(owners[i] == "a" for i in a) and all(owners[i] == "b" for i in b)
    assert {job.attempts for job in jobs.all()} == {1}


def test_four_workers_running_until_idle_run_every_job_exactly_once(
    jobs: Jobs, make_worker: Callable[..., Worker], registry: JobRegistry
) -> None:
    runs: Counter[int] = Counter()
    lock = threading.Lock()

    def count(ctx: JobContext) -> None:
        with lock:
            runs[ctx.job.id] += 1

    registry.register("test.count", count)
    all_ids = {jobs.add("test.count") for _ in range(JOBS)}
    workers = [make_worker(f"w{n}", batch_size=5) for n in range(4)]

    _in_threads([worker.run_until_idle for worker in workers])

    assert set(runs) == all_ids
    assert set(runs.values()) == {1}
    assert {job.status for job in jobs.all()} == {JobStatus.DONE}


def test_a_running_job_is_not_taken_over_even_after_its_lease_ran_out(
    jobs: Jobs, make_worker: Callable[..., Worker], clock: FrozenClock, registry: JobRegistry
) -> None:
    """The running job's row stays locked: a live but slow worker keeps its job; a dead one's lock is gone."""
    entered, proceed = threading.Event(), threading.Event()

    def slow(_ctx: JobContext) -> None:
        entered.set()
        assert proceed.wait(timeout=TIMEOUT)

    registry.register("test.slow", slow)
    a, b = make_worker("worker-a"), make_worker("worker-b")
    job_id = jobs.add("test.slow")
    assert a.claim() == [job_id]
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(a.run_job(job_id)), daemon=True)
    thread.start()
    try:
        assert entered.wait(timeout=TIMEOUT)
        clock.advance(LEASE + timedelta(seconds=1))
        assert b.claim() == [], "the locked row is skipped"
    finally:
        proceed.set()
        thread.join(timeout=TIMEOUT)
    assert results == [True]
    job = jobs.get(job_id)
    assert (job.status, job.attempts, job.lease_owner) == (JobStatus.DONE, 1, None)
    assert b.claim() == []
