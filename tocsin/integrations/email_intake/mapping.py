"""What an email means for its alert source: an ALERT to open or add to, or a RESOLVE."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from tocsin.alerts.events import MAX_KEY_LENGTH, MAX_SUMMARY_LENGTH, Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.email_intake.message import MailContent
from tocsin.integrations.email_intake.options import EmailMode, EmailOptions

ORIGIN = "email"
MAX_DETAILS_LENGTH = 100_000
# Patterns look at the subject and this much of the body (a pattern's cost grows with the text).
PATTERN_SCAN_LENGTH = 100_000
NO_SUBJECT = "(no subject)"
# Reply and forward prefixes, also the German (AW, WG), Nordic (SV) and Dutch (Antw) ones.
_REPLY_PREFIXES = re.compile(r"^(?:\s*(?:re|fwd?|aw|wg|sv|antw)\s*(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE)
# In ONE_ALERT_PER_EMAIL mode an alert's key is "<group key> #<12 hex of the Message-ID>".
EMAIL_SUFFIX = " #"
_SUFFIX_LENGTH = len(EMAIL_SUFFIX) + 12


@dataclass(frozen=True)
class MailIntent:
    event: Event
    # The key emails about the same thing share: the normalised subject, or what alertKeyPattern found.
    group_key: str
    # ONE_ALERT_PER_EMAIL: the ALERT's key is the group key plus this email's suffix, and a RESOLVE
    # acts on every open alert of the group.
    per_email: bool


def subject_key(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes, whitespace collapsed, lower case."""
    key = " ".join(_REPLY_PREFIXES.sub("", subject).split()).lower()
    return key or NO_SUBJECT


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _fit(key: str, room: int) -> str:
    """At most `room` characters; a longer key keeps its start and gets a digest of the whole."""
    return key if len(key) <= room else f"{key[: room - 17].rstrip()} {_digest(key, 16)}"


def _extracted_key(options: EmailOptions, subject: str, body: str) -> str | None:
    pattern = options.alert_key_pattern
    if pattern is None:
        return None
    for text in (subject, body):
        match = pattern.search(text)
        if match is None:
            continue
        if "key" in pattern.groupindex:
            found = match.group("key")
        else:
            found = match.group(1) if pattern.groups == 1 else match.group(0)
        if found and found.strip():
            return " ".join(found.split()).lower()
    return None


def _priority(options: EmailOptions, subject: str, body: str) -> Priority | None:
    for pattern, priority in ((options.high_priority_pattern, Priority.HIGH),
                              (options.low_priority_pattern, Priority.LOW)):
        if pattern is not None and (pattern.search(subject) or pattern.search(body)):
            return priority
    return None


def _details(mail: MailContent) -> str:
    text = mail.text
    if len(text) > MAX_DETAILS_LENGTH:
        text = text[:MAX_DETAILS_LENGTH].rstrip() + "\n[… the rest of the email is not shown]"
    if mail.attachments:
        text += ("\n\n" if text else "") + "Attachments: " + ", ".join(mail.attachments)
    return text


def intent(mail: MailContent, options: EmailOptions) -> MailIntent:
    body = mail.text[:PATTERN_SCAN_LENGTH]
    per_email = options.mode is EmailMode.ONE_ALERT_PER_EMAIL
    group = _extracted_key(options, mail.subject, body) or subject_key(mail.subject)
    group = _fit(group, MAX_KEY_LENGTH - _SUFFIX_LENGTH if per_email else MAX_KEY_LENGTH)
    resolve = options.resolve_pattern is not None and bool(
        options.resolve_pattern.search(mail.subject) or options.resolve_pattern.search(body))
    custom = dict(mail.headers)
    if mail.attachments:
        custom["attachments"] = list(mail.attachments)
    if resolve:
        key = group
    elif per_email:
        # The Message-ID makes a second delivery of the same email add to its alert, not open another.
        key = group + EMAIL_SUFFIX + _digest(mail.message_id or uuid.uuid4().hex, 12)
    else:
        key = group
    event = Event(
        event_type=EventType.RESOLVE if resolve else EventType.ALERT,
        alert_key=key,
        summary=(mail.subject or NO_SUBJECT)[:MAX_SUMMARY_LENGTH],
        details=_details(mail) or None,
        priority=None if resolve else _priority(options, mail.subject, body),
        custom_details=custom,
        origin=ORIGIN,
    )
    return MailIntent(event=event, group_key=group, per_email=per_email)
