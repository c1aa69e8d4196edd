"""Mail for alert sources: which recipients we take, and one write transaction per message.

Everything here is synchronous (the database layer is); the SMTP server runs it in a thread. A
message is answered 250 only after its transaction committed: what the sender was told is stored.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.ingest import IngestResult, ingest, normalize_key, source_for_key
from tocsin.alerts.models import OPEN_STATES, Alert, AlertSource, EventOutcome, EventType
from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.engine.queue import queued_due_work
from tocsin.errors import Problem
from tocsin.integrations.email_intake.mapping import EMAIL_SUFFIX, MailIntent, intent
from tocsin.integrations.email_intake.message import MailContent, UnreadableMail, read_mail
from tocsin.integrations.email_intake.options import email_options

log = logging.getLogger(__name__)

EMAIL_TYPE = "EMAIL"


class Refused(Exception):
    """An SMTP refusal: `reply` is the whole answer line, e.g. '550 5.1.1 <...>: ...'."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class Mailbox:
    domain: str  # TOCSIN_EMAIL_DOMAIN

    def integration_key(self, address: str) -> str:
        """The integration key an address names, or Refused(550) when it is not one of ours."""
        local, at, domain = address.strip().rpartition("@")
        if not at or not local:
            raise Refused(f"550 5.1.3 <{address}>: not a valid address; write <integration key>@{self.domain}")
        if domain.lower().rstrip(".") != self.domain.lower():
            raise Refused(f"550 5.1.2 <{address}>: this server takes mail only for @{self.domain}")
        return local.strip('"').lower()


def _source(session: Session, address: str, key: str) -> AlertSource:
    try:
        source = source_for_key(session, key)
    except Problem as problem:
        if problem.status == 403:
            raise Refused(f"550 5.2.1 <{address}>: the alert source for this address is disabled") from None
        raise Refused(f"550 5.1.1 <{address}>: unknown recipient; no alert source has this key") from None
    if source.integration_type != EMAIL_TYPE:
        raise Refused(f"550 5.1.1 <{address}>: unknown recipient; the alert source for this key does not "
                      f"take email (its integrationType is {source.integration_type}, not EMAIL)")
    return source


def check_recipient(db: Database, mailbox: Mailbox, address: str) -> None:
    """Raise Refused unless the address belongs to an active or in-maintenance EMAIL alert source."""
    key = mailbox.integration_key(address)
    with db.session() as session:
        _source(session, address, key)


def deliver(
    db: Database, clock: Clock, mailbox: Mailbox, recipients: list[str], raw: bytes,
    *, wake: threading.Event | None = None,
) -> str:
    """Ingest one message for each recipient's source, in one transaction; the SMTP answer to DATA."""
    try:
        mail = read_mail(raw)
    except UnreadableMail as exc:
        return f"554 5.6.0 Message not accepted: {exc}"
    try:
        with db.session(write=True) as session:
            outcomes, refusals = _ingest_for_recipients(session, clock, mailbox, recipients, mail)
            if not outcomes:
                session.rollback()
                return refusals[0] if refusals else "554 5.1.1 no valid recipients"
    except Refused as refused:
        return refused.reply
    if wake is not None and queued_due_work(session):
        wake.set()
    for reply in refusals:
        log.info("email recipient refused after RCPT: %s", reply)
    return ("250 2.0.0 Message accepted: " + "; ".join(outcomes))[:400]


def _ingest_for_recipients(
    session: Session, clock: Clock, mailbox: Mailbox, recipients: list[str], mail: MailContent
) -> tuple[list[str], list[str]]:
    outcomes: list[str] = []
    refusals: list[str] = []
    seen: set[int] = set()
    for address in recipients:
        try:
            source = _source(session, address, mailbox.integration_key(address))
        except Refused as refused:  # changed since RCPT; the other recipients still get the mail
            refusals.append(refused.reply)
            continue
        if source.id in seen:
            continue
        seen.add(source.id)
        try:
            what = intent(mail, email_options(source.integration_settings))
        except Problem as problem:  # stored settings no longer valid: keep the mail queued, retry later
            raise Refused(f"451 4.3.5 the alert source's email settings are invalid: {problem.detail}") from None
        outcomes.extend(_describe(r) for r in _ingest(session, clock, source, what))
    return outcomes, refusals


def _ingest(session: Session, clock: Clock, source: AlertSource, what: MailIntent) -> list[IngestResult]:
    event = what.event
    if event.event_type is not EventType.RESOLVE or not what.per_email:
        return [ingest(session, clock, source, event)]
    # One alert per email: resolve every open alert that came from an email of this group.
    group = normalize_key(what.group_key)
    pattern = group.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + EMAIL_SUFFIX + "%"
    keys = session.scalars(
        select(Alert.alert_key_norm).distinct().where(
            Alert.alert_source_id == source.id,
            Alert.state.in_(OPEN_STATES),
            (Alert.alert_key_norm == group) | Alert.alert_key_norm.like(pattern, escape="\\"),
        )
    ).all()
    return [ingest(session, clock, source, replace(event, alert_key=key)) for key in sorted(keys) or [group]]


def _describe(result: IngestResult) -> str:
    """A short ASCII phrase for the 250 answer (alert keys may hold any text, so they stay out)."""
    if result.outcome is EventOutcome.IGNORED:
        return f"nothing changed ({result.reason})"
    return {
        EventOutcome.CREATED: "alert opened", EventOutcome.APPENDED: "added to an open alert",
        EventOutcome.APPLIED: "alert resolved",
    }[result.outcome]
