"""The EMAIL channel: one message per SMTP transaction, text and HTML, with one-click action links.

Everything taken from an alert (summary, details, source name) is attacker-controlled: it is escaped
in the HTML part, and stripped of line breaks wherever it goes into a header.

Failures: a 5xx reply (recipient refused, message rejected, login refused) or a server that lacks
what the settings require (STARTTLS, AUTH) is permanent; a 4xx reply, a refused connection, a timeout
or a dropped connection is retried by the engine.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from tocsin.clock import Clock, SystemClock
from tocsin.notifications.action_tokens import EMAIL_TOKEN_LIFETIME
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure
from tocsin.notifications.models import Channel, MessageKind
from tocsin.settings import Settings

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class TemporaryFailure(Exception):
    """The mail server asked us to try again later (4xx); the engine retries."""


def one_line(text: str, limit: int = 300) -> str:
    """Header-safe text: control characters (line breaks above all) become spaces."""
    return _CONTROL.sub(" ", text).strip()[:limit]


class EmailSender:
    channel = Channel.EMAIL

    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if not settings.smtp_host:
            raise ValueError("TOCSIN_SMTP_HOST is not set")
        security = settings.smtp_security.lower()
        if security not in SECURITY_MODES:
            raise ValueError(f"TOCSIN_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        self.host = settings.smtp_host
        self.security = security
        self.port = settings.smtp_port or DEFAULT_PORTS[security]
        self.username = settings.smtp_username
        self._password = settings.smtp_password
        self.timeout = settings.smtp_timeout_seconds
        self.clock: Clock = clock or SystemClock()
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.from_header = settings.smtp_from or f"tocsin@{urlsplit(settings.base_url).hostname or 'localhost'}"
        _name, self.envelope_from = parseaddr(self.from_header)
        if "@" not in self.envelope_from:
            raise ValueError(f"TOCSIN_SMTP_FROM is not an email address: {self.from_header!r}")
        self.domain = self.envelope_from.rpartition("@")[2]

    # -- composing ---------------------------------------------------------------------------

    def compose(self, message: OutboundMessage) -> tuple[EmailMessage, str]:
        """The message and its envelope recipient."""
        mail = EmailMessage(policy=policy.SMTP)
        try:
            to = Address(display_name=one_line(message.recipient_name, 100), addr_spec=message.address.strip())
        except (ValueError, IndexError, HeaderParseError):
            to = None
        if to is None or "@" not in to.addr_spec:
            raise PermanentFailure(f"{message.address!r} is not a valid email address")
        mail["Subject"] = one_line(message.subject) or "tocsin"
        mail["From"] = self.from_header
        mail["To"] = to
        mail["Date"] = format_datetime(self.clock.now())
        mail["Message-ID"] = make_msgid("tocsin", domain=self.domain)
        # RFC 3834: no vacation auto-replies to a pager.
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
        mail["X-Tocsin-Kind"] = message.kind.value
        alert = message.alert
        if alert is not None:
            mail["X-Tocsin-Alert"] = str(int(alert["id"]))
            if message.kind is MessageKind.ALERT and alert.get("priority") == "HIGH":
                mail["Importance"] = "high"
                mail["X-Priority"] = "1"
        mail.set_content(render_text(message), charset="utf-8")
        mail.add_alternative(render_html(message), subtype="html", charset="utf-8")
        return mail, to.addr_spec

    # -- sending -----------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> str:
        mail, recipient = self.compose(message)
        try:
            self._deliver(mail, recipient)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (-1, b""))
            raise _by_code(code, f"the mail server refused {recipient}: {code} {_text(reply)}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise _by_code(exc.smtp_code, f"the mail server refused the SMTP login of {self.username!r}: "
                                          f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, bad greeting or HELO
            raise _by_code(exc.smtp_code, f"the mail server answered {exc.smtp_code} {_text(exc.smtp_error)}") \
                from None
        except smtplib.SMTPServerDisconnected as exc:
            raise TemporaryFailure(f"lost the connection to the mail server {self.host}:{self.port}: {exc}") \
                from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"the mail server {self.host}:{self.port} cannot do what the settings ask: "
                                   f"{exc}") from None
        except smtplib.SMTPException as exc:  # e.g. no AUTH mechanism in common
            raise PermanentFailure(f"the mail server {self.host}:{self.port}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentFailure(f"the TLS certificate of the mail server {self.host}:{self.port} is not "
                                   f"trusted: {exc.verify_message}") from None
        except OSError as exc:  # refused, unreachable, timed out, TLS handshake cut
            raise TemporaryFailure(f"could not reach the mail server {self.host}:{self.port}: "
                                   f"{exc or type(exc).__name__}") from None
        return str(mail["Message-ID"])

    def _deliver(self, mail: EmailMessage, recipient: str) -> None:
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                # Raises SMTPNotSupportedError when not offered: credentials never go out in clear by accident.
                client.starttls(context=self.ssl_context)
                client.ehlo()
            if self.username:
                client.login(self.username, self._password)
            client.send_message(mail, from_addr=self.envelope_from, to_addrs=[recipient])
        finally:
            # The message is accepted once DATA is answered; a failing QUIT must not make us send it again.
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def _text(reply: bytes | str) -> str:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return one_line(raw, 500)


def _by_code(code: int, text: str) -> Exception:
    return PermanentFailure(text) if code >= 500 else TemporaryFailure(text)


# -- bodies --------------------------------------------------------------------------------------

FOOTER = (f"The accept and resolve links act as you, on this alert only, for "
          f"{int(EMAIL_TOKEN_LIFETIME.total_seconds() // 3600)} hours; each opens a page where you confirm. "
          "Do not forward this message.")


def _links(message: OutboundMessage) -> list[tuple[str, str]]:
    """(label, url) of the buttons: accept and resolve on a page, a link to the alert otherwise."""
    alert = message.alert or {}
    links = []
    if message.kind is MessageKind.ALERT:
        for label, key in (("Accept", "acceptUrl"), ("Resolve", "resolveUrl")):
            if isinstance(alert.get(key), str):
                links.append((label, alert[key]))
    if isinstance(alert.get("url"), str):
        links.append(("Open in tocsin", alert["url"]))
    links.extend((str(label), str(url)) for label, url in message.extra.get("links") or [])
    if isinstance(message.extra.get("url"), str):
        links.append(("Open in tocsin", message.extra["url"]))
    return links


def _has_actions(links: list[tuple[str, str]]) -> bool:
    return any(label in ("Accept", "Resolve") for label, _url in links)


def _footer(message: OutboundMessage, links: list[tuple[str, str]]) -> str:
    """The small print: what the alert's action links do, or the footer a message not about an alert brings."""
    if message.alert is not None:
        return FOOTER if _has_actions(links) else ""
    return str(message.extra.get("footer") or "")


