"""SMS and voice calls through a Twilio-compatible REST API, and what the webhooks share with them.

Outbound: one small REST client (form POST, basic auth with the account SID and auth token) used by
two senders. An SMS about an alert ends with a reply code ("Reply 3a to accept, 3r to resolve"); a
voice call reads the alert and gathers one digit, posted to a signed URL of ours.

Reply codes are short numbers per phone number. The SMS sender assigns one just before it sends
(the smallest number not used by another alert SMS to that number in the last 24 hours) and stores
it in the notification's content, so the inbound-SMS webhook maps "<code>a" back to the message, and
so to its alert and the user it was sent to. A retry of the same message reuses its code.

Inbound requests carry X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the
public URL Twilio called followed by every POST parameter as name + value, sorted by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import quote, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import __version__
from tocsin.db import Database, lock_key
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure, Sender
from tocsin.notifications.models import Channel, ContactMethod, MessageKind, Notification
from tocsin.settings import Settings

API_VERSION = "2010-04-01"
SMS_MAX_CHARS = 320  # two concatenated GSM-7 segments
SAY_MAX_CHARS = 600
REPLY_CODE = "replyCode"  # key in Notification.content
REPLY_CODE_LIFETIME = timedelta(hours=24)
WEBHOOK_PREFIX = "/api/webhooks/twilio"
SMS_WEBHOOK_PATH = f"{WEBHOOK_PREFIX}/sms"
VOICE_WEBHOOK_PATH = f"{WEBHOOK_PREFIX}/voice"
# Twilio says 429 when rate limited; 408 is a timeout on its side. Other 4xx answers will not change.
_RETRIED_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class TwilioConfig:
    base_url: str
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioConfig | None:
        """The configuration, or None when SMS and voice are not set up on this server."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
            return None
        return cls(
            base_url=settings.twilio_base_url.rstrip("/"),
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_number=settings.twilio_from,
        )


class TwilioUnavailable(Exception):
    """The provider could not be reached or asked us to come back later: the message is retried."""


