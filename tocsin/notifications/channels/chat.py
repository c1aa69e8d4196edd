"""Chat channels: Slack incoming webhooks, Microsoft Teams Workflows webhooks, and a generic signed webhook.

All three POST JSON to a URL the user gave (the contact method's address). They need no server
credentials, so they are always on. Every send goes through the SSRF guard (`tocsin.notifications.ssrf`):
the URL is checked and its host resolved right before the request, and the request connects to the
address that was checked. Redirects are not followed.

Everything taken from an alert (summary, details, source name) is attacker-controlled: control and
bidi-override characters are removed, Slack's `&`, `<`, `>` are escaped (no `<!channel>` pings, no
disguised `<url|links>`), Markdown is escaped in Teams cards (no `[disguised](links)`), and every text
is cut to the size its field takes.

Failures: a 4xx answer other than 408 and 429 (webhook removed, payload refused) and a redirect are
permanent; 5xx answers, 408, 429, timeouts and connection errors are retried by the engine with backoff.

WEBHOOK signature scheme. Each request carries
  X-Tocsin-Timestamp: <unix time in seconds when the request was made>
  X-Tocsin-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<raw request body>", keyed with the secret>
(the signature only when the contact method has a secret). A receiver recomputes the HMAC over the
timestamp header, a ".", and the body bytes exactly as received, compares in constant time, and
rejects timestamps more than a few minutes from its clock, so a captured request cannot be replayed
later. `Idempotency-Key` (also `idempotencyKey` in the body) is the same on every retry of one message:
receivers drop repeats by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

import httpx

from tocsin import __version__
from tocsin.clock import Clock, SystemClock
from tocsin.notifications import ssrf
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure, Sender
from tocsin.notifications.models import Channel, MessageKind
from tocsin.settings import Settings

USER_AGENT = f"tocsin/{__version__}"
SIGNATURE_HEADER = "X-Tocsin-Signature"
TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
EVENT_HEADER = "X-Tocsin-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"

RETRYABLE_4XX = frozenset({408, 429})
ALERT_FIELDS = ("id", "summary", "priority", "state", "source", "url")

# Control characters (except tab and line feed), and the bidi overrides that make text read differently
# from what it is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Escaped in Teams Markdown: emphasis and link syntax (no "[disguised](links)"); other characters stay
# as they are, since some Teams clients show escapes literally.
_MARKDOWN = frozenset("\\`*_[]~")


class RetryLater(Exception):
    """The receiver answered with a temporary failure (5xx, 408, 429); the engine retries."""


def clean(text: str) -> str:
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def fit(text: str, limit: int, escape: Callable[[str], str] = lambda c: c) -> str:
    """`text` cleaned and escaped one character at a time, cut with "…" so the result has at most `limit`
    characters (an escape sequence is never cut in half)."""
    pieces = [escape(c) for c in clean(text)]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    out: list[str] = []
    size = 0
    for piece in pieces:
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + "…"


def slack_escape(c: str) -> str:
    return _SLACK_ESCAPES.get(c, c)


def markdown_escape(c: str) -> str:
    return f"\\{c}" if c in _MARKDOWN else c


def _alert_url(message: OutboundMessage) -> str | None:
    url = (message.alert or {}).get("url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 2000 else None


def _alert_facts(message: OutboundMessage) -> list[tuple[str, str]]:
    alert = message.alert
    if not alert:
        return []
    facts = [("Priority", alert.get("priority")), ("State", alert.get("state")), ("Source", alert.get("source")),
             ("Alert", f"#{alert['id']}" if alert.get("id") is not None else None)]
    return [(name, str(value)) for name, value in facts if value is not None]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Tocsin-Signature value for a request body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


# -- payloads --------------------------------------------------------------------------------------


def slack_payload(message: OutboundMessage) -> dict[str, Any]:
    """An incoming-webhook message: a fallback `text` (notifications, old clients) and Block Kit blocks."""
    url = _alert_url(message)
    subject = message.subject or "tocsin"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(subject, 150) or "tocsin", "emoji": False}},
    ]
    if message.text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(message.text, 3000, slack_escape)}})
    facts = _alert_facts(message)
    if facts:
        line = "   ".join(f"*{name}:* {fit(value, 200, slack_escape)}" for name, value in facts)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": fit(line, 3000)}]})
    if url:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open alert"}, "url": url},
        ]})
    fallback = fit(subject, 500, slack_escape)
    if url:
        fallback += f" {fit(url, 2000, slack_escape)}"
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def teams_payload(message: OutboundMessage) -> dict[str, Any]:
    """A Workflows ("When a Teams webhook request is received") message with one Adaptive Card 1.4."""
    url = _alert_url(message)
    high = bool(message.alert) and (message.alert or {}).get("priority") == "HIGH" and message.kind is MessageKind.ALERT
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": fit(message.subject, 300, markdown_escape) or "tocsin", "weight": "Bolder",
         "size": "Medium", "wrap": True, "color": "Attention" if high else "Default"},
    ]
    if message.text:
        # A TextBlock is Markdown: a line break needs an empty line.
        text = re.sub(r"\n+", "\n\n", fit(message.text, 3000, markdown_escape))
        body.append({"type": "TextBlock", "text": text, "wrap": True})
    facts = _alert_facts(message)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": name, "value": fit(value, 200, markdown_escape)}
                                                  for name, value in facts]})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open alert", "url": url}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                         "content": card}],
    }


def webhook_payload(message: OutboundMessage, sent_at: str) -> dict[str, Any]:
    """Our own JSON: what happened, to whom, about which alert; no action links (they are per person)."""
    alert = None
    if message.alert is not None:
        alert = {name: message.alert[name] for name in ALERT_FIELDS if name in message.alert}
        if isinstance(alert.get("summary"), str):
            alert["summary"] = fit(alert["summary"], 2000)
        if isinstance(alert.get("source"), str):
            alert["source"] = fit(alert["source"], 500)
    return {
        "event": message.kind.value.lower(),
        "idempotencyKey": message.idempotency_key,
        "notificationId": message.notification_id,
        "sentAt": sent_at,
        "recipient": {"name": message.recipient_name},
        "subject": fit(message.subject, 500),
        "text": fit(message.text, 4000),
        "alert": alert,
    }


# -- sending ---------------------------------------------------------------------------------------


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    return fit(" ".join(response.text.split()), limit)


class _JsonWebhook:
    """POSTs one JSON document per message through the SSRF guard and sorts out the answer."""

    channel: Channel
    service: str

    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 resolver: ssrf.Resolver = ssrf.resolve) -> None:
        self.allow_private = settings.allow_private_webhooks
        self.timeout = settings.webhook_timeout_seconds
        self.clock: Clock = clock or SystemClock()
        self.resolver = resolver

    def request(self, message: OutboundMessage) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> str:
        try:
            target = ssrf.vet(message.address, allow_private=self.allow_private, resolver=self.resolver)
        except ssrf.UnsafeURL as exc:
            raise PermanentFailure(f"{self.service} URL {exc}") from None
        body, headers = self.request(message)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
        try:
            with ssrf.pinned_client(target, timeout=self.timeout) as client:
                response = client.post(target.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise TimeoutError(f"{self.service} at {target.host} did not answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise ConnectionError(f"could not reach {self.service} at {target.host}: {exc}") from None
        return self.answer(target, response)

    def answer(self, target: ssrf.Target, response: httpx.Response) -> str:
        status = response.status_code
        said = _snippet(response)
        if 200 <= status < 300:
            return f"{status} {said}".strip()
        what = f"{self.service} at {target.host} answered {status}" + (f" {said}" if said else "")
        if 300 <= status < 400:
            location = fit(response.headers.get("location", ""), 300)
            raise PermanentFailure(f"{what}: a redirect to {location or 'elsewhere'}; redirects are not followed, "
                                   "use the final URL")
        if 400 <= status < 500 and status not in RETRYABLE_4XX:
            raise PermanentFailure(what)
        raise RetryLater(what)


class SlackSender(_JsonWebhook):
    """Slack incoming webhooks. Slack answers 200 "ok"; a removed webhook 404 "no_service" or 410."""

    channel = Channel.SLACK
    service = "Slack"

    def request(self, message: OutboundMessage) -> tuple[bytes, dict[str, str]]:
        return json.dumps(slack_payload(message)).encode(), {}


class TeamsSender(_JsonWebhook):
    """Microsoft Teams Workflows webhooks (the successor of Office 365 connectors): an Adaptive Card."""

    channel = Channel.TEAMS
    service = "Teams"

    def request(self, message: OutboundMessage) -> tuple[bytes, dict[str, str]]:
        return json.dumps(teams_payload(message)).encode(), {}


class WebhookSender(_JsonWebhook):
    """The generic outgoing webhook: our JSON, signed with the contact method's secret when it has one."""

    channel = Channel.WEBHOOK
    service = "the webhook"

    def request(self, message: OutboundMessage) -> tuple[bytes, dict[str, str]]:
        now = self.clock.now()
        timestamp = str(int(now.timestamp()))
        body = json.dumps(webhook_payload(message, now.isoformat()), separators=(",", ":")).encode()
        headers = {
            TIMESTAMP_HEADER: timestamp,
            EVENT_HEADER: message.kind.value.lower(),
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        secret = message.contact_data.get("secret")
        if isinstance(secret, str) and secret:
            headers[SIGNATURE_HEADER] = signature(secret, timestamp, body)
        return body, headers


def chat_senders(settings: Settings, *, clock: Clock | None = None) -> dict[Channel, Sender]:
    """SLACK, TEAMS and WEBHOOK: always available, they need no server credentials."""
    return {sender.channel: sender for sender in (
        SlackSender(settings, clock=clock), TeamsSender(settings, clock=clock), WebhookSender(settings, clock=clock),
    )}
