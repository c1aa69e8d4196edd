"""Escalation timer benchmark: how late do 10,000 pending escalation timers fire?

Creates N pending alerts on a fresh database (SQLite by default, `--database-url` for PostgreSQL),
each in level 1 of a two-level policy with its level-1 timer due within a `--spread` second window
starting a few seconds from now. Then runs `--workers` real worker threads on the system clock and
records, for each timer, how long after its due time the escalation to level 2 happened
(`finished_at - run_at` of the timer job). Prints p50/p99/max lateness and writes JSON to
bench/results/timers-<db>-<timestamp>.json. Target: p99 < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tocsin.alerts.models import Alert, AlertState, Priority
from tocsin.alerts.sources import create_source
from tocsin.app import build_registry
from tocsin.auth import service as auth
from tocsin.auth.models import Role
from tocsin.clock import SystemClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.queue import enqueue
from tocsin.engine.worker import Worker
from tocsin.escalation.engine import TIMEOUT
from tocsin.escalation.models import TargetKind
from tocsin.escalation.service import LevelSpec, PolicySpec, create_policy
from tocsin.migrations import upgrade
from tocsin.notifications.rules import set_rules
from tocsin.settings import Settings

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_P99_SECONDS = 1.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seed(db: Database, count: int, first_due: datetime, spread: float) -> None:
    """N pending alerts sitting in level 1 with a timer due between first_due and first_due+spread."""
    clock = SystemClock()
    with db.session(write=True) as session:
        admin = auth.create_user(session, clock, email="bench@example.invalid", name="Bench", role=Role.ADMIN)
        # Nobody is notified (no rules): the bench measures the timers, not the channels.
        set_rules(session, admin.id, Priority.HIGH, [])
        policy = create_policy(session, clock, admin, PolicySpec(
            name="bench", levels=[LevelSpec(1, [(TargetKind.USER, admin.id)]), LevelSpec(60, [(TargetKind.USER,
                                                                                             admin.id)])],
            repeating=False, repeat_times=0, fallback_user_id=None, team_ids=[]))
        source, _key = create_source(session, clock, admin, {"name": "bench", "escalation_policy_id": policy.id})
        now = clock.now()
        alerts = [
            Alert(alert_source_id=source.id, alert_key=f"k{i}", alert_key_norm=f"k{i}", summary=f"bench {i}",
                  state=AlertState.PENDING.value, priority="HIGH", event_count=1, created_at=now, last_event_at=now,
                  escalation_policy_id=policy.id, escalation_level=1, escalation_generation=1,
                  images=[], links=[], labels={}, custom_details={})
            for i in range(count)
        ]
        session.add_all(alerts)
        session.flush()
        for i, alert in enumerate(alerts):
            due = first_due + timedelta(seconds=spread * i / max(count - 1, 1))
            alert.next_escalation_at = due
            enqueue(session, clock, TIMEOUT, {"alertId": alert.id, "generation": 1}, run_at=due)


def run(database_url: str, count: int, workers: int, spread: float, lead: float) -> dict[str, Any]:
    upgrade(database_url)
    db = Database(database_url)
    first_due = datetime.now(UTC) + timedelta(seconds=lead)
    started = time.perf_counter()
    seed(db, count, first_due, spread)
    seeded_in = time.perf_counter() - started
    if datetime.now(UTC) > first_due:
        raise SystemExit(f"seeding took {seeded_in:.1f} s, longer than --lead {lead}; raise --lead")
    registry = build_registry(Settings(database_url=database_url))
    stop = threading.Event()
    threads = []
    for n in range(workers):
        worker = Worker(db, SystemClock(), registry, worker_id=f"bench-{n}")
        thread = threading.Thread(target=worker.run_forever, args=(stop, threading.Event(), 0.05), daemon=True)
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + lead + spread + 120
    while time.monotonic() < deadline:
        with db.session() as session:
            left = session.scalar(select(func.count()).select_from(Job).where(
                Job.kind == TIMEOUT, Job.status != JobStatus.DONE.value))
        if left == 0:
            break
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(10)
    with db.session() as session:
        rows = session.execute(select(Job.run_at, Job.finished_at).where(Job.kind == TIMEOUT)).all()
        escalated = session.scalar(select(func.count()).select_from(Alert).where(Alert.escalation_level == 2))
    late = [(finished - run_at).total_seconds() for run_at, finished in rows if finished is not None]
    db.dispose()
    return {
        "timers": count,
        "fired": len(late),
        "escalatedToLevel2": escalated,
        "workers": workers,
        "spreadSeconds": spread,
        "seedSeconds": round(seeded_in, 2),
        "latenessSeconds": {
            "p50": round(percentile(late, 0.50), 4), "p99": round(percentile(late, 0.99), 4),
            "max": round(max(late), 4),
        } if late else None,
        "targetP99Seconds": TARGET_P99_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="worker threads (use >1 only on PostgreSQL)")
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which the timers fall due")
    parser.add_argument("--lead", type=float, default=60.0, help="seconds from now until the first timer is due")
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'timers.db'}"
        result = run(url, args.timers, args.workers, args.spread, args.lead)
    label = "postgresql" if url.startswith("postgresql") else "sqlite"
    result.update({"database": label, "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                   "at": datetime.now(UTC).isoformat()})
    print(json.dumps(result, indent=2))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"timers-{label}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
