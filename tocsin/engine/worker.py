"""The worker loop: claim due jobs, run their handlers, retry with backoff, never drop silently."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from datetime import timedelta

from sqlalchemy import case, literal, or_, select, update

from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.registry import IoContext, JobContext, JobRegistry

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(hours=1)
# 5 s * 2**10 is already past the cap; a bounded exponent keeps huge attempt counts from overflowing timedelta.
_MAX_EXPONENT = 32


def backoff(attempts: int) -> timedelta:
    """Delay before retry number `attempts` (1-based): 5 s, 10 s, 20 s … capped at one hour."""
    delay: timedelta = BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), _MAX_EXPONENT))
    return min(delay, BACKOFF_MAX)


class Worker:
    """Claims due jobs and runs their handlers.

    Claiming leases a batch of jobs to this worker (`lease_owner`, `lease_expires_at`). On PostgreSQL
    several workers share the table: the claim uses `FOR UPDATE SKIP LOCKED`, and a running job's row
    stays locked until its transaction ends. On SQLite every writer takes the database lock up front
    (`BEGIN IMMEDIATE`), so claims and job runs are serialised. A job whose lease ran out (its worker
    died) becomes claimable again; the worker that lost it finds another owner and leaves it alone.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        registry: JobRegistry,
        *,
        worker_id: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch_size: int = 50,
    ) -> None:
        self.db = db
        self.clock = clock
        self.registry = registry
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.batch_size = batch_size

    def claim(self) -> list[int]:
        """Lease up to batch_size due jobs (and jobs whose lease ran out) to this worker."""
        now = self.clock.now()
        with self.db.session(write=True) as session:
            running = Job.status == JobStatus.RUNNING.value
            due = or_(
                (Job.status == JobStatus.PENDING.value) & (Job.run_at <= now),
                running & (Job.lease_expires_at < now),
            )
            query = select(Job.id).where(due).order_by(Job.run_at, Job.id).limit(self.batch_size)
            ids = list(session.scalars(query.with_for_update(skip_locked=True)))
            if ids:
                # SET expressions see the row as it was: a taken-over job records whose lease it was.
                lost_lease = literal("lease of worker ") + Job.lease_owner + literal(" expired")
                session.execute(
                    update(Job)
                    .where(Job.id.in_(ids))
                    .values(
                        status=JobStatus.RUNNING.value,
                        lease_owner=self.worker_id,
                        lease_expires_at=now + self.lease,
                        attempts=Job.attempts + 1,
                        last_error=case((running, lost_lease), else_=Job.last_error),
                        # The key now frees up: new work under it must not be folded into a started job.
                        dedup_key=None,
                    )
                    .execution_options(synchronize_session=False)
                )
        return ids

    def run_job(self, job_id: int) -> bool:
        """Run one claimed job; True when it completed. Never raises for a handler's failure."""
        try:
            with self.db.session(write=True) as session:
                # The row lock keeps other workers from taking the job over while it runs here.
                job = session.get(Job, job_id, with_for_update=True)
                if job is None or job.status != JobStatus.RUNNING.value or job.lease_owner != self.worker_id:
                    return False  # another worker took it over after our lease expired
                if job.attempts > job.max_attempts:
                    self._give_up(job, job.last_error or "lease expired too many times")
                    return False
                io_handler = self.registry.io_handler(job.kind)
                if io_handler is None:
                    context = JobContext(session=session, clock=self.clock, job=job)
                    for handler in self.registry.handlers(job.kind):
                        handler(context)
                    self._done(job)
                    return True
                io_context = IoContext(self.db, self.clock, job.id, dict(job.payload), job.attempts, job.max_attempts)
            # Outside the transaction: no lock is held while the handler waits on the network.
            io_handler(io_context)
            with self.db.session(write=True) as session:
                job = session.get(Job, job_id, with_for_update=True)
                if job is None or job.status != JobStatus.RUNNING.value or job.lease_owner != self.worker_id:
                    return False
                self._done(job)
            return True
        except Exception as exc:
            log.warning("job %s failed: %s", job_id, exc, exc_info=True)
            try:
                self._record_failure(job_id, exc)
            except Exception:
                # The lease runs out and another claim retries the job; nothing is lost.
                log.exception("could not record the failure of job %s", job_id)
            return False

    def _done(self, job: Job) -> None:
        job.status = JobStatus.DONE.value
        job.finished_at = self.clock.now()
        job.lease_owner = None
        job.lease_expires_at = None

    def _record_failure(self, job_id: int, exc: Exception) -> None:
        # PostgreSQL text cannot hold NUL, and an error message may quote untrusted input.
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip().replace("\x00", "\\x00")[:4000]
        with self.db.session(write=True) as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.status != JobStatus.RUNNING.value or job.lease_owner != self.worker_id:
                return
            if job.attempts >= job.max_attempts:
                self._give_up(job, error)
                return
            job.status = JobStatus.PENDING.value
            job.run_at = self.clock.now() + backoff(job.attempts)
            job.last_error = error
            job.lease_owner = None
            job.lease_expires_at = None

    def _give_up(self, job: Job, error: str) -> None:
        log.error("job %s (%s) failed for good after %s attempts: %s", job.id, job.kind, job.attempts, error)
        job.status = JobStatus.FAILED.value
        job.last_error = error
        job.finished_at = self.clock.now()
        job.lease_owner = None
        job.lease_expires_at = None

    def run_once(self) -> int:
        """Claim one batch and run it; returns how many jobs were claimed."""
        ids = self.claim()
        for job_id in ids:
            self.run_job(job_id)
        return len(ids)

    def run_until_idle(self, max_rounds: int = 10_000) -> int:
        """Run until nothing is due at the clock's current time (for tests and one-shot runs)."""
        total = 0
        for _ in range(max_rounds):
            claimed = self.run_once()
            if claimed == 0:
                return total
            total += claimed
        raise RuntimeError("jobs kept becoming due; is a handler rescheduling itself for 'now'?")

    def run_forever(self, stop: threading.Event, wake: threading.Event, poll_seconds: float) -> None:
        """Run batches until `stop` is set; when idle, sleep until `wake` is set or `poll_seconds` pass."""
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            # Cleared before claiming, so a wake-up that arrives while a batch runs is not lost.
            wake.clear()
            try:
                claimed = self.run_once()
            except Exception:
                log.exception("worker loop error; retrying")
                claimed = 0
            if claimed == 0 and not stop.is_set():
                wake.wait(poll_seconds)
        log.info("worker %s stopped", self.worker_id)
