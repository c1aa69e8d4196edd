"""Putting work on the durable queue, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.engine.models import Job, JobStatus

DEFAULT_MAX_ATTEMPTS = 8


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
) -> None:
    """Add a job that becomes due at `run_at` (now by default).

    With a `dedup_key`, at most one pending job has that key: a second enqueue is dropped, or with
    `replace=True` moves the pending job to the new time and payload (a timer being pushed back).
    """
    now = clock.now()
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
    if dedup_key is None:
        session.execute(insert(Job).values(**values))
        return
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = builder(Job).values(**values)
    if replace:
        stmt = stmt.on_conflict_do_update(
            index_elements=[Job.dedup_key],
            set_={"run_at": stmt.excluded.run_at, "payload": stmt.excluded.payload},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[Job.dedup_key])
    session.execute(stmt)
