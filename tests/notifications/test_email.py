"""The EMAIL channel against a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, how failures
count, and the whole path from an event to a message whose accept link works."""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Factory
from tests.notifications.conftest import SMTP_PASSWORD, SMTP_USER, SmtpHandler, check_smtp_login, running_smtp
from tests.scenarios.harness import Devices, Scenario
from tocsin.alerts.models import Alert
from tocsin.app import create_app
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.worker import Worker
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure
from tocsin.notifications.channels.email import EmailSender, TemporaryFailure
from tocsin.notifications.dispatch import SEND
from tocsin.notifications.models import Channel, MessageKind, MessageStatus, Notification
from tocsin.settings import Settings

EVIL = '<script>alert("x")</script> & <b>bold</b>'


def outbound(kind: MessageKind = MessageKind.ALERT, *, address: str = "ann@example.com", summary: str = EVIL,
             subject: str | None = None) -> OutboundMessage:
    alert = {"id": 7, "summary": summary, "priority": "HIGH", "state": "PENDING", "source": "Web <shop>",
             "url": "https://tocsin.example/alerts/7"}
    if kind is MessageKind.ALERT:
        alert |= {"acceptUrl": "https://tocsin.example/actions/ACCEPT.tok", "acceptToken": "ACCEPT.tok",
                  "resolveUrl": "https://tocsin.example/actions/RESOLVE.tok", "resolveToken": "RESOLVE.tok"}
    return OutboundMessage(
        notification_id=1, channel=Channel.EMAIL, kind=kind, address=address,
        subject=subject if subject is not None else f"[HIGH] #7 {summary}",
        text=f"HIGH alert #7 from Web <shop>: {summary}\n\nline one\nline two", idempotency_key="k1",
        recipient_name='Ann "Ops" Ärger', alert=alert,
    )


def sender(smtp_settings: Settings, clock: FrozenClock, **changes: object) -> EmailSender:
    return EmailSender(replace(smtp_settings, **changes), clock=clock)  # type: ignore[arg-type]


# -- the channel on its own --------------------------------------------------------------------------


def test_alert_email_has_headers_text_and_escaped_html(smtp_server: SmtpHandler, smtp_settings: Settings,
                                                       clock: FrozenClock) -> None:
    answer = sender(smtp_settings, clock).send(outbound())
    [got] = smtp_server.messages
    assert (got.mail_from, got.rcpt_tos) == ("pager@tocsin.example", ["ann@example.com"])
    mail = got.message
    assert mail["Message-ID"] == answer and answer.endswith("@tocsin.example>")
    assert mail["From"] == "tocsin <pager@tocsin.example>"
    assert mail["To"].addresses[0].addr_spec == "ann@example.com"
    assert mail["To"].addresses[0].display_name == 'Ann "Ops" Ärger'
    assert mail["Subject"] == f"[HIGH] #7 {EVIL}"
    assert mail["Date"].datetime == clock.now()
    assert mail["Auto-Submitted"] == "auto-generated"
    assert (mail["X-Tocsin-Alert"], mail["X-Tocsin-Kind"], mail["Importance"]) == ("7", "ALERT", "high")
    assert mail.get_content_type() == "multipart/alternative"

    text = got.part("plain")
    assert EVIL in text and "line one\nline two" in text
    assert "Accept: https://tocsin.example/actions/ACCEPT.tok" in text
    assert "Resolve: https://tocsin.example/actions/RESOLVE.tok" in text
    assert "Open in tocsin: https://tocsin.example/alerts/7" in text
    assert "24 hours" in text

    page = got.part("html")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "Web &lt;shop&gt;" in page and "line one<br>line two" in page
    assert '<a href="https://tocsin.example/actions/ACCEPT.tok"' in page
    assert '<a href="https://tocsin.example/actions/RESOLVE.tok"' in page
    assert '<a href="https://tocsin.example/alerts/7"' in page


