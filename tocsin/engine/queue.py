"""Putting work on the durable queue, inside the caller's transaction; clearing out finished work."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.engine.models import Job, JobStatus

DEFAULT_MAX_ATTEMPTS = 8
_DUE_NOW = "tocsin.jobs_due_now"


def queued_due_work(session: Session) -> bool:
    """Whether this session queued a job that is due at once (so a waiting worker should wake)."""
    return bool(session.info.get(_DUE_NOW))


def enqueue(
    session: Session,
    clock: Clock,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedup_key: str | None = None,
    replace: bool = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int | None:
    """Add a job that becomes due at `run_at` (now by default); returns its id.

    With a `dedup_key`, at most one not-yet-started job has that key: a second enqueue is dropped
    (returns None), or with `replace=True` moves the waiting job to the new time and payload (a timer
    being pushed back) and returns its id. A worker frees the key when it claims the job, so work
    enqueued after that is never folded into a job that has already started.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = clock.now()
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("naive datetime given as run_at; pass a timezone-aware time")
    if run_at is None or run_at <= now:
        session.info[_DUE_NOW] = True
    values = {
        "kind": kind,
        "payload": payload or {},
        "run_at": run_at or now,
        "status": JobStatus.PENDING.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedup_key": dedup_key,
        "created_at": now,
    }
    # A Core insert on the session's connection: the ORM's bulk-insert path costs more than the job.
    table = cast(Table, Job.__table__)
    connection = session.connection()
    if dedup_key is None:
        return _id(connection.scalar(insert(table).values(**values).returning(table.c.id)))
    builder = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    stmt = builder(table).values(**values)
    if replace:
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.dedup_key],
            set_={"run_at": stmt.excluded.run_at, "payload": stmt.excluded.payload},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[table.c.dedup_key])
    return _id(connection.scalar(stmt.returning(table.c.id)))


def _id(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def purge_finished(session: Session, clock: Clock, *, older_than: timedelta) -> int:
    """Delete DONE jobs that finished more than `older_than` ago; returns how many went.

    FAILED jobs stay for inspection until someone deals with them; unfinished jobs are never touched.
    """
    cutoff = clock.now() - older_than
    result = session.execute(
        delete(Job).where(Job.status == JobStatus.DONE.value, Job.finished_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    return cast(CursorResult[Any], result).rowcount
