"""A daily job that deletes finished jobs, so the job table does not grow without end."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.engine.queue import enqueue, purge_finished
from tocsin.engine.registry import JobContext, JobRegistry

PURGE = "engine.purge"
PURGE_EVERY = timedelta(days=1)
KEEP_DONE = timedelta(days=7)  # DONE jobs stay this long for inspection; FAILED ones until dealt with


def schedule_purge(session: Session, clock: Clock) -> None:
    enqueue(session, clock, PURGE, run_at=clock.now() + PURGE_EVERY, dedup_key=PURGE)


def on_purge(ctx: JobContext) -> None:
    purge_finished(ctx.session, ctx.clock, older_than=KEEP_DONE)
    schedule_purge(ctx.session, ctx.clock)


def register(registry: JobRegistry) -> None:
    registry.register(PURGE, on_purge)
