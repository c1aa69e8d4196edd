"""`tocsin smtpd` and `tocsin serve` receive mail as real processes (started, mailed, stopped with SIGTERM)."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.email_intake.conftest import free_port, mail
from tocsin.alerts.models import Alert
from tocsin.alerts.sources import create_source
from tocsin.auth import service as auth
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.migrations import upgrade

pytestmark = pytest.mark.skipif(bool(os.environ.get("TOCSIN_TEST_DATABASE_URL")),
                                reason="runs the command line against its own SQLite file")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def email_key(db: Database) -> str:
    clock = FrozenClock(datetime.now(UTC))
    with db.session(write=True) as session:
        admin = auth.create_user(session, clock, email="root@example.com", name="Root", role=Role.ADMIN)
        _source, key = create_source(session, clock, admin, {
            "name": "Mail", "integration_type": "EMAIL", "team_ids": [], "integration_settings": {},
        })
    return key


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the process listens (it has to import and bind first), or fail with what it printed."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listened on {port} within 30 s")


@contextmanager
def running(db: Database, *args: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    environ = {**os.environ, "TOCSIN_DATABASE_URL": db.url, "TOCSIN_EMAIL_DOMAIN": "mail.example", **env}
    process = subprocess.Popen([sys.executable, "-m", "tocsin.cli", *args], env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def send(port: int, key: str, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        assert smtp.send_message(mail(subject), to_addrs=[f"{key}@mail.example"]) == {}


def summaries(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Alert.summary).order_by(Alert.id)))


def test_tocsin_smtpd_receives_mail_until_terminated(database: Database) -> None:
    key, port = email_key(database), free_port()
    with running(database, "smtpd", TOCSIN_SMTPD_PORT=str(port)) as process:
        wait_for_port(port, process)
        send(port, key, "Received by tocsin smtpd")
        assert summaries(database) == ["Received by tocsin smtpd"]
    assert process.returncode == 0


def test_tocsin_serve_also_receives_mail_unless_disabled(database: Database) -> None:
    key, http_port, smtp_port = email_key(database), free_port(), free_port()
    with running(database, "serve", "--port", str(http_port), TOCSIN_SMTPD_PORT=str(smtp_port)) as process:
        wait_for_port(smtp_port, process)
        send(smtp_port, key, "Received by tocsin serve")
        wait_for_port(http_port, process)
        assert httpx.get(f"http://127.0.0.1:{http_port}/healthz").status_code == 200
    assert summaries(database) == ["Received by tocsin serve"]

    http_port = free_port()
    with running(database, "serve", "--port", str(http_port), TOCSIN_SMTPD_PORT=str(smtp_port),
                 TOCSIN_SMTPD_ENABLED="false") as process:
        wait_for_port(http_port, process)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", smtp_port), timeout=1).close()


def test_serve_stops_with_a_clear_message_when_the_smtp_port_is_taken(database: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environ = {**os.environ, "TOCSIN_DATABASE_URL": database.url, "TOCSIN_SMTPD_PORT": str(port)}
        result = subprocess.run([sys.executable, "-m", "tocsin.cli", "serve", "--port", str(free_port())],
                                env=environ, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert f"cannot receive email on 127.0.0.1:{port}" in result.stderr
    assert "TOCSIN_SMTPD_ENABLED=false" in result.stderr