def render_text(message: OutboundMessage) -> str:
    parts = [message.text.strip()]
    links = _links(message)
    if links:
        parts.append("\n".join(f"{label}: {url}" for label, url in links))
    parts.append(_footer(message, links))
    return "\n\n".join(p for p in parts if p) + "\n"


_BUTTON = ("display:inline-block;padding:12px 22px;margin:0 8px 8px 0;border-radius:6px;font-weight:600;"
           "font-size:16px;text-decoration:none;")
_COLOURS = {"Accept": "background:#b91c1c;color:#ffffff;", "Resolve": "background:#15803d;color:#ffffff;"}
_PLAIN_LINK = "background:#e4e4e7;color:#18181b;"
_FONTS = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"


def _escape_lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.splitlines())


def render_html(message: OutboundMessage) -> str:
    alert: dict[str, Any] = message.alert or {}
    if alert:
        meta = f"{alert.get('priority', '')} alert #{alert.get('id', '')} · {alert.get('source', '')}".strip()
        heading = str(alert.get("summary") or message.subject)
    else:
        meta, heading = "tocsin", message.subject
    links = _links(message)
    buttons = "".join(
        f'<a href="{html.escape(url, quote=True)}" style="{_BUTTON}{_COLOURS.get(label, _PLAIN_LINK)}">'
        f"{html.escape(label)}</a>"
        for label, url in links
    )
    footer = _footer(message, links)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(one_line(message.subject))}</title></head>
<body style="margin:0;padding:16px;background:#f4f4f5;color:#18181b;font-family:{_FONTS}">
<div style="max-width:560px;margin:0 auto;padding:20px;background:#ffffff;border-radius:8px">
<p style="margin:0 0 8px;font-size:13px;color:#52525b">{html.escape(meta)}</p>
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;overflow-wrap:anywhere">{html.escape(heading)}</h1>
<p style="margin:0 0 20px;font-size:14px;line-height:1.5;overflow-wrap:anywhere">{_escape_lines(message.text)}</p>
<p style="margin:0 0 12px">{buttons}</p>
<p style="margin:0;font-size:12px;color:#71717a">{html.escape(footer)}</p>
</div></body></html>
"""
