"""A real SMTP server (the email intake, aiosmtpd) on a free port of 127.0.0.1, and a client for it."""

from __future__ import annotations

import email.policy
import smtplib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory, Source
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.integrations.email_intake.server import email_server
from tocsin.settings import Settings

DOMAIN = "alerts.test"
MAX_BYTES = 64 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    code: int
    text: str


@dataclass
class Mailer:
    """Talks SMTP to the intake server like a monitoring tool's mail client would."""

    port: int

    def address(self, key: str) -> str:
        return f"{key}@{DOMAIN}"

    def connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=10)
        smtp.ehlo("monitor.example")
        return smtp

    def send(self, to: str | list[str], message: EmailMessage | bytes, *, sender: str = "nagios@example.com",
             options: tuple[str, ...] = ()) -> Reply:
        """MAIL, RCPT (each must be 250) and DATA; the answer to DATA."""
        raw = message.as_bytes(policy=email.policy.SMTP) if isinstance(message, EmailMessage) else message
        with self.connect() as smtp:
            code, text = smtp.mail(sender, list(options))
            assert code == 250, (code, text)
            for address in [to] if isinstance(to, str) else to:
                code, text = smtp.rcpt(address)
                assert code == 250, (code, text)
            code, text = smtp.data(raw)
            return Reply(code, text.decode())

    def rcpt(self, to: str) -> Reply:
        with self.connect() as smtp:
            smtp.mail("nagios@example.com")
            code, text = smtp.rcpt(to)
            return Reply(code, text.decode())


@pytest.fixture
def intake_settings(settings: Settings) -> Settings:
    return replace(settings, email_domain=DOMAIN, smtpd_host="127.0.0.1", smtpd_port=free_port(),
                   smtpd_max_bytes=MAX_BYTES)


@pytest.fixture
def mailer(app: FastAPI, intake_settings: Settings, db: Database, clock: FrozenClock) -> Iterator[Mailer]:
    server = email_server(intake_settings, db, clock, wake=app.state.tocsin.jobs_waiting)
    server.start()
    try:
        yield Mailer(intake_settings.smtpd_port)
    finally:
        server.stop()


def email_source(factory: Factory, team: int, **settings: Any) -> Source:
    return factory.source(teams=(team,), integration_type="EMAIL", integration_settings=settings)


@pytest.fixture
def inbox(factory: Factory, team: int) -> Source:
    """An EMAIL alert source with the default settings (one alert per email)."""
    return email_source(factory, team)


def mail(subject: str = "PROBLEM: disk full on db-1", body: str = "Disk / is 97% full.", *,
         message_id: str | None = None, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Nagios <nagios@example.com>")
    message["To"] = headers.pop("To", "ops@alerts.test")
    message["Subject"] = subject
    message["Date"] = headers.pop("Date", "Mon, 02 Mar 2026 09:00:00 +0000")
    if message_id is not None:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def alerts_of(client: TestClient, actor: Actor, source: Source) -> list[dict[str, Any]]:
    """The source's alerts through the API, oldest first."""
    response = client.get("/api/alerts", headers=actor.headers, params={"alertSource": source.id})
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))
