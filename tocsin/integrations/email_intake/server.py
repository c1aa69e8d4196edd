"""The SMTP server (aiosmtpd) that turns mail to <integration key>@<TOCSIN_EMAIL_DOMAIN> into alerts.

aiosmtpd runs its own event loop in a thread; the database work runs in worker threads
(asyncio.to_thread) because the database layer is synchronous.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.integrations.email_intake.delivery import Mailbox, Refused, check_recipient, deliver
from tocsin.settings import Settings

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 20
MAX_LINE_BYTES = 64 * 1024
# aiosmtpd's own texts for the two size refusals, replaced by ones with enhanced status codes.
_DECLARED_TOO_BIG = "552 Error: message size exceeds fixed maximum message size"
_DATA_TOO_BIG = "552 Error: Too much mail data"


class IntakeHandler:
    def __init__(self, db: Database, clock: Clock, mailbox: Mailbox, wake: threading.Event | None = None) -> None:
        self.db = db
        self.clock = clock
        self.mailbox = mailbox
        self.wake = wake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return f"452 4.5.3 Too many recipients; at most {MAX_RECIPIENTS} per message"
        try:
            await asyncio.to_thread(check_recipient, self.db, self.mailbox, address)
        except Refused as refused:
            return refused.reply
        except Exception:
            log.exception("checking recipient %s failed", address)
            return "451 4.3.0 Temporary failure; try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            return await asyncio.to_thread(
                deliver, self.db, self.clock, self.mailbox, list(envelope.rcpt_tos), bytes(raw), wake=self.wake
            )
        except Exception:
            log.exception("storing an email from %s failed", envelope.mail_from)
            return "451 4.3.0 Temporary failure; the message was not stored, try again later"


class IntakeSMTP(SMTP):
    """aiosmtpd's SMTP with size refusals that say what the limit is (RFC 3463 code 5.3.4), and lenient
    about line length: RFC 5321 allows 1000 characters, but tools send HTML mail as one long line."""

    line_length_limit = MAX_LINE_BYTES

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str) and status == _DECLARED_TOO_BIG:
            status = f"552 5.3.4 Message too big: the declared SIZE exceeds the limit of {self.data_size_limit} bytes"
        elif isinstance(status, str) and status == _DATA_TOO_BIG:
            status = f"552 5.3.4 Message too big: it exceeds the limit of {self.data_size_limit} bytes"
        await super().push(status)


class IntakeController(Controller):
    def factory(self) -> IntakeSMTP:
        return IntakeSMTP(self.handler, **self.SMTP_kwargs)


def email_server(
    settings: Settings, db: Database, clock: Clock, *, wake: threading.Event | None = None
) -> IntakeController:
    """A server for settings.smtpd_host:smtpd_port; call start() and stop()."""
    handler = IntakeHandler(db, clock, Mailbox(settings.email_domain), wake)
    return IntakeController(
        handler,
        hostname=settings.smtpd_host,
        port=settings.smtpd_port,
        server_hostname=settings.email_domain,  # named in the greeting and the EHLO answer
        data_size_limit=settings.smtpd_max_bytes,
        enable_SMTPUTF8=True,
        ident="tocsin email intake",
    )
