"""The daily purge: finished jobs older than a week go, everything else stays, and it re-arms itself."""

from __future__ import annotations

from datetime import timedelta

from tests.engine.conftest import Jobs
from tocsin.clock import FrozenClock
from tocsin.engine import housekeeping
from tocsin.engine.models import JobStatus
from tocsin.engine.registry import JobRegistry
from tocsin.engine.worker import Worker


def test_the_daily_purge_keeps_a_week_of_finished_jobs(jobs: Jobs, worker: Worker, clock: FrozenClock,
                                                       registry: JobRegistry) -> None:
    registry.register("test.noop", lambda ctx: None)
    housekeeping.register(registry)
    old = jobs.add("test.noop")
    worker.run_until_idle()
    clock.advance(timedelta(days=6))
    recent = jobs.add("test.noop")
    waiting = jobs.add("test.noop", run_at=clock.now() + timedelta(days=30))
    worker.run_until_idle()
    with jobs.db.session(write=True) as session:
        housekeeping.schedule_purge(session, clock)
    clock.advance(timedelta(days=1, seconds=1))  # the purge is due; `old` finished 7 days and 1 s ago
    worker.run_until_idle()
    remaining = {job.id: job for job in jobs.all()}
    assert old not in remaining
    assert remaining[recent].status == JobStatus.DONE and remaining[waiting].status == JobStatus.PENDING
    purges = [j for j in remaining.values() if j.kind == housekeeping.PURGE]
    assert sorted(j.status for j in purges) == [JobStatus.DONE, JobStatus.PENDING]  # ran, and is set again
    assert max(j.run_at for j in purges) == clock.now() + housekeeping.PURGE_EVERY
