"""Engine fixtures: a registry of test handlers, workers bound to it, and helpers to read job rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobRegistry
from tocsin.engine.worker import BACKOFF_MAX, Worker

LEASE = timedelta(minutes=2)


class Jobs:
    """Small helpers around the jobs table, each in its own transaction."""

    def __init__(self, db: Database, clock: FrozenClock) -> None:
        self.db = db
        self.clock = clock

    def offer(self, kind: str, payload: dict[str, Any] | None = None, **options: Any) -> int | None:
        """enqueue() in a transaction of its own: the job id, or None when a dedup key dropped it."""
        with self.db.session(write=True) as session:
            return enqueue(session, self.clock, kind, payload, **options)

    def add(self, kind: str, payload: dict[str, Any] | None = None, **options: Any) -> int:
        """Like offer(), for a job that must be created."""
        job_id = self.offer(kind, payload, **options)
        assert job_id is not None
        return job_id

    def get(self, job_id: int) -> Job:
        with self.db.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job

    def all(self) -> list[Job]:
        from sqlalchemy import select

        with self.db.session() as session:
            return list(session.scalars(select(Job).order_by(Job.id)))

    def drain(self, worker: Worker, *, rounds: int = 100) -> None:
        """Run the worker and move the clock past every backoff until no job is left unfinished."""
        for _ in range(rounds):
            worker.run_until_idle()
            if all(job.status in (JobStatus.DONE, JobStatus.FAILED) for job in self.all()):
                return
            self.clock.advance(BACKOFF_MAX)
        raise AssertionError("jobs still unfinished after draining")


@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()


@pytest.fixture
def jobs(db: Database, clock: FrozenClock) -> Jobs:
    return Jobs(db, clock)


@pytest.fixture
def make_worker(db: Database, clock: FrozenClock, registry: JobRegistry) -> Callable[..., Worker]:
    def make(worker_id: str, **options: Any) -> Worker:
        options.setdefault("lease", LEASE)
        return Worker(db, clock, registry, worker_id=worker_id, **options)

    return make


@pytest.fixture
def worker(make_worker: Callable[..., Worker]) -> Worker:
    """Overrides the app-wide worker: these tests register their own handlers."""
    return make_worker("worker-1")
