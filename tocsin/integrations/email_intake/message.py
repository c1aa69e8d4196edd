"""A raw email (RFC 5322 bytes) read into what an alert needs: subject, text, attachments, headers."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import Any

from tocsin.integrations.email_intake.html_text import html_to_text

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnreadableMail(ValueError):
    """Bytes that are not an email we can make an alert of; the message says why."""


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    attachments: tuple[str, ...] = ()
    headers: dict[str, Any] = field(default_factory=dict)  # from, to, cc, messageId, date (those present)

    @property
    def message_id(self) -> str | None:
        value = self.headers.get("messageId")
        return value if isinstance(value, str) else None


def clean(text: str) -> str:
    """Text the databases can store: raw 8-bit header bytes read as UTF-8, no NUL, CRLF as LF."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _UNSTORABLE.sub("", text).replace("\r\n", "\n")


def read_mail(raw: bytes) -> MailContent:
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not message.keys():
            raise UnreadableMail("the message has no header fields; send an RFC 5322 email (headers, blank line, body)")
        assert isinstance(message, EmailMessage)
        return MailContent(
            subject=" ".join(clean(str(message.get("Subject", ""))).split()),
            text=_body_text(message),
            attachments=_attachment_names(message),
            headers=_headers(message),
        )
    except UnreadableMail:
        raise
    except Exception as exc:  # the parser's own errors on malformed structure or headers
        raise UnreadableMail(f"the message cannot be parsed: {exc}") from None


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _part_text(body)
    return clean(html_to_text(text) if body.get_content_subtype() == "html" else text).strip()


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, ValueError):  # an unknown or wrong charset
        pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _attachment_names(message: EmailMessage) -> tuple[str, ...]:
    body = message.get_body(preferencelist=("plain", "html"))
    names = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        name = part.get_filename()
        if name or part.get_content_disposition() == "attachment":
            names.append(clean(name) if name else f"(unnamed {part.get_content_type()})")
    return tuple(names)


def _headers(message: EmailMessage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for header, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Message-ID", "messageId")):
        value = message.get(header)
        if value is not None and str(value).strip():
            out[key] = clean(" ".join(str(value).split()))[:1000]
    date = message.get("Date")
    if date is not None:
        moment = getattr(date, "datetime", None)
        out["date"] = moment.isoformat() if moment is not None else clean(str(date))[:200]
    return out
