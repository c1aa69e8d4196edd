"""I/O jobs run outside any transaction, are marked done afterwards, and retry like other jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import IoContext, JobRegistry
from tocsin.engine.worker import Worker


def test_io_handler_sees_no_open_transaction_and_job_completes(db: Database, clock: FrozenClock) -> None:
    registry = JobRegistry()
    seen: list[IoContext] = []

    def send(ctx: IoContext) -> None:
        # A write from here must not wait on a lock held by the worker: it commits on its own.
        with ctx.db.session(write=True) as session:
            enqueue(session, ctx.clock, "followed.up", run_at=ctx.clock.now() + timedelta(days=1))
        seen.append(ctx)

    registry.register_io("message.send", send)
    registry.declare("followed.up")
    with db.session(write=True) as session:
        enqueue(session, clock, "message.send", {"id": 7})
    assert Worker(db, clock, registry).run_until_idle() == 1
    assert [(c.payload, c.attempts, c.last_attempt) for c in seen] == [({"id": 7}, 1, False)]
    with db.session() as session:
        statuses = {j.kind: j.status for j in session.scalars(select(Job))}
    assert statuses == {"message.send": JobStatus.DONE.value, "followed.up": JobStatus.PENDING.value}


def test_io_handler_failure_retries_with_backoff_then_fails(db: Database, clock: FrozenClock) -> None:
    registry = JobRegistry()
    calls: list[bool] = []

    def flaky(ctx: IoContext) -> None:
        calls.append(ctx.last_attempt)
        raise ConnectionError("provider down")

    registry.register_io("message.send", flaky)
    with db.session(write=True) as session:
        enqueue(session, clock, "message.send", max_attempts=2)
    worker = Worker(db, clock, registry)
    worker.run_until_idle()
    clock.advance(timedelta(seconds=5))
    worker.run_until_idle()
    assert calls == [False, True]
    with db.session() as session:
        job = session.scalar(select(Job))
        assert job is not None and job.status == JobStatus.FAILED.value
        assert "provider down" in (job.last_error or "")


def test_a_kind_has_one_io_handler_and_no_transactional_ones() -> None:
    registry = JobRegistry()
    registry.register_io("x", lambda ctx: None)
    with pytest.raises(ValueError):
        registry.register_io("x", lambda ctx: None)
    registry.register("y", lambda ctx: None)
    with pytest.raises(ValueError):
        registry.register_io("y", lambda ctx: None)
    assert registry.kinds() == ["x", "y"]