def test_other_messages_have_no_action_links(smtp_server: SmtpHandler, smtp_settings: Settings,
                                             clock: FrozenClock) -> None:
    sender(smtp_settings, clock).send(outbound(MessageKind.UPDATE))
    [got] = smtp_server.messages
    for part in (got.part("plain"), got.part("html")):
        assert "/actions/" not in part and "24 hours" not in part
        assert "https://tocsin.example/alerts/7" in part
    assert got.message["Importance"] is None


def test_header_injection_through_the_summary_is_flattened(smtp_server: SmtpHandler, smtp_settings: Settings,
                                                           clock: FrozenClock) -> None:
    summary = "Disk full\r\nBcc: mallory@evil.example\r\n\r\nfake body"
    sender(smtp_settings, clock).send(outbound(summary=summary))
    [got] = smtp_server.messages
    assert got.rcpt_tos == ["ann@example.com"]
    assert got.message["Bcc"] is None
    assert got.message["Subject"] == "[HIGH] #7 Disk full Bcc: mallory@evil.example fake body"


@pytest.mark.parametrize("address", ["ann@example.com, bob@example.com", "ann@example.com>", "no-at-sign", ""])
def test_an_address_that_is_not_one_mailbox_fails_for_good(smtp_server: SmtpHandler, smtp_settings: Settings,
                                                           clock: FrozenClock, address: str) -> None:
    with pytest.raises(PermanentFailure, match="not a valid email address"):
        sender(smtp_settings, clock).send(outbound(address=address))
    assert smtp_server.messages == []


def test_refused_recipient_is_permanent_and_busy_mailbox_temporary(smtp_server: SmtpHandler,
                                                                   smtp_settings: Settings,
                                                                   clock: FrozenClock) -> None:
    smtp_server.refuse["ann@example.com"] = "550 5.1.1 <ann@example.com>: no such user"
    smtp_server.refuse["bob@example.com"] = "450 4.2.1 mailbox busy, try later"
    channel = sender(smtp_settings, clock)
    with pytest.raises(PermanentFailure, match=r"refused ann@example.com: 550 5\.1\.1"):
        channel.send(outbound())
    with pytest.raises(TemporaryFailure, match=r"450 4\.2\.1 mailbox busy"):
        channel.send(outbound(address="bob@example.com"))
    assert smtp_server.messages == []


def test_server_down_or_silent_is_temporary(smtp_port: int, smtp_settings: Settings, clock: FrozenClock) -> None:
    with pytest.raises(TemporaryFailure, match=f"could not reach the mail server 127.0.0.1:{smtp_port}"):
        sender(smtp_settings, clock).send(outbound())
    # Accepts the connection but never greets: the timeout ends the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        lost = rf"lost the connection to the mail server 127\.0\.0\.1:{port}: .*timed out"
        with pytest.raises(TemporaryFailure, match=lost):
            sender(smtp_settings, clock, smtp_port=port, smtp_timeout_seconds=0.2).send(outbound())


def test_login_and_wrong_password(smtp_port: int, smtp_settings: Settings, clock: FrozenClock) -> None:
    with running_smtp(smtp_port, authenticator=check_smtp_login) as server:
        sender(smtp_settings, clock, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD).send(outbound())
        assert [m.authenticated for m in server.messages] == [True]
        with pytest.raises(PermanentFailure, match="refused the SMTP login of 'tocsin': 535") as failure:
            sender(smtp_settings, clock, smtp_username=SMTP_USER, smtp_password="wrong").send(outbound())
        assert "wrong" not in str(failure.value)
        assert len(server.messages) == 1