class TwilioClient:
    """Creates Messages and Calls resources; answers the new resource's SID."""

    def __init__(self, config: TwilioConfig) -> None:
        self.config = config
        # One client for the process: a new one per message pays a TLS context set-up (~65 ms CPU).
        self._http = httpx.Client(
            auth=(config.account_sid, config.auth_token),
            headers={"User-Agent": f"tocsin/{__version__}"},
            timeout=config.timeout_seconds,
            follow_redirects=False,
        )

    def create(self, resource: Literal["Messages", "Calls"], fields: dict[str, str]) -> str:
        config = self.config
        url = f"{config.base_url}/{API_VERSION}/Accounts/{quote(config.account_sid, safe='')}/{resource}.json"
        try:
            response = self._http.post(url, data=fields)
        except httpx.HTTPError as exc:
            raise TwilioUnavailable(f"Twilio request failed: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in _RETRIED_STATUSES or status >= 500:
            raise TwilioUnavailable(f"Twilio answered {_describe(response)}")
        if not 200 <= status < 300:
            raise PermanentFailure(f"Twilio refused the {resource[:-1].lower()}: {_describe(response)}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        sid = answer.get("sid") if isinstance(answer, dict) else None
        return str(sid) if sid else f"HTTP {status} without a resource SID"


def _describe(response: httpx.Response) -> str:
    """'400, error 21211: The 'To' number … is not a valid phone number.' from Twilio's error JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("code") or body.get("message")):
        code = f", error {body['code']}" if body.get("code") else ""
        return f"{response.status_code}{code}: {str(body.get('message', ''))[:300]}"
    return f"{response.status_code}: {response.text[:300]}"


# --- reply codes ---------------------------------------------------------------------------------


def recent_alert_sms(session: Session, address: str, since: datetime) -> list[Notification]:
    """Alert SMS to a phone number (any user's contact method with it) created since `since`, newest first."""
    methods = select(ContactMethod.id).where(ContactMethod.channel == Channel.SMS.value,
                                             ContactMethod.address == address)
    query = select(Notification).where(
        Notification.contact_method_id.in_(methods),
        Notification.channel == Channel.SMS.value,
        Notification.kind == MessageKind.ALERT.value,
        Notification.alert_id.is_not(None),
        Notification.created_at >= since,
    )
    return list(session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())))


def reply_code_of(row: Notification) -> int | None:
    code = (row.content or {}).get(REPLY_CODE)
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def assign_reply_code(session: Session, notification_id: int, address: str) -> int | None:
    """The message's reply code, assigned now if it has none; None for a message about no alert.

    Codes are unique among the alert SMS to the same number created within 24 hours of each other, so
    at any moment a code names at most one message of the last 24 hours.
    """
    lock_key(session, "twilio.reply-code", address)  # PostgreSQL: one assignment per number at a time
    row = session.get(Notification, notification_id)
    if row is None or row.alert_id is None:
        return None
    existing = reply_code_of(row)
    if existing is not None:
        return existing
    used = {reply_code_of(other) for other in recent_alert_sms(session, address, row.created_at - REPLY_CODE_LIFETIME)}
    code = next(n for n in itertools.count(1) if n not in used)
    row.content = {**(row.content or {}), REPLY_CODE: code}
    return code


def find_by_reply_code(session: Session, address: str, code: int, now: datetime) -> Notification | None:
    """The alert SMS of the last 24 hours to this number that showed this code."""
    for row in recent_alert_sms(session, address, now - REPLY_CODE_LIFETIME):
        if reply_code_of(row) == code:
            return row
    return None


# --- message text and TwiML ----------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def sms_body(message: OutboundMessage, reply_code: int | None) -> str:
    """At most 320 characters; an alert page ends with its reply code."""
    if message.kind is MessageKind.ALERT and reply_code is not None:
        tail = f"\nReply {reply_code}a to accept, {reply_code}r to resolve"
        return _clip(message.subject, SMS_MAX_CHARS - len(tail)) + tail
    return _clip(message.text or message.subject, SMS_MAX_CHARS)


def twiml(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def gather(parent: ET.Element, action_url: str, *prompts: str) -> None:
    """<Gather numDigits="1" action=…> saying the prompts; a key pressed during them counts."""
    element = ET.SubElement(parent, "Gather", {"numDigits": "1", "action": action_url, "method": "POST",
                                               "timeout": "8"})
    for prompt in prompts:
        ET.SubElement(element, "Say").text = prompt


def say(parent: ET.Element, *sentences: str) -> None:
    for sentence in sentences:
        ET.SubElement(parent, "Say").text = sentence


def call_twiml(message: OutboundMessage, public_base_url: str) -> str:
    """What the callee hears: the alert, then "press 1 to accept, 2 to resolve" (posted to our webhook)."""
    root = ET.Element("Response")
    alert = message.alert or {}
    token = alert.get("acceptToken")
    if message.kind is MessageKind.ALERT and alert and token:
        spoken = _clip(f"{alert['priority']} priority alert {alert['id']} from {alert['source']}: "
                       f"{alert['summary']}", SAY_MAX_CHARS)
        action = f"{public_base_url}{VOICE_WEBHOOK_PATH}/{token}"
        gather(root, action, f"This is tocsin. {spoken}", "Press 1 to accept, 2 to resolve.")
        gather(root, action, "Press 1 to accept the alert, 2 to resolve it.")
        say(root, "No key was pressed. Goodbye.")
    else:
        say(root, f"This is tocsin. {_clip(message.text or message.subject, SAY_MAX_CHARS)}", "Goodbye.")
    return twiml(root)


# --- request signatures ---------------------------------------------------------------------------


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    signed = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def signature_matches(auth_token: str, url: str, params: Iterable[tuple[str, str]], header: str) -> bool:
    return bool(header) and hmac.compare_digest(signature(auth_token, url, params).encode(), header.encode())


def public_url(public_base_url: str, path: str, query: str = "") -> str:
    """The URL Twilio called, as it knows it: our public base URL (we may sit behind a proxy) + path."""
    base = urlsplit(public_base_url)
    prefix = base.path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]  # the app was told its root path; the base URL names it already
    return f"{base.scheme}://{base.netloc}{prefix}{path}" + (f"?{query}" if query else "")


# --- senders --------------------------------------------------------------------------------------


class ReplyCodes:
    """Assigns reply codes in a short transaction of its own (the send itself runs outside one).

    It uses the app's database; given none (a worker built from settings alone), it opens its own
    connection to the same database on first use.
    """

    def __init__(self, db: Database | None, database_url: str) -> None:
        self._db = db
        self.database_url = database_url

    def assign(self, notification_id: int, address: str) -> int | None:
        if self._db is None:
            self._db = Database(self.database_url)
        with self._db.session(write=True) as session:
            return assign_reply_code(session, notification_id, address)


class TwilioSmsSender:
    channel: Channel = Channel.SMS

    def __init__(self, client: TwilioClient, reply_codes: ReplyCodes) -> None:
        self.client = client
        self.reply_codes = reply_codes

    def send(self, message: OutboundMessage) -> str:
        code = None
        if message.kind is MessageKind.ALERT and message.alert is not None:
            code = self.reply_codes.assign(message.notification_id, message.address)
        fields = {"To": message.address, "From": self.client.config.from_number, "Body": sms_body(message, code)}
        return self.client.create("Messages", fields)


class TwilioVoiceSender:
    channel: Channel = Channel.VOICE

    def __init__(self, client: TwilioClient, public_base_url: str) -> None:
        self.client = client
        self.public_base_url = public_base_url

    def send(self, message: OutboundMessage) -> str:
        fields = {"To": message.address, "From": self.client.config.from_number,
                  "Twiml": call_twiml(message, self.public_base_url)}
        return self.client.create("Calls", fields)


def build(settings: Settings, db: Database | None = None) -> dict[Channel, Sender]:
    """SMS and voice senders when Twilio is configured, else none. Reply codes are stored through `db`."""
    config = TwilioConfig.from_settings(settings)
    if config is None:
        return {}
    client = TwilioClient(config)
    codes = ReplyCodes(db, settings.database_url)
    return {Channel.SMS: TwilioSmsSender(client, codes), Channel.VOICE: TwilioVoiceSender(client, settings.base_url)}
