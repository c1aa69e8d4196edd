"""Two worker processes on one PostgreSQL deliver 2,000 due webhook notifications: each exactly once.

Counted where it matters, at the receiving server. The workers are real `tocsin worker` processes on
the system clock, so this test polls the database with a deadline (separate processes, real time)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_URL, Factory
from tocsin.auth.models import User
from tocsin.clock import SystemClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.notifications.dispatch import SEND, queue_message
from tocsin.notifications.models import Channel, ContactMethod, MessageKind, MessageStatus, Notification

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="two worker processes share one database on PostgreSQL only (FOR UPDATE SKIP LOCKED); "
                       "SQLite has a single writer"
)

MESSAGES = 2000
CONTACT_METHODS = 10
# A worker needs some 10-40 ms per message here, depending on load; the deadline leaves room for a busy CI box.
DEADLINE_SECONDS = 120


class CountingServer:
    """An HTTP server in a thread that counts requests per Idempotency-Key and answers 200 "ok"."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        counts, lock = self.counts, self.lock

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    counts[self.headers.get("Idempotency-Key", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def counting_server() -> Iterator[CountingServer]:
    counter = CountingServer()
    thread = threading.Thread(target=counter.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield counter
    finally:
        counter.server.shutdown()
        counter.server.server_close()
        thread.join(10)


@contextmanager
def worker_processes(count: int, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    assert PG_URL is not None
    env = {**os.environ, "TOCSIN_DATABASE_URL": PG_URL, "TOCSIN_ALLOW_PRIVATE_WEBHOOKS": "true",
           "TOCSIN_WORKER_POLL_SECONDS": "0.1", "TOCSIN_WEBHOOK_TIMEOUT_SECONDS": "10"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            log = (logs / f"worker{n}.log").open("wb")
            processes.append(subprocess.Popen([sys.executable, "-m", "tocsin.cli", "worker"], env=env,
                                              stdout=log, stderr=subprocess.STDOUT))
            log.close()
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_for(condition: Callable[[], bool], deadline: float) -> bool:
    """Poll until `condition` holds or the deadline (time.monotonic) passes: separate processes on real time."""
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_two_worker_processes_send_2000_due_notifications_exactly_once(
    db: Database, factory: Factory, tmp_path: Path
) -> None:
    clock = SystemClock()  # the worker processes run on real time: the jobs must be due by it
    user = factory.user(name="Wanda Webhook")
    keys = {f"exactly-once.{i}" for i in range(MESSAGES)}

    def finished() -> int:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(Job).where(
                Job.kind == SEND, Job.status.in_((JobStatus.DONE.value, JobStatus.FAILED.value)))) or 0

    def logs() -> str:
        return "\n".join(f"--- worker{n}\n{(tmp_path / f'worker{n}.log').read_text()[-3000:]}" for n in range(2))

    with counting_server() as server, worker_processes(2, tmp_path) as processes:
        deadline = time.monotonic() + DEADLINE_SECONDS
        # Both workers are up and polling before any job exists, so they compete for all of them.
        assert wait_for(lambda: all("started" in (tmp_path / f"worker{n}.log").read_text() for n in range(2))
                        or any(p.poll() is not None for p in processes), deadline), logs()
        with db.session(write=True) as session:
            owner = session.get(User, user.id)
            assert owner is not None
            methods = [ContactMethod(user_id=user.id, channel=Channel.WEBHOOK.value, address=f"{server.url}/hook/{n}",
                                     data={"secret": "0123456789abcdef"}, created_at=clock.now())
                       for n in range(CONTACT_METHODS)]
            session.add_all(methods)
            session.flush()
            for i in range(MESSAGES):
                queue_message(session, clock, owner, methods[i % CONTACT_METHODS], MessageKind.TEST,
                              f"exactly-once.{i}")
        wait_for(lambda: finished() == MESSAGES or any(p.poll() is not None for p in processes), deadline)
        alive = [p.poll() is None for p in processes]
        done = finished()
    assert all(alive), f"a worker process died:\n{logs()}"
    assert done == MESSAGES, f"only {done} of {MESSAGES} jobs finished in time:\n{logs()}"

    with db.session() as session:
        statuses = Counter(session.scalars(select(Notification.status)))
        failed_jobs = session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == SEND, Job.status == JobStatus.FAILED.value))
    assert statuses == {MessageStatus.SENT.value: MESSAGES}
    assert failed_jobs == 0
    assert sum(server.counts.values()) == MESSAGES
    assert set(server.counts) == keys
    assert set(server.counts.values()) == {1}, [k for k, n in server.counts.items() if n != 1][:10]