def test_starttls_with_verified_certificate_then_login(smtp_port: int, smtp_settings: Settings, clock: FrozenClock,
                                                       smtp_server_tls: ssl.SSLContext,
                                                       smtp_client_tls: ssl.SSLContext) -> None:
    with running_smtp(smtp_port, tls_context=smtp_server_tls, require_starttls=True, authenticator=check_smtp_login,
                      auth_require_tls=True) as server:
        settings = replace(smtp_settings, smtp_security="starttls", smtp_username=SMTP_USER,
                           smtp_password=SMTP_PASSWORD)
        EmailSender(settings, clock=clock, ssl_context=smtp_client_tls).send(outbound())
        assert [(m.tls, m.authenticated) for m in server.messages] == [(True, True)]
        # The system's trust store does not know the test CA: a certificate we cannot verify is refused.
        with pytest.raises(PermanentFailure, match=r"TLS certificate .* is not trusted"):
            EmailSender(settings, clock=clock).send(outbound())
        assert len(server.messages) == 1


def test_starttls_required_but_not_offered_sends_nothing(smtp_server: SmtpHandler, smtp_settings: Settings,
                                                         clock: FrozenClock) -> None:
    with pytest.raises(PermanentFailure, match="STARTTLS"):
        sender(smtp_settings, clock, smtp_security="starttls", smtp_username=SMTP_USER,
               smtp_password=SMTP_PASSWORD).send(outbound())
    assert smtp_server.messages == []


def test_implicit_tls(smtp_port: int, smtp_settings: Settings, clock: FrozenClock,
                      smtp_server_tls: ssl.SSLContext, smtp_client_tls: ssl.SSLContext) -> None:
    with running_smtp(smtp_port, ssl_context=smtp_server_tls) as server:
        settings = replace(smtp_settings, smtp_security="ssl")
        EmailSender(settings, clock=clock, ssl_context=smtp_client_tls).send(outbound())
        assert [m.tls for m in server.messages] == [True]


def test_settings_are_checked_when_the_server_starts(settings: Settings) -> None:
    with pytest.raises(ValueError, match="TOCSIN_SMTP_SECURITY"):
        EmailSender(replace(settings, smtp_host="mail", smtp_security="tls"))
    with pytest.raises(ValueError, match="TOCSIN_SMTP_FROM"):
        EmailSender(replace(settings, smtp_host="mail", smtp_from="nobody"))
    assert EmailSender(replace(settings, smtp_host="mail", smtp_security="ssl")).port == 465
    assert EmailSender(replace(settings, smtp_host="mail")).port == 587
    default = EmailSender(replace(settings, smtp_host="mail", smtp_security="none"))
    assert (default.port, default.envelope_from) == (25, "tocsin@testserver")
    assert "s3cret" not in repr(replace(settings, smtp_password="s3cret"))


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("TOCSIN_SMTP_PORT", "2525")
    monkeypatch.setenv("TOCSIN_SMTP_SECURITY", "SSL")
    monkeypatch.setenv("TOCSIN_SMTP_USERNAME", "u")
    monkeypatch.setenv("TOCSIN_SMTP_PASSWORD", "p")
    monkeypatch.setenv("TOCSIN_SMTP_FROM", "Pager <pager@example.com>")
    monkeypatch.setenv("TOCSIN_SMTP_TIMEOUT_SECONDS", "3.5")
    settings = Settings.from_env()
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_username,
            settings.smtp_password, settings.smtp_from, settings.smtp_timeout_seconds) == (
        "smtp.example.com", 2525, "ssl", "u", "p", "Pager <pager@example.com>", 3.5)


# -- the whole path: event → escalation → outbox → SMTP → link → accepted ------------------------------


@pytest.fixture
def app(smtp_settings: Settings, db: Database, clock: FrozenClock) -> FastAPI:
    """The app with the senders its settings give: EMAIL goes to the test SMTP server."""
    return create_app(smtp_settings, db=db, clock=clock)


@pytest.fixture
def scenario(client: TestClient, factory: Factory, clock: FrozenClock, worker: Worker) -> Scenario:
    return Scenario(client, factory, clock, worker, Devices())


