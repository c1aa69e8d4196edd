"""A 202 means committed: kill the server with SIGKILL right after the answers and nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import PG_URL
from tests.live import free_port
from tocsin.alerts.models import Alert, InboundEvent
from tocsin.alerts.sources import create_source
from tocsin.app import build_registry
from tocsin.auth import service as auth
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock, SystemClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.worker import Worker
from tocsin.migrations import upgrade
from tocsin.settings import Settings

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="uses its own SQLite file; PostgreSQL durability is its own")


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # waiting for a separate process to listen, not for the engine
    raise RuntimeError("server did not start")


def test_events_answered_202_survive_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade(url)
    db = Database(url)
    with db.session(write=True) as session:
        admin = auth.create_user(session, SystemClock(), email="root@example.com", name="Root", role=Role.ADMIN)
        _source, key = create_source(session, SystemClock(), admin, {"name": "crash"})
    db.dispose()

    port = free_port()
    env = {**os.environ, "TOCSIN_DATABASE_URL": url, "TOCSIN_WORKER_POLL_SECONDS": "3600"}
    # `api` (no worker): jobs must still be pending after the crash, to be run on restart.
    process = subprocess.Popen([sys.executable, "-m", "tocsin.cli", "api", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        with httpx.Client(base_url=base) as http:
            for i in range(20):
                answer = http.post(f"/api/events/{key}", json={"eventType": "ALERT", "summary": f"s{i}",
                                                               "alertKey": f"k{i}"})
                assert answer.status_code == 202
            last = http.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve", "dedup_key": "k0"})
            assert last.status_code == 202
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    db = Database(url)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 21
        states = {row.alert_key: row.state for row in session.execute(select(Alert.alert_key, Alert.state))}
        assert len(states) == 20 and states["k0"] == "RESOLVED"
        pending = session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.PENDING.value))
        assert pending == 21  # 20 alert.created + 1 alert.changed, waiting for a worker

    clock = FrozenClock(SystemClock().now() + timedelta(seconds=1))
    assert Worker(db, clock, build_registry(Settings(database_url=url))).run_until_idle() == 21
    with db.session() as session:
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {JobStatus.DONE.value}
    db.dispose()