def _notification(db: Database) -> Notification:
    with db.session() as session:
        row = session.scalar(select(Notification).where(Notification.channel == Channel.EMAIL.value))
        assert row is not None
        return row


def _send_job(db: Database) -> Job:
    with db.session() as session:
        job = session.scalar(select(Job).where(Job.kind == SEND))
        assert job is not None
        return job


def test_page_by_email_and_accept_from_the_link(scenario: Scenario, smtp_server: SmtpHandler, db: Database,
                                                 client: TestClient) -> None:
    ann = scenario.person("Ann", channels=("EMAIL",))
    key = scenario.source(scenario.policy((15, [ann])))
    alert_id = scenario.alert(key, "db", summary="Disk <full> with db")

    [got] = smtp_server.messages  # delivered before the SMTP transaction returned: no waiting
    assert got.rcpt_tos == ["ann@example.com"]
    assert got.message["Subject"] == f"[HIGH] #{alert_id} Disk <full> with db"
    assert "Disk &lt;full&gt; with db" in got.part("html")
    row = _notification(db)
    assert (row.status, row.provider_answer) == (MessageStatus.SENT.value, got.message["Message-ID"])
    assert "Sent EMAIL notification to Ann" in scenario.log(alert_id)

    links = dict(re.findall(r"^(Accept|Resolve): (\S+)$", got.part("plain"), re.MULTILINE))
    accept_path = links["Accept"].removeprefix("http://testserver")
    assert accept_path.startswith("/actions/")
    confirm = client.get(accept_path)
    assert confirm.status_code == 200 and f"Accept alert #{alert_id}" in confirm.text
    done = client.post(accept_path)
    assert done.status_code == 200 and f"You accepted alert #{alert_id}" in done.text
    with db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and (alert.state, alert.accepted_by_id) == ("ACCEPTED", ann.id)
    assert "Alert accepted by Ann" in scenario.log(alert_id)


def test_refused_recipient_fails_the_notification_and_logs_it(scenario: Scenario, smtp_server: SmtpHandler,
                                                              db: Database) -> None:
    smtp_server.refuse["ann@example.com"] = "550 5.1.1 no such user here"
    ann = scenario.person("Ann", channels=("EMAIL",))
    alert_id = scenario.alert(scenario.source(scenario.policy((15, [ann]))))
    row = _notification(db)
    assert (row.status, row.attempts) == (MessageStatus.FAILED.value, 1)
    assert "550 5.1.1 no such user here" in (row.last_error or "")
    assert ("Failed to send EMAIL notification to Ann: the mail server refused ann@example.com: "
            "550 5.1.1 no such user here") in scenario.log(alert_id)
    assert _send_job(db).status == JobStatus.DONE.value  # nothing left to retry
    assert smtp_server.messages == []


def test_server_down_retries_with_backoff_until_it_is_back(scenario: Scenario, smtp_port: int, db: Database,
                                                           clock: FrozenClock) -> None:
    ann = scenario.person("Ann", channels=("EMAIL",))
    alert_id = scenario.alert(scenario.source(scenario.policy((15, [ann]))))
    row, job = _notification(db), _send_job(db)
    assert (row.status, row.attempts) == (MessageStatus.QUEUED.value, 1)
    assert "could not reach the mail server" in (row.last_error or "")
    assert (job.status, job.attempts, job.run_at) == (JobStatus.PENDING.value, 1, clock.now() + timedelta(seconds=5))
    assert not any("EMAIL" in line for line in scenario.log(alert_id))  # not failed yet: no log line

    with running_smtp(smtp_port) as server:
        scenario.after(4 / 60)  # not due yet
        assert server.messages == []
        scenario.after(1 / 60)
        assert [m.rcpt_tos for m in server.messages] == [["ann@example.com"]]
    row = _notification(db)
    assert (row.status, row.attempts) == (MessageStatus.SENT.value, 2)
    assert "Sent EMAIL notification to Ann" in scenario.log(alert_id)
